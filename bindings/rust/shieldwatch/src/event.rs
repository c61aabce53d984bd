//! Owned copies of the library's events.

use std::ffi::CStr;
use std::fmt;
use std::os::raw::c_char;

use shieldwatch_sys as sys;

/// One event: a blocked DNS query, an audit record, a dropped packet, or a
/// notice from the watcher itself.
///
/// An `Event` is a plain owned value: every field, and the library's JSON
/// rendering, is copied out of the C event before that is freed, so an
/// `Event` never points into library memory.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Event {
    ts: String,
    source: String,
    action: String,
    container: String,
    domain: String,
    query_type: String,
    dest: String,
    detail: String,
    port: u16,
    proto: u8,
    uid: Option<u32>,
    gid: Option<u32>,
    icmp_type: Option<u8>,
    suppressed: u64,
    json: String,
}

/// Copies a borrowed C string; "" for NULL (the contract says never NULL).
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string.
unsafe fn copy_str(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // The library promises valid UTF-8; a lossy copy keeps us safe anyway.
    CStr::from_ptr(p).to_string_lossy().into_owned()
}

impl Event {
    /// Copies everything out of a library event. The caller still owns `ev`
    /// and frees it afterwards.
    ///
    /// # Safety
    /// `ev` points to a live `sw_event`.
    pub(crate) unsafe fn copy_from(ev: *const sys::sw_event) -> Event {
        let mut len: usize = 0;
        let jp = sys::sw_event_json(ev, &mut len);
        let json = if jp.is_null() {
            String::new()
        } else {
            let bytes = std::slice::from_raw_parts(jp.cast::<u8>(), len);
            String::from_utf8_lossy(bytes).into_owned()
        };
        Event {
            ts: copy_str(sys::sw_event_ts(ev)),
            source: copy_str(sys::sw_event_source(ev)),
            action: copy_str(sys::sw_event_action(ev)),
            container: copy_str(sys::sw_event_container(ev)),
            domain: copy_str(sys::sw_event_domain(ev)),
            query_type: copy_str(sys::sw_event_query_type(ev)),
            dest: copy_str(sys::sw_event_dest(ev)),
            detail: copy_str(sys::sw_event_detail(ev)),
            port: u16::try_from(sys::sw_event_port(ev)).unwrap_or(0),
            proto: u8::try_from(sys::sw_event_proto(ev)).unwrap_or(0),
            uid: u32::try_from(sys::sw_event_uid(ev)).ok(),
            gid: u32::try_from(sys::sw_event_gid(ev)).ok(),
            icmp_type: u8::try_from(sys::sw_event_icmp_type(ev)).ok(),
            suppressed: sys::sw_event_suppressed(ev),
            json,
        }
    }

    /// Takes ownership of a library event: copies it, then frees it.
    ///
    /// # Safety
    /// `ev` is a live event the caller owns; it is freed here.
    pub(crate) unsafe fn take(ev: *mut sys::sw_event) -> Event {
        struct Free(*mut sys::sw_event);
        impl Drop for Free {
            fn drop(&mut self) {
                // SAFETY: we own the event and free it exactly once.
                unsafe { sys::sw_event_free(self.0) }
            }
        }
        let guard = Free(ev);
        Event::copy_from(guard.0)
    }

    /// When it happened: RFC 3339, UTC, with microseconds.
    pub fn ts(&self) -> &str {
        &self.ts
    }
    /// Where it came from: `"dns"`, `"audit"`, `"nflog"` or `"watch"` (the
    /// watcher's own notices, such as `"nflog_unavailable"` or
    /// `"line_too_long"`).
    pub fn source(&self) -> &str {
        &self.source
    }
    /// What happened, for example `"blocked_query"` or `"setup"`.
    pub fn action(&self) -> &str {
        &self.action
    }
    /// The container the event belongs to.
    pub fn container(&self) -> &str {
        &self.container
    }
    /// Domain name, `""` when none.
    pub fn domain(&self) -> &str {
        &self.domain
    }
    /// DNS query type such as `"A"` or `"AAAA"`, `""` when none.
    pub fn query_type(&self) -> &str {
        &self.query_type
    }
    /// Destination address, `""` when none.
    pub fn dest(&self) -> &str {
        &self.dest
    }
    /// Free-form detail, `""` when none.
    pub fn detail(&self) -> &str {
        &self.detail
    }
    /// Destination port; 0 when absent.
    pub fn port(&self) -> u16 {
        self.port
    }
    /// IP protocol number (6 TCP, 17 UDP, ...); 0 when absent.
    pub fn proto(&self) -> u8 {
        self.proto
    }
    /// Sending user id, when known.
    pub fn uid(&self) -> Option<u32> {
        self.uid
    }
    /// Sending group id, when known.
    pub fn gid(&self) -> Option<u32> {
        self.gid
    }
    /// ICMP type, for ICMP packets.
    pub fn icmp_type(&self) -> Option<u8> {
        self.icmp_type
    }
    /// Dedup: how many more occurrences of its key this event stands for
    /// besides itself (repeats held back and not delivered); 0 otherwise.
    /// Summed over events, `1 + suppressed` equals the occurrences.
    pub fn suppressed(&self) -> u64 {
        self.suppressed
    }
    /// The library's own rendering of the event: one JSON object, no
    /// trailing newline (keys `ts`, `source`, `action`, `container`, then the
    /// non-empty ones of `domain`, `query_type`, `dest`, `detail`, `port`,
    /// `proto`, `uid`, `gid`, `icmp_type`, `suppressed`).
    pub fn json(&self) -> &str {
        &self.json
    }
}

/// Displays the event as its JSON line (without newline).
impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.json)
    }
}
