//! Owned copies of the library's events.

use std::ffi::CStr;
use std::fmt;
use std::os::raw::c_char;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use shieldwatch_sys as sys;

use crate::{Action, SourceName};

/// One event: a blocked DNS query, an audit record, a dropped packet, or a
/// notice from the watcher itself.
///
/// An `Event` is a plain owned value: every field, and the library's JSON
/// rendering, is copied out of the C event before that is freed, so an
/// `Event` never points into library memory.
///
/// With the `serde` feature it implements `serde::Serialize` as the library's
/// JSON object: the same keys, in the same order, with the same omissions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Event {
    ts: String,
    source: SourceName,
    action: Action,
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
    cursor: String,
    member: String,
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
            source: SourceName::from(copy_str(sys::sw_event_source(ev))),
            action: Action::from(copy_str(sys::sw_event_action(ev))),
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
            cursor: copy_str(sys::sw_event_cursor(ev)),
            member: copy_str(sys::sw_event_member(ev)),
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
    /// [`ts`](Self::ts) parsed: RFC 3339 with the offset written `Z` or
    /// `+00:00` (or any other `±hh:mm`). `None` when it does not parse (an
    /// audit line may carry any `ts`).
    pub fn timestamp(&self) -> Option<SystemTime> {
        parse_rfc3339(&self.ts)
    }
    /// Where it came from: [`SourceName::Dns`], `Audit`, `Nflog` or `Watch`
    /// (the watcher's own notices, such as [`Action::NflogUnavailable`] or
    /// [`Action::LineTooLong`]). Compares equal to its string.
    pub fn source(&self) -> &SourceName {
        &self.source
    }
    /// What happened, for example [`Action::BlockedQuery`] or
    /// [`Action::Setup`]; an audit action the header does not name is
    /// [`Action::Other`]. Compares equal to its string.
    pub fn action(&self) -> &Action {
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

    /// Where to resume after this event (`dns` and `audit` events; `""`
    /// otherwise): store it and pass it back with
    /// [`Options::cursor`](crate::Options::cursor). Not part of the JSON.
    pub fn cursor(&self) -> &str {
        &self.cursor
    }

    /// The name the container was opened or added under: the container,
    /// except for an audit line naming another one. Store the cursor under
    /// it ([`Host::add`](crate::Host::add) takes it back). Not part of the JSON.
    pub fn member(&self) -> &str {
        &self.member
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

/// Parses `YYYY-MM-DDTHH:MM:SS[.frac](Z|±hh:mm)`.
fn parse_rfc3339(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u64> {
        let part = b.get(r)?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, min, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || min > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    let mut nanos: u64 = 0;
    if b[i] == b'.' {
        let start = i + 1;
        i = start;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
        for (k, d) in b[start..i].iter().take(9).enumerate() {
            nanos += u64::from(d - b'0') * 10u64.pow(8 - k as u32);
        }
    }
    let offset: i64 = match b.get(i..)? {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let digits = [h1, h2, m1, m2];
            if !digits.iter().all(|d| d.is_ascii_digit()) {
                return None;
            }
            let h = i64::from((h1 - b'0') * 10 + (h2 - b'0'));
            let m = i64::from((m1 - b'0') * 10 + (m2 - b'0'));
            if h > 23 || m > 59 {
                return None;
            }
            let off = h * 3600 + m * 60;
            if *sign == b'-' {
                -off
            } else {
                off
            }
        }
        _ => return None,
    };
    // Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
    // days_from_civil).
    let (y, m, d) = (
        year as i64 - i64::from(month <= 2),
        month as i64,
        day as i64,
    );
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + (hour * 3600 + min * 60 + sec) as i64 - offset;
    let secs = u64::try_from(secs).ok()?;
    UNIX_EPOCH.checked_add(Duration::new(secs, nanos as u32))
}

#[cfg(feature = "serde")]
impl serde::Serialize for Event {
    /// The library's object: `ts`, `source`, `action`, `container`, then the
    /// non-empty ones of `domain`, `query_type`, `dest`, `detail`, `port`,
    /// `proto`, `uid`, `gid`, `icmp_type`, `suppressed`.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("ts", &self.ts)?;
        m.serialize_entry("source", &self.source)?;
        m.serialize_entry("action", &self.action)?;
        m.serialize_entry("container", &self.container)?;
        for (key, value) in [
            ("domain", &self.domain),
            ("query_type", &self.query_type),
            ("dest", &self.dest),
            ("detail", &self.detail),
        ] {
            if !value.is_empty() {
                m.serialize_entry(key, value)?;
            }
        }
        if self.port != 0 {
            m.serialize_entry("port", &self.port)?;
        }
        if self.proto != 0 {
            m.serialize_entry("proto", &self.proto)?;
        }
        if let Some(v) = self.uid {
            m.serialize_entry("uid", &v)?;
        }
        if let Some(v) = self.gid {
            m.serialize_entry("gid", &v)?;
        }
        if let Some(v) = self.icmp_type {
            m.serialize_entry("icmp_type", &v)?;
        }
        if self.suppressed != 0 {
            m.serialize_entry("suppressed", &self.suppressed)?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::parse_rfc3339;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn rfc3339_z_and_offset_forms() {
        // 2026-11-22T13:30:01.123456Z
        let want = UNIX_EPOCH + Duration::new(1_795_354_201, 123_456_000);
        for ts in [
            "2026-11-22T13:30:01.123456Z",
            "2026-11-22T13:30:01.123456+00:00",
            "2026-11-22T15:30:01.123456+02:00",
            "2026-11-22T12:00:01.123456-01:30",
        ] {
            assert_eq!(parse_rfc3339(ts), Some(want), "{ts}");
        }
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(UNIX_EPOCH));
        assert_eq!(
            parse_rfc3339("2000-03-01T00:00:00Z"),
            Some(UNIX_EPOCH + Duration::from_secs(951_868_800))
        );
        for bad in [
            "",
            "yesterday",
            "2026-11-22T13:30:01",
            "2026-11-22T13:30:01.Z",
            "2026-13-22T13:30:01Z",
            "2026-11-22T13:30:01+0000",
            "2026-11-22T13:30:01Zjunk",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }
}
