//! [`Watcher`]: one container's merged event stream.

use std::cell::Cell;
use std::ffi::CString;
use std::fmt;
use std::io;
use std::marker::PhantomData;
use std::os::unix::io::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::path::Path;
use std::ptr::{self, NonNull};
use std::time::{Duration, Instant};

use shieldwatch_sys as sys;

use crate::error::{check, check_len, from_ret_explained, nul_error};
use crate::options::path_cstring;
use crate::{Event, Options, Sources};

/// A counter reported by [`Watcher::stat`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Stat {
    /// Events queued so far.
    Events,
    /// dnsmasq log lines read.
    DnsLines,
    /// Audit lines read.
    AuditLines,
    /// Blank, invalid or non-object audit lines.
    AuditSkipped,
    /// Lines dropped for exceeding `max_line`.
    LinesTooLong,
    /// NFLOG packets turned into events.
    NflogPackets,
    /// NFLOG messages known lost.
    NflogLost,
    /// Events suppressed by the dedup window.
    Deduped,
    /// inotify overflows recovered by rescanning.
    Rescans,
}

impl Stat {
    pub(crate) fn raw(self) -> sys::sw_stat_id::Type {
        use sys::sw_stat_id as id;
        match self {
            Stat::Events => id::SW_STAT_EVENTS,
            Stat::DnsLines => id::SW_STAT_DNS_LINES,
            Stat::AuditLines => id::SW_STAT_AUDIT_LINES,
            Stat::AuditSkipped => id::SW_STAT_AUDIT_SKIPPED,
            Stat::LinesTooLong => id::SW_STAT_LINES_TOO_LONG,
            Stat::NflogPackets => id::SW_STAT_NFLOG_PACKETS,
            Stat::NflogLost => id::SW_STAT_NFLOG_LOST,
            Stat::Deduped => id::SW_STAT_DEDUPED,
            Stat::Rescans => id::SW_STAT_RESCANS,
        }
    }
}

/// Follows one container's state directory and merges the dnsmasq query
/// log, the audit log and the firewall's NFLOG group into one stream of
/// [`Event`]s.
///
/// A `Watcher` is [`Send`] but not [`Sync`]: the library allows a handle to
/// be used from any thread, one thread at a time. Dropping it closes every
/// file descriptor it opened.
///
/// Three ways to consume it:
/// * [`Watcher::events`]: a blocking iterator;
/// * an event loop: wait for [`AsFd::as_fd`] to become readable, then call
///   [`Watcher::next_event`] until it returns `Ok(None)`;
/// * with the `tokio` feature, `AsyncWatcher`, a
///   `Stream`.
///
/// Opened with [`Options::json_stream`](crate::Options::json_stream), it
/// delivers JSON lines instead: [`Watcher::read_json`] (never blocking; it
/// processes what is ready itself, so no [`Watcher::poll`] is needed),
/// [`Watcher::read_json_timeout`], or [`Watcher::json_reader`] (blocking
/// [`io::Read`]).
///
/// It can move to another thread but not be shared between threads:
///
/// ```
/// fn send<T: Send>() {}
/// send::<shieldwatch::Watcher>();
/// ```
///
/// ```compile_fail
/// fn sync<T: Sync>() {}
/// sync::<shieldwatch::Watcher>(); // Watcher is not Sync
/// ```
pub struct Watcher {
    raw: NonNull<sys::sw_watcher>,
    // Send (see below) but not Sync.
    _not_sync: PhantomData<Cell<()>>,
}

// SAFETY: the library documents that a handle may be used from any thread,
// one thread at a time, and has no global state. `&mut self` / ownership
// gives the "one at a time", and the Cell marker keeps the type !Sync so that
// even the `&self` calls (sw_fd, sw_stat, sw_source_status) never race with
// sw_poll on another thread.
unsafe impl Send for Watcher {}

