//! `SHIELDWATCH_STATIC=1` links `libshieldwatch.a` and its private
//! dependencies: bindings/rust/test.sh runs this test once built that way (the
//! library must not be loaded as a shared object) and once normally (it must
//! be), so the check can fail either way.

use std::fs;

use shieldwatch::{AuditLog, Options, Sources, Watcher};

#[test]
fn linkage_follows_shieldwatch_static() {
    let want_static = matches!(option_env!("SHIELDWATCH_STATIC"), Some("1"));
    // Exercise the library end to end (cJSON, inotify, epoll): the audit line
    // written through the library comes back as an event.
    let dir = std::env::temp_dir().join(format!("sw-rust-static-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("dns.tier"), "dnsmasq\n").unwrap();
    let mut w = Watcher::open(
        &dir,
        "c1",
        Options::new().sources(Sources::DNS | Sources::AUDIT),
    )
    .expect("open");
    let mut log = AuditLog::open(dir.join("audit.jsonl")).unwrap();
    log.write("c1", "setup", None, Some("static link test"))
        .unwrap();
    let ev = w.events().next().expect("an event").expect("no error");
    assert_eq!(ev.action(), "setup");
    drop(w);
    fs::remove_dir_all(&dir).unwrap();

    let maps = fs::read_to_string("/proc/self/maps").unwrap();
    let shared = maps.lines().any(|l| l.contains("libshieldwatch.so"));
    assert_eq!(
        shared,
        !want_static,
        "SHIELDWATCH_STATIC={:?} but libshieldwatch.so is{} mapped",
        option_env!("SHIELDWATCH_STATIC"),
        if shared { "" } else { " not" }
    );
}
