//! Series keys, handed out from durable reservations.
//!
//! A key must never be handed out twice, also not after a restart and not
//! by two servers sharing one store. So the store reserves keys in blocks
//! recorded durably (the first key no block has had yet), and this hands
//! them out one by one from memory. Keys of a block not used before a
//! restart are skipped; keys are plentiful (i64), gaps harmless.

use std::sync::Mutex;

use crate::error::Result;

/// Keys reserved at a time: one durable write per this many new series.
const BLOCK: i64 = 1024;

/// The unused part of the current reservation, `[next, end)`.
#[derive(Debug)]
pub(crate) struct KeyReserve {
    range: Mutex<(i64, i64)>,
}

impl KeyReserve {
    /// No reservation yet; keys will be at least `floor`.
    pub(crate) fn new(floor: i64) -> KeyReserve {
        KeyReserve {
            range: Mutex::new((floor, floor)),
        }
    }

    /// The next key, reserving a new block with `reserve(count)` (which
    /// returns the block's first key) when the current one is used up.
    pub(crate) fn next(&self, reserve: impl Fn(i64) -> Result<i64>) -> Result<i64> {
        let mut range = self.range.lock().unwrap_or_else(|e| e.into_inner());
        let (next, end) = &mut *range;
        while *next >= *end {
            let first = reserve(BLOCK)?;
            *next = (*next).max(first);
            *end = first.saturating_add(BLOCK);
        }
        let key = *next;
        *next += 1;
        Ok(key)
    }

    /// The next key if the current reservation has one left.
    pub(crate) fn try_next(&self) -> Option<i64> {
        let mut range = self.range.lock().unwrap_or_else(|e| e.into_inner());
        let (next, end) = &mut *range;
        (*next < *end).then(|| {
            *next += 1;
            *next - 1
        })
    }

    /// Makes sure no key up to `key` is handed out from now on.
    pub(crate) fn skip_past(&self, key: i64) {
        let mut range = self.range.lock().unwrap_or_else(|e| e.into_inner());
        range.0 = range.0.max(key.saturating_add(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn keys_come_from_blocks_and_skip_what_is_taken() {
        let stored = Cell::new(1i64);
        let reserve = |count: i64| {
            let first = stored.get();
            stored.set(first + count);
            Ok(first)
        };
        let keys = KeyReserve::new(1);
        assert_eq!(keys.next(reserve).unwrap(), 1);
        assert_eq!(keys.next(reserve).unwrap(), 2);
        assert_eq!(stored.get(), 1 + BLOCK, "one reservation for many keys");
        keys.skip_past(10);
        assert_eq!(keys.next(reserve).unwrap(), 11);
        assert_eq!(keys.try_next(), Some(12));
        // Past the block: a new reservation.
        keys.skip_past(BLOCK + 5);
        assert_eq!(keys.next(reserve).unwrap(), BLOCK + 6);
        assert_eq!(stored.get(), 1 + 2 * BLOCK);
    }

    #[test]
    fn a_failed_reservation_is_an_error_and_can_be_retried() {
        let keys = KeyReserve::new(1);
        assert_eq!(keys.try_next(), None, "nothing reserved yet");
        let failing = |_: i64| Err(crate::StoreError::KeysExhausted);
        assert!(keys.next(failing).is_err());
        assert_eq!(keys.next(|_| Ok(7)).unwrap(), 7);
    }
}
