//! Byte encodings of what the store keeps: chunks of points and metadata
//! records.
//!
//! # Chunk format (version 2)
//!
//! ```text
//! u8        format version (2; version 1, never released, had no
//!           value encoding byte)
//! varint    n, the number of points (>= 1)
//! varint    first timestamp, zig-zag encoded
//! ts runs   until n-1 gaps are described, each run is
//!             varint (gap << 1 | repeated)  gap > 0 in ms
//!             varint (count - 2)             only when `repeated` is set
//! flag runs until n points are described, each run is
//!             varint flags, varint (count - 1)
//! u8        value encoding, then the values:
//!   0 (XOR)      bit stream (below), padded with zero bits to a byte
//!   1 (decimal)  u8 d, then per value either
//!                  varint (zigzag(k - previous k) << 1)  value is k / 10^d
//!                  varint 1, then 8 bytes LE              any other value
//! u32 LE    CRC-32 of everything before it
//! ```
//!
//! Why these choices (sizes measured in `tests/storage/size.rs`):
//! - Timestamps: series with a resolution are regular, so one run describes
//!   a whole chunk (a few bytes for 4096 points); irregular (breakpoint)
//!   series pay one bit over a plain delta per point, which beats
//!   delta-of-delta coding on regular data and roughly ties on irregular.
//! - Flags: nearly always one value for long stretches, so runs make them
//!   practically free.
//! - Values: the encoder tries both encodings and keeps the shorter.
//!   - XOR: each value is XORed with the previous one; equal values cost a
//!     single bit, and values that differ only in a few bits cost the
//!     meaningful bits plus a small header. This is the scheme of
//!     Facebook's Gorilla paper, with a 6-bit leading-zero count and a
//!     choice, per value, between reusing the previous bit window and
//!     opening a new one (whichever is shorter). Values computed in binary
//!     floating point (noisy mantissas) cost about 7 bytes, never much more
//!     than the 8 of raw storage.
//!   - Decimal: readings and prices usually carry a few decimal digits,
//!     which in binary are as noisy as any other fraction, so XOR cannot
//!     shrink them (also about 7 bytes). Stored as integers of the chunk's
//!     smallest sufficient number of decimals, differences to the previous
//!     value take 1–3 bytes. A value is only coded this way when dividing
//!     its integer by 10^d gives back exactly its bits; anything else (NaN,
//!     infinities, -0.0, more digits) is kept raw as an exception.
//!
//!   Both work from the bit pattern, so every value, each NaN payload
//!   included, comes back exactly.
//! - The CRC catches bit rot that would otherwise decode into plausible but
//!   wrong values; the embedded database's own checksums are only checked
//!   when it recovers from a crash.
//!
//! Decoding never trusts the bytes: every count, length and shift is
//! checked, so damaged data yields an error, never a panic or a huge
//! allocation.

use mesh_timeseries::{CurveType, Resolution};
use uuid::Uuid;

use crate::types::{Point, SeriesMeta};

const CHUNK_VERSION: u8 = 2;
const META_VERSION: u8 = 1;
/// The metadata format of a virtual series: the first, then its expression.
const META_VERSION_VIRTUAL: u8 = 2;

/// Value encodings, chosen per chunk.
const VALUES_XOR: u8 = 0;
const VALUES_DECIMAL: u8 = 1;

/// Powers of ten that scale decimal values; each is exact in an f64.
const POW10: [f64; 10] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
/// Integers up to 2^53 in magnitude are exact in an f64.
const MAX_EXACT_INTEGER: f64 = 9_007_199_254_740_992.0;

/// Vectors are never pre-sized beyond this from a count read off disk; a
/// corrupted count must not be able to ask for gigabytes up front.
const MAX_TRUSTED_RESERVE: usize = 1 << 16;

// ---------------------------------------------------------------- varints

