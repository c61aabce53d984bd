//! The blocking API against real files in a temporary state directory.

mod common;

use std::io;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use common::{StateDir, ALLOWED};
use shieldwatch::{error_code, is_tier_error, Event, Options, Sources, Stat, Watcher, ERR_TIER};

const TIMEOUT: Duration = Duration::from_secs(10);

fn no_nflog() -> Options {
    Options::new().sources(Sources::DNS | Sources::AUDIT)
}

/// The next event or a panic after TIMEOUT.
fn next(w: &mut Watcher) -> Event {
    w.next_event_timeout(Some(TIMEOUT))
        .expect("next_event_timeout")
        .expect("no event within the timeout")
}

fn assert_blocked_query(ev: &Event, domain: &str, qtype: &str) {
    assert_eq!(ev.source(), "dns", "{ev:?}");
    assert_eq!(ev.action(), "blocked_query", "{ev:?}");
    assert_eq!(ev.container(), "c1", "{ev:?}");
    assert_eq!(ev.domain(), domain, "{ev:?}");
    assert_eq!(ev.query_type(), qtype, "{ev:?}");
    assert!(!ev.ts().is_empty(), "{ev:?}");
    assert!(
        ev.json().starts_with("{\"ts\":\""),
        "json should start with ts: {}",
        ev.json()
    );
    assert!(ev.json().contains("\"source\":\"dns\""), "{}", ev.json());
    assert!(
        ev.json().contains(&format!("\"domain\":\"{domain}\"")),
        "{}",
        ev.json()
    );
    assert!(!ev.json().ends_with('\n'));
    assert_eq!(ev.to_string(), ev.json());
}

#[test]
fn blocking_iterator_delivers_dns_and_audit_events() {
    let dir = StateDir::new();
    let w = Watcher::open(dir.path(), "c1", no_nflog()).expect("open");

    // Watcher is Send: iterate on another thread, hand events back.
    let (tx, rx) = mpsc::channel();
    let reader = thread::spawn(move || {
        let mut w = w;
        for ev in w.events().take(3) {
            if tx.send(ev).is_err() {
                break;
            }
        }
        w
    });

    thread::sleep(Duration::from_millis(100)); // let the reader block in poll(2)
    dir.query(ALLOWED, "A"); // allowed: no event
    dir.query("evil.example.com", "A");
    dir.audit("c1", "setup");
    thread::sleep(Duration::from_millis(100));
    dir.query("tracker.example.net", "AAAA");

    let mut got = Vec::new();
    for _ in 0..3 {
        let ev = rx
            .recv_timeout(TIMEOUT)
            .expect("event within the timeout")
            .expect("event, not error");
        got.push(ev);
    }
    let w = reader.join().expect("reader thread");

    let dns: Vec<&Event> = got.iter().filter(|e| e.source() == "dns").collect();
    let audit: Vec<&Event> = got.iter().filter(|e| e.source() == "audit").collect();
    assert_eq!(dns.len(), 2, "{got:?}");
    assert_eq!(audit.len(), 1, "{got:?}");
    assert_blocked_query(dns[0], "evil.example.com", "A");
    assert_blocked_query(dns[1], "tracker.example.net", "AAAA");
    assert_eq!(audit[0].action(), "setup");
    assert_eq!(audit[0].container(), "c1");
    assert!(audit[0].json().contains("\"source\":\"audit\""));
    assert!(
        w.stat(Stat::DnsLines) >= 3,
        "dns lines: {}",
        w.stat(Stat::DnsLines)
    );
    assert!(w.stat(Stat::AuditLines) >= 1);
    assert!(w.stat(Stat::Events) >= 3);
}

#[test]
fn next_event_does_not_block_and_polls_when_queue_is_empty() {
    let dir = StateDir::new();
    let mut w = Watcher::open(dir.path(), "c1", no_nflog()).expect("open");
    assert!(w.next_event().expect("next_event").is_none());
    assert_eq!(w.poll().expect("poll"), 0);

    dir.query("a.example.org", "A");
    dir.query("b.example.org", "MX");
    assert!(
        w.wait(Some(TIMEOUT)).expect("wait"),
        "fd never became readable"
    );
    // next_event alone must run sw_poll when the queue is empty.
    let mut got = Vec::new();
    while got.len() < 2 {
        match w.next_event().expect("next_event") {
            Some(ev) => got.push(ev),
            None => assert!(w.wait(Some(TIMEOUT)).expect("wait"), "timed out: {got:?}"),
        }
    }
    assert_blocked_query(&got[0], "a.example.org", "A");
    assert_blocked_query(&got[1], "b.example.org", "MX");
    assert!(w.next_event().expect("next_event").is_none());
    assert!(!w.wait(Some(Duration::from_millis(50))).expect("wait"));
}

