//! The real `mesh-server` binary, run as a child process of the benchmark.
//!
//! Measuring a separate process (rather than a server inside the bench) is
//! what makes the memory figure honest: the server's VmRSS then holds only
//! the server, not the load generator.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdout, Command};

/// How long the server may take to print its listening line.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(15);

/// Where the server binary is expected when the caller did not name one:
/// cargo puts every binary of one profile into the same directory.
pub fn default_binary() -> anyhow::Result<PathBuf> {
    let bench = std::env::current_exe().context("cannot find the path of mesh-bench itself")?;
    let dir = bench
        .parent()
        .context("the mesh-bench executable has no parent directory")?;
    let server = dir.join("mesh-server");
    if !server.is_file() {
        let profile = if cfg!(debug_assertions) {
            "cargo build -p mesh-server"
        } else {
            "cargo build --release -p mesh-server"
        };
        bail!(
            "mesh-server not found at {}; build it in the same profile as mesh-bench first \
             (`{profile}`), or pass --server-bin PATH",
            server.display()
        );
    }
    Ok(server)
}

/// A private data directory, deleted when dropped.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(label: &str) -> anyhow::Result<TempDir> {
        // The pid and a timestamp keep concurrent or repeated runs apart
        // without needing a random-name crate.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let path =
            std::env::temp_dir().join(format!("mesh-bench-{label}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        Ok(TempDir { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Settings passed to the server on its command line.
pub struct ServerArgs {
    pub session_timeout: &'static str,
    pub max_sessions: u64,
    /// Further flags, appended as given.
    pub extra: Vec<String>,
}

/// A running server. Dropping it kills the process (kill_on_drop), so that
/// every way out of the benchmark, errors and Ctrl-C included, takes the
/// server down with it.
pub struct ServerProcess {
    // Declared before `data_dir` so the process is killed before its
    // directory is removed (fields drop in declaration order).
    child: Child,
    // Kept open: closing our end would make any later server print fail.
    _stdout: BufReader<ChildStdout>,
    /// Owned when the server made it; `None` when the caller keeps the data
    /// directory across restarts.
    _owned_dir: Option<TempDir>,
    data_dir: PathBuf,
    pid: u32,
    addr: SocketAddr,
    pub command_line: String,
}

impl ServerProcess {
    pub async fn start(
        binary: &Path,
        label: &str,
        args: &ServerArgs,
    ) -> anyhow::Result<ServerProcess> {
        let dir = TempDir::new(label)?;
        let mut server = Self::start_in(binary, dir.path(), args).await?;
        server._owned_dir = Some(dir);
        Ok(server)
    }

    /// Starts the server on a data directory the caller owns and keeps,
    /// to restart a server on the data of the one before.
    pub async fn start_in(
        binary: &Path,
        data_dir: &Path,
        args: &ServerArgs,
    ) -> anyhow::Result<ServerProcess> {
        let max_sessions = args.max_sessions.to_string();
        let mut argv = vec![
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            data_dir.to_str().context("data dir path is not UTF-8")?,
            "--session-timeout",
            args.session_timeout,
            "--max-sessions",
            &max_sessions,
        ];
        argv.extend(args.extra.iter().map(String::as_str));
        let mut child = Command::new(binary)
            .args(&argv)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            // Warnings and start-up errors stay visible to whoever runs the bench.
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let pid = child.id().context("the server exited at once")?;
        let stdout = child.stdout.take().context("no stdout pipe")?;
        let mut stdout = BufReader::new(stdout);

        let mut line = String::new();
        let read = tokio::time::timeout(STARTUP_TIMEOUT, stdout.read_line(&mut line)).await;
        let addr = match read {
            Ok(Ok(n)) if n > 0 => parse_listening_line(&line)?,
            Ok(Ok(_)) => {
                let status = child.wait().await.ok();
                bail!("the server closed its stdout before listening (exit status: {status:?})")
            }
            Ok(Err(error)) => bail!("cannot read the server's stdout: {error}"),
            Err(_) => bail!("the server printed no listening line within {STARTUP_TIMEOUT:?}"),
        };

        let command_line = format!("RUST_LOG=warn {} {}", binary.display(), argv.join(" "));
        Ok(ServerProcess {
            child,
            _stdout: stdout,
            _owned_dir: None,
            data_dir: data_dir.to_path_buf(),
            pid,
            addr,
            command_line,
        })
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server's private data directory (removed when the server is dropped).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The server's resident set size in bytes, from /proc/<pid>/status.
    pub fn rss_bytes(&self) -> anyhow::Result<u64> {
        let path = format!("/proc/{}/status", self.pid);
        let status =
            std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
        parse_vm_rss(&status).with_context(|| format!("no VmRSS line in {path}"))
    }

    /// Kills the server (SIGKILL, as a crash would) and waits for it, so no
    /// zombie is left behind.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.child
            .kill()
            .await
            .context("cannot stop the server process")
    }
}

fn parse_listening_line(line: &str) -> anyhow::Result<SocketAddr> {
    let text = line.trim();
    let addr = text
        .strip_prefix("listening on ")
        .with_context(|| format!("unexpected first line from the server: {text:?}"))?;
    addr.parse()
        .with_context(|| format!("cannot parse the server address {addr:?}"))
}

/// `VmRSS:     1234 kB` → bytes.
fn parse_vm_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let mut words = line.split_whitespace().skip(1);
    let value: u64 = words.next()?.parse().ok()?;
    match words.next() {
        Some("kB") => Some(value * 1024),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_listening_line() {
        let addr = parse_listening_line("listening on 127.0.0.1:40123\n").unwrap();
        assert_eq!(addr, "127.0.0.1:40123".parse().unwrap());
        assert!(parse_listening_line("hello").is_err());
    }

    #[test]
    fn reads_vm_rss_in_bytes() {
        let status = "Name:\tmesh-server\nVmPeak:\t  9000 kB\nVmRSS:\t    1234 kB\n";
        assert_eq!(parse_vm_rss(status), Some(1234 * 1024));
        assert_eq!(parse_vm_rss("Name:\tx\n"), None);
    }
}
