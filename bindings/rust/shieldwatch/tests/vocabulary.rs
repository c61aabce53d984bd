//! One behaviour across C, Go and Rust: the event vocabulary comes from the
//! C header, timestamps parse, and (feature `serde`) serialization gives the
//! library's JSON object. (The dedup rounding rule is tested in options.rs.)

mod common;

use std::time::{Duration, SystemTime};

use common::StateDir;
use shieldwatch::{Action, Event, Options, SourceName, Sources, Watcher};

fn next(w: &mut Watcher) -> Event {
    w.next_event_timeout(Some(Duration::from_secs(10)))
        .expect("next_event_timeout")
        .expect("no event within the timeout")
}

fn files_only() -> Options {
    Options::new().sources(Sources::DNS | Sources::AUDIT)
}

/// `#define SW_<prefix>_NAME "value"` lines of the header, in order.
fn header_names(prefix: &str) -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../include/libshieldwatch.h"
    );
    let text = std::fs::read_to_string(path).expect("read the C header");
    let lead = format!("#define SW_{prefix}_");
    text.lines()
        .filter(|l| l.starts_with(&lead))
        .filter_map(|l| l.split('"').nth(1).map(str::to_owned))
        .collect()
}

#[test]
fn enums_list_exactly_the_header_vocabulary() {
    let sources: Vec<&str> = SourceName::known().iter().map(SourceName::as_str).collect();
    let actions: Vec<&str> = Action::known().iter().map(Action::as_str).collect();
    assert_eq!(sources, header_names("EVENT_SOURCE"));
    assert_eq!(actions, header_names("ACTION"));
    assert_eq!(sources, ["dns", "audit", "nflog", "watch"]);
    assert!(actions.contains(&"blocked_query") && actions.contains(&"nflog_unavailable"));
}

#[test]
fn events_carry_typed_names_and_a_timestamp() {
    let dir = StateDir::new();
    let mut w = Watcher::open(dir.path(), "c1", files_only()).expect("open");
    let before = SystemTime::now() - Duration::from_secs(1);
    dir.query("typed.example.com", "A");
    let ev = next(&mut w);
    assert_eq!(ev.source(), &SourceName::Dns, "{ev:?}");
    assert_eq!(ev.action(), &Action::BlockedQuery, "{ev:?}");
    let ts = ev.timestamp().expect("library ts parses");
    assert!(
        ts >= before && ts <= SystemTime::now() + Duration::from_secs(1),
        "{ev:?}"
    );

    // An audit action outside the vocabulary stays representable.
    dir.audit("c1", "custom_thing");
    let ev = next(&mut w);
    assert_eq!(ev.source(), &SourceName::Audit);
    assert_eq!(ev.action(), &Action::Other("custom_thing".into()));
    assert_eq!(ev.action().as_str(), "custom_thing");
    assert!(ev.timestamp().is_some(), "{ev:?}"); // 2026-11-22T13:30:01Z
}

#[cfg(feature = "serde")]
#[test]
fn serde_gives_the_library_json() {
    let dir = StateDir::new();
    let mut w = Watcher::open(dir.path(), "c1", files_only()).expect("open");
    dir.query("serde.example.com", "AAAA");
    dir.append(
        "audit.jsonl",
        "{\"ts\":\"2026-11-22T13:30:01Z\",\"container\":\"c1\",\"action\":\"allow\",\"dest\":\"192.0.2.1\",\"detail\":\"quote \\\" tab \\t \\u0001 é\"}\n",
    );
    for _ in 0..2 {
        let ev = next(&mut w);
        let ours: serde_json::Value = serde_json::to_value(&ev).unwrap();
        let lib: serde_json::Value = serde_json::from_str(ev.json()).unwrap();
        assert_eq!(ours, lib, "{}", ev.json());
        // Byte for byte: same keys, same order, same escapes (serde_json
        // and the library escape these characters alike).
        assert_eq!(serde_json::to_string(&ev).unwrap(), ev.json());
        assert_eq!(
            serde_json::to_string(ev.action()).unwrap(),
            format!("\"{}\"", ev.action())
        );
    }
}