fn put_varint(out: &mut Vec<u8>, mut v: u128) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// A cursor over bytes read from disk; every read is bounds-checked.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    fn u8(&mut self) -> Result<u8, String> {
        let b = *self
            .data
            .get(self.pos)
            .ok_or_else(|| format!("truncated at byte {}", self.pos))?;
        self.pos += 1;
        Ok(b)
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.data.len())
            .ok_or_else(|| format!("truncated: {n} bytes wanted at byte {}", self.pos))?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    /// A varint of at most `max_bits` significant bits.
    fn varint(&mut self, max_bits: u32) -> Result<u128, String> {
        let start = self.pos;
        let mut v: u128 = 0;
        let mut shift = 0u32;
        loop {
            let b = self.u8()?;
            let chunk = u128::from(b & 0x7f);
            if shift >= max_bits || (shift > 0 && chunk >> (max_bits - shift) != 0) {
                return Err(format!("varint at byte {start} is too large"));
            }
            v |= chunk << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
            shift += 7;
        }
    }

    fn u64(&mut self) -> Result<u64, String> {
        Ok(self.varint(64)? as u64)
    }

    fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }
}

// ---------------------------------------------------------------- write blocks

/// One committed write as a block of a series' history holds it: commit
/// number, part, and the replaced interval `[start, end)`.
pub(crate) type BlockWrite = (u64, u32, i64, i64);

/// A block of writes of one series, oldest first: the count, then each
/// write as varints of its number's step from the previous one, its part,
/// its start's (zigzag) distance from the previous end and its length. A
/// small write costs a few bytes, not a row of its own.
pub(crate) fn encode_writes(writes: &[BlockWrite]) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + writes.len() * 6);
    put_varint(&mut out, writes.len() as u128);
    let (mut seq, mut end) = (0u64, 0i64);
    for &(s, part, start, stop) in writes {
        put_varint(&mut out, u128::from(s.wrapping_sub(seq)));
        put_varint(&mut out, u128::from(part));
        put_varint(&mut out, u128::from(zigzag(start.wrapping_sub(end))));
        put_varint(&mut out, u128::from(stop.wrapping_sub(start) as u64));
        (seq, end) = (s, stop);
    }
    out
}

/// The writes of a block ([`encode_writes`]).
pub(crate) fn decode_writes(bytes: &[u8]) -> Result<Vec<BlockWrite>, String> {
    let mut r = Reader::new(bytes);
    let count = r.u64()? as usize;
    let mut out = Vec::with_capacity(count.min(MAX_TRUSTED_RESERVE));
    let (mut seq, mut end) = (0u64, 0i64);
    for _ in 0..count {
        seq = seq.wrapping_add(r.u64()?);
        let part =
            u32::try_from(r.u64()?).map_err(|_| "a write's part is too large".to_string())?;
        let start = end.wrapping_add(unzigzag(r.u64()?));
        end = start.wrapping_add(r.u64()? as i64);
        if end < start {
            return Err(format!("a write ends ({end}) before it starts ({start})"));
        }
        out.push((seq, part, start, end));
    }
    if r.remaining() != 0 {
        return Err(format!("{} bytes after the last write", r.remaining()));
    }
    Ok(out)
}

// ---------------------------------------------------------------- CRC-32

/// The table of the reflected IEEE CRC-32 polynomial, built at compile time.
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

fn crc32(data: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in data {
        c = CRC_TABLE[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8);
    }
    !c
}

// ---------------------------------------------------------------- bits

/// Appends bit fields, most significant bit first.
struct BitWriter {
    out: Vec<u8>,
    /// Bits not yet written out; fewer than 8 between calls.
    acc: u128,
    pending: u32,
}

impl BitWriter {
    fn new(out: Vec<u8>) -> Self {
        BitWriter {
            out,
            acc: 0,
            pending: 0,
        }
    }

