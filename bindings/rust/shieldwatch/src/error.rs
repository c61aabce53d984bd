//! Mapping of the library's negative errno returns onto [`std::io::Error`].

use std::error::Error as StdError;
use std::ffi::CStr;
use std::fmt;
use std::io;
use std::os::raw::c_int;

use shieldwatch_sys as sys;

/// The errno value the library returns (negated) when the state directory's
/// `dns.tier` is missing or not `"dnsmasq"`: `SW_ETIER`, which is
/// `EMEDIUMTYPE`.
pub const ERR_TIER: i32 = sys::SW_ETIER;

/// A library-specific condition carried inside an [`io::Error`].
///
/// Failures the library explains (every [`Watcher::open`](crate::Watcher::open)
/// error: "…/dns.tier says 'other', not 'dnsmasq'", "inotify_init1: Too many
/// open files (raise sysctl fs.inotify.max_user_instances, …)") and its own
/// [`ERR_TIER`] are wrapped in this type, so the message is the library's
/// one-line reason; [`io::Error::kind`] still follows the errno. Other
/// failures are plain [`io::Error::from_raw_os_error`]. Use [`error_code`]
/// to get the errno back from any error this crate returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibError {
    code: i32,
    message: String,
}

impl LibError {
    /// The positive errno value (for example [`ERR_TIER`]).
    pub fn code(&self) -> i32 {
        self.code
    }

    /// The library's one-line reason (or `sw_strerror`'s description when
    /// it gave none).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for LibError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (errno {})", self.message, self.code)
    }
}

impl StdError for LibError {}

/// The library's description of an error code (`sw_strerror`). Accepts a
/// positive or negative errno, or [`ERR_TIER`].
pub fn strerror(code: i32) -> String {
    // SAFETY: sw_strerror returns static storage, never NULL.
    let p = unsafe { sys::sw_strerror(code as c_int) };
    if p.is_null() {
        return format!("error {code}");
    }
    // SAFETY: non-NULL, NUL-terminated, static.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// The positive errno behind an error returned by this crate: the raw OS
/// error, or the code of a wrapped [`LibError`]. `None` for other errors
/// (for example a path containing a NUL byte).
pub fn error_code(err: &io::Error) -> Option<i32> {
    err.raw_os_error().or_else(|| {
        err.get_ref()
            .and_then(|e| e.downcast_ref::<LibError>())
            .map(LibError::code)
    })
}

/// Whether `err` is the library's `SW_ETIER` condition (the state directory
/// is not set up for the dnsmasq tier).
pub fn is_tier_error(err: &io::Error) -> bool {
    error_code(err) == Some(ERR_TIER)
}

/// Turns a negative return value into an `io::Error`.
pub(crate) fn from_ret(ret: c_int) -> io::Error {
    from_ret_explained(ret, None)
}

/// Like [`from_ret`], with the reason the library gave (`sw_open_explain`):
/// a non-empty reason is carried in a [`LibError`] (the errno stays
/// available through [`error_code`] and the error's kind); `SW_ETIER`
/// always gets a `LibError`, other codes without a reason stay raw OS
/// errors.
pub(crate) fn from_ret_explained(ret: c_int, reason: Option<String>) -> io::Error {
    let code = ret.checked_neg().unwrap_or(libc::EINVAL);
    let reason = reason.filter(|r| !r.is_empty());
    if code != ERR_TIER && reason.is_none() {
        return io::Error::from_raw_os_error(code);
    }
    let kind = if code == ERR_TIER {
        io::ErrorKind::Unsupported
    } else {
        io::Error::from_raw_os_error(code).kind()
    };
    let message = reason.unwrap_or_else(|| strerror(code));
    io::Error::new(kind, LibError { code, message })
}

/// `Ok(ret)` for a non-negative return, the mapped error otherwise.
pub(crate) fn check(ret: c_int) -> io::Result<c_int> {
    if ret < 0 {
        Err(from_ret(ret))
    } else {
        Ok(ret)
    }
}

/// [`check`] for the `ssize_t` byte counts of `sw_read_json`.
pub(crate) fn check_len(ret: isize) -> io::Result<usize> {
    usize::try_from(ret).map_err(|_| from_ret(c_int::try_from(ret).unwrap_or(-libc::EINVAL)))
}

pub(crate) fn nul_error(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{what} contains a NUL byte"),
    )
}
