//! A real MIT Kerberos KDC for tests: its own realm (`MESH.TEST`) in a
//! temporary directory, on its own port, stopped when dropped.
//!
//! The realm is made by `tests/kerberos/kdc.sh` (shared with the Python
//! test): the service `HTTP/localhost` with its keytab, another service
//! `HTTP/other.localhost`, and the users `alice`, `bob` and `carol`, each
//! with a keytab so that `kinit` needs no password. Needs Debian's
//! `krb5-kdc`, `krb5-admin-server` and `krb5-user` (scripts/test installs them).

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The realm of every test KDC.
pub const REALM: &str = "MESH.TEST";
/// The principal of the server's key in [`Kdc::service_keytab`].
pub const SERVICE_PRINCIPAL: &str = "HTTP/localhost@MESH.TEST";
/// Another service known to the KDC, whose key the server does not have.
pub const OTHER_SERVICE_PRINCIPAL: &str = "HTTP/other.localhost@MESH.TEST";

/// A running KDC, stopped (and its directory removed) when dropped, and
/// stopped also when the test process ends without dropping it (a shared
/// realm in a `static`, a crash): the KDC runs under a shell that waits on
/// a pipe from this process and stops the KDC once that pipe closes.
pub struct Kdc {
    dir: tempfile::TempDir,
    process: Child,
    lifeline: Option<ChildStdin>,
    port: u16,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/kerberos/kdc.sh")
}

/// Where Debian installs the KDC's programs, which a user's PATH may lack.
fn sbin_path() -> String {
    let path = std::env::var("PATH").unwrap_or_default();
    format!("{path}:/usr/sbin:/sbin")
}

impl Kdc {
    /// Makes the realm and starts its KDC; returns once it takes connections.
    /// Panics, saying what to install, when the KDC programs are missing.
    pub fn start() -> Kdc {
        let dir = tempfile::tempdir().expect("a temporary directory");
        // A free port, released for the KDC to take: the KDC cannot be told
        // to pick one and report it.
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let made = Command::new("bash")
            .arg(script())
            .arg(dir.path())
            .arg(port.to_string())
            .env("PATH", sbin_path())
            .output()
            .expect("runs tests/kerberos/kdc.sh");
        assert!(
            made.status.success(),
            "tests/kerberos/kdc.sh failed (scripts/test installs krb5-kdc, krb5-admin-server \
             and krb5-user): {}",
            String::from_utf8_lossy(&made.stderr)
        );
        let mut process = Command::new("sh")
            .arg("-c")
            .arg("krb5kdc -n & kdc=$!; read _; kill $kdc; wait $kdc")
            .env("PATH", sbin_path())
            .env("KRB5_CONFIG", dir.path().join("krb5.conf"))
            .env("KRB5_KDC_PROFILE", dir.path().join("kdc.conf"))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starts krb5kdc");
        let lifeline = process.stdin.take();
        let kdc = Kdc {
            dir,
            process,
            lifeline,
            port,
        };
        kdc.await_listening();
        kdc
    }

    fn await_listening(&self) {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
            assert!(
                Instant::now() < deadline,
                "the KDC never listened on {address}; its log: {}",
                std::fs::read_to_string(self.dir.path().join("kdc.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The configuration clients and servers of this realm need, as
    /// `KRB5_CONFIG`.
    pub fn krb5_config(&self) -> PathBuf {
        self.dir.path().join("krb5.conf")
    }

    /// The key of [`SERVICE_PRINCIPAL`].
    pub fn service_keytab(&self) -> PathBuf {
        self.dir.path().join("service.keytab")
    }

    /// The key of [`OTHER_SERVICE_PRINCIPAL`].
    pub fn other_keytab(&self) -> PathBuf {
        self.dir.path().join("other.keytab")
    }

    /// A path in the realm's directory, for the test's own files.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Gets `user`'s (`alice`, `bob`, `carol`) ticket-granting ticket into
    /// the credential cache `ccache` (e.g. `DIR:/tmp/x` or `FILE:/tmp/y`).
    pub fn kinit(&self, user: &str, ccache: &str) {
        let keytab = self.dir.path().join(format!("{user}.keytab"));
        let done = Command::new("kinit")
            .arg("-k")
            .arg("-t")
            .arg(&keytab)
            .arg(format!("{user}@{REALM}"))
            .env("PATH", sbin_path())
            .env("KRB5_CONFIG", self.krb5_config())
            .env("KRB5CCNAME", ccache)
            .output()
            .expect("runs kinit (krb5-user)");
        assert!(
            done.status.success(),
            "kinit {user} failed: {}",
            String::from_utf8_lossy(&done.stderr)
        );
    }
}

impl Drop for Kdc {
    fn drop(&mut self) {
        // Closing the pipe stops the KDC; the shell then exits.
        drop(self.lifeline.take());
        let _ = self.process.wait();
    }
}

/// One realm for a whole test process, whose own GSSAPI calls (SDK and
/// in-process server) use it: `KRB5_CONFIG` and `KRB5CCNAME` of this
/// process point at it. `bob` and `alice` are signed in (`kinit`) in the
/// cache collection [`Realm::ccache`], `alice` as its default; `carol`
/// is known to the KDC but never signed in.
pub struct Realm {
    /// The running KDC.
    pub kdc: Kdc,
    /// The cache collection of the signed-in users (`DIR:…`).
    pub ccache: String,
}

/// The process's realm, made on first use.
pub fn shared_realm() -> &'static Realm {
    static REALM: OnceLock<Realm> = OnceLock::new();
    REALM.get_or_init(|| {
        let kdc = Kdc::start();
        let dir = kdc.path("ccache");
        std::fs::create_dir_all(&dir).expect("a credential cache directory");
        let ccache = format!("DIR:{}", dir.display());
        // kinit makes the cache it fills the collection's default: alice last.
        kdc.kinit("bob", &ccache);
        kdc.kinit("alice", &ccache);
        // Set once, before any GSSAPI call of this process can read them
        // (callers reach GSSAPI only after this returns); std's own readers
        // of the environment take the same lock.
        std::env::set_var("KRB5_CONFIG", kdc.krb5_config());
        std::env::set_var("KRB5CCNAME", &ccache);
        Realm { kdc, ccache }
    })
}