    /// Writes the low `bits` bits of `v` (`bits` <= 64).
    fn put(&mut self, v: u64, bits: u32) {
        debug_assert!(bits <= 64);
        if bits == 0 {
            return;
        }
        let mask = if bits == 64 {
            u64::MAX
        } else {
            (1u64 << bits) - 1
        };
        self.acc = (self.acc << bits) | u128::from(v & mask);
        self.pending += bits;
        while self.pending >= 8 {
            self.pending -= 8;
            self.out.push((self.acc >> self.pending) as u8);
        }
        self.acc &= (1u128 << self.pending) - 1;
    }

    fn finish(mut self) -> Vec<u8> {
        if self.pending > 0 {
            self.out.push((self.acc << (8 - self.pending)) as u8);
        }
        self.out
    }
}

/// Reads bit fields written by [`BitWriter`], refusing to run past the end.
struct BitReader<'a> {
    data: &'a [u8],
    bit: usize,
}

impl<'a> BitReader<'a> {
    fn get(&mut self, bits: u32) -> Result<u64, String> {
        let bits = bits as usize;
        if self.bit + bits > self.data.len() * 8 {
            return Err("value bit stream is truncated".into());
        }
        let mut v: u64 = 0;
        let mut left = bits;
        while left > 0 {
            let byte = self.data[self.bit / 8];
            let offset = self.bit % 8;
            let avail = 8 - offset;
            let take = avail.min(left);
            let part = (u64::from(byte) >> (avail - take)) & ((1u64 << take) - 1);
            // `take` is at most 8, and `v` holds at most `bits - left` bits.
            v = (v << take) | part;
            self.bit += take;
            left -= take;
        }
        Ok(v)
    }
}

// ---------------------------------------------------------------- chunks

