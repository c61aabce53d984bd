"""The Watcher contract: events, types, errors, rotation, closing, fds."""

import errno
import json
import os
import select
import threading
import time
from datetime import datetime, timezone

import pytest

import shieldwatch
from shieldwatch import Source, Stat, Watcher

from conftest import FILE_SOURCES, StateDir, open_fds


def next_within(w: Watcher, seconds: float = 5.0) -> shieldwatch.Event:
    ev = w.next_event(timeout=seconds)
    assert ev is not None, "no event within %s s" % seconds
    return ev


def test_library_version():
    v = shieldwatch.library_version()
    assert len(v.split(".")) == 3 and all(p.isdigit() for p in v.split("."))


def test_blocked_query_types(state: StateDir, watcher: Watcher):
    state.query("A", "good.example.com")  # allowed: no event
    state.query("AAAA", "evil.example.com")
    ev = next_within(watcher)
    assert (ev.source, ev.action, ev.container) == ("dns", "blocked_query", "c1")
    assert (ev.domain, ev.query_type) == ("evil.example.com", "AAAA")
    assert ev.dest is None and ev.detail is None
    assert ev.port is None and ev.proto is None
    assert ev.uid is None and ev.gid is None and ev.icmp_type is None
    assert isinstance(ev.ts, datetime) and ev.ts.tzinfo is not None
    assert ev.ts.utcoffset().total_seconds() == 0
    assert abs((datetime.now(timezone.utc) - ev.ts).total_seconds()) < 60
    assert watcher.next_event(timeout=0.2) is None
    assert watcher.stat(Stat.DNS_LINES) == 2
    assert watcher.stat(Stat.EVENTS) == 1


def test_event_json_is_the_librarys(state: StateDir, watcher: Watcher):
    state.audit(
        json.dumps(
            {"ts": "2026-11-22T13:30:01+02:00", "container": "c1", "action": "denied",
             "dest": "203.0.113.9", "detail": "quote \" and \u00e9", "port": 443, "proto": "tcp"}
        )
    )
    ev = next_within(watcher)
    raw = bytes(ev)
    assert ev.to_json().encode() == raw
    assert not raw.endswith(b"\n")
    d = ev.to_dict()
    assert d == json.loads(raw)
    assert list(d)[:4] == ["ts", "source", "action", "container"]
    assert (ev.source, ev.action, ev.dest, ev.port, ev.proto) == ("audit", "denied", "203.0.113.9", 443, 6)
    assert ev.detail == 'quote " and \u00e9'
    assert ev.ts == datetime(2026, 11, 22, 11, 30, 1, tzinfo=timezone.utc)
    assert d["ts"] == ev.ts_text == "2026-11-22T13:30:01+02:00"
    assert "Event(" in repr(ev) and "denied" in repr(ev)


def test_event_is_read_only(state: StateDir, watcher: Watcher):
    state.query("A", "ro.example.com")
    ev = next_within(watcher)
    with pytest.raises(AttributeError):
        ev.domain = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        ev.anything = 1  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        shieldwatch.Event()  # only the library makes events


def test_ts_parses_z_and_offset():
    from shieldwatch._event import parse_ts

    want = datetime(2026, 11, 22, 13, 30, 1, 123456, tzinfo=timezone.utc)
    for text in ("2026-11-22T13:30:01.123456Z", "2026-11-22T13:30:01.123456+00:00",
                 "2026-11-22T15:30:01.123456789+02:00", "2026-11-22t13:30:01.123456z",
                 "2026-11-22 12:00:01.123456-01:30"):
        ts = parse_ts(text)
        assert ts == want and ts.tzinfo is timezone.utc, text
    assert parse_ts("2026-11-22T13:30:01Z") == want.replace(microsecond=0)
    assert parse_ts("2026-11-22T13:30:01.5Z") == want.replace(microsecond=500000)
    assert parse_ts("0000-01-01T00:00:00.000000Z") is None  # no datetime for year 0
    assert parse_ts("2026-12-31T23:59:60Z") is None  # leap second
    assert parse_ts("2026-11-22T13:30:01") is None  # no offset: not RFC 3339
    assert parse_ts("yesterday") is None


def test_ts_outside_datetime_range(state: StateDir, watcher: Watcher):
    state.audit('{"ts":"0000-01-01T00:00:00Z","container":"c1","action":"old"}')
    ev = next_within(watcher)
    assert ev.action == "old"
    assert ev.ts_text == "0000-01-01T00:00:00Z"  # plain RFC 3339: kept verbatim
    assert ev.ts is None


