//! `mesh-bench streams`: what open HTTP/2 streams cost the server, and
//! whether it gets the memory back when they end.
//!
//! Each of `--connections` raw HTTP/2 connections (the `h2` crate) opens as
//! many never-finishing calls as it is asked to and the server allows: a
//! unary call whose request body never ends holds its stream, and the
//! server's call, open. Then every stream is reset, then the connections
//! close; for `--rounds` rounds. The server's VmRSS is read after each
//! step. One server is measured per `--limits` value (its
//! `--max-concurrent-streams`): the default, and 1,000,000, which is how the
//! server behaved before it had a limit.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;
use h2::client::{ResponseFuture, SendRequest};
use h2::{Ping, PingPong, Reason, SendStream};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tonic::codegen::http;
use tonic::codegen::Bytes;

use crate::server::{ServerArgs, ServerProcess};
use crate::{bytes, settled_rss, thousands};

/// The server checks each second whether a burst has ended and, if so,
/// returns the freed memory to the system: the figures after the streams
/// end are read this long after.
const TRIM_WAIT: Duration = Duration::from_secs(2);

/// The call held open: cheap for the server to start, and it waits for its
/// request like any unary call.
const METHOD: &str = "/volue.mesh.grpc.config.v1alpha.ConfigurationService/GetVersion";

#[derive(Args)]
pub struct StreamsArgs {
    /// Connections, each opening streams.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=1_000))]
    pub connections: u64,

    /// Streams each connection opens, or as many as the server allows when fewer.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub streams: u64,

    /// Open-everything-then-reset rounds on each server, to tell memory kept
    /// for reuse (flat after round 1) from memory lost (growing).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=10))]
    pub rounds: u64,

    /// The --max-concurrent-streams of each server measured; 0 means the
    /// server's default.
    #[arg(long, value_delimiter = ',', default_value = "0,1000000")]
    pub limits: Vec<u32>,

    /// The mesh-server binary to run [default: mesh-server next to mesh-bench].
    #[arg(long)]
    pub server_bin: Option<PathBuf>,
}

pub async fn run(args: StreamsArgs) -> anyhow::Result<()> {
    let binary = match &args.server_bin {
        Some(path) => path.clone(),
        None => crate::server::default_binary()?,
    };
    crate::print_header(
        "streams",
        &binary,
        &[
            "raw HTTP/2 (h2 crate); each stream: HEADERS of a GetVersion call, no END_STREAM,",
            "so the server holds the stream and the call open until the client resets it",
        ],
    );
    for &limit in &args.limits {
        measure(&args, &binary, limit).await?;
    }
    println!();
    println!("  VmRSS is the server's resident memory. The figures after the streams end are");
    println!(
        "  read {} s later, once the server has returned freed memory to the system;",
        TRIM_WAIT.as_secs()
    );
    println!("  memory still held then, growing from round to round, would be a leak.");
    Ok(())
}

async fn measure(args: &StreamsArgs, binary: &std::path::Path, limit: u32) -> anyhow::Result<()> {
    let extra = if limit == 0 {
        Vec::new()
    } else {
        vec!["--max-concurrent-streams".to_string(), limit.to_string()]
    };
    let server = ServerProcess::start(
        binary,
        "streams",
        &ServerArgs {
            session_timeout: "5m",
            max_sessions: 1_000,
            extra,
        },
    )
    .await?;
    println!();
    let label = if limit == 0 {
        "the server's default".to_string()
    } else {
        thousands(u64::from(limit))
    };
    println!("== --max-concurrent-streams: {label} ==");
    println!("  server:   {}", server.command_line);
    // One connection opened and closed first, so that one-time costs
    // (lazily built state, the first connection's buffers) are in the baseline.
    let warm = Connection::open(server.addr()).await?;
    warm.close().await;
    let baseline = settled_rss(&server).await?;
    println!("  VmRSS at start:               {}", bytes(baseline as i64));
    for round in 1..=args.rounds {
        let mut connections = Vec::new();
        for _ in 0..args.connections {
            connections.push(Connection::open(server.addr()).await?);
        }
        let advertised = connections[0].send.current_max_send_streams();
        let mut open = 0;
        for connection in &mut connections {
            open += connection.open_streams(args.streams).await?;
        }
        for connection in &mut connections {
            connection.round_trip().await?;
        }
        let with_streams = settled_rss(&server).await?;
        for connection in &mut connections {
            connection.reset_streams();
        }
        for connection in &mut connections {
            connection.round_trip().await?;
        }
        tokio::time::sleep(TRIM_WAIT).await;
        let streams_ended = settled_rss(&server).await?;
        for connection in connections {
            connection.close().await;
        }
        tokio::time::sleep(TRIM_WAIT).await;
        let closed = settled_rss(&server).await?;
        let advertised = if advertised == usize::MAX {
            "none".to_string()
        } else {
            thousands(advertised as u64)
        };
        println!(
            "  round {round}: {} connections x {} streams asked, limit advertised: {advertised}, open: {}",
            args.connections,
            thousands(args.streams),
            thousands(open)
        );
        println!(
            "    VmRSS with the streams open:  {}   (+{} over start, {} per stream)",
            bytes(with_streams as i64),
            bytes(with_streams as i64 - baseline as i64),
            per(with_streams as i64 - baseline as i64, open)
        );
        println!(
            "    after resetting them:         {}   (+{} over start)",
            bytes(streams_ended as i64),
            bytes(streams_ended as i64 - baseline as i64)
        );
        println!(
            "    after closing the connections: {}   (+{} over start)",
            bytes(closed as i64),
            bytes(closed as i64 - baseline as i64)
        );
    }
    server.stop().await
}