/// Encodes points (at least one, strictly increasing) as one chunk.
pub(crate) fn encode_chunk(points: &[Point]) -> Vec<u8> {
    debug_assert!(!points.is_empty());
    let mut out = Vec::with_capacity(16 + points.len() * 2);
    out.push(CHUNK_VERSION);
    put_varint(&mut out, points.len() as u128);
    put_varint(&mut out, u128::from(zigzag(points[0].utc_ms)));

    // Timestamp gaps as runs. The differences are computed in i128 so that
    // even the widest gap (i64::MIN to i64::MAX) is exact.
    let mut i = 1;
    while i < points.len() {
        let gap = (i128::from(points[i].utc_ms) - i128::from(points[i - 1].utc_ms)) as u128;
        let mut count = 1;
        while i + count < points.len()
            && (i128::from(points[i + count].utc_ms) - i128::from(points[i + count - 1].utc_ms))
                as u128
                == gap
        {
            count += 1;
        }
        if count == 1 {
            put_varint(&mut out, gap << 1);
        } else {
            put_varint(&mut out, (gap << 1) | 1);
            put_varint(&mut out, (count - 2) as u128);
        }
        i += count;
    }

    // Flags as runs.
    let mut i = 0;
    while i < points.len() {
        let flags = points[i].flags;
        let mut count = 1;
        while i + count < points.len() && points[i + count].flags == flags {
            count += 1;
        }
        put_varint(&mut out, u128::from(flags));
        put_varint(&mut out, (count - 1) as u128);
        i += count;
    }

    // Values: whichever of the two encodings is shorter for this chunk.
    let xor = encode_values_xor(points);
    match encode_values_decimal(points) {
        Some(decimal) if decimal.len() < xor.len() => {
            out.push(VALUES_DECIMAL);
            out.extend_from_slice(&decimal);
        }
        _ => {
            out.push(VALUES_XOR);
            out.extend_from_slice(&xor);
        }
    }
    let crc = crc32(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Values as an XOR bit stream (see the module docs).
fn encode_values_xor(points: &[Point]) -> Vec<u8> {
    let mut bits = BitWriter::new(Vec::with_capacity(8 + points.len()));
    let mut previous = points[0].value.to_bits();
    bits.put(previous, 64);
    // (leading zeros, trailing zeros) of the last window opened.
    let mut window: Option<(u32, u32)> = None;
    for p in &points[1..] {
        let v = p.value.to_bits();
        let x = v ^ previous;
        previous = v;
        if x == 0 {
            bits.put(0, 1);
            continue;
        }
        let lead = x.leading_zeros();
        let trail = x.trailing_zeros();
        let meaningful = 64 - lead - trail;
        match window {
            // Reuse the window when it covers the changed bits and is not
            // longer than opening a fitted one would be (12 header bits).
            Some((wl, wt)) if lead >= wl && trail >= wt && 64 - wl - wt <= meaningful + 12 => {
                bits.put(0b10, 2);
                bits.put(x >> wt, 64 - wl - wt);
            }
            _ => {
                bits.put(0b11, 2);
                bits.put(u64::from(lead), 6);
                bits.put(u64::from(meaningful - 1), 6);
                bits.put(x >> trail, meaningful);
                window = Some((lead, trail));
            }
        }
    }
    bits.finish()
}

/// `v` as the integer `k` with `v == k / 10^decimals` bit for bit, if
/// there is one within the range where integers are exact in an f64.
fn scaled(v: f64, decimals: usize) -> Option<i64> {
    let k = (v * POW10[decimals]).round();
    if k.is_nan() || k.abs() > MAX_EXACT_INTEGER {
        return None;
    }
    // Check with exactly the computation the decoder does (from the
    // integer, so -0.0 does not pass as 0).
    let k = k as i64;
    ((k as f64 / POW10[decimals]).to_bits() == v.to_bits()).then_some(k)
}

/// Values as decimal numbers (see the module docs), or `None` when the
/// values do not look decimal at all.
fn encode_values_decimal(points: &[Point]) -> Option<Vec<u8>> {
    // The fewest decimals that represent every value that has a decimal
    // representation at all; the others become exceptions.
    let mut decimals = 0;
    let mut any = false;
    for (i, p) in points.iter().enumerate() {
        if let Some(d) = (decimals..POW10.len()).find(|&d| scaled(p.value, d).is_some()) {
            decimals = d;
            any = true;
        }
        // Noisy measurements fail every scale: stop searching early.
        if i == 63 && !any {
            return None;
        }
    }
    if !any {
        return None;
    }
    let mut out = Vec::with_capacity(1 + points.len() * 2);
    out.push(decimals as u8);
    let mut previous = 0i64;
    for p in points {
        match scaled(p.value, decimals) {
            Some(k) => {
                put_varint(&mut out, u128::from(zigzag(k - previous)) << 1);
                previous = k;
            }
            None => {
                put_varint(&mut out, 1);
                out.extend_from_slice(&p.value.to_bits().to_le_bytes());
            }
        }
    }
    Some(out)
}

/// Decodes a chunk, appending its points to `out`. On error `out` may hold
/// some of the chunk's points; callers discard it.
pub(crate) fn decode_chunk(bytes: &[u8], out: &mut Vec<Point>) -> Result<(), String> {
    if bytes.len() < 5 {
        return Err(format!("chunk of {} bytes is too short", bytes.len()));
    }
    let (body, crc) = bytes.split_at(bytes.len() - 4);
    let stored = u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]);
    if crc32(body) != stored {
        return Err("checksum mismatch".into());
    }
    let mut r = Reader::new(body);
    let version = r.u8()?;
    if version != CHUNK_VERSION {
        return Err(format!("unknown chunk format {version}"));
    }
    let n = r.u64()?;
    if n == 0 {
        return Err("chunk claims to hold no points".into());
    }
    // Every point after the first costs at least one value bit, and the
    // first costs 64: a count beyond that is a lie, caught before we
    // allocate for it.
    if n - 1 > (r.remaining() as u64).saturating_mul(8) {
        return Err(format!("point count {n} exceeds what the chunk can hold"));
    }
    let n = n as usize;
    let base = out.len();
    out.reserve(n.min(MAX_TRUSTED_RESERVE));

    let mut t = unzigzag(r.u64()?);
    out.push(Point::new(t, 0, 0.0));
    while out.len() - base < n {
        let word = r.varint(65)?;
        let gap = word >> 1;
        let count = if word & 1 == 1 {
            r.u64()? as u128 + 2
        } else {
            1
        };
        if gap == 0 {
            return Err("timestamps are not increasing".into());
        }
        if count > (n - (out.len() - base)) as u128 {
            return Err("timestamp runs describe more points than the chunk holds".into());
        }
        for _ in 0..count {
            let next = i128::from(t) + gap as i128;
            t = i64::try_from(next).map_err(|_| "timestamp overflows".to_string())?;
            out.push(Point::new(t, 0, 0.0));
        }
    }

    let mut filled = 0usize;
    while filled < n {
        let flags = u32::try_from(r.u64()?).map_err(|_| "flags exceed 32 bits".to_string())?;
        let count = r.u64()?.saturating_add(1);
        if count > (n - filled) as u64 {
            return Err("flag runs describe more points than the chunk holds".into());
        }
        for p in &mut out[base + filled..base + filled + count as usize] {
            p.flags = flags;
        }
        filled += count as usize;
    }

    let values = &mut out[base..base + n];
    match r.u8()? {
        VALUES_XOR => decode_values_xor(&body[r.pos..], values),
        VALUES_DECIMAL => decode_values_decimal(&mut r, values),
        other => Err(format!("unknown value encoding {other}")),
    }
}