def test_only_new_lines(state: StateDir):
    state.query("A", "before.example.com")
    with Watcher(state.dir, "c1", sources=FILE_SOURCES) as w:
        assert w.next_event(timeout=0.2) is None
        state.query("A", "after.example.com")
        assert next_within(w).domain == "after.example.com"


def test_poll_never_blocks_and_fileno_selects(state: StateDir, watcher: Watcher):
    start = time.monotonic()
    assert watcher.poll() == []
    assert time.monotonic() - start < 0.5
    state.query("A", "one.example.com")
    state.query("A", "two.example.com")
    r, _, _ = select.select([watcher], [], [], 5)  # fileno() makes it selectable
    assert r == [watcher]
    got = []
    deadline = time.monotonic() + 5
    while len(got) < 2 and time.monotonic() < deadline:
        select.select([watcher], [], [], 1)
        got += [ev.domain for ev in watcher.poll()]
    assert got == ["one.example.com", "two.example.com"]


def test_iteration_and_sources_by_name(state: StateDir):
    with Watcher(state.dir, "c1", sources=["dns", "audit"]) as w:
        for i in range(3):
            state.query("A", "it%d.example.com" % i)
        got = []
        for ev in w:
            got.append(ev.domain)
            if len(got) == 3:
                break
        assert got == ["it0.example.com", "it1.example.com", "it2.example.com"]
        assert w.source_status(Source.DNS) is None
        err = w.source_status(Source.NFLOG)
        assert isinstance(err, shieldwatch.Error) and err.errno == errno.ENOTCONN
    with pytest.raises(ValueError):
        Watcher(state.dir, "c1", sources=["dns", "smtp"])


@pytest.mark.parametrize("how", ["rename", "copytruncate", "delete"])
def test_rotation(state: StateDir, watcher: Watcher, how: str):
    for name, line in (
        ("dnsmasq.log", "Nov 22 13:30:01 dnsmasq[1]: query[A] %s.example.com from 127.0.0.1"),
        ("audit.jsonl", '{"container":"c1","action":"%s"}'),
    ):
        state.append(name, line % "pre")
        assert next_within(watcher).to_dict().get("domain", "") in ("pre.example.com", "")
        p = state.path(name)
        if how == "rename":
            os.rename(p, str(p) + ".1")
            state.write(name, "")
        elif how == "copytruncate":
            os.truncate(p, 0)
        else:
            os.unlink(p)
            state.write(name, "")
        # give the watcher a chance to notice the rotation before the new line
        watcher.next_event(timeout=0.1)
        state.append(name, line % "post")
        ev = next_within(watcher)
        assert ev.domain == "post.example.com" or ev.action == "post", ev.to_json()
    assert watcher.next_event(timeout=0.2) is None


def test_tier_error(state: StateDir):
    os.unlink(state.path("dns.tier"))
    with pytest.raises(shieldwatch.TierError) as ei:
        Watcher(state.dir, "c1")
    e = ei.value
    assert isinstance(e, shieldwatch.Error) and isinstance(e, OSError)
    assert e.errno == shieldwatch.ETIER == errno.EMEDIUMTYPE
    assert "dns.tier" in e.strerror  # the library's reason (sw_open_explain)
    assert e.filename == str(state.dir)

    state.write("dns.tier", "unbound\n")
    with pytest.raises(shieldwatch.TierError):
        Watcher(state.dir, "c1")


def test_errors(state: StateDir, tmp_path):
    with pytest.raises(shieldwatch.Error) as ei:
        Watcher(tmp_path / "nope", "c1")
    assert ei.value.errno == errno.ENOENT and not isinstance(ei.value, shieldwatch.TierError)
    with pytest.raises(shieldwatch.Error) as ei:
        Watcher(state.path("dns.tier"), "c1")
    assert ei.value.errno == errno.ENOTDIR
    with pytest.raises(ValueError):
        Watcher(state.dir, "c\x001")
    with pytest.raises(ValueError):
        Watcher(state.dir, "c1", max_line=10)  # minimum 256
    with pytest.raises(ValueError):
        Watcher(state.dir, "c1", nflog_group=70000)
    with pytest.raises(ValueError):
        Watcher(state.dir, "c1", sources=0)
    with pytest.raises(ValueError):
        Watcher(state.dir, "c1", dedup_ms=-1)
    with pytest.raises(ValueError):
        Watcher(state.dir, "c1", dns_seed_bytes=-1)


