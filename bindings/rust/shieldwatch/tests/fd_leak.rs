//! Dropping a watcher or an audit log closes every fd it opened. Kept in its
//! own test binary, as a single test, so that no other test opens or closes
//! fds while /proc/self/fd is counted.

mod common;

use std::time::Duration;

use common::{open_fds, StateDir};
use shieldwatch::{AuditLog, Options, Sources, Watcher};

#[test]
fn drop_closes_every_fd() {
    let dir = StateDir::new();
    // Warm up anything lazily opened once per process.
    drop(Watcher::open(
        dir.path(),
        "c1",
        Options::new().sources(Sources::DNS | Sources::AUDIT),
    ));

    let before = open_fds();
    for round in 0..3 {
        let mut w = Watcher::open(
            dir.path(),
            "c1",
            Options::new().sources(Sources::DNS | Sources::AUDIT),
        )
        .expect("open");
        assert!(open_fds() > before, "a watcher holds fds");
        dir.query(&format!("r{round}.example.com"), "A");
        dir.audit("c1", "setup");
        let mut n = 0;
        while n < 2 {
            w.next_event_timeout(Some(Duration::from_secs(10)))
                .expect("next")
                .expect("event within timeout");
            n += 1;
        }
        drop(w);
        assert_eq!(open_fds(), before, "watcher leaked fds (round {round})");
    }

    // All sources requested: NFLOG may or may not open, either way nothing
    // may remain after drop.
    let w = Watcher::open(dir.path(), "c1", Options::new());
    drop(w);
    assert_eq!(open_fds(), before, "watcher with all sources leaked fds");

    // Failed opens leak nothing either.
    let empty = StateDir::empty();
    assert!(Watcher::open(empty.path(), "c1", Options::new()).is_err());
    assert_eq!(open_fds(), before, "failed open leaked fds");

    let mut log = AuditLog::open(dir.file("audit.jsonl")).expect("open log");
    log.write("c1", "x", None, None).expect("write");
    let tail = AuditLog::tail(dir.file("audit.jsonl"), 5).expect("tail");
    assert!(!tail.is_empty());
    drop(log);
    assert_eq!(open_fds(), before, "audit log leaked fds");

    #[cfg(feature = "tokio")]
    {
        // The runtime's own fds (epoll, eventfd) are counted before.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .expect("runtime");
        let before_async = open_fds();
        rt.block_on(async {
            let mut w = shieldwatch::AsyncWatcher::open(
                dir.path(),
                "c1",
                Options::new().sources(Sources::DNS),
            )
            .expect("open async");
            dir.query("async.example.com", "A");
            let ev = tokio::time::timeout(Duration::from_secs(10), w.recv())
                .await
                .expect("event within timeout")
                .expect("event");
            assert_eq!(ev.domain(), "async.example.com");
        });
        assert_eq!(open_fds(), before_async, "AsyncWatcher leaked fds");
        drop(rt);
        assert_eq!(open_fds(), before, "runtime leaked fds");
    }
}