fn decode_values_xor(stream: &[u8], values: &mut [Point]) -> Result<(), String> {
    let mut bits = BitReader {
        data: stream,
        bit: 0,
    };
    let mut previous = bits.get(64)?;
    values[0].value = f64::from_bits(previous);
    let mut window: Option<(u32, u32)> = None;
    for p in &mut values[1..] {
        if bits.get(1)? == 1 {
            let x = if bits.get(1)? == 0 {
                let (wl, wt) = window.ok_or("value reuses a bit window never opened")?;
                bits.get(64 - wl - wt)? << wt
            } else {
                let lead = bits.get(6)? as u32;
                let meaningful = bits.get(6)? as u32 + 1;
                if lead + meaningful > 64 {
                    return Err("value bit window exceeds 64 bits".into());
                }
                let trail = 64 - lead - meaningful;
                window = Some((lead, trail));
                bits.get(meaningful)? << trail
            };
            previous ^= x;
        }
        p.value = f64::from_bits(previous);
    }
    // The stream must end within its last byte: whole spare bytes mean the
    // counts above and the data disagree.
    if stream.len() != bits.bit.div_ceil(8) {
        return Err("unexpected bytes after the values".into());
    }
    Ok(())
}

fn decode_values_decimal(r: &mut Reader<'_>, values: &mut [Point]) -> Result<(), String> {
    let decimals = usize::from(r.u8()?);
    let scale = *POW10
        .get(decimals)
        .ok_or_else(|| format!("{decimals} decimals is beyond the supported range"))?;
    let mut previous = 0i64;
    for p in values {
        let word = r.varint(65)?;
        if word & 1 == 1 {
            if word != 1 {
                return Err("malformed value exception".into());
            }
            let raw = r.bytes(8)?;
            p.value = f64::from_bits(u64::from_le_bytes([
                raw[0], raw[1], raw[2], raw[3], raw[4], raw[5], raw[6], raw[7],
            ]));
        } else {
            let k = previous
                .checked_add(unzigzag((word >> 1) as u64))
                .filter(|k| k.unsigned_abs() <= MAX_EXACT_INTEGER as u64)
                .ok_or("decimal value out of range")?;
            previous = k;
            p.value = k as f64 / scale;
        }
    }
    if r.remaining() != 0 {
        return Err("unexpected bytes after the values".into());
    }
    Ok(())
}

// ---------------------------------------------------------------- metadata

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u128);
    out.extend_from_slice(s.as_bytes());
}

