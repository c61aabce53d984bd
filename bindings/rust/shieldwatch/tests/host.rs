//! Host: many containers through one handle, blocking and (with the tokio
//! feature) as a Stream.

mod common;

use std::time::Duration;

use common::StateDir;
use shieldwatch::{Event, Host, Options, Sources};

const TIMEOUT: Duration = Duration::from_secs(10);

fn dns_and_audit() -> Options {
    Options::new().sources(Sources::DNS | Sources::AUDIT)
}

/// The next event whose action is `action`.
fn next_action(h: &mut Host, action: &str) -> Event {
    loop {
        let ev = h
            .next_event_timeout(Some(TIMEOUT))
            .expect("next_event_timeout")
            .unwrap_or_else(|| panic!("no {action} within {TIMEOUT:?}"));
        if ev.action() == action {
            return ev;
        }
    }
}

#[test]
fn members_errors_and_removal() {
    let mut h = Host::new(dns_and_audit()).expect("new");
    let (a, b) = (StateDir::new(), StateDir::new());
    h.add(a.path(), "alpha", None).expect("add alpha");
    h.add(b.path(), "beta", Some(dns_and_audit()))
        .expect("add beta");
    let dup = h.add(b.path(), "beta", None).expect_err("duplicate");
    assert_eq!(shieldwatch::error_code(&dup), Some(libc::EEXIST), "{dup}");
    assert_eq!(h.len(), 2);

    b.query("evil.example.com", "A");
    let ev = next_action(&mut h, "blocked_query");
    assert_eq!((ev.container(), ev.domain()), ("beta", "evil.example.com"));

    h.remove("beta").expect("remove");
    assert_eq!(next_action(&mut h, "container_removed").container(), "beta");
    let gone = h.remove("beta").expect_err("remove again");
    assert_eq!(shieldwatch::error_code(&gone), Some(libc::ENOENT));
    b.query("after.removal.example", "A");
    a.query("from.alpha.example", "A");
    let ev = next_action(&mut h, "blocked_query");
    assert_eq!(
        (ev.container(), ev.domain()),
        ("alpha", "from.alpha.example")
    );

    let tierless = StateDir::empty();
    let err = h.add(tierless.path(), "x", None).expect_err("no tier");
    assert!(shieldwatch::is_tier_error(&err), "{err}");
}

#[test]
fn follow_and_blocking_iterator() {
    let root = StateDir::empty();
    std::fs::create_dir(root.file("containers")).expect("mkdir");
    let mut h = Host::new(dns_and_audit()).expect("new");
    h.follow(root.path()).expect("follow");
    let dir = root.file("containers").join("late");
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::write(dir.join("dns.tier"), "dnsmasq\n").expect("tier");
    let ev = h.events().next().expect("an item").expect("an event");
    assert_eq!(
        (ev.action().as_str(), ev.container()),
        ("container_added", "late")
    );
    assert_eq!(h.len(), 1);
}

#[cfg(feature = "tokio")]
#[tokio::test]
async fn async_host_streams_every_member() {
    use shieldwatch::AsyncHost;
    let mut h = Host::new(dns_and_audit()).expect("new");
    let dirs: Vec<StateDir> = (0..200).map(|_| StateDir::new()).collect();
    for (i, d) in dirs.iter().enumerate() {
        h.add(d.path(), &format!("c{i}"), None).expect("add");
    }
    let mut s = AsyncHost::new(h).expect("register");
    dirs[199].query("last.example.com", "A");
    loop {
        let ev = tokio::time::timeout(TIMEOUT, s.recv())
            .await
            .expect("within the timeout")
            .expect("event");
        if ev.action() == "blocked_query" {
            assert_eq!((ev.container(), ev.domain()), ("c199", "last.example.com"));
            break;
        }
    }
}