#[test]
fn lines_before_open_are_not_reported() {
    let dir = StateDir::new();
    dir.query("before.example.com", "A");
    dir.audit("c1", "before");
    let mut w = Watcher::open(dir.path(), "c1", no_nflog()).expect("open");
    dir.query("after.example.com", "A");
    let ev = next(&mut w);
    assert_blocked_query(&ev, "after.example.com", "A");
}

#[test]
fn events_outlive_the_watcher() {
    let dir = StateDir::new();
    let mut w = Watcher::open(dir.path(), "c1", no_nflog()).expect("open");
    dir.query("outlive.example.com", "TXT");
    let ev = next(&mut w);
    drop(w);
    // Every field was copied: reading them after sw_close is fine (and
    // valgrind.sh checks there is no read of freed memory).
    assert_blocked_query(&ev, "outlive.example.com", "TXT");
    let copy = ev.clone();
    drop(ev);
    assert_eq!(copy.domain(), "outlive.example.com");
}

#[test]
fn missing_state_dir_is_enoent() {
    let dir = StateDir::new();
    let err = Watcher::open(dir.file("nope"), "c1", no_nflog()).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    // The library's reason names the directory, not just "No such file".
    assert!(err.to_string().contains("/nope"), "{err}");
    assert_eq!(error_code(&err), Some(libc::ENOENT));
    assert!(!is_tier_error(&err));
}

#[test]
fn state_dir_that_is_a_file_is_enotdir() {
    let dir = StateDir::new();
    let err = Watcher::open(dir.file("dns.tier"), "c1", no_nflog()).unwrap_err();
    assert_eq!(error_code(&err), Some(libc::ENOTDIR), "{err}");
    assert!(err.to_string().contains("dns.tier"), "{err}");
}

#[test]
fn missing_dns_tier_is_tier_error() {
    let dir = StateDir::empty();
    let err = Watcher::open(dir.path(), "c1", no_nflog()).unwrap_err();
    assert!(is_tier_error(&err), "{err:?}");
    assert_eq!(error_code(&err), Some(ERR_TIER));
    assert_eq!(ERR_TIER, libc::EMEDIUMTYPE);
    let lib = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<shieldwatch::LibError>())
        .expect("LibError inside");
    assert_eq!(lib.code(), libc::EMEDIUMTYPE);
    // The library's own reason, naming the file, not strerror(EMEDIUMTYPE).
    assert!(
        lib.message().ends_with("/dns.tier is missing"),
        "{}",
        lib.message()
    );
    assert!(err.to_string().contains(lib.message()), "{err}");
}

#[test]
fn wrong_dns_tier_is_tier_error() {
    let dir = StateDir::new();
    dir.write("dns.tier", "unbound\n");
    let err = Watcher::open(dir.path(), "c1", no_nflog()).unwrap_err();
    assert!(is_tier_error(&err), "{err:?}");
    assert!(
        err.to_string().contains("says 'unbound', not 'dnsmasq'"),
        "{err}"
    );
}

#[test]
fn required_nflog_in_missing_netns_names_the_netns() {
    let dir = StateDir::new();
    let bad = dir.file("no-such-netns");
    let opts = Options::new().nflog_required(true).netns(&bad);
    let err = Watcher::open(dir.path(), "c1", opts).unwrap_err();
    let bad = bad.to_string_lossy().into_owned();
    assert!(err.to_string().contains(&bad), "{err}");
    assert_eq!(error_code(&err), Some(libc::ENOENT), "{err}");
}

#[test]
fn invalid_options_are_einval() {
    let dir = StateDir::new();
    let err = Watcher::open(dir.path(), "c1", no_nflog().max_line(10)).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EINVAL), "{err}");
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);

    let err = Watcher::open(dir.path(), "c\0x", no_nflog()).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert_eq!(error_code(&err), None);
}