fn get_str(r: &mut Reader<'_>) -> Result<String, String> {
    let len = r.u64()?;
    let len = usize::try_from(len).map_err(|_| "string length overflows".to_string())?;
    let bytes = r.bytes(len)?;
    String::from_utf8(bytes.to_vec()).map_err(|_| "string is not UTF-8".to_string())
}

pub(crate) fn encode_meta(meta: &SeriesMeta) -> Vec<u8> {
    let mut out = Vec::with_capacity(40 + meta.path.len() + meta.name.len());
    // Physical series keep the first format byte for byte; a virtual one
    // is the second, which ends with its expression.
    out.push(if meta.virtual_expression.is_some() {
        META_VERSION_VIRTUAL
    } else {
        META_VERSION
    });
    put_varint(&mut out, u128::from(zigzag(meta.key)));
    put_str(&mut out, &meta.path);
    put_str(&mut out, &meta.name);
    // Wire numbers on disk: the codec is the one place that maps them.
    put_varint(
        &mut out,
        u128::from(zigzag(i64::from(meta.curve_type.to_proto()))),
    );
    put_varint(
        &mut out,
        u128::from(zigzag(i64::from(meta.resolution.to_proto()))),
    );
    out.extend_from_slice(&meta.unit_id.to_bytes_le());
    match &meta.time_zone {
        None => out.push(0),
        Some(tz) => {
            out.push(1);
            put_str(&mut out, tz);
        }
    }
    if let Some(expression) = &meta.virtual_expression {
        put_str(&mut out, expression);
    }
    out
}

