//! Kerberos through the system's GSSAPI library (MIT krb5's
//! `libgssapi_krb5`), opened at run time.
//!
//! Only the few calls a token exchange needs are declared: names, credentials,
//! the acceptor's and the initiator's context steps, and status messages.
//! Opening the library when it is first needed (rather than linking it) keeps
//! the build free of system libraries and lets a server without Kerberos
//! configured run on a machine without krb5 installed.
//!
//! - [`AcceptorCredential`] and [`AcceptContext`]: the server side, with the
//!   key of one service principal from a keytab file.
//! - [`InitContext`]: the client side, with the user's credential cache.

mod ffi;

use std::ffi::{c_void, CString};
use std::path::Path;
use std::ptr;
use std::sync::Arc;

use ffi::{
    Buffer, Gssapi, KeyValue, KeyValueSet, Name, Oid, OwnedBuffer, ACCEPT, GSS_CODE, INDEFINITE,
    INITIATE, MECH_CODE,
};

/// Why a GSSAPI step failed: what was being done, and the library's own
/// words for the failure (its major and minor status messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    message: String,
}

impl Error {
    fn new(message: impl Into<String>) -> Error {
        Error {
            message: message.into(),
        }
    }

    /// The whole message, for people to read.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Whether the system's GSSAPI library can be opened, and if not, why.
pub fn available() -> Result<(), Error> {
    ffi::library().map(|_| ())
}

/// The form of a Kerberos principal name (`HTTP/host@REALM`, `user@REALM`).
const KRB5_PRINCIPAL_NAME: &[u8] = b"\x2a\x86\x48\x86\xf7\x12\x01\x02\x02\x01";
/// The form `service@host` (GSS_C_NT_HOSTBASED_SERVICE).
const HOSTBASED_SERVICE: &[u8] = b"\x2a\x86\x48\x86\xf7\x12\x01\x02\x01\x04";
/// The Kerberos 5 mechanism, to read its minor status codes.
const KRB5_MECHANISM: &[u8] = b"\x2a\x86\x48\x86\xf7\x12\x01\x02\x02";

fn oid(bytes: &'static [u8]) -> Oid {
    Oid {
        length: bytes.len() as u32,
        elements: bytes.as_ptr() as *mut c_void,
    }
}

/// The library's messages for a failed call: every major status message,
/// then every minor (mechanism) one.
fn status_message(gss: &Gssapi, major: u32, minor: u32) -> String {
    let mut parts = Vec::new();
    let mut mechanism = oid(KRB5_MECHANISM);
    for (code, kind) in [(major, GSS_CODE), (minor, MECH_CODE)] {
        if code == 0 {
            continue;
        }
        let mut context = 0u32;
        // Bounded: a library that keeps saying "more" must not loop us.
        for _ in 0..8 {
            let mut ignored = 0u32;
            let mut text = OwnedBuffer::new(gss);
            // SAFETY: all pointers are valid for the call; the buffer is
            // released by OwnedBuffer.
            unsafe {
                (gss.display_status)(
                    &mut ignored,
                    code,
                    kind,
                    &mut mechanism,
                    &mut context,
                    text.as_mut_ptr(),
                );
            }
            // MIT's generic words add nothing once the minor message follows.
            let text = String::from_utf8_lossy(text.bytes())
                .replace("  Minor code may provide more information", "")
                .trim()
                .trim_end_matches('.')
                .to_string();
            let empty = text.is_empty() || (kind == MECH_CODE && text == "Success");
            if !empty && !parts.contains(&text) {
                parts.push(text);
            }
            if context == 0 {
                break;
            }
        }
    }
    if parts.is_empty() {
        format!("GSSAPI major status {major:#x}, minor status {minor}")
    } else {
        parts.join(": ")
    }
}

fn failed(gss: &Gssapi, doing: &str, major: u32, minor: u32) -> Error {
    Error::new(format!("{doing}: {}", status_message(gss, major, minor)))
}

/// A GSSAPI name, released when dropped.
struct OwnedName {
    gss: &'static Gssapi,
    name: Name,
}

impl OwnedName {
    fn import(gss: &'static Gssapi, text: &str, kind: &'static [u8]) -> Result<OwnedName, Error> {
        let mut minor = 0;
        let mut name: Name = ptr::null_mut();
        let input = Buffer {
            length: text.len(),
            value: text.as_ptr() as *mut c_void,
        };
        let mut kind = oid(kind);
        // SAFETY: input and kind outlive the call; name is an out-pointer.
        let major = unsafe { (gss.import_name)(&mut minor, &input, &mut kind, &mut name) };
        if ffi::is_error(major) {
            return Err(failed(gss, &format!("invalid name {text:?}"), major, minor));
        }
        Ok(OwnedName { gss, name })
    }

