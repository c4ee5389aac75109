//! A bound on how fast the server writes its log: a token bucket in front
//! of the log's writer.
//!
//! At TRACE one client's calls make megabytes of log a second; a log that
//! grows that fast fills the disk under it. [`RateLimited`] lets through at
//! most `rate` lines a second on average, `burst` at once after a quiet
//! spell, drops the rest, and when lines flow again writes one line saying
//! how many were dropped. Every line written, that notice included, costs a
//! token, so lines written never exceed `burst + rate × elapsed seconds`.
//! The fmt layer formats each event into one buffer and asks its writer
//! once per event, so one writer asked for is one line.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tracing_subscriber::fmt::writer::{MakeWriter, OptionalWriter};

/// How many lines a second the log takes, and how many at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogRate {
    /// Lines per second, on average.
    pub per_second: u32,
    /// Lines at once after a quiet spell (at least 2: a resumed log writes
    /// the dropped-lines notice and the line together).
    pub burst: u32,
}

/// The bucket's decision for one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Write the line.
    Write,
    /// Write a notice that this many lines were dropped, then the line.
    WriteAfterDropped(u64),
    /// Drop the line.
    Drop,
}

/// The token bucket, on a clock its caller gives (so it can be tested).
#[derive(Debug)]
pub struct Bucket {
    per_second: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
    dropped: u64,
}

impl Bucket {
    /// A full bucket at `now`.
    pub fn new(rate: LogRate, now: Instant) -> Bucket {
        let burst = f64::from(rate.burst.max(2));
        Bucket {
            per_second: f64::from(rate.per_second.max(1)),
            burst,
            tokens: burst,
            last: now,
            dropped: 0,
        }
    }

    /// What to do with a line at `now`.
    pub fn line(&mut self, now: Instant) -> Verdict {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.burst);
        // After drops, the notice and the line go out together or not at all.
        let cost = if self.dropped > 0 { 2.0 } else { 1.0 };
        if self.tokens < cost {
            self.dropped += 1;
            return Verdict::Drop;
        }
        self.tokens -= cost;
        match std::mem::take(&mut self.dropped) {
            0 => Verdict::Write,
            dropped => Verdict::WriteAfterDropped(dropped),
        }
    }
}

/// A [`MakeWriter`] letting lines through to `inner` within a [`LogRate`].
pub struct RateLimited<M> {
    inner: M,
    bucket: Arc<Mutex<Bucket>>,
    per_second: u32,
}

impl<M> RateLimited<M> {
    /// Lines to `inner`, at most `rate`.
    pub fn new(inner: M, rate: LogRate) -> Self {
        RateLimited {
            inner,
            bucket: Arc::new(Mutex::new(Bucket::new(rate, Instant::now()))),
            per_second: rate.per_second,
        }
    }
}

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for RateLimited<M> {
    type Writer = OptionalWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        // A poisoned lock only means a writer panicked mid-decision; the
        // bucket's numbers are still sound.
        let verdict = self
            .bucket
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .line(Instant::now());
        match verdict {
            Verdict::Drop => OptionalWriter::none(),
            Verdict::Write => OptionalWriter::some(self.inner.make_writer()),
            Verdict::WriteAfterDropped(dropped) => {
                let mut notice = self.inner.make_writer();
                let _ = writeln!(
                    notice,
                    "{}  WARN mesh_server::log_rate: {dropped} log lines dropped \
                     (more than --log-rate-limit {} lines/s)",
                    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                    self.per_second,
                );
                drop(notice);
                OptionalWriter::some(self.inner.make_writer())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const RATE: LogRate = LogRate {
        per_second: 10,
        burst: 20,
    };

    #[test]
    fn a_burst_goes_through_then_lines_are_dropped() {
        let start = Instant::now();
        let mut bucket = Bucket::new(RATE, start);
        for _ in 0..20 {
            assert_eq!(bucket.line(start), Verdict::Write);
        }
        for _ in 0..5 {
            assert_eq!(bucket.line(start), Verdict::Drop);
        }
        // A tenth of a second later one token is back: not enough for the
        // notice and a line.
        assert_eq!(
            bucket.line(start + Duration::from_millis(100)),
            Verdict::Drop
        );
        // Two tokens: the notice, counting every line dropped, and the line.
        assert_eq!(
            bucket.line(start + Duration::from_millis(200)),
            Verdict::WriteAfterDropped(6)
        );
        assert_eq!(
            bucket.line(start + Duration::from_millis(300)),
            Verdict::Write
        );
    }

    #[test]
    fn lines_written_never_exceed_the_burst_plus_the_rate_over_time() {
        let start = Instant::now();
        let mut bucket = Bucket::new(RATE, start);
        let mut written = 0u64;
        // 10,000 lines a second for 10 seconds.
        for step in 0..100_000u64 {
            let now = start + Duration::from_micros(step * 100);
            written += match bucket.line(now) {
                Verdict::Write => 1,
                Verdict::WriteAfterDropped(_) => 2,
                Verdict::Drop => 0,
            };
        }
        assert!(written <= 20 + 10 * 10, "{written}");
        assert!(written >= 100, "{written}");
    }

    #[test]
    fn the_writer_writes_the_notice_and_drops_the_rest() {
        let written = Arc::new(Mutex::new(Vec::<u8>::new()));
        struct Shared(Arc<Mutex<Vec<u8>>>);
        impl Write for Shared {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let sink = written.clone();
        let limited = RateLimited::new(
            move || Shared(sink.clone()),
            LogRate {
                per_second: 1,
                burst: 2,
            },
        );
        for line in 0..5 {
            let _ = writeln!(limited.make_writer(), "line {line}");
        }
        let text = String::from_utf8(written.lock().unwrap().clone()).unwrap();
        assert_eq!(text, "line 0\nline 1\n");
    }
}
