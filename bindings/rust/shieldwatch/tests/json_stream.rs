//! Options::json_stream: events as one byte stream of JSON lines, read with
//! read_json on a Watcher or a Host.

mod common;

use std::io::{self, BufRead, BufReader};
use std::os::unix::io::{AsRawFd, RawFd};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use common::StateDir;
use shieldwatch::{Event, EventSource, Host, Options, Sources, Watcher};

const TIMEOUT: Duration = Duration::from_secs(10);
const LINES: usize = 20;

fn audit_only() -> Options {
    Options::new().sources(Sources::AUDIT)
}

/// Audit lines carrying their own ts, so both forms render the same JSON.
fn audit_lines(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "{{\"ts\":\"2026-12-07T10:00:00Z\",\"container\":\"c1\",\"action\":\"deny\",\
                 \"dest\":\"10.0.0.{i}\",\"detail\":\"tab\\there \\\"q\\\" n{i}\"}}\n"
            )
        })
        .collect()
}

#[test]
fn stream_equals_event_json_in_split_reads() {
    let dir = StateDir::new();
    let mut stream =
        Watcher::open(dir.path(), "c1", audit_only().json_stream(true)).expect("open stream");
    let mut events = Watcher::open(dir.path(), "c1", audit_only()).expect("open events");
    dir.append("audit.jsonl", &audit_lines(LINES));

    let mut want = String::new();
    for _ in 0..LINES {
        let ev = events
            .next_event_timeout(Some(TIMEOUT))
            .expect("next_event_timeout")
            .expect("an event within the timeout");
        want.push_str(ev.json());
        want.push('\n');
    }

    // 7 bytes at a time: lines are split between reads.
    let mut got = Vec::new();
    let mut buf = [0u8; 7];
    let mut split = false;
    while got.len() < want.len() {
        let n = stream
            .read_json_timeout(&mut buf, Some(TIMEOUT))
            .expect("read_json_timeout");
        assert!(n > 0, "stream stalled after {} bytes", got.len());
        split |= n == buf.len() && buf[n - 1] != b'\n';
        got.extend_from_slice(&buf[..n]);
    }
    assert!(split, "no read ended inside a line");
    let got = String::from_utf8(got).expect("UTF-8");
    for (g, w) in got.lines().zip(want.lines()) {
        assert_eq!(g, w);
    }
    assert_eq!(got, want);

    // Everything was read: nothing more, and the fd is quiet.
    assert_eq!(stream.read_json(&mut buf).expect("read_json"), 0);
    assert!(!stream.wait(Some(Duration::from_millis(50))).expect("wait"));
    // An empty buf can never get a byte, so it must not wait for one.
    let start = Instant::now();
    let n = stream
        .read_json_timeout(&mut [], Some(TIMEOUT))
        .expect("empty buf");
    assert_eq!(n, 0);
    assert!(start.elapsed() < TIMEOUT, "waited {:?}", start.elapsed());
}

/// The loop the docs give, with no poll anywhere: wait for the fd, then
/// read_json until Ok(0). A read that finds nothing queued must process
/// what is ready itself, or this returns nothing.
fn drain_without_poll<S: EventSource>(
    source: &mut S,
    wait: fn(&S, Option<Duration>) -> io::Result<bool>,
) -> String {
    assert!(
        wait(source, Some(TIMEOUT)).expect("wait"),
        "fd never readable"
    );
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = source.read_json(&mut buf).expect("read_json");
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    assert!(
        !wait(source, Some(Duration::from_millis(50))).expect("wait"),
        "fd still readable after read_json returned 0"
    );
    String::from_utf8(got).expect("UTF-8")
}

