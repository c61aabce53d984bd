//! [`Options`] for [`Watcher::open`](crate::Watcher::open) and the
//! [`Sources`] mask.

use std::ffi::CString;
use std::fmt;
use std::io;
use std::ops::{BitOr, BitOrAssign};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::time::Duration;

use shieldwatch_sys as sys;

use crate::error::{check, nul_error};

/// A set of event sources (a mask of `SW_SOURCE_*`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sources(u32);

impl Sources {
    /// Blocked DNS queries from the dnsmasq log.
    pub const DNS: Sources = Sources(sys::SW_SOURCE_DNS);
    /// Records appended to `audit.jsonl`.
    pub const AUDIT: Sources = Sources(sys::SW_SOURCE_AUDIT);
    /// Packets the firewall logged to its NFLOG group.
    pub const NFLOG: Sources = Sources(sys::SW_SOURCE_NFLOG);
    /// All three (the default).
    pub const ALL: Sources = Sources(sys::SW_SOURCE_ALL);

    /// The raw `SW_SOURCE_*` mask.
    pub const fn bits(self) -> u32 {
        self.0
    }
    /// A set from a raw mask; unknown bits are kept (the library rejects
    /// them, and an empty set, with `EINVAL`).
    pub const fn from_bits(bits: u32) -> Sources {
        Sources(bits)
    }
    /// Whether every source in `other` is in `self`.
    pub const fn contains(self, other: Sources) -> bool {
        self.0 & other.0 == other.0
    }
    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl BitOr for Sources {
    type Output = Sources;
    fn bitor(self, rhs: Sources) -> Sources {
        Sources(self.0 | rhs.0)
    }
}

impl BitOrAssign for Sources {
    fn bitor_assign(&mut self, rhs: Sources) {
        self.0 |= rhs.0;
    }
}

impl Default for Sources {
    fn default() -> Self {
        Sources::ALL
    }
}

impl fmt::Debug for Sources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names = Vec::new();
        for (bit, name) in [
            (Sources::DNS, "DNS"),
            (Sources::AUDIT, "AUDIT"),
            (Sources::NFLOG, "NFLOG"),
        ] {
            if self.contains(bit) {
                names.push(name.to_string());
            }
        }
        let rest = self.0 & !sys::SW_SOURCE_ALL;
        if rest != 0 {
            names.push(format!("{rest:#x}"));
        }
        if names.is_empty() {
            f.write_str("Sources(empty)")
        } else {
            write!(f, "Sources({})", names.join(" | "))
        }
    }
}

/// Settings for [`Watcher::open`](crate::Watcher::open), a builder mirroring
/// the library's `sw_options_set_*` calls. Anything left unset keeps the
/// library's default.
///
/// ```
/// use std::time::Duration;
/// use shieldwatch::{Options, Sources};
///
/// let opts = Options::new()
///     .sources(Sources::DNS | Sources::AUDIT)
///     .dedup_window(Duration::from_millis(500))
///     .max_line(4096);
/// # let _ = opts;
/// ```
///
/// Values are checked by the library when the watcher is opened: an invalid
/// one (for example `max_line` below 256) makes `open` fail with `EINVAL`.
#[derive(Debug, Clone, Default)]
pub struct Options {
    sources: Option<Sources>,
    dedup_window_ms: Option<u32>,
    dedup_once: bool,
    nflog_group: Option<u16>,
    netns: Option<PathBuf>,
    nflog_required: Option<bool>,
    nflog_actions: Vec<(String, String)>,
    max_line: Option<u32>,
    domain_map_size: Option<u32>,
    dns_seed_bytes: Option<u64>,
    cursors: Vec<(Sources, String)>,
    json_stream: Option<bool>,
}

impl Options {
    /// The library's defaults.
    pub fn new() -> Options {
        Options::default()
    }

    /// Which sources to run (default [`Sources::ALL`]). An empty set makes
    /// `open` fail with `EINVAL`.
    pub fn sources(mut self, sources: Sources) -> Options {
        self.sources = Some(sources);
        self
    }

