//! The C interface of GSSAPI (RFC 2744, with MIT's credential store
//! extension), declared by hand for the few calls used, and the library
//! opened once per process.

use std::ffi::{c_char, c_int, c_void};
use std::sync::OnceLock;

use crate::Error;

pub type Name = *mut c_void;
pub type Credential = *mut c_void;
pub type Context = *mut c_void;

/// `gss_buffer_desc`.
#[repr(C)]
pub struct Buffer {
    pub length: usize,
    pub value: *mut c_void,
}

/// `gss_OID_desc`.
#[repr(C)]
pub struct Oid {
    pub length: u32,
    pub elements: *mut c_void,
}

/// `gss_key_value_element_desc`.
#[repr(C)]
pub struct KeyValue {
    pub key: *const c_char,
    pub value: *const c_char,
}

/// `gss_key_value_set_desc`.
#[repr(C)]
pub struct KeyValueSet {
    pub count: u32,
    pub elements: *const KeyValue,
}

pub const INDEFINITE: u32 = 0xffff_ffff;
pub const INITIATE: c_int = 1;
pub const ACCEPT: c_int = 2;
pub const GSS_CODE: c_int = 1;
pub const MECH_CODE: c_int = 2;
pub const CONTINUE_NEEDED: u32 = 1;

/// A calling or routine error (the supplementary bits, such as
/// CONTINUE_NEEDED, are not errors).
pub fn is_error(major: u32) -> bool {
    major & 0xffff_0000 != 0
}

type ImportName = unsafe extern "C" fn(*mut u32, *const Buffer, *mut Oid, *mut Name) -> u32;
type ReleaseName = unsafe extern "C" fn(*mut u32, *mut Name) -> u32;
type DisplayName = unsafe extern "C" fn(*mut u32, Name, *mut Buffer, *mut *mut Oid) -> u32;
type AcquireCred = unsafe extern "C" fn(
    *mut u32,
    Name,
    u32,
    *mut c_void,
    c_int,
    *mut Credential,
    *mut *mut c_void,
    *mut u32,
) -> u32;
type AcquireCredFrom = unsafe extern "C" fn(
    *mut u32,
    Name,
    u32,
    *mut c_void,
    c_int,
    *const KeyValueSet,
    *mut Credential,
    *mut *mut c_void,
    *mut u32,
) -> u32;
type ReleaseCred = unsafe extern "C" fn(*mut u32, *mut Credential) -> u32;
type InitSecContext = unsafe extern "C" fn(
    *mut u32,
    Credential,
    *mut Context,
    Name,
    *mut Oid,
    u32,
    u32,
    *mut c_void,
    *const Buffer,
    *mut *mut Oid,
    *mut Buffer,
    *mut u32,
    *mut u32,
) -> u32;
type AcceptSecContext = unsafe extern "C" fn(
    *mut u32,
    *mut Context,
    Credential,
    *const Buffer,
    *mut c_void,
    *mut Name,
    *mut *mut Oid,
    *mut Buffer,
    *mut u32,
    *mut u32,
    *mut Credential,
) -> u32;
type DeleteSecContext = unsafe extern "C" fn(*mut u32, *mut Context, *mut Buffer) -> u32;
type DisplayStatus =
    unsafe extern "C" fn(*mut u32, u32, c_int, *mut Oid, *mut u32, *mut Buffer) -> u32;
type ReleaseBuffer = unsafe extern "C" fn(*mut u32, *mut Buffer) -> u32;

/// The calls used, from the opened library (kept open for the process's
/// lifetime, so the function pointers stay valid).
pub struct Gssapi {
    _library: libloading::Library,
    pub import_name: ImportName,
    pub release_name: ReleaseName,
    pub display_name: DisplayName,
    pub acquire_cred: AcquireCred,
    pub acquire_cred_from: AcquireCredFrom,
    pub release_cred: ReleaseCred,
    pub init_sec_context: InitSecContext,
    pub accept_sec_context: AcceptSecContext,
    pub delete_sec_context: DeleteSecContext,
    pub display_status: DisplayStatus,
    pub release_buffer: ReleaseBuffer,
}

