//! [`Host`]: many containers' events through one handle (`sw_host`).

use std::cell::Cell;
use std::ffi::CString;
use std::fmt;
use std::io;
use std::marker::PhantomData;
use std::os::unix::io::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::path::Path;
use std::ptr::{self, NonNull};
use std::time::Duration;

use shieldwatch_sys as sys;

use crate::error::{check, check_len, from_ret_explained, nul_error};
use crate::options::path_cstring;
use crate::watcher::{next_event_timeout, read_json_timeout, take_queued, wait_readable};
use crate::{Event, EventSource, Events, JsonReader, Options, Stat};

/// Follows many containers with one epoll fd and one inotify instance (so
/// Linux's default `fs.inotify.max_user_instances` of 128 is no limit).
/// Every [`Event`] names its container; membership and health changes are
/// `watch` events (`container_added`, `container_removed`,
/// `nflog_unavailable`, `nflog_recovered`, ...).
///
/// Consumed like a [`Watcher`](crate::Watcher): [`Host::events`] (blocking
/// iterator), [`Host::next_event`] in an event loop on [`AsFd::as_fd`], or
/// with the `tokio` feature `AsyncHost`, a `Stream`. `Send`, not `Sync`.
/// A host whose defaults set
/// [`Options::json_stream`](crate::Options::json_stream) delivers JSON lines
/// instead: [`Host::read_json`] (which also processes what is ready) and its
/// neighbours.
pub struct Host {
    raw: NonNull<sys::sw_host>,
    _not_sync: PhantomData<Cell<()>>,
}

// SAFETY: as for Watcher: one thread at a time, no global state.
unsafe impl Send for Host {}

impl Host {
    /// A host with no members. `defaults` sets the dedup window of the whole
    /// stream and the options of containers [`follow`](Self::follow)
    /// attaches.
    pub fn new(defaults: Options) -> io::Result<Host> {
        let opts = defaults.to_raw()?;
        let mut out: *mut sys::sw_host = ptr::null_mut();
        // SAFETY: valid options; `out` receives a new handle on success.
        check(unsafe { sys::sw_host_new(opts.as_ptr(), &mut out) })?;
        let raw =
            NonNull::new(out).ok_or_else(|| io::Error::other("sw_host_new returned no handle"))?;
        Ok(Host {
            raw,
            _not_sync: PhantomData,
        })
    }

    /// Follows `state_dir` as `container` (unique in the host), in O(1),
    /// with `options` (`None`: the host's defaults). Errors as
    /// [`Watcher::open`](crate::Watcher::open), plus `EEXIST` for a name
    /// already followed and `EBUSY` when another member reads the same
    /// NFLOG group in the same namespace and NFLOG is required.
    pub fn add(
        &mut self,
        state_dir: impl AsRef<Path>,
        container: &str,
        options: Option<Options>,
    ) -> io::Result<()> {
        let dir = path_cstring(state_dir.as_ref(), "state_dir")?;
        let name = CString::new(container).map_err(|_| nul_error("container"))?;
        let opts = options.map(|o| o.to_raw()).transpose()?;
        let mut reason = [0 as std::os::raw::c_char; 512];
        // SAFETY: live handle, valid C strings, options or NULL, a writable
        // buffer the library NUL-terminates.
        let ret = unsafe {
            sys::sw_host_add_explain(
                self.raw.as_ptr(),
                dir.as_ptr(),
                name.as_ptr(),
                opts.as_ref().map_or(ptr::null(), |o| o.as_ptr()),
                reason.as_mut_ptr(),
                reason.len(),
            )
        };
        if ret < 0 {
            // SAFETY: NUL-terminated by the library (or still all zeros).
            let text = unsafe { std::ffi::CStr::from_ptr(reason.as_ptr()) };
            return Err(from_ret_explained(
                ret,
                Some(text.to_string_lossy().into_owned()),
            ));
        }
        Ok(())
    }

    /// Stops following `container`, in O(1): events already queued for it
    /// are still delivered, then `container_removed`, then nothing more.
    /// `ENOENT` when it is not a member.
    pub fn remove(&mut self, container: &str) -> io::Result<()> {
        let name = CString::new(container).map_err(|_| nul_error("container"))?;
        // SAFETY: live handle, valid C string.
        check(unsafe { sys::sw_host_remove(self.raw.as_ptr(), name.as_ptr()) }).map(|_| ())
    }

    /// Attaches every directory of `root/containers` whose `dns.tier` says
    /// `dnsmasq`, now and as they appear, and detaches them when they go.
    pub fn follow(&mut self, root: impl AsRef<Path>) -> io::Result<()> {
        let root = path_cstring(root.as_ref(), "root")?;
        // SAFETY: live handle, valid C string.
        check(unsafe { sys::sw_host_follow(self.raw.as_ptr(), root.as_ptr()) }).map(|_| ())
    }