pub(crate) fn decode_meta(bytes: &[u8]) -> Result<SeriesMeta, String> {
    let mut r = Reader::new(bytes);
    let version = r.u8()?;
    if version != META_VERSION && version != META_VERSION_VIRTUAL {
        return Err(format!("unknown metadata format {version}"));
    }
    let key = unzigzag(r.u64()?);
    let path = get_str(&mut r)?;
    let name = get_str(&mut r)?;
    let small =
        |v: u64| i32::try_from(unzigzag(v)).map_err(|_| "enum value exceeds 32 bits".to_string());
    let curve = small(r.u64()?)?;
    let curve_type =
        CurveType::from_proto(curve).ok_or_else(|| format!("unknown curve type {curve}"))?;
    let resolution_number = small(r.u64()?)?;
    let resolution = Resolution::from_proto(resolution_number)
        .ok_or_else(|| format!("unknown resolution {resolution_number}"))?;
    let mut unit_bytes = [0u8; 16];
    unit_bytes.copy_from_slice(r.bytes(16)?);
    let unit_id = Uuid::from_bytes_le(unit_bytes);
    let time_zone = match r.u8()? {
        0 => None,
        1 => Some(get_str(&mut r)?),
        other => return Err(format!("bad time zone tag {other}")),
    };
    let virtual_expression = if version == META_VERSION_VIRTUAL {
        Some(get_str(&mut r)?)
    } else {
        None
    };
    if r.remaining() != 0 {
        return Err("unexpected bytes after the record".into());
    }
    Ok(SeriesMeta {
        key,
        path,
        name,
        curve_type,
        resolution,
        unit_id,
        time_zone,
        virtual_expression,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator, enough for test data.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    fn roundtrip(points: &[Point]) -> usize {
        let bytes = encode_chunk(points);
        let mut back = Vec::new();
        decode_chunk(&bytes, &mut back).unwrap();
        assert_eq!(back, points);
        bytes.len()
    }

    #[test]
    fn write_blocks_roundtrip() {
        let writes = vec![
            (1, 0, 0, 10),
            (1, 1, -5, 3),
            (7, 0, i64::MIN, i64::MAX),
            (u64::MAX, u32::MAX, i64::MAX - 1, i64::MAX),
        ];
        assert_eq!(decode_writes(&encode_writes(&writes)).unwrap(), writes);
        assert_eq!(decode_writes(&encode_writes(&[])).unwrap(), vec![]);
        // Small writes in a row cost a few bytes each.
        let small: Vec<BlockWrite> = (0..100)
            .map(|i| (i + 1, 0, i as i64 * 24, i as i64 * 24 + 24))
            .collect();
        assert!(encode_writes(&small).len() <= 1 + 100 * 4);
        assert!(decode_writes(&[5, 1]).is_err());
        let mut trailing = encode_writes(&writes);
        trailing.push(0);
        assert!(decode_writes(&trailing).is_err());
    }

    #[test]
    fn varints_and_zigzag_roundtrip() {
        for v in [0i64, 1, -1, 63, -64, 64, i64::MAX, i64::MIN] {
            assert_eq!(unzigzag(zigzag(v)), v);
        }
        for v in [
            0u128,
            1,
            127,
            128,
            u64::MAX as u128,
            (u64::MAX as u128) << 1 | 1,
        ] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            assert_eq!(Reader::new(&out).varint(65).unwrap(), v);
        }
        let mut out = Vec::new();
        put_varint(&mut out, 1u128 << 64);
        assert!(Reader::new(&out).varint(64).is_err());
    }

    #[test]
    fn crc_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn chunks_roundtrip_unusual_values() {
        let specials = [
            f64::NAN,
            -f64::NAN,
            f64::from_bits(0x7ff0_0000_0000_0001), // signalling NaN
            f64::from_bits(0xfff8_dead_beef_0001), // NaN with a payload
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.0,
            -0.0,
            f64::MIN_POSITIVE,
            f64::from_bits(1), // smallest subnormal
            f64::MAX,
            f64::MIN,
            1.0,
            1.0,
        ];
        let flags = [0, u32::MAX, 0x4000_0000, 0x0400_0000, 0x0200_0000, 1, 1, 7];
        let points: Vec<Point> = specials
            .iter()
            .enumerate()
            .map(|(i, &v)| Point::new(i as i64 * 1000 - 5000, flags[i % flags.len()], v))
            .collect();
        roundtrip(&points);
        roundtrip(&points[..1]);
        // The extreme timestamps and the widest possible gap.
        roundtrip(&[
            Point::new(i64::MIN, 0, 1.0),
            Point::new(i64::MIN + 1, 0, 2.0),
            Point::new(i64::MAX, 0, 3.0),
        ]);
    }

    #[test]
    fn random_chunks_roundtrip() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for round in 0..300 {
            let n = 1 + (rng.next() % 600) as usize;
            let mut t = (rng.next() as i64) >> 20;
            let mut points = Vec::with_capacity(n);
            let mut value = 0.0f64;
            for _ in 0..n {
                t += match round % 3 {
                    0 => 3_600_000,
                    1 => 1 + (rng.next() % 10_000) as i64,
                    _ => [1000, 1000, 2000, 86_400_000][(rng.next() % 4) as usize],
                };
                value = match rng.next() % 7 {
                    0 => value,
                    5 => (rng.next() % 100_000) as f64 / 1000.0 - 50.0,
                    6 => -0.0,
                    1 => f64::from_bits(rng.next()),
                    2 => value + 0.25,
                    3 => (rng.next() % 100) as f64 / 4.0,
                    _ => -value,
                };
                let flags = if rng.next().is_multiple_of(8) {
                    rng.next() as u32
                } else {
                    0
                };
                points.push(Point::new(t, flags, value));
            }
            roundtrip(&points);
        }
    }

    #[test]
    fn regular_constant_data_is_tiny() {
        let points: Vec<Point> = (0..4096)
            .map(|i| Point::new(1_700_000_000_000 + i * 3_600_000, 0, 42.5))
            .collect();
        // 4096 equal values cost a bit each; timestamps and flags a few bytes.
        assert!(roundtrip(&points) < 4096 / 8 + 40);
    }

    #[test]
    fn decimal_values_use_the_decimal_encoding() {
        let prices: Vec<Point> = (0..1000)
            .map(|i| Point::new(i * 3_600_000, 0, 40.0 + ((i * 37) % 2000) as f64 / 100.0))
            .collect();
        let bytes = encode_chunk(&prices);
        assert!(bytes.len() < 1000 * 3, "{} bytes", bytes.len());
        roundtrip(&prices);

        // Exceptions in between: NaN, -0.0, a value with too many digits,
        // and numbers too large to be exact integers.
        let mut mixed = prices.clone();
        mixed[3].value = f64::NAN;
        mixed[4].value = -0.0;
        mixed[5].value = std::f64::consts::PI;
        mixed[6].value = 1e300;
        mixed[7].value = -9_007_199_254_740_993.0;
        mixed[8].value = 9_007_199_254_740_992.0;
        mixed[9].value = -1.5e-9;
        roundtrip(&mixed);
        assert!(encode_chunk(&mixed).len() < 1000 * 3);

        // Every decimal count.
        for scale in POW10 {
            let points: Vec<Point> = (0..50)
                .map(|i| Point::new(i, 0, (i * 7919 - 20_000) as f64 / scale))
                .collect();
            roundtrip(&points);
        }
    }

    #[test]
    fn damaged_chunks_are_errors_not_panics() {
        let mut rng = Rng(12345);
        let points: Vec<Point> = (0..300)
            .map(|i| Point::new(i * 60_000 + (i % 7), (i % 3) as u32, (i as f64).sqrt()))
            .collect();
        let good = encode_chunk(&points);
        for _ in 0..3000 {
            let mut bad = good.clone();
            match rng.next() % 3 {
                0 => {
                    let at = (rng.next() as usize) % bad.len();
                    bad[at] ^= 1 << (rng.next() % 8);
                }
                1 => bad.truncate((rng.next() as usize) % bad.len()),
                _ => {
                    let at = (rng.next() as usize) % bad.len();
                    bad.insert(at, rng.next() as u8);
                }
            }
            let mut out = Vec::new();
            assert!(decode_chunk(&bad, &mut out).is_err());
        }
        // Garbage with a valid checksum exercises the structural checks.
        for _ in 0..3000 {
            let len = (rng.next() % 64) as usize;
            let mut body: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            if !body.is_empty() {
                body[0] = CHUNK_VERSION;
            }
            let crc = crc32(&body);
            body.extend_from_slice(&crc.to_le_bytes());
            let mut out = Vec::new();
            let _ = decode_chunk(&body, &mut out);
        }
    }

    #[test]
    fn meta_roundtrips_and_rejects_damage() {
        let meta = SeriesMeta {
            key: -77,
            path: "/Model/Ær/Ø".into(),
            name: "price".into(),
            curve_type: CurveType::PiecewiseLinear,
            resolution: Resolution::Min5,
            unit_id: Uuid::from_bytes(*b"0123456789abcdef"),
            time_zone: Some("Europe/Oslo".into()),
            virtual_expression: None,
        };
        let bytes = encode_meta(&meta);
        assert_eq!(decode_meta(&bytes).unwrap(), meta);
        let plain = SeriesMeta {
            time_zone: None,
            ..meta.clone()
        };
        assert_eq!(decode_meta(&encode_meta(&plain)).unwrap(), plain);
        for cut in 0..bytes.len() {
            assert!(decode_meta(&bytes[..cut]).is_err());
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode_meta(&longer).is_err());
        // A virtual series: its expression is part of the record, so a
        // record cut before its end is damage, not a physical series.
        let virtual_series = SeriesMeta {
            virtual_expression: Some("## = %'/a/b' * 2".into()),
            ..meta
        };
        let bytes = encode_meta(&virtual_series);
        assert_eq!(decode_meta(&bytes).unwrap(), virtual_series);
        for cut in 0..bytes.len() {
            assert!(decode_meta(&bytes[..cut]).is_err());
        }
    }
}
