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
/// Plain errno failures become [`io::Error::from_raw_os_error`], so
/// [`io::Error::raw_os_error`] and [`io::Error::kind`] work as usual. Only
/// codes for which libshieldwatch has its own description (today just
/// [`ERR_TIER`]) are wrapped in this type, so that the message is the
/// library's; use [`error_code`] to get the errno back from any error this
/// crate returns.
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

    /// The library's description, from `sw_strerror`.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for LibError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (libshieldwatch error {})", self.message, self.code)
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

/// Like [`from_ret`], with the reason `sw_open_explain` gave: a
/// [`LibError`] carries it as its message (plain errno failures stay raw OS
/// errors, so [`io::Error::raw_os_error`] keeps working).
pub(crate) fn from_ret_explained(ret: c_int, reason: Option<String>) -> io::Error {
    let code = ret.checked_neg().unwrap_or(libc::EINVAL);
    if code == ERR_TIER {
        io::Error::new(
            io::ErrorKind::Unsupported,
            LibError {
                code,
                message: reason
                    .filter(|r| !r.is_empty())
                    .unwrap_or_else(|| strerror(code)),
            },
        )
    } else {
        io::Error::from_raw_os_error(code)
    }
}

/// `Ok(ret)` for a non-negative return, the mapped error otherwise.
pub(crate) fn check(ret: c_int) -> io::Result<c_int> {
    if ret < 0 {
        Err(from_ret(ret))
    } else {
        Ok(ret)
    }
}

pub(crate) fn nul_error(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{what} contains a NUL byte"),
    )
}