    /// The number of members.
    pub fn len(&self) -> usize {
        // SAFETY: live handle.
        unsafe { sys::sw_host_size(self.raw.as_ptr()) }
    }

    /// Whether the host has no members.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Processes everything ready without blocking; the events now queued.
    /// A JSON stream needs none: [`read_json`](Self::read_json) does this
    /// itself.
    pub fn poll(&mut self) -> io::Result<usize> {
        // SAFETY: live handle, exclusive access.
        Ok(check(unsafe { sys::sw_host_poll(self.raw.as_ptr()) })? as usize)
    }

    /// Takes the oldest queued event without processing new input.
    pub fn next_queued(&mut self) -> io::Result<Option<Event>> {
        // SAFETY: live handle, exclusive access.
        take_queued(|ev| unsafe { sys::sw_host_next_event(self.raw.as_ptr(), ev) })
    }

    /// The next event, never blocking (as
    /// [`Watcher::next_event`](crate::Watcher::next_event)).
    pub fn next_event(&mut self) -> io::Result<Option<Event>> {
        EventSource::next_event(self)
    }

    /// Waits until the fd is readable or `timeout` passes.
    pub fn wait(&self, timeout: Option<Duration>) -> io::Result<bool> {
        wait_readable(self.as_raw_fd(), timeout)
    }

    /// The next event, waiting up to `timeout` (`None`: no limit).
    pub fn next_event_timeout(&mut self, timeout: Option<Duration>) -> io::Result<Option<Event>> {
        next_event_timeout(self, timeout)
    }

    /// A blocking iterator over the events of every member; never ends.
    pub fn events(&mut self) -> Events<'_, Host> {
        Events { source: self }
    }

    /// The next bytes of the JSON-lines stream, never blocking; when none
    /// are queued it first processes what is ready, so no
    /// [`poll`](Self::poll) is needed (as
    /// [`Watcher::read_json`](crate::Watcher::read_json)). `Ok(0)` when
    /// nothing is ready. `EOPNOTSUPP` unless the host's defaults set
    /// [`Options::json_stream`](crate::Options::json_stream).
    pub fn read_json(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // SAFETY: live handle, exclusive access; `buf` is writable for its
        // length.
        check_len(unsafe {
            sys::sw_host_read_json(self.raw.as_ptr(), buf.as_mut_ptr().cast(), buf.len())
        })
    }

    /// [`read_json`](Self::read_json), waiting up to `timeout` (`None`: no
    /// limit); `Ok(0)` when the time ran out or `buf` is empty.
    pub fn read_json_timeout(
        &mut self,
        buf: &mut [u8],
        timeout: Option<Duration>,
    ) -> io::Result<usize> {
        read_json_timeout(self, buf, timeout)
    }

    /// The JSON-lines stream of every member as a blocking [`io::Read`]
    /// that never reaches end of file.
    pub fn json_reader(&mut self) -> JsonReader<'_, Host> {
        JsonReader { source: self }
    }

    /// A counter, summed over every member the host has had.
    pub fn stat(&self, stat: Stat) -> u64 {
        // SAFETY: live handle.
        unsafe { sys::sw_host_stat(self.raw.as_ptr(), stat.raw()) }
    }
}

impl EventSource for Host {
    fn poll(&mut self) -> io::Result<usize> {
        Host::poll(self)
    }
    fn next_queued(&mut self) -> io::Result<Option<Event>> {
        Host::next_queued(self)
    }
    fn read_json(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Host::read_json(self, buf)
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        // SAFETY: owned handle, closed exactly once.
        unsafe { sys::sw_host_close(self.raw.as_ptr()) }
    }
}

impl AsRawFd for Host {
    /// The library's epoll fd, owned by the host: never close it.
    fn as_raw_fd(&self) -> RawFd {
        // SAFETY: live handle.
        unsafe { sys::sw_host_fd(self.raw.as_ptr()) }
    }
}

impl AsFd for Host {
    fn as_fd(&self) -> BorrowedFd<'_> {
        let fd = self.as_raw_fd();
        assert!(fd >= 0, "sw_host_fd failed on a live handle: {fd}");
        // SAFETY: open and owned by the handle for its whole life.
        unsafe { BorrowedFd::borrow_raw(fd) }
    }
}

impl fmt::Debug for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Host")
            .field("fd", &self.as_raw_fd())
            .field("members", &self.len())
            .finish_non_exhaustive()
    }
}