fn per(delta: i64, count: u64) -> String {
    if count == 0 {
        return "-".to_string();
    }
    format!("{:.1} KiB", delta as f64 / count as f64 / 1024.0)
}

/// One raw HTTP/2 connection and the streams it holds open.
struct Connection {
    send: SendRequest<Bytes>,
    ping: PingPong,
    driver: JoinHandle<Result<(), h2::Error>>,
    streams: Vec<(ResponseFuture, SendStream<Bytes>)>,
}

impl Connection {
    /// Connects, and makes one whole call, after which the server's
    /// SETTINGS (its stream limit) are known.
    async fn open(addr: SocketAddr) -> anyhow::Result<Connection> {
        let tcp = TcpStream::connect(addr).await.context("connecting")?;
        let _ = tcp.set_nodelay(true);
        let (send, mut connection) = h2::client::handshake(tcp)
            .await
            .context("the HTTP/2 handshake")?;
        let ping = connection.ping_pong().context("a ping handle")?;
        let driver = tokio::spawn(connection);
        let mut this = Connection {
            send,
            ping,
            driver,
            streams: Vec::new(),
        };
        let (answer, mut body) = this.start_call().await?;
        // An empty message: GetVersion takes google.protobuf.Empty.
        body.send_data(Bytes::from_static(&[0, 0, 0, 0, 0]), true)?;
        let answer = answer.await.context("the first call")?;
        if answer.status() != http::StatusCode::OK {
            bail!("the first call answered HTTP {}", answer.status());
        }
        Ok(this)
    }

    async fn start_call(&mut self) -> anyhow::Result<(ResponseFuture, SendStream<Bytes>)> {
        let request = http::Request::builder()
            .method("POST")
            .uri(format!("http://localhost{METHOD}"))
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .body(())?;
        let mut send = self
            .send
            .clone()
            .ready()
            .await
            .context("opening a stream")?;
        Ok(send.send_request(request, false)?)
    }

    /// Opens up to `wanted` streams, no more than the server allows (a
    /// client library would queue the rest, which costs the server nothing).
    async fn open_streams(&mut self, wanted: u64) -> anyhow::Result<u64> {
        let allowed = (self.send.current_max_send_streams() as u64).min(wanted);
        for _ in 0..allowed {
            let stream = self.start_call().await?;
            self.streams.push(stream);
        }
        Ok(allowed)
    }

    /// A PING answered: the server has read every frame sent before it.
    async fn round_trip(&mut self) -> anyhow::Result<()> {
        tokio::time::timeout(Duration::from_secs(60), self.ping.ping(Ping::opaque()))
            .await
            .context("no PING answer within 60 s")?
            .context("PING")?;
        Ok(())
    }

    fn reset_streams(&mut self) {
        for (_, mut body) in self.streams.drain(..) {
            body.send_reset(Reason::CANCEL);
        }
    }

    async fn close(self) {
        drop(self.streams);
        drop(self.send);
        self.driver.abort();
        let _ = self.driver.await;
    }
}