impl Watcher {
    /// Starts watching `state_dir` for `container`. Only lines appended after
    /// this call are reported.
    ///
    /// Errors: `ENOENT` / `ENOTDIR` for a bad `state_dir`, the library's
    /// `SW_ETIER` (see [`is_tier_error`](crate::is_tier_error)) when
    /// `dns.tier` is missing or not `"dnsmasq"`, `EINVAL` for invalid
    /// options, or whatever stopped a required source.
    pub fn open(
        state_dir: impl AsRef<Path>,
        container: &str,
        options: Options,
    ) -> io::Result<Watcher> {
        let dir = path_cstring(state_dir.as_ref(), "state_dir")?;
        let container = CString::new(container).map_err(|_| nul_error("container"))?;
        let opts = options.to_raw()?;
        let mut out: *mut sys::sw_watcher = ptr::null_mut();
        // SAFETY: valid C strings and options; `out` receives a new handle
        // on success. The library copies what it needs from `opts`.
        let mut reason = [0 as std::os::raw::c_char; 512];
        // SAFETY: as above; `reason` is a writable buffer of the given size,
        // which the library NUL-terminates.
        let ret = unsafe {
            sys::sw_open_explain(
                dir.as_ptr(),
                container.as_ptr(),
                opts.as_ptr(),
                &mut out,
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
        let raw =
            NonNull::new(out).ok_or_else(|| io::Error::other("sw_open returned no handle"))?;
        Ok(Watcher {
            raw,
            _not_sync: PhantomData,
        })
    }

    /// Processes everything that is ready, without blocking, and returns the
    /// number of events now queued. A JSON stream needs none:
    /// [`read_json`](Self::read_json) does this itself.
    pub fn poll(&mut self) -> io::Result<usize> {
        // SAFETY: live handle, exclusive access.
        let n = check(unsafe { sys::sw_poll(self.raw.as_ptr()) })?;
        Ok(n as usize)
    }

    /// Takes the oldest queued event without processing new input.
    pub fn next_queued(&mut self) -> io::Result<Option<Event>> {
        // SAFETY: live handle, exclusive access.
        take_queued(|ev| unsafe { sys::sw_next_event(self.raw.as_ptr(), ev) })
    }

    /// The next event, never blocking: takes a queued one, or else processes
    /// whatever input is ready ([`poll`](Self::poll)) and tries again.
    /// `Ok(None)` means nothing is ready now; wait for the fd to become
    /// readable (or use [`wait`](Self::wait)) and call again.
    pub fn next_event(&mut self) -> io::Result<Option<Event>> {
        EventSource::next_event(self)
    }

    /// Waits with poll(2) until the watcher's fd is readable or `timeout`
    /// passes (`None`: no limit). Returns whether it became readable.
    /// Interrupted waits are resumed.
    pub fn wait(&self, timeout: Option<Duration>) -> io::Result<bool> {
        wait_readable(self.as_raw_fd(), timeout)
    }

    /// The next event, waiting for it up to `timeout` (`None`: no limit).
    /// `Ok(None)` when the time ran out.
    pub fn next_event_timeout(&mut self, timeout: Option<Duration>) -> io::Result<Option<Event>> {
        next_event_timeout(self, timeout)
    }

    /// A blocking iterator over events: waits with poll(2) whenever nothing
    /// is ready. It never ends; an error is yielded as `Err` and iteration
    /// may continue after it.
    pub fn events(&mut self) -> Events<'_> {
        Events { source: self }
    }

    /// Moves up to `buf.len()` bytes of the JSON-lines stream (a watcher
    /// opened with [`Options::json_stream`](crate::Options::json_stream))
    /// into `buf`, never blocking. When none are queued it first processes
    /// what is ready, as [`poll`](Self::poll) does, so a stream needs no
    /// `poll` (one would be wasted work): wait for the fd to become
    /// readable, then call `read_json` until it returns `Ok(0)` (nothing
    /// queued or ready, or `buf` is empty). A line may be split between two
    /// reads, like read(2) on a pipe; no byte is lost or repeated. Fails as
    /// `poll` does (the bytes stay queued), or with `EOPNOTSUPP` for a
    /// watcher of [`Event`]s.
    pub fn read_json(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // SAFETY: live handle, exclusive access; `buf` is writable for its
        // length.
        check_len(unsafe {
            sys::sw_read_json(self.raw.as_ptr(), buf.as_mut_ptr().cast(), buf.len())
        })
    }

    /// [`read_json`](Self::read_json), waiting up to `timeout` (`None`: no
    /// limit) for a first byte. `Ok(0)` when the time ran out or `buf` is
    /// empty.
    pub fn read_json_timeout(
        &mut self,
        buf: &mut [u8],
        timeout: Option<Duration>,
    ) -> io::Result<usize> {
        read_json_timeout(self, buf, timeout)
    }

    /// The JSON-lines stream as a blocking [`io::Read`], for example
    /// `io::copy(&mut watcher.json_reader(), &mut io::stdout())` or
    /// `BufReader::new(watcher.json_reader()).lines()`. It never reaches end
    /// of file.
    pub fn json_reader(&mut self) -> JsonReader<'_> {
        JsonReader { source: self }
    }

