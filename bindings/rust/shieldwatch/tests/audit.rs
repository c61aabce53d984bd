//! The audit writer, its tail reader, and a watcher following its output.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use common::StateDir;
use shieldwatch::{AuditLog, Options, Sources, Watcher};

#[test]
fn write_then_tail_round_trips() {
    let dir = StateDir::empty();
    let path = dir.file("audit.jsonl");
    let mut log = AuditLog::open(&path).expect("open");
    log.write("c1", "setup", None, None).expect("write");
    log.write(
        "c1",
        "allow_domain",
        Some("93.184.216.34"),
        Some("example.com"),
    )
    .expect("write");
    log.write("c2", "teardown", Some(""), Some(""))
        .expect("write");

    let mode = std::fs::metadata(&path).expect("stat").permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");

    let all = AuditLog::tail(&path, 10).expect("tail");
    assert_eq!(all.len(), 3, "{all:?}");
    assert!(all.iter().all(|e| e.source() == "audit"), "{all:?}");
    assert_eq!(all[0].container(), "c1");
    assert_eq!(all[0].action(), "setup");
    assert_eq!(all[0].dest(), "");
    assert_eq!(all[0].detail(), "");
    assert_eq!(all[1].action(), "allow_domain");
    assert_eq!(all[1].dest(), "93.184.216.34");
    assert_eq!(all[1].detail(), "example.com");
    assert_eq!(all[2].container(), "c2");
    assert_eq!(all[2].action(), "teardown");
    for ev in &all {
        assert!(!ev.ts().is_empty());
        assert!(ev.json().contains("\"source\":\"audit\""), "{}", ev.json());
    }

    // Oldest first, last n.
    let last = AuditLog::tail(&path, 2).expect("tail");
    assert_eq!(last.len(), 2);
    assert_eq!(last[0].action(), "allow_domain");
    assert_eq!(last[1].action(), "teardown");
    assert!(AuditLog::tail(&path, 0).expect("tail 0").is_empty());

    // The file holds one JSON object per line.
    let text = std::fs::read_to_string(&path).expect("read");
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(text.ends_with('\n'));
}

#[test]
fn disabled_log_writes_nothing() {
    let dir = StateDir::empty();
    let path = dir.file("audit.jsonl");
    let mut log = AuditLog::open(&path).expect("open");
    log.set_enabled(false).expect("disable");
    log.write("c1", "hidden", None, None)
        .expect("write while disabled");
    assert!(AuditLog::tail(&path, 10).expect("tail").is_empty());
    log.set_enabled(true).expect("enable");
    log.write("c1", "shown", None, None).expect("write");
    let all = AuditLog::tail(&path, 10).expect("tail");
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].action(), "shown");
}

#[test]
fn open_appends_and_never_truncates() {
    let dir = StateDir::empty();
    let path = dir.file("audit.jsonl");
    AuditLog::open(&path)
        .expect("open")
        .write("c1", "first", None, None)
        .expect("write");
    AuditLog::open(&path)
        .expect("reopen")
        .write("c1", "second", None, None)
        .expect("write");
    let all = AuditLog::tail(&path, 10).expect("tail");
    let actions: Vec<&str> = all.iter().map(|e| e.action().as_str()).collect();
    assert_eq!(actions, ["first", "second"]);
}

#[test]
fn tail_of_missing_file_is_empty() {
    let dir = StateDir::empty();
    assert!(AuditLog::tail(dir.file("absent.jsonl"), 5)
        .expect("tail")
        .is_empty());
}

#[test]
fn invalid_arguments_are_einval() {
    let dir = StateDir::empty();
    let mut log = AuditLog::open(dir.file("audit.jsonl")).expect("open");
    let err = log.write("", "setup", None, None).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EINVAL), "{err}");
    let err = log.write("c1", "", None, None).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EINVAL), "{err}");
    let err = log.write("c1", "a\0b", None, None).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    let err = AuditLog::open(dir.file("no/such/dir/audit.jsonl")).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ENOENT), "{err}");
}

#[test]
fn watcher_sees_what_the_writer_appends() {
    let dir = StateDir::new();
    let mut w = Watcher::open(dir.path(), "c1", Options::new().sources(Sources::AUDIT))
        .expect("open watcher");
    let mut log = AuditLog::open(dir.file("audit.jsonl")).expect("open log");
    log.write(
        "c1",
        "allow_domain",
        Some("198.51.100.7"),
        Some("example.org"),
    )
    .expect("write");
    let ev = w
        .next_event_timeout(Some(Duration::from_secs(10)))
        .expect("next")
        .expect("event within timeout");
    assert_eq!(ev.source(), "audit");
    assert_eq!(ev.action(), "allow_domain");
    assert_eq!(ev.container(), "c1");
    assert_eq!(ev.dest(), "198.51.100.7");
    assert_eq!(ev.detail(), "example.org");
}