    fn display(gss: &Gssapi, name: Name) -> Result<String, Error> {
        let mut minor = 0;
        let mut text = OwnedBuffer::new(gss);
        // SAFETY: name is a valid name handle; text is released by OwnedBuffer.
        let major =
            unsafe { (gss.display_name)(&mut minor, name, text.as_mut_ptr(), ptr::null_mut()) };
        if ffi::is_error(major) {
            return Err(failed(gss, "cannot read the client's name", major, minor));
        }
        Ok(String::from_utf8_lossy(text.bytes()).into_owned())
    }
}

impl Drop for OwnedName {
    fn drop(&mut self) {
        let mut minor = 0;
        // SAFETY: the name came from gss_import_name and is released once.
        unsafe { (self.gss.release_name)(&mut minor, &mut self.name) };
    }
}

/// A credential handle, released when dropped.
struct OwnedCredential {
    gss: &'static Gssapi,
    handle: ffi::Credential,
}

// SAFETY: MIT krb5 credential handles may be used from any thread, and by
// several at once (the library locks what it shares).
unsafe impl Send for OwnedCredential {}
unsafe impl Sync for OwnedCredential {}

impl Drop for OwnedCredential {
    fn drop(&mut self) {
        if !self.handle.is_null() {
            let mut minor = 0;
            // SAFETY: acquired by gss_acquire_cred(_from), released once.
            unsafe { (self.gss.release_cred)(&mut minor, &mut self.handle) };
        }
    }
}

/// A security context handle, deleted when dropped.
struct OwnedContext {
    gss: &'static Gssapi,
    handle: ffi::Context,
}

// SAFETY: a context is used by one thread at a time (steps take `&mut`),
// which GSSAPI allows from any thread.
unsafe impl Send for OwnedContext {}

impl Drop for OwnedContext {
    fn drop(&mut self) {
        if !self.handle.is_null() {
            let mut minor = 0;
            // SAFETY: the handle came from a context step and is deleted once.
            unsafe { (self.gss.delete_sec_context)(&mut minor, &mut self.handle, ptr::null_mut()) };
        }
    }
}

/// The key of one service principal, from a keytab file: what a server
/// accepts Kerberos contexts with.
pub struct AcceptorCredential {
    credential: OwnedCredential,
}

impl AcceptorCredential {
    /// Acquires the key of `principal` (e.g. `HTTP/mesh.example.com@EXAMPLE.COM`)
    /// from the keytab at `keytab`. Fails, naming the path and the reason,
    /// when the file cannot be read or holds no key for that principal.
    pub fn from_keytab(keytab: &Path, principal: &str) -> Result<AcceptorCredential, Error> {
        // Our own check first: the library's message for a missing file is
        // vaguer than the operating system's.
        std::fs::File::open(keytab).map_err(|error| {
            Error::new(format!(
                "cannot read the keytab {}: {error}",
                keytab.display()
            ))
        })?;
        let gss = ffi::library()?;
        let name = OwnedName::import(gss, principal, KRB5_PRINCIPAL_NAME)?;
        let path = CString::new(keytab.as_os_str().as_encoded_bytes()).map_err(|_| {
            Error::new(format!(
                "the keytab path {} holds a NUL byte",
                keytab.display()
            ))
        })?;
        // The keytab is named in a credential store rather than through
        // KRB5_KTNAME: changing the environment of a running, threaded
        // process is a race, and the store keeps it to this one credential.
        let element = KeyValue {
            key: c"keytab".as_ptr(),
            value: path.as_ptr(),
        };
        let store = KeyValueSet {
            count: 1,
            elements: &element,
        };
        let mut minor = 0;
        let mut handle: ffi::Credential = ptr::null_mut();
        // SAFETY: every pointer is valid for the call; handle is an out-pointer.
        let major = unsafe {
            (gss.acquire_cred_from)(
                &mut minor,
                name.name,
                INDEFINITE,
                ptr::null_mut(),
                ACCEPT,
                &store,
                &mut handle,
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
        let credential = OwnedCredential { gss, handle };
        if ffi::is_error(major) {
            return Err(failed(
                gss,
                &format!(
                    "no usable key for {principal} in the keytab {}",
                    keytab.display()
                ),
                major,
                minor,
            ));
        }
        Ok(AcceptorCredential { credential })
    }
}

/// What one acceptor step gave.
#[derive(Debug)]
pub enum Accepted {
    /// The exchange goes on: send this token to the client and step again
    /// with its answer.
    Continue(Vec<u8>),
    /// The client is authenticated. `token` (possibly empty) is for the
    /// client, should it have asked to authenticate the server too.
    Complete {
        /// The last token for the client; empty when it needs none.
        token: Vec<u8>,
        /// The client principal, e.g. `alice@EXAMPLE.COM`.
        client: String,
    },
}

/// A server's half of one Kerberos exchange.
pub struct AcceptContext {
    credential: Arc<AcceptorCredential>,
    context: OwnedContext,
}

impl AcceptContext {
    /// A new exchange, accepted with `credential`.
    pub fn new(credential: Arc<AcceptorCredential>) -> AcceptContext {
        let gss = credential.credential.gss;
        AcceptContext {
            credential,
            context: OwnedContext {
                gss,
                handle: ptr::null_mut(),
            },
        }
    }

    /// Takes the client's next token. Fails with the library's reason when
    /// the token is refused (a ticket for another service, an expired or
    /// forged ticket, garbage).
    pub fn step(&mut self, token: &[u8]) -> Result<Accepted, Error> {
        let gss = self.context.gss;
        let input = Buffer {
            length: token.len(),
            value: token.as_ptr() as *mut c_void,
        };
        let mut minor = 0;
        let mut client: Name = ptr::null_mut();
        let mut output = OwnedBuffer::new(gss);
        // SAFETY: every pointer is valid for the call; the context handle is
        // ours and updated in place; output and client are released below.
        let major = unsafe {
            (gss.accept_sec_context)(
                &mut minor,
                &mut self.context.handle,
                self.credential.credential.handle,
                &input,
                ptr::null_mut(),
                &mut client,
                ptr::null_mut(),
                output.as_mut_ptr(),
                ptr::null_mut(),
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
        let client = OwnedName { gss, name: client };
        if ffi::is_error(major) {
            return Err(failed(gss, "the token was refused", major, minor));
        }
        let token = output.bytes().to_vec();
        if major & ffi::CONTINUE_NEEDED != 0 {
            return Ok(Accepted::Continue(token));
        }
        let client_name = OwnedName::display(gss, client.name)?;
        Ok(Accepted::Complete {
            token,
            client: client_name,
        })
    }
}

/// What one initiator step gave.
#[derive(Debug)]
pub enum Initiated {
    /// Send this token to the server and step again with its answer.
    Continue(Vec<u8>),
    /// The context is established; send this token if it is not empty.
    Complete(Vec<u8>),
}

/// A client's half of one Kerberos exchange, with a credential from the
/// user's credential cache (`KRB5CCNAME`, else the default one).
pub struct InitContext {
    credential: Option<OwnedCredential>,
    target: OwnedName,
    context: OwnedContext,
}

// SAFETY: the names and handles inside are used by one thread at a time
// (steps take `&mut`), which GSSAPI allows from any thread.
unsafe impl Send for InitContext {}

impl InitContext {
    /// Prepares an exchange with the service `service_principal`: a
    /// Kerberos principal name (`HTTP/mesh.example.com@EXAMPLE.COM`,
    /// `HTTP/mesh.example.com`), or `service@host` (`HTTP@mesh.example.com`)
    /// when it holds an `@` but no `/`. With `user_principal`, the
    /// credential of that user in the cache collection is used; without,
    /// the default credential.
    pub fn new(
        service_principal: &str,
        user_principal: Option<&str>,
    ) -> Result<InitContext, Error> {
        let gss = ffi::library()?;
        let form = if service_principal.contains('@') && !service_principal.contains('/') {
            HOSTBASED_SERVICE
        } else {
            KRB5_PRINCIPAL_NAME
        };
        let target = OwnedName::import(gss, service_principal, form)?;
        let credential = match user_principal {
            None => None,
            Some(user) => {
                let name = OwnedName::import(gss, user, KRB5_PRINCIPAL_NAME)?;
                let mut minor = 0;
                let mut handle: ffi::Credential = ptr::null_mut();
                // SAFETY: every pointer is valid for the call.
                let major = unsafe {
                    (gss.acquire_cred)(
                        &mut minor,
                        name.name,
                        INDEFINITE,
                        ptr::null_mut(),
                        INITIATE,
                        &mut handle,
                        ptr::null_mut(),
                        ptr::null_mut(),
                    )
                };
                let credential = OwnedCredential { gss, handle };
                if ffi::is_error(major) {
                    return Err(failed(
                        gss,
                        &format!("no Kerberos credentials for {user}"),
                        major,
                        minor,
                    ));
                }
                Some(credential)
            }
        };
        Ok(InitContext {
            credential,
            target,
            context: OwnedContext {
                gss,
                handle: ptr::null_mut(),
            },
        })
    }

    /// The next step: `None` for the first, then the server's last token.
    /// No flags are requested (no mutual authentication, no delegation),
    /// as the official SDK does, so one token usually suffices.
    pub fn step(&mut self, token: Option<&[u8]>) -> Result<Initiated, Error> {
        let gss = self.context.gss;
        let token = token.unwrap_or_default();
        let input = Buffer {
            length: token.len(),
            value: token.as_ptr() as *mut c_void,
        };
        let credential = self
            .credential
            .as_ref()
            .map_or(ptr::null_mut(), |credential| credential.handle);
        let mut minor = 0;
        let mut output = OwnedBuffer::new(gss);
        // SAFETY: every pointer is valid for the call; the context handle is
        // ours and updated in place; output is released by OwnedBuffer.
        let major = unsafe {
            (gss.init_sec_context)(
                &mut minor,
                credential,
                &mut self.context.handle,
                self.target.name,
                ptr::null_mut(),
                0,
                INDEFINITE,
                ptr::null_mut(),
                &input,
                ptr::null_mut(),
                output.as_mut_ptr(),
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
        if ffi::is_error(major) {
            return Err(failed(
                gss,
                "cannot make a Kerberos token for the service",
                major,
                minor,
            ));
        }
        let token = output.bytes().to_vec();
        if major & ffi::CONTINUE_NEEDED != 0 {
            Ok(Initiated::Continue(token))
        } else {
            Ok(Initiated::Complete(token))
        }
    }
}