    /// `Ok(())` when `source` runs, otherwise the reason it does not
    /// (`ENOTCONN` when it was not requested). `source` must be exactly one
    /// of [`Sources::DNS`], [`Sources::AUDIT`], [`Sources::NFLOG`].
    pub fn source_status(&self, source: Sources) -> io::Result<()> {
        // SAFETY: live handle; the type is !Sync so no concurrent use.
        check(unsafe { sys::sw_source_status(self.raw.as_ptr(), source.bits()) }).map(|_| ())
    }

    /// A counter's current value.
    pub fn stat(&self, stat: Stat) -> u64 {
        // SAFETY: live handle.
        unsafe { sys::sw_stat(self.raw.as_ptr(), stat.raw()) }
    }

    /// The underlying C handle, still owned by this `Watcher`.
    pub fn as_raw(&self) -> *mut sys::sw_watcher {
        self.raw.as_ptr()
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        // SAFETY: owned handle, closed exactly once.
        unsafe { sys::sw_close(self.raw.as_ptr()) }
    }
}

impl AsRawFd for Watcher {
    /// The library's epoll fd. It stays owned by the watcher: never close
    /// it.
    fn as_raw_fd(&self) -> RawFd {
        // SAFETY: live handle. sw_fd only fails for a NULL handle.
        unsafe { sys::sw_fd(self.raw.as_ptr()) }
    }
}

impl AsFd for Watcher {
    /// The library's epoll fd, borrowed for the watcher's lifetime.
    fn as_fd(&self) -> BorrowedFd<'_> {
        let fd = self.as_raw_fd();
        assert!(fd >= 0, "sw_fd failed on a live handle: {fd}");
        // SAFETY: the fd is open and owned by the handle for its whole life,
        // which outlives the borrow of `self`.
        unsafe { BorrowedFd::borrow_raw(fd) }
    }
}

impl fmt::Debug for Watcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watcher")
            .field("fd", &self.as_raw_fd())
            .finish_non_exhaustive()
    }
}

/// What the blocking helpers and the tokio stream drive: a [`Watcher`] or a
/// [`Host`](crate::Host) (one pollable fd, a never-blocking next event).
pub trait EventSource: AsRawFd {
    /// Processes what is ready without blocking; the events now queued.
    fn poll(&mut self) -> io::Result<usize>;
    /// Takes the oldest queued event without processing new input.
    fn next_queued(&mut self) -> io::Result<Option<Event>>;
    /// The next event, never blocking; `Ok(None)` when nothing is ready.
    fn next_event(&mut self) -> io::Result<Option<Event>> {
        if let Some(ev) = self.next_queued()? {
            return Ok(Some(ev));
        }
        if self.poll()? == 0 {
            return Ok(None);
        }
        self.next_queued()
    }
    /// The next bytes of the JSON-lines stream, never blocking; when none
    /// are queued it first processes what is ready (as
    /// [`Watcher::read_json`]). `Ok(0)` when nothing is ready. The default
    /// fails with `EOPNOTSUPP`, as for a source of [`Event`]s, so that
    /// sources written before this method still compile.
    fn read_json(&mut self, _buf: &mut [u8]) -> io::Result<usize> {
        Err(io::Error::from_raw_os_error(libc::EOPNOTSUPP))
    }
}

impl EventSource for Watcher {
    fn poll(&mut self) -> io::Result<usize> {
        Watcher::poll(self)
    }
    fn next_queued(&mut self) -> io::Result<Option<Event>> {
        Watcher::next_queued(self)
    }
    fn read_json(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Watcher::read_json(self, buf)
    }
}

