//! The real `mesh-server` binary, run as a child process of the benchmark.
//!
//! Measuring a separate process (rather than a server inside the bench) is
//! what makes the memory figure honest: the server's VmRSS then holds only
//! the server, not the load generator.
//!
//! Starting, waiting for the listening line, reading the memory and killing
//! are the test kit's ([`mesh_testkit::process`]), shared with the server's
//! tests; what is the bench's own is finding the binary, its temporary
//! data directories, and an async face for a program that runs on tokio.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use mesh_testkit::process::ServerProcess as Process;

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

/// A running server: the test kit's server process, with the data
/// directory it runs on. Dropping it kills the process (the test kit's
/// process is killed and waited for on drop), so that every way out of
/// the benchmark, errors and Ctrl-C included, takes the server down with
/// it.
pub struct ServerProcess {
    // Declared before `_owned_dir` so the process is killed before its
    // directory is removed (fields drop in declaration order).
    process: Process,
    /// Owned when the server made it; `None` when the caller keeps the data
    /// directory across restarts.
    _owned_dir: Option<TempDir>,
    data_dir: PathBuf,
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
        let builder = Process::builder(binary)
            .env("RUST_LOG", "warn")
            .local(data_dir)
            .args(["--session-timeout", args.session_timeout])
            .arg("--max-sessions")
            .arg(args.max_sessions.to_string())
            .args(&args.extra)
            // Warnings and start-up errors stay visible to whoever runs the bench.
            .inherit_stderr()
            .startup_timeout(STARTUP_TIMEOUT);
        // Waiting for the listening line blocks a thread; not a worker's,
        // which may be driving benchmark clients (the commits benchmark
        // restarts its server under load). Should this future be dropped
        // (Ctrl-C), the started process is dropped, and so killed, when the
        // blocking task ends.
        let process = tokio::task::spawn_blocking(move || builder.try_start())
            .await
            .context("the server start task failed")?
            .with_context(|| format!("cannot start {}", binary.display()))?;
        Ok(ServerProcess {
            command_line: process.command_line().to_string(),
            process,
            _owned_dir: None,
            data_dir: data_dir.to_path_buf(),
        })
    }

    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    pub fn addr(&self) -> SocketAddr {
        self.process.addr()
    }

    /// The server's private data directory (removed when the server is dropped).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The server's resident set size in bytes, from /proc/<pid>/status.
    pub fn rss_bytes(&self) -> anyhow::Result<u64> {
        let pid = self.pid();
        self.process
            .rss_bytes()
            .with_context(|| format!("cannot read the VmRSS of process {pid}"))
    }

    /// Stops the server the graceful way (SIGTERM) and waits for it to exit,
    /// at most `timeout`; a server still running then is killed, and that
    /// is an error.
    pub async fn terminate(self, timeout: Duration) -> anyhow::Result<std::process::ExitStatus> {
        let ServerProcess {
            mut process,
            _owned_dir,
            ..
        } = self;
        let pid = process.pid();
        process.signal("-TERM");
        let mut waiting = tokio::task::spawn_blocking(move || process.wait());
        match tokio::time::timeout(timeout, &mut waiting).await {
            Ok(status) => status.context("the server wait task failed"),
            Err(_) => {
                mesh_testkit::process::send_signal(pid, "-KILL");
                let _ = waiting.await;
                bail!("the server did not exit within {timeout:?} of SIGTERM (killed)")
            }
        }
        // `_owned_dir` is removed here, after the process is gone.
    }

    /// Kills the server (SIGKILL, as a crash would) and waits for it, so no
    /// zombie is left behind.
    pub async fn stop(self) -> anyhow::Result<()> {
        let ServerProcess {
            process,
            _owned_dir,
            ..
        } = self;
        tokio::task::spawn_blocking(move || process.kill())
            .await
            .context("the server stop task failed")?
            .context("cannot stop the server process")
        // `_owned_dir` is removed here, after the process is gone.
    }
}