/// Where MIT krb5's GSSAPI library is found: the versioned name that
/// Debian's and Red Hat's runtime packages install, the development link,
/// and macOS's. `MESH_GSSAPI_LIBRARY` names another.
const CANDIDATES: &[&str] = &[
    "libgssapi_krb5.so.2",
    "libgssapi_krb5.so",
    "libgssapi_krb5.dylib",
];

/// The library, opened on first use; the same answer ever after.
pub fn library() -> Result<&'static Gssapi, Error> {
    static LIBRARY: OnceLock<Result<Gssapi, Error>> = OnceLock::new();
    LIBRARY.get_or_init(open).as_ref().map_err(Clone::clone)
}

fn open() -> Result<Gssapi, Error> {
    let chosen = std::env::var_os("MESH_GSSAPI_LIBRARY");
    let candidates: Vec<std::ffi::OsString> = match chosen {
        Some(path) => vec![path],
        None => CANDIDATES.iter().map(Into::into).collect(),
    };
    let mut reasons = Vec::new();
    for candidate in &candidates {
        // SAFETY: opening MIT krb5's GSSAPI library runs only its own
        // initialisers, which have no preconditions.
        match unsafe { libloading::Library::new(candidate) } {
            Ok(library) => return bind(library, candidate),
            Err(error) => reasons.push(error.to_string()),
        }
    }
    Err(Error::new(format!(
        "cannot open the GSSAPI library (install MIT Kerberos, e.g. Debian's libgssapi-krb5-2): {}",
        reasons.join("; ")
    )))
}

fn bind(library: libloading::Library, name: &std::ffi::OsStr) -> Result<Gssapi, Error> {
    macro_rules! symbol {
        ($name:literal) => {
            // SAFETY: the type is the symbol's C signature from RFC 2744 (and
            // MIT's gssapi_ext.h for gss_acquire_cred_from); the pointer is
            // copied out and stays valid while `_library` is kept open.
            *unsafe { library.get(concat!($name, "\0").as_bytes()) }.map_err(|error| {
                Error::new(format!(
                    "the GSSAPI library {} lacks {}: {error}",
                    name.to_string_lossy(),
                    $name
                ))
            })?
        };
    }
    Ok(Gssapi {
        import_name: symbol!("gss_import_name"),
        release_name: symbol!("gss_release_name"),
        display_name: symbol!("gss_display_name"),
        acquire_cred: symbol!("gss_acquire_cred"),
        acquire_cred_from: symbol!("gss_acquire_cred_from"),
        release_cred: symbol!("gss_release_cred"),
        init_sec_context: symbol!("gss_init_sec_context"),
        accept_sec_context: symbol!("gss_accept_sec_context"),
        delete_sec_context: symbol!("gss_delete_sec_context"),
        display_status: symbol!("gss_display_status"),
        release_buffer: symbol!("gss_release_buffer"),
        _library: library,
    })
}

/// A buffer the library fills, released when dropped.
pub struct OwnedBuffer<'g> {
    gss: &'g Gssapi,
    buffer: Buffer,
}

impl<'g> OwnedBuffer<'g> {
    pub fn new(gss: &'g Gssapi) -> OwnedBuffer<'g> {
        OwnedBuffer {
            gss,
            buffer: Buffer {
                length: 0,
                value: std::ptr::null_mut(),
            },
        }
    }

    pub fn as_mut_ptr(&mut self) -> *mut Buffer {
        &mut self.buffer
    }

    pub fn bytes(&self) -> &[u8] {
        if self.buffer.value.is_null() || self.buffer.length == 0 {
            return &[];
        }
        // SAFETY: the library filled `length` bytes at `value`, ours until
        // released in drop.
        unsafe { std::slice::from_raw_parts(self.buffer.value as *const u8, self.buffer.length) }
    }
}

impl Drop for OwnedBuffer<'_> {
    fn drop(&mut self) {
        if !self.buffer.value.is_null() {
            let mut minor = 0;
            // SAFETY: the buffer was filled by the library and is released once.
            unsafe { (self.gss.release_buffer)(&mut minor, &mut self.buffer) };
        }
    }
}