#[test]
fn source_status_reports_running_and_unrequested_sources() {
    let dir = StateDir::new();
    let w = Watcher::open(dir.path(), "c1", Options::new().sources(Sources::DNS)).expect("open");
    w.source_status(Sources::DNS).expect("dns runs");
    let err = w.source_status(Sources::AUDIT).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ENOTCONN), "{err}");
    let err = w.source_status(Sources::NFLOG).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ENOTCONN), "{err}");
    let err = w.source_status(Sources::DNS | Sources::AUDIT).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EINVAL), "{err}");
}

#[test]
fn dedup_window_suppresses_repeats() {
    let dir = StateDir::new();
    let opts = no_nflog().dedup_window(Duration::from_secs(60));
    let mut w = Watcher::open(dir.path(), "c1", opts).expect("open");
    dir.query("dup.example.com", "A");
    dir.query("dup.example.com", "A");
    dir.query("other.example.com", "A");
    assert_blocked_query(&next(&mut w), "dup.example.com", "A");
    assert_blocked_query(&next(&mut w), "other.example.com", "A");
    assert_eq!(w.stat(Stat::Deduped), 1);
}

#[test]
fn overlong_lines_become_watch_events() {
    let dir = StateDir::new();
    let mut w = Watcher::open(dir.path(), "c1", no_nflog().max_line(256)).expect("open");
    let long = format!("{}.example.com", "x".repeat(400));
    dir.query(&long, "A");
    dir.query("short.example.com", "A");
    let ev = next(&mut w);
    assert_eq!(ev.source(), "watch", "{ev:?}");
    assert_eq!(ev.action(), "line_too_long", "{ev:?}");
    assert_blocked_query(&next(&mut w), "short.example.com", "A");
    assert_eq!(w.stat(Stat::LinesTooLong), 1);
}

#[test]
fn all_option_setters_are_accepted() {
    let dir = StateDir::new();
    let opts = Options::new()
        .sources(Sources::DNS | Sources::AUDIT)
        .dedup_window(Duration::from_millis(10))
        .nflog_group(101)
        .netns("/proc/self/ns/net")
        .nflog_required(false)
        .nflog_action("MY_PREFIX: ", "my_action")
        .max_line(1024)
        .domain_map_size(16)
        .dns_seed_bytes(1 << 20);
    let mut w = Watcher::open(dir.path(), "c1", opts).expect("open");
    dir.query("opts.example.com", "A");
    assert_blocked_query(&next(&mut w), "opts.example.com", "A");
}

#[test]
fn fd_is_stable_and_borrowed() {
    use std::os::fd::{AsFd, AsRawFd};
    let dir = StateDir::new();
    let w = Watcher::open(dir.path(), "c1", no_nflog()).expect("open");
    let fd = w.as_raw_fd();
    assert!(fd >= 0);
    assert_eq!(w.as_fd().as_raw_fd(), fd);
    assert_eq!(w.as_raw_fd(), fd);
}

#[test]
fn runtime_version_has_the_header_major() {
    let v = shieldwatch::version();
    let major = format!("{}.", shieldwatch::sys::SW_VERSION_MAJOR);
    assert!(v.starts_with(&major), "{v}");
    assert_eq!(v.split('.').count(), 3, "{v}");
}

#[test]
fn resumes_right_after_a_saved_cursor() {
    let dir = StateDir::new();
    let mut w =
        Watcher::open(dir.path(), "c1", Options::new().sources(Sources::AUDIT)).expect("open");
    dir.audit("c1", "a1");
    dir.audit("c1", "a2");
    let first = next(&mut w);
    assert_eq!(next(&mut w).action(), "a2");
    drop(w);
    assert!(!first.cursor().is_empty());
    assert!(!first.json().contains("cursor"), "{}", first.json());
    dir.audit("other", "a3"); // while down; still c1's line
    let opts = Options::new()
        .sources(Sources::AUDIT)
        .cursor(Sources::AUDIT, first.cursor());
    let mut w = Watcher::open(dir.path(), "c1", opts).expect("open with cursor");
    let a2 = next(&mut w);
    assert_eq!(a2.action(), "a2");
    assert_eq!((a2.container(), a2.member()), ("c1", "c1"));
    let a3 = next(&mut w);
    assert_eq!(a3.action(), "a3");
    assert_eq!((a3.container(), a3.member()), ("other", "c1"));
    let err = Watcher::open(dir.path(), "c1", Options::new().cursor(Sources::NFLOG, "x"))
        .expect_err("a cursor for NFLOG");
    assert_eq!(err.raw_os_error(), Some(libc::EINVAL), "{err}");
}
