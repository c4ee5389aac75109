//! The real `mesh-server` binary as a child process of a test.
//!
//! Only an integration test of the server knows where cargo put the binary
//! (`env!("CARGO_BIN_EXE_mesh-server")`), so the path is always passed in.
//! The server announces the address it bound with one line on stdout,
//! `listening on IP:PORT`; starting waits for that line, which is also what
//! makes `--listen 127.0.0.1:0` usable from tests.
//!
//! The benchmark program (`mesh-bench`) runs its server through this module
//! too: it finds the binary itself, starts with [`ServerBuilder::try_start`]
//! (an error rather than a panic), lets the server's stderr through
//! ([`ServerBuilder::inherit_stderr`]), restarts on a data directory it
//! keeps, and reads the server's memory ([`ServerProcess::rss_bytes`]).

use std::ffi::OsStr;
use std::fmt;
use std::fmt::Debug;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How to start the server: the command line and environment, where its
/// stderr goes, and how long it may take to announce itself.
pub struct ServerBuilder {
    command: Command,
    log: Option<PathBuf>,
    inherit_stderr: bool,
    startup_timeout: Option<Duration>,
}

/// Why the server did not start: it could not be spawned, died, hung or
/// announced something else than its address. For a caller (the benchmark)
/// that reports errors instead of panicking.
#[derive(Debug)]
pub struct StartError(String);

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StartError {}

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

    /// Starts the server without `key` in its environment, whatever this
    /// process has (e.g. to see its default when `RUST_LOG` is unset).
    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Self {
        self.command.env_remove(key);
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
        self.inherit_stderr = false;
        self
    }

    /// Lets the server's stderr through to this process's stderr, so that
    /// warnings and start-up errors stay visible to whoever runs it.
    pub fn inherit_stderr(mut self) -> Self {
        self.inherit_stderr = true;
        self.log = None;
        self
    }

    /// Fails the start, killing the process, when the `listening on` line
    /// has not come within `timeout`. Without it, starting waits as long as
    /// the server takes.
    pub fn startup_timeout(mut self, timeout: Duration) -> Self {
        self.startup_timeout = Some(timeout);
        self
    }

    /// Starts the binary and waits for its `listening on IP:PORT` line;
    /// panics when it does not come.
    pub fn start(self) -> ServerProcess {
        self.try_start().unwrap_or_else(|error| panic!("{error}"))
    }

    /// Starts the binary and waits for its `listening on IP:PORT` line; an
    /// error, with the process killed, when it does not come. This blocks
    /// the calling thread while it waits: from async code, run it with
    /// `tokio::task::spawn_blocking`.
    pub fn try_start(mut self) -> Result<ServerProcess, StartError> {
        let command_line = command_line(&self.command);
        let stderr = match (&self.log, self.inherit_stderr) {
            (Some(path), _) => Stdio::from(std::fs::File::create(path).map_err(|error| {
                StartError(format!("a server log file {}: {error}", path.display()))
            })?),
            (None, true) => Stdio::inherit(),
            (None, false) => Stdio::null(),
        };
        let mut child = self
            .command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .map_err(|error| StartError(format!("mesh-server starts: {error}")))?;
        let log = self.log;
        let fail = |child: &mut Child, why: String| -> StartError {
            let _ = child.kill();
            let _ = child.wait();
            match &log {
                Some(path) => StartError(format!("{why}; its log:\n{}", log_tail(path))),
                None => StartError(why),
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
                return Err(fail(
                    &mut child,
                    format!("reading the server's stdout: {error}"),
                ))
            }
            Err(timeout) => {
                return Err(fail(
                    &mut child,
                    format!("mesh-server did not announce its address within {timeout:?}"),
                ))
            }
        };
        if line.is_empty() {
            let status = child.wait().ok();
            return Err(fail(
                &mut child,
                format!("mesh-server closed its stdout before listening (exit status: {status:?})"),
            ));
        }
        let address = match parse_listening_line(&line) {
            Ok(address) => address,
            Err(why) => return Err(fail(&mut child, why)),
        };
        Ok(ServerProcess {
            address: address.to_string(),
            addr: address,
            pid: child.id(),
            child: Some(child),
            log,
            command_line,
            _stdout: stdout,
        })
    }
}

/// The command as a shell would take it: changed environment first, then
/// the program and its arguments.
fn command_line(command: &Command) -> String {
    let mut words = Vec::new();
    for (key, value) in command.get_envs() {
        if let Some(value) = value {
            words.push(format!(
                "{}={}",
                key.to_string_lossy(),
                value.to_string_lossy()
            ));
        }
    }
    words.push(command.get_program().to_string_lossy().into_owned());
    words.extend(
        command
            .get_args()
            .map(|arg| arg.to_string_lossy().into_owned()),
    );
    words.join(" ")
}

/// `listening on IP:PORT` → the address; otherwise why not.
fn parse_listening_line(line: &str) -> Result<SocketAddr, String> {
    let Some(address) = line.strip_prefix("listening on ") else {
        return Err(format!("unexpected first line {line:?}"));
    };
    let address = address.trim_end();
    address
        .parse()
        .map_err(|_| format!("cannot parse the server address {address:?}"))
}

/// A running `mesh-server`, killed when dropped (which only matters when a
/// test fails half-way, or does not care how the server ends).
pub struct ServerProcess {
    /// Taken out once the process has been waited for.
    child: Option<Child>,
    pid: u32,
    address: String,
    addr: SocketAddr,
    log: Option<PathBuf>,
    command_line: String,
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
            inherit_stderr: false,
            startup_timeout: None,
        }
    }

    /// `IP:PORT` as the server announced it.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The announced address, parsed.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// How the server was started, as a shell would take it (changed
    /// environment variables, the binary, its arguments): for reports.
    pub fn command_line(&self) -> &str {
        &self.command_line
    }

    /// The server's resident set size in bytes, from /proc/PID/status.
    pub fn rss_bytes(&self) -> std::io::Result<u64> {
        let path = format!("/proc/{}/status", self.pid);
        let status = std::fs::read_to_string(&path)?;
        parse_vm_rss(&status).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("no VmRSS line in {path}"),
            )
        })
    }

    /// Waits until the server's resident set is at most `bound` bytes (as
    /// memory it freed goes back to the system), looking every 200 ms for
    /// at most `timeout`; the last figure read, whether or not it got there.
    pub async fn rss_settled_at_most(&self, bound: u64, timeout: Duration) -> std::io::Result<u64> {
        let deadline = std::time::Instant::now() + timeout;
        let mut now = self.rss_bytes()?;
        while now > bound && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(200)).await;
            now = self.rss_bytes()?;
        }
        Ok(now)
    }

    /// Kills the server (SIGKILL, as a crash would) and waits for it, so
    /// that no zombie is left behind and its port and files are free.
    pub fn kill(mut self) -> std::io::Result<()> {
        let mut child = self.child.take().expect("not waited for yet");
        let killed = child.kill();
        // Waited for even when the kill failed (it had already ended).
        child.wait()?;
        killed
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

    #[test]
    fn writes_the_command_line_as_a_shell_takes_it() {
        let mut command = Command::new("/bin/mesh-server");
        command
            .env("RUST_LOG", "warn")
            .args(["--listen", "127.0.0.1:0"]);
        assert_eq!(
            command_line(&command),
            "RUST_LOG=warn /bin/mesh-server --listen 127.0.0.1:0"
        );
    }
}