    /// Deduplicate by key (container, source, action, domain, query type,
    /// destination, port, protocol): the first occurrence is delivered and
    /// opens a window; repeats inside it are held back and, when it closes,
    /// the last is delivered with [`Event::suppressed`](crate::Event::suppressed) counting the others,
    /// so `1 + suppressed` summed over events equals the occurrences. Zero
    /// (the default) disables it. With [`Options::dedup_once`] this is the
    /// report period instead. The library counts whole milliseconds: `window`
    /// is rounded up (500 µs is 1 ms) and capped at `u32::MAX` ms, so only
    /// zero disables it; the Go binding applies the same rule.
    pub fn dedup_window(mut self, window: Duration) -> Options {
        self.dedup_window_ms = Some(window_ms(window));
        self
    }

    /// Deliver each key's first occurrence only (notification-style hosts);
    /// later repeats are held and reported per key at most once per period
    /// (the dedup window, 60 s when unset) with their count in
    /// [`Event::suppressed`](crate::Event::suppressed). At most 65536 keys are remembered.
    pub fn dedup_once(mut self) -> Options {
        self.dedup_once = true;
        self
    }

    /// NFLOG group to bind (default 100).
    pub fn nflog_group(mut self, group: u16) -> Options {
        self.nflog_group = Some(group);
        self
    }

    /// Open the NFLOG socket inside this network namespace, for example
    /// `/proc/PID/ns/net` or `/run/netns/NAME` (default: the caller's own).
    pub fn netns(mut self, path: impl Into<PathBuf>) -> Options {
        self.netns = Some(path.into());
        self
    }

    /// When `true`, opening fails if NFLOG cannot be set up. When `false`
    /// (the default) the other sources keep working and the stream carries
    /// one `"nflog_unavailable"` event.
    pub fn nflog_required(mut self, required: bool) -> Options {
        self.nflog_required = Some(required);
        self
    }

    /// Map an NFLOG log prefix (compared after trimming trailing spaces and
    /// colons) to an event action, adding to or replacing the built-in
    /// table. May be called several times.
    pub fn nflog_action(mut self, prefix: impl Into<String>, action: impl Into<String>) -> Options {
        self.nflog_actions.push((prefix.into(), action.into()));
        self
    }

    /// Longest log line kept, in bytes (default 65536, minimum 256). Longer
    /// lines are dropped and reported with a `"line_too_long"` event.
    pub fn max_line(mut self, bytes: u32) -> Options {
        self.max_line = Some(bytes);
        self
    }

    /// Entries kept in the IP → domain map (default 65536, LRU).
    pub fn domain_map_size(mut self, entries: u32) -> Options {
        self.domain_map_size = Some(entries);
        self
    }

    /// Bytes at the end of an existing `dnsmasq.log` read at open to name
    /// addresses resolved before it (default 8 MiB; 0: none). Only used with
    /// the NFLOG source.
    pub fn dns_seed_bytes(mut self, bytes: u64) -> Options {
        self.dns_seed_bytes = Some(bytes);
        self
    }

    /// Resume `source` ([`Sources::DNS`] or [`Sources::AUDIT`]) right after
    /// `cursor`, an [`Event::cursor`](crate::Event::cursor) saved earlier;
    /// `""` starts at the end of the file. A cursor that cannot be honoured
    /// makes the source read its current file from the start after a `"gap"`
    /// event saying why. Delivery is at-least-once after the last saved
    /// cursor (exactly-once when each event's cursor is saved as it is
    /// handled). Another source makes `open` fail with `EINVAL`.
    pub fn cursor(mut self, source: Sources, cursor: impl Into<String>) -> Options {
        self.cursors.push((source, cursor.into()));
        self
    }

    /// When `true`, the [`Watcher`](crate::Watcher) or [`Host`](crate::Host)
    /// opened with these options delivers its events as one byte stream of
    /// JSON lines (each [`Event::json`](crate::Event::json) then `'\n'`),
    /// read with [`Watcher::read_json`](crate::Watcher::read_json), instead
    /// of [`Event`](crate::Event)s: `next_event` then fails with
    /// `EOPNOTSUPP`. For hosts that only pass the lines on: it skips building
    /// an object per event, about a third of the library's work per NFLOG
    /// packet. [`Host::add`](crate::Host::add) ignores it. Default `false`.
    pub fn json_stream(mut self, enabled: bool) -> Options {
        self.json_stream = Some(enabled);
        self
    }

