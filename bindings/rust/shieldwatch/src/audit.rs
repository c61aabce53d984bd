//! [`AuditLog`]: the writer side of `audit.jsonl`.

use std::cell::Cell;
use std::ffi::CString;
use std::fmt;
use std::io;
use std::marker::PhantomData;
use std::path::Path;
use std::ptr::{self, NonNull};

use shieldwatch_sys as sys;

use crate::error::{check, nul_error};
use crate::options::path_cstring;
use crate::Event;

/// An audit log opened for appending: each [`write`](AuditLog::write) adds
/// one JSON line with a single `write(2)` on an `O_APPEND` fd, so concurrent
/// writers never interleave within a line and the file is never truncated.
///
/// `Send` but not `Sync`, like [`Watcher`](crate::Watcher). Dropping it
/// closes the file.
///
/// ```compile_fail
/// fn sync<T: Sync>() {}
/// sync::<shieldwatch::AuditLog>(); // AuditLog is not Sync
/// ```
pub struct AuditLog {
    raw: NonNull<sys::sw_audit_log>,
    _not_sync: PhantomData<Cell<()>>,
}

// SAFETY: a handle may be used from any thread, one thread at a time; the
// Cell marker keeps it !Sync.
unsafe impl Send for AuditLog {}

fn opt_cstring(s: Option<&str>, what: &str) -> io::Result<Option<CString>> {
    s.map(|s| CString::new(s).map_err(|_| nul_error(what)))
        .transpose()
}

impl AuditLog {
    /// Opens (creating with mode 0600) the audit log at `path`. Writing is
    /// enabled at start.
    pub fn open(path: impl AsRef<Path>) -> io::Result<AuditLog> {
        let path = path_cstring(path.as_ref(), "audit log path")?;
        let mut out: *mut sys::sw_audit_log = ptr::null_mut();
        // SAFETY: valid C string; `out` receives a new handle on success.
        check(unsafe { sys::sw_audit_open(path.as_ptr(), &mut out) })?;
        let raw = NonNull::new(out)
            .ok_or_else(|| io::Error::other("sw_audit_open returned no handle"))?;
        Ok(AuditLog {
            raw,
            _not_sync: PhantomData,
        })
    }

    /// While disabled, [`write`](AuditLog::write) succeeds without writing.
    pub fn set_enabled(&mut self, enabled: bool) -> io::Result<()> {
        // SAFETY: live handle, exclusive access.
        check(unsafe { sys::sw_audit_set_enabled(self.raw.as_ptr(), enabled.into()) }).map(|_| ())
    }

    /// Appends one record `{"ts", "container", "action", "dest"?,
    /// "detail"?}`. `container` and `action` are required (non-empty);
    /// `dest` and `detail` are left out when `None` or empty.
    pub fn write(
        &mut self,
        container: &str,
        action: &str,
        dest: Option<&str>,
        detail: Option<&str>,
    ) -> io::Result<()> {
        let container = CString::new(container).map_err(|_| nul_error("container"))?;
        let action = CString::new(action).map_err(|_| nul_error("action"))?;
        let dest = opt_cstring(dest, "dest")?;
        let detail = opt_cstring(detail, "detail")?;
        let as_ptr = |s: &Option<CString>| s.as_ref().map_or(ptr::null(), |s| s.as_ptr());
        // SAFETY: live handle; the strings outlive the call.
        check(unsafe {
            sys::sw_audit_write(
                self.raw.as_ptr(),
                container.as_ptr(),
                action.as_ptr(),
                as_ptr(&dest),
                as_ptr(&detail),
            )
        })
        .map(|_| ())
    }

    /// Reads the last `n` audit events of the file at `path`, oldest first.
    /// A missing file gives an empty list.
    pub fn tail(path: impl AsRef<Path>, n: usize) -> io::Result<Vec<Event>> {
        let path = path_cstring(path.as_ref(), "audit log path")?;
        let mut out: *mut sys::sw_event_list = ptr::null_mut();
        // SAFETY: valid C string; `out` receives a new list on success.
        check(unsafe { sys::sw_audit_tail(path.as_ptr(), n, &mut out) })?;
        let Some(list) = NonNull::new(out) else {
            return Ok(Vec::new());
        };
        struct FreeList(NonNull<sys::sw_event_list>);
        impl Drop for FreeList {
            fn drop(&mut self) {
                // SAFETY: we own the list and free it once, after copying.
                unsafe { sys::sw_event_list_free(self.0.as_ptr()) }
            }
        }
        let list = FreeList(list);
        // SAFETY: live list; each element is borrowed from it and copied
        // before the list is freed (when `list` drops).
        let events = unsafe {
            let len = sys::sw_event_list_size(list.0.as_ptr());
            let mut events = Vec::with_capacity(len);
            for i in 0..len {
                let ev = sys::sw_event_list_get(list.0.as_ptr(), i);
                if !ev.is_null() {
                    events.push(Event::copy_from(ev));
                }
            }
            events
        };
        drop(list);
        Ok(events)
    }

    /// The underlying C handle, still owned by this `AuditLog`.
    pub fn as_raw(&self) -> *mut sys::sw_audit_log {
        self.raw.as_ptr()
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        // SAFETY: owned handle, closed once.
        unsafe { sys::sw_audit_close(self.raw.as_ptr()) }
    }
}

impl fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditLog").finish_non_exhaustive()
    }
}
