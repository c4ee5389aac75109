//! The real `mesh-server` binary as a child process of a test.
//!
//! Only an integration test of the server knows where cargo put the binary
//! (`env!("CARGO_BIN_EXE_mesh-server")`), so the path is always passed in.
//! The server announces the address it bound with one line on stdout,
//! `listening on IP:PORT`; starting waits for that line, which is also what
//! makes `--listen 127.0.0.1:0` usable from tests.

use std::ffi::OsStr;
use std::fmt::Debug;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How to start the server: the command line and environment, where its
/// stderr goes, and how long it may take to announce itself.
pub struct ServerBuilder {
    command: Command,
    log: Option<PathBuf>,
    startup_timeout: Option<Duration>,
}

impl ServerBuilder {
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.command.arg(arg);
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.command.args(args);
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.command.env(key, value);
        self
    }

    /// `--listen 127.0.0.1:0 --data-dir DATA`: a free loopback port, which
    /// the `listening on` line then names, and the store in `data`.
    pub fn local(self, data: impl AsRef<Path>) -> Self {
        self.args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data.as_ref())
    }

    /// Sends the server's stderr to the file `path` (created anew) instead
    /// of discarding it, so that a failing test can show why the server
    /// died or refused to start.
    pub fn log_to(mut self, path: impl Into<PathBuf>) -> Self {
        self.log = Some(path.into());
        self
    }

    /// Fails the start, killing the process, when the `listening on` line
    /// has not come within `timeout`. Without it, starting waits as long as
    /// the server takes.
    pub fn startup_timeout(mut self, timeout: Duration) -> Self {
        self.startup_timeout = Some(timeout);
        self
    }

    /// Starts the binary and waits for its `listening on IP:PORT` line.
    pub fn start(mut self) -> ServerProcess {
        let stderr = match &self.log {
            Some(path) => Stdio::from(std::fs::File::create(path).expect("a server log file")),
            None => Stdio::null(),
        };
        let mut child = self
            .command
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("mesh-server starts");
        let log = self.log;
        let fail = |child: &mut Child, why: String| -> ! {
            let _ = child.kill();
            let _ = child.wait();
            match &log {
                Some(path) => panic!("{why}; its log:\n{}", log_tail(path)),
                None => panic!("{why}"),
            }
        };
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        // read_line would block forever on a server that hangs before it
        // announces itself; on a helper thread it can be given a deadline.
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let read = stdout.read_line(&mut line).map(|_| line);
            let _ = sender.send((read, stdout));
        });
        let received = match self.startup_timeout {
            Some(timeout) => receiver.recv_timeout(timeout).map_err(|_| timeout),
            None => Ok(receiver.recv().expect("the stdout reader answers")),
        };
        let (line, stdout) = match received {
            Ok((Ok(line), stdout)) => (line, stdout),
            Ok((Err(error), _)) => {
                fail(&mut child, format!("reading the server's stdout: {error}"))
            }
            Err(timeout) => fail(
                &mut child,
                format!("mesh-server did not announce its address within {timeout:?}"),
            ),
        };
        let Some(address) = line.strip_prefix("listening on ") else {
            fail(&mut child, format!("unexpected first line {line:?}"))
        };
        ServerProcess {
            address: address.trim_end().to_string(),
            pid: child.id(),
            child: Some(child),
            log,
            _stdout: stdout,
        }
    }
}

/// A running `mesh-server`, killed when dropped (which only matters when a
/// test fails half-way, or does not care how the server ends).
pub struct ServerProcess {
    /// Taken out once the process has been waited for.
    child: Option<Child>,
    pid: u32,
    address: String,
    log: Option<PathBuf>,
    /// Kept open for the server's whole life, so that it never writes into
    /// a closed pipe.
    _stdout: BufReader<ChildStdout>,
}

impl ServerProcess {
    /// A builder for the binary at `binary`, with nothing on its command
    /// line yet.
    pub fn builder(binary: impl AsRef<OsStr>) -> ServerBuilder {
        ServerBuilder {
            command: Command::new(binary),
            log: None,
            startup_timeout: None,
        }
    }

    /// `IP:PORT` as the server announced it.
    pub fn address(&self) -> &str {
        &self.address
    }

    pub fn port(&self) -> u16 {
        let address: std::net::SocketAddr = self.address.parse().expect("IP:PORT");
        address.port()
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Sends `signal` (as `kill` spells it, e.g. `-TERM`) to the server.
    pub fn signal(&self, signal: &str) {
        send_signal(self.pid, signal);
    }

    /// The end of the server's stderr log; empty when it had none.
    pub fn log(&self) -> String {
        self.log.as_deref().map(log_tail).unwrap_or_default()
    }

    /// Waits, without a limit, for the process to end.
    pub fn wait(&mut self) -> ExitStatus {
        self.child
            .take()
            .expect("waited for once")
            .wait()
            .expect("waiting for mesh-server")
    }

    /// Waits for the process to end (after a signal) at most `timeout`; a
    /// server still running then is killed and the test fails.
    pub async fn wait_for_exit(&mut self, timeout: Duration) -> ExitStatus {
        let mut child = self.child.take().expect("waited for once");
        // The blocking wait runs off the async workers, which must stay free
        // to answer the server's goodbye on open connections.
        let mut waiting = tokio::task::spawn_blocking(move || child.wait());
        match tokio::time::timeout(timeout, &mut waiting).await {
            Ok(status) => status
                .expect("the wait task")
                .expect("waiting for mesh-server"),
            Err(_) => {
                send_signal(self.pid, "-KILL");
                let _ = waiting.await;
                panic!(
                    "mesh-server did not exit within {timeout:?}; its log:\n{}",
                    self.log()
                );
            }
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Sends `signal` to process `pid` with `kill`. A free function as well,
/// for a thread that holds only the pid.
pub fn send_signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .expect("running kill");
    assert!(status.success(), "kill {signal} {pid} failed");
}

/// The last 40 lines of a server log: the end is what tells why a server
/// died or refused to start.
pub fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let tail: Vec<&str> = text.lines().rev().take(40).collect();
    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
}

/// Runs `command` to its end and checks that the server refused to start:
/// a failure status, `expected` in what it wrote on stderr, and no
/// `listening on` line. `what` names the case in failure messages.
pub fn assert_refused(command: &mut Command, what: impl Debug, expected: &str) {
    let output = command.output().unwrap();
    assert!(!output.status.success(), "{what:?} was accepted");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(expected), "{what:?}: {stderr}");
    assert!(output.stdout.is_empty(), "{what:?} announced a port");
}