/// Takes one queued event through `next` (`sw_next_event` or
/// `sw_host_next_event` bound to a live handle), owning what it hands out.
pub(crate) fn take_queued(
    next: impl FnOnce(*mut *mut sys::sw_event) -> libc::c_int,
) -> io::Result<Option<Event>> {
    let mut ev: *mut sys::sw_event = ptr::null_mut();
    let r = check(next(&mut ev))?;
    if r == 0 || ev.is_null() {
        return Ok(None);
    }
    // SAFETY: the library handed us ownership of `ev`.
    Ok(Some(unsafe { Event::take(ev) }))
}

/// Waits with poll(2) until `fd` is readable or `timeout` passes.
pub(crate) fn wait_readable(fd: RawFd, timeout: Option<Duration>) -> io::Result<bool> {
    let deadline = timeout.map(|t| Instant::now() + t);
    loop {
        let ms: libc::c_int = match deadline {
            None => -1,
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                // Round up so a short timeout does not spin at 0 ms.
                let ms = left.as_nanos().div_ceil(1_000_000);
                libc::c_int::try_from(ms).unwrap_or(libc::c_int::MAX)
            }
        };
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let r = unsafe { libc::poll(&mut pfd, 1, ms) };
        if r < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if r > 0 {
            if pfd.revents & libc::POLLNVAL != 0 {
                return Err(io::Error::from_raw_os_error(libc::EBADF));
            }
            return Ok(true);
        }
        if ms == 0 || deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(false);
        }
    }
}

/// The next event of `source`, waiting up to `timeout` (`None`: no limit).
pub(crate) fn next_event_timeout<S: EventSource + ?Sized>(
    source: &mut S,
    timeout: Option<Duration>,
) -> io::Result<Option<Event>> {
    retry_until_ready(source, timeout, S::next_event)
}

/// The next bytes of `source`'s JSON stream, waiting up to `timeout`
/// (`None`: no limit); 0 when the time ran out.
pub(crate) fn read_json_timeout<S: EventSource + ?Sized>(
    source: &mut S,
    buf: &mut [u8],
    timeout: Option<Duration>,
) -> io::Result<usize> {
    // No byte ever fits: waiting would never end.
    if buf.is_empty() {
        return Ok(0);
    }
    let got = retry_until_ready(source, timeout, |s| {
        s.read_json(buf).map(|n| (n > 0).then_some(n))
    })?;
    Ok(got.unwrap_or(0))
}

/// Calls `attempt` (never blocking) until it gives something, waiting for
/// `source`'s fd in between, up to `timeout` (`None`: no limit).
fn retry_until_ready<S: EventSource + ?Sized, T>(
    source: &mut S,
    timeout: Option<Duration>,
    mut attempt: impl FnMut(&mut S) -> io::Result<Option<T>>,
) -> io::Result<Option<T>> {
    let deadline = timeout.map(|t| Instant::now() + t);
    loop {
        if let Some(got) = attempt(source)? {
            return Ok(Some(got));
        }
        let left = match deadline {
            None => None,
            Some(d) => {
                let now = Instant::now();
                if now >= d {
                    return Ok(None);
                }
                Some(d - now)
            }
        };
        wait_readable(source.as_raw_fd(), left)?;
    }
}

/// Blocking iterator returned by [`Watcher::events`] and
/// [`Host::events`](crate::Host::events).
#[derive(Debug)]
pub struct Events<'a, S: EventSource = Watcher> {
    pub(crate) source: &'a mut S,
}

impl<S: EventSource> Iterator for Events<'_, S> {
    type Item = io::Result<Event>;

    fn next(&mut self) -> Option<io::Result<Event>> {
        Some(next_event_timeout(self.source, None).and_then(|ev| {
            ev.ok_or_else(|| io::Error::other("wait without timeout returned no event"))
        }))
    }
}

/// Blocking [`io::Read`] over a JSON-lines stream, returned by
/// [`Watcher::json_reader`] and [`Host::json_reader`](crate::Host::json_reader).
/// A read waits for at least one byte: it never reports end of file.
#[derive(Debug)]
pub struct JsonReader<'a, S: EventSource = Watcher> {
    pub(crate) source: &'a mut S,
}

impl<S: EventSource> io::Read for JsonReader<'_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read_json_timeout(self.source, buf, None)
    }
}
