//! The Rust side of the cross-language Arrow test (tests/python).
//!
//! It talks to a running mesh-server through the raw generated gRPC clients
//! and our own Arrow codec (`mesh_timeseries::arrow_ipc`), deliberately not
//! through the `mesh` SDK: the test is about the payload bytes, and should
//! not move when the SDK does.
//!
//! Points go in and out as text, one per line, `UTC_MS FLAGS VALUE_BITS`:
//! the time in milliseconds and the flags in decimal, the value's IEEE-754
//! bit pattern as 16 hex digits. Bits rather than a decimal rendering, so
//! that NaN payloads and -0.0 are compared exactly.
//!
//! ```text
//! arrow_peer dump ADDR KEY START_MS END_MS
//!     prints the points of series KEY in [START_MS, END_MS), as a new
//!     session sees them (that is, what was committed)
//! arrow_peer write ADDR START_MS END_MS < POINTS
//!     creates a BREAKPOINT series, writes the points read from stdin over
//!     [START_MS, END_MS), commits, and prints `key KEY`
//! ```
//!
//! Each command opens its own session and ends it. Exit status 0 on
//! success; anything else prints the reason on stderr and exits 1.

use std::error::Error;
use std::io::{BufRead, Write};
use std::time::Duration;

use mesh_proto::types::Guid;
use mesh_testkit::raw::Clients;
use mesh_timeseries::Point;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// No call of this program should take long; a hung server must make the
/// Python test fail, not wait forever.
const CALL_TIMEOUT: Duration = Duration::from_secs(20);

const USAGE: &str = "usage:
  arrow_peer dump ADDR KEY START_MS END_MS
  arrow_peer write ADDR START_MS END_MS < POINTS   (lines: UTC_MS FLAGS VALUE_BITS_HEX)";

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("arrow_peer: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: &[String]) -> Result<()> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["dump", address, key, start, end] => {
            let peer = Peer::connect(address).await?;
            let points = peer
                .with_session(|session| {
                    let peer = peer.clone();
                    async move {
                        peer.read(session, key.parse()?, start.parse()?, end.parse()?)
                            .await
                    }
                })
                .await?;
            let mut out = std::io::stdout().lock();
            for point in points {
                writeln!(out, "{}", format_point(&point))?;
            }
            out.flush()?;
            Ok(())
        }
        ["write", address, start, end] => {
            let (start, end): (i64, i64) = (start.parse()?, end.parse()?);
            let points = parse_points(std::io::stdin().lock())?;
            let peer = Peer::connect(address).await?;
            let key = peer
                .with_session(|session| {
                    let peer = peer.clone();
                    async move { peer.create_write_commit(session, start, end, &points).await }
                })
                .await?;
            println!("key {key}");
            Ok(())
        }
        _ => Err(USAGE.into()),
    }
}

fn format_point(point: &Point) -> String {
    format!(
        "{} {} {:016x}",
        point.utc_ms,
        point.flags,
        point.value.to_bits()
    )
}

fn parse_points(input: impl BufRead) -> Result<Vec<Point>> {
    let mut points = Vec::new();
    for (number, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [utc_ms, flags, bits] = fields.as_slice() else {
            return Err(format!(
                "line {}: expected UTC_MS FLAGS VALUE_BITS_HEX: {line:?}",
                number + 1
            )
            .into());
        };
        points.push(Point::new(
            utc_ms.parse()?,
            flags.parse()?,
            f64::from_bits(u64::from_str_radix(bits, 16)?),
        ));
    }
    Ok(points)
}

/// The raw clients, each command's work in one session.
#[derive(Clone)]
struct Peer(Clients);

impl Peer {
    async fn connect(address: &str) -> Result<Peer> {
        Ok(Peer(Clients::connect(address, CALL_TIMEOUT).await?))
    }

    /// Runs `work` in a fresh session, and ends the session whatever happens.
    async fn with_session<T, F, Fut>(&self, work: F) -> Result<T>
    where
        F: FnOnce(Guid) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let session = self.0.start_session().await?;
        let outcome = work(session.clone()).await;
        let ended = self.0.end_session(&session).await;
        let value = outcome?;
        ended?;
        Ok(value)
    }

    async fn read(&self, session: Guid, key: i64, start: i64, end: i64) -> Result<Vec<Point>> {
        Ok(self.0.read(&session, key, (start, end)).await?)
    }

    async fn create_write_commit(
        &self,
        session: Guid,
        start: i64,
        end: i64,
        points: &[Point],
    ) -> Result<i64> {
        let unit = self.0.any_unit(&session).await?;
        let name = format!("arrow_peer-{}", uuid::Uuid::new_v4());
        let key = self
            .0
            .create_breakpoint_series(&session, &unit, "/arrow_peer/", &name)
            .await?;
        self.0.write(&session, key, (start, end), points).await?;
        self.0.commit(&session).await?;
        Ok(key)
    }
}
