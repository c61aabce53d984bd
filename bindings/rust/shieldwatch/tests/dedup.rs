//! Counted dedup through the safe crate: `1 + suppressed` summed over the
//! events equals the occurrences, in window and once mode.

mod common;

use std::time::Duration;

use common::StateDir;
use shieldwatch::{Options, Sources, Watcher};

fn count(opts: Options, n: u64) -> Vec<shieldwatch::Event> {
    let dir = StateDir::new();
    let mut w = Watcher::open(dir.path(), "c1", opts.sources(Sources::DNS)).expect("open");
    for _ in 0..n {
        dir.query("dup.example.com", "A");
    }
    let mut events = Vec::new();
    let mut total = 0;
    while total < n {
        let ev = w
            .next_event_timeout(Some(Duration::from_secs(10)))
            .expect("next_event_timeout")
            .expect("no event within the timeout");
        total += 1 + ev.suppressed();
        events.push(ev);
    }
    assert_eq!(total, n);
    // Nothing more: every occurrence is accounted for exactly once.
    let extra = w
        .next_event_timeout(Some(Duration::from_millis(300)))
        .expect("next");
    assert!(extra.is_none(), "{extra:?}");
    events
}

#[test]
fn window_mode_counts_every_repeat() {
    let events = count(Options::new().dedup_window(Duration::from_millis(150)), 20);
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0].suppressed(), 0);
    assert_eq!(events[1].suppressed(), 18);
    assert!(
        events[1].json().ends_with(",\"suppressed\":18}"),
        "{}",
        events[1].json()
    );
}

#[test]
fn once_mode_counts_every_repeat() {
    let opts = Options::new()
        .dedup_window(Duration::from_millis(150))
        .dedup_once();
    let events = count(opts, 5);
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[1].suppressed(), 3);
}