def test_options_accepted(state: StateDir):
    with Watcher(state.dir, "c1", sources=FILE_SOURCES, dedup_ms=60000, nflog_group=4242,
                 nflog_actions={"MY_PREFIX": "my_action"}, max_line=4096,
                 domain_map_size=128, dns_seed_bytes=0) as w:
        state.query("A", "dup.example.com")
        state.query("A", "dup.example.com")
        assert next_within(w).domain == "dup.example.com"
        assert w.next_event(timeout=0.2) is None
        assert w.stat(Stat.DEDUPED) == 1
        state.query("A", "x" * 5000 + ".example.com")
        ev = next_within(w)
        assert (ev.source, ev.action) == ("watch", "line_too_long")


def test_nflog_unavailable_event(state: StateDir, tmp_path):
    bad = tmp_path / "no-such-netns"
    with pytest.raises(shieldwatch.Error) as ei:
        Watcher(state.dir, "c1", netns=bad, nflog_required=True)
    assert ei.value.errno == errno.ENOENT
    with Watcher(state.dir, "c1", netns=bad) as w:
        ev = next_within(w)
        assert (ev.source, ev.action) == ("watch", "nflog_unavailable")
        assert w.source_status(Source.NFLOG).errno == errno.ENOENT


def test_close_during_blocked_wait(state: StateDir):
    fds_before_open = open_fds()
    w = Watcher(state.dir, "c1", sources=FILE_SOURCES)
    results = []

    def consume():
        results.append([ev for ev in w])  # blocks until close()

    threads = [threading.Thread(target=consume) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    assert all(t.is_alive() for t in threads)  # really blocked
    assert open_fds() > fds_before_open
    start = time.monotonic()
    w.close()
    for t in threads:
        t.join(5)
        assert not t.is_alive(), "iteration did not end after close()"
    assert time.monotonic() - start < 2
    assert results == [[], [], []]
    assert open_fds() == fds_before_open  # the last waiter out released every fd
    w.close()  # idempotent
    assert w.closed
    with pytest.raises(shieldwatch.ClosedError) as ei:
        w.poll()
    assert isinstance(ei.value, ValueError) and ei.value.errno == errno.EBADF
    with pytest.raises(shieldwatch.ClosedError):
        w.fileno()
    with pytest.raises(shieldwatch.ClosedError):
        w.next_event(timeout=0)
    assert list(w) == []


def test_close_from_signal_handler(state: StateDir):
    import signal

    w = Watcher(state.dir, "c1", sources=FILE_SOURCES)
    old = signal.signal(signal.SIGALRM, lambda *_: w.close())
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        start = time.monotonic()
        assert list(w) == []  # the handler's close() ends the blocked iteration
        assert time.monotonic() - start < 3
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert w.closed


def test_concurrent_consumers_each_event_once(state: StateDir):
    total = 2000
    with Watcher(state.dir, "c1", sources=FILE_SOURCES) as w:
        got = []
        lock = threading.Lock()

        def consume():
            for ev in w:
                with lock:
                    got.append(ev.domain)
                    if len(got) == total:
                        w.close()

        threads = [threading.Thread(target=consume) for _ in range(3)]
        for t in threads:
            t.start()
        for i in range(0, total, 100):
            state.append("dnsmasq.log", *(
                "Nov 22 13:30:01 dnsmasq[1]: query[A] d%d.example.com from 127.0.0.1" % j
                for j in range(i, i + 100)))
        for t in threads:
            t.join(20)
            assert not t.is_alive()
    assert sorted(got) == sorted("d%d.example.com" % j for j in range(total))


def test_no_fd_leak_over_1000_open_close(state: StateDir):
    with Watcher(state.dir, "c1", sources=FILE_SOURCES):
        pass  # warm up
    before = open_fds()
    for i in range(1000):
        with Watcher(state.dir, "c1", sources=FILE_SOURCES) as w:
            if i % 100 == 0:
                state.query("A", "leak%d.example.com" % i)
                assert next_within(w).domain == "leak%d.example.com" % i
            elif i % 2:
                assert w.next_event(timeout=0.001) is None  # wait and wake
        if i % 250 == 0:
            Watcher(state.dir, "c1", sources=FILE_SOURCES)  # dropped unclosed
    assert open_fds() == before