#[test]
fn read_json_alone_delivers_lines_appended_after_open() {
    let dir = StateDir::new();
    let mut stream =
        Watcher::open(dir.path(), "c1", audit_only().json_stream(true)).expect("open stream");
    assert_eq!(stream.read_json(&mut [0u8; 64]).expect("read_json"), 0);
    dir.append("audit.jsonl", &audit_lines(2));
    let got = drain_without_poll(&mut stream, Watcher::wait);
    assert_eq!(got.lines().count(), 2, "{got}");
    assert!(
        got.ends_with("\"detail\":\"tab\\there \\\"q\\\" n1\"}\n"),
        "{got}"
    );

    let mut host = Host::new(audit_only().json_stream(true)).expect("new");
    host.add(dir.path(), "c1", None).expect("add");
    dir.append("audit.jsonl", &audit_lines(1));
    let got = drain_without_poll(&mut host, Host::wait);
    let lines: Vec<&str> = got.lines().collect();
    assert_eq!(lines.len(), 2, "{got}");
    assert!(lines[0].contains("\"action\":\"container_added\""), "{got}");
    assert!(lines[1].contains("\"action\":\"deny\""), "{got}");
}

/// A source written before read_json existed: only the required methods.
struct EventsOnly(Watcher);

impl AsRawFd for EventsOnly {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

impl EventSource for EventsOnly {
    fn poll(&mut self) -> io::Result<usize> {
        self.0.poll()
    }
    fn next_queued(&mut self) -> io::Result<Option<Event>> {
        self.0.next_queued()
    }
}

#[test]
fn each_form_refuses_the_other() {
    let dir = StateDir::new();
    let mut stream =
        Watcher::open(dir.path(), "c1", audit_only().json_stream(true)).expect("open stream");
    let mut events = Watcher::open(dir.path(), "c1", audit_only()).expect("open events");
    dir.append("audit.jsonl", &audit_lines(1));
    assert!(stream.wait(Some(TIMEOUT)).expect("wait"), "no line queued");

    let err = stream.next_event().expect_err("next_event on a stream");
    assert_eq!(err.raw_os_error(), Some(libc::EOPNOTSUPP), "{err}");
    let mut buf = [0u8; 64];
    let err = events.read_json(&mut buf).expect_err("read_json on events");
    assert_eq!(err.raw_os_error(), Some(libc::EOPNOTSUPP), "{err}");
    // The refused call took nothing from the stream.
    let n = stream
        .read_json_timeout(&mut buf, Some(TIMEOUT))
        .expect("read_json_timeout");
    assert!(buf[..n].starts_with(b"{\"ts\":\"2026-12-07T10:00:00Z\""));

    let mut outside = EventsOnly(events);
    let err = outside.read_json(&mut buf).expect_err("default read_json");
    assert_eq!(err.raw_os_error(), Some(libc::EOPNOTSUPP), "{err}");

    let mut host = Host::new(audit_only()).expect("new");
    let err = host
        .read_json(&mut buf)
        .expect_err("read_json on a host of events");
    assert_eq!(err.raw_os_error(), Some(libc::EOPNOTSUPP), "{err}");
    let mut host = Host::new(audit_only().json_stream(true)).expect("new stream host");
    let err = host.next_event().expect_err("next_event on a stream host");
    assert_eq!(err.raw_os_error(), Some(libc::EOPNOTSUPP), "{err}");
}

#[test]
fn host_stream_carries_membership_and_events() {
    let dir = StateDir::new();
    let mut host = Host::new(audit_only().json_stream(true)).expect("new");
    host.add(dir.path(), "c1", None).expect("add");
    dir.append("audit.jsonl", &audit_lines(1));

    // json_reader blocks: read on another thread, so a stall fails at TIMEOUT.
    let (tx, rx) = mpsc::channel();
    let reader = thread::spawn(move || {
        let lines: io::Result<Vec<String>> =
            BufReader::new(host.json_reader()).lines().take(2).collect();
        tx.send(lines).ok();
    });
    let lines = rx
        .recv_timeout(TIMEOUT)
        .expect("two lines within the timeout")
        .expect("read");
    reader.join().expect("reader thread");
    assert!(
        lines[0]
            .contains("\"source\":\"watch\",\"action\":\"container_added\",\"container\":\"c1\""),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with(
            "{\"ts\":\"2026-12-07T10:00:00Z\",\"source\":\"audit\",\"action\":\"deny\""
        ),
        "{}",
        lines[1]
    );
}