    /// Builds the C options object.
    pub(crate) fn to_raw(&self) -> io::Result<RawOptions> {
        // SAFETY: plain constructor; NULL means out of memory.
        let raw = NonNull::new(unsafe { sys::sw_options_new() })
            .ok_or_else(|| io::Error::from(io::ErrorKind::OutOfMemory))?;
        let opts = RawOptions(raw);
        let p = opts.0.as_ptr();
        // SAFETY (all calls below): `p` is a live sw_options we own, and the
        // strings outlive the calls (the library copies them).
        unsafe {
            if let Some(s) = self.sources {
                check(sys::sw_options_set_sources(p, s.bits()))?;
            }
            if let Some(ms) = self.dedup_window_ms {
                check(sys::sw_options_set_dedup_window_ms(p, ms))?;
            }
            if self.dedup_once {
                check(sys::sw_options_set_dedup_mode(p, sys::SW_DEDUP_ONCE as i32))?;
            }
            if let Some(g) = self.nflog_group {
                check(sys::sw_options_set_nflog_group(p, g))?;
            }
            if let Some(ns) = &self.netns {
                let ns = path_cstring(ns, "netns path")?;
                check(sys::sw_options_set_netns(p, ns.as_ptr()))?;
            }
            if let Some(r) = self.nflog_required {
                check(sys::sw_options_set_nflog_required(p, r.into()))?;
            }
            for (prefix, action) in &self.nflog_actions {
                let prefix =
                    CString::new(prefix.as_str()).map_err(|_| nul_error("nflog prefix"))?;
                let action =
                    CString::new(action.as_str()).map_err(|_| nul_error("nflog action"))?;
                check(sys::sw_options_set_nflog_action(
                    p,
                    prefix.as_ptr(),
                    action.as_ptr(),
                ))?;
            }
            if let Some(n) = self.max_line {
                check(sys::sw_options_set_max_line(p, n))?;
            }
            if let Some(n) = self.domain_map_size {
                check(sys::sw_options_set_domain_map_size(p, n))?;
            }
            if let Some(n) = self.dns_seed_bytes {
                check(sys::sw_options_set_dns_seed_bytes(p, n))?;
            }
            for (source, cursor) in &self.cursors {
                let cursor = CString::new(cursor.as_str()).map_err(|_| nul_error("cursor"))?;
                check(sys::sw_options_set_cursor(
                    p,
                    source.bits(),
                    cursor.as_ptr(),
                ))?;
            }
            if let Some(on) = self.json_stream {
                check(sys::sw_options_set_json_stream(p, on.into()))?;
            }
        }
        Ok(opts)
    }
}

/// The dedup rule shared with the Go binding: whole milliseconds, rounded
/// up, capped at `u32::MAX`.
fn window_ms(window: Duration) -> u32 {
    u32::try_from(window.as_nanos().div_ceil(1_000_000)).unwrap_or(u32::MAX)
}

/// An owned `sw_options`, freed on drop.
pub(crate) struct RawOptions(NonNull<sys::sw_options>);

impl RawOptions {
    pub(crate) fn as_ptr(&self) -> *const sys::sw_options {
        self.0.as_ptr()
    }
}

impl Drop for RawOptions {
    fn drop(&mut self) {
        // SAFETY: owned, freed once.
        unsafe { sys::sw_options_free(self.0.as_ptr()) }
    }
}

pub(crate) fn path_cstring(path: &Path, what: &str) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| nul_error(what))
}

#[cfg(test)]
mod tests {
    use super::window_ms;
    use std::time::Duration;

    /// The same table as the Go binding's TestDedupWindowRounding.
    #[test]
    fn dedup_window_rounds_up_to_milliseconds() {
        for (window, ms) in [
            (Duration::ZERO, 0),
            (Duration::from_nanos(1), 1),
            (Duration::from_micros(500), 1),
            (Duration::from_millis(1), 1),
            (Duration::from_micros(1001), 2),
            (Duration::from_millis(1500), 1500),
            (Duration::from_secs(u64::MAX / 1000), u32::MAX),
        ] {
            assert_eq!(window_ms(window), ms, "{window:?}");
        }
    }
}
