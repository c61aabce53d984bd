"""Host: many containers through one handle; dedup counts and cursors."""

import asyncio
import errno
import threading
import time
from pathlib import Path
from typing import Callable, List

import pytest

import shieldwatch
from shieldwatch import Host, Watcher

from conftest import FILE_SOURCES, StateDir, open_fds


def collect(h, done: Callable[[List[shieldwatch.Event]], bool], seconds: float = 5.0):
    """Events until done(events) or the time runs out."""
    out: List[shieldwatch.Event] = []
    deadline = time.monotonic() + seconds
    while not done(out) and time.monotonic() < deadline:
        ev = h.next_event(timeout=max(0.0, deadline - time.monotonic()))
        if ev is not None:
            out.append(ev)
    return out


def settle(h, quiet: float = 0.3) -> List[shieldwatch.Event]:
    """Events until none comes for `quiet` seconds."""
    out = []
    while True:
        ev = h.next_event(timeout=quiet)
        if ev is None:
            return out
        out.append(ev)


def has(evs, container: str, action: str, domain=None) -> bool:
    return any(e.container == container and e.action == action and
               (domain is None or e.domain == domain) for e in evs)


def make(root: Path, name: str, tier: bool = True) -> StateDir:
    d = root / "containers" / name
    d.mkdir(parents=True)
    s = StateDir(d)
    if not tier:
        s.path("dns.tier").unlink()
    return s


def test_two_members_every_event_names_its_container(tmp_path: Path):
    a, b = make(tmp_path, "alpha"), make(tmp_path, "beta")
    with Host(sources=FILE_SOURCES) as h:
        h.add(a.dir, "alpha")
        h.add(b.dir, "beta")
        assert len(h) == 2
        a.query("A", "one.blocked")
        b.query("AAAA", "two.blocked")
        evs = collect(h, lambda v: sum(e.action == "blocked_query" for e in v) >= 2)
        assert has(evs, "alpha", "container_added") and has(evs, "beta", "container_added")
        assert has(evs, "alpha", "blocked_query", "one.blocked")
        assert has(evs, "beta", "blocked_query", "two.blocked")
        assert not has(evs, "alpha", "blocked_query", "two.blocked")
        assert h.source_status("alpha", shieldwatch.Source.DNS) is None
        st = h.source_status("nobody", shieldwatch.Source.DNS)
        assert st is not None and st.errno == errno.ENOENT
        assert h.stat(shieldwatch.Stat.DNS_LINES) == 2
        assert "members=2" in repr(h)


def test_add_errors(tmp_path: Path):
    a = make(tmp_path, "alpha")
    untiered = make(tmp_path, "plain", tier=False)
    with Host(sources=FILE_SOURCES) as h:
        h.add(a.dir, "alpha")
        with pytest.raises(shieldwatch.Error) as ei:
            h.add(a.dir, "alpha")
        assert ei.value.errno == errno.EEXIST
        with pytest.raises(shieldwatch.TierError):
            h.add(untiered.dir, "plain")
        with pytest.raises(shieldwatch.Error) as ei:
            h.remove("nobody")
        assert ei.value.errno == errno.ENOENT
        with pytest.raises(shieldwatch.Error) as ei:
            h.follow(tmp_path / "missing")
        assert ei.value.errno == errno.ENOENT
    with pytest.raises(shieldwatch.ClosedError):
        h.add(a.dir, "again")


def test_remove_delivers_what_is_queued_then_nothing(tmp_path: Path):
    a, b = make(tmp_path, "a"), make(tmp_path, "b")
    with Host(sources=FILE_SOURCES) as h:
        h.add(a.dir, "a")
        h.add(b.dir, "b")
        settle(h)
        a.query("A", "queued.one")
        deadline = time.monotonic() + 5
        queued: List[shieldwatch.Event] = []
        while not queued and time.monotonic() < deadline:
            queued = h.poll()  # taken from the library's queue before the removal
            time.sleep(0.01)
        h.remove("a")
        a.query("A", "after.removal")
        b.query("A", "b.still.works")
        evs = queued + collect(h, lambda v: has(v, "b", "blocked_query"))
        evs += settle(h)
        assert [e.domain for e in evs if e.container == "a" and e.action == "blocked_query"] == [
            "queued.one"]
        assert has(evs, "a", "container_removed")
        assert has(evs, "b", "blocked_query", "b.still.works")
        assert len(h) == 1


def test_follow_attaches_containers_created_live(tmp_path: Path):
    make(tmp_path, "early")
    with Host(sources=FILE_SOURCES) as h:
        h.follow(tmp_path)
        assert has(collect(h, lambda v: has(v, "early", "container_added")), "early",
                   "container_added")
        late = make(tmp_path, "late")
        assert has(collect(h, lambda v: has(v, "late", "container_added")), "late",
                   "container_added")
        late.query("A", "from.late")
        assert has(collect(h, lambda v: has(v, "late", "blocked_query")), "late",
                   "blocked_query", "from.late")
        assert len(h) == 2


def test_close_during_blocked_wait(tmp_path: Path):
    h = Host(sources=FILE_SOURCES)
    h.add(make(tmp_path, "a").dir, "a")
    settle(h)
    got = []
    t = threading.Thread(target=lambda: got.extend(iter(h)))
    t.start()
    time.sleep(0.2)
    h.close()
    t.join(5)
    assert not t.is_alive()
    assert h.closed


def test_no_fd_leak_over_1000_add_remove(tmp_path: Path):
    a = make(tmp_path, "a")
    before = open_fds()
    with Host(sources=FILE_SOURCES) as h:
        for i in range(1000):
            h.add(a.dir, "c%d" % i)
            h.remove("c%d" % i)
            if i % 100 == 0:
                h.poll()
        h.poll()
    assert open_fds() == before


def test_async_reader_on_a_host(tmp_path: Path):
    a = make(tmp_path, "a")

    async def main() -> List[shieldwatch.Event]:
        with Host(sources=FILE_SOURCES) as h:
            h.add(a.dir, "a")
            out = []
            async for ev in h.events():
                out.append(ev)
                if ev.action == "container_added":
                    a.query("A", "async.blocked")
                if ev.action == "blocked_query":
                    return out
        return out

    evs = asyncio.run(asyncio.wait_for(main(), 10))
    assert evs[-1].domain == "async.blocked" and evs[-1].container == "a"


@pytest.mark.parametrize("once", [False, True])
def test_dedup_counts_every_occurrence(state: StateDir, once: bool):
    with Watcher(state.dir, "c1", sources=FILE_SOURCES, dedup_ms=150, dedup_once=once) as w:
        total = 0
        for burst in range(3):
            for i in range(20):
                state.query("A", "d%d.example" % (i % 3))
                total += 1
            time.sleep(0.05)
        evs = collect(w, lambda v: sum(1 + e.suppressed for e in v) >= total, seconds=10)
        evs += settle(w, 0.4)
        assert sum(1 + e.suppressed for e in evs) == total
        assert any(e.suppressed > 0 for e in evs)
        if once:
            # Each key's first occurrence once, then only counted summaries.
            plain = [e.domain for e in evs if e.suppressed == 0]
            assert sorted(plain) == ["d0.example", "d1.example", "d2.example"]
        assert '"suppressed":' in next(e for e in evs if e.suppressed).to_json()


def test_dedup_window_rounds_up_like_go_and_rust():
    # The rule shared with Go's dedupMillis and Rust's table: whole
    # milliseconds, rounded up, so only 0 means off.
    from shieldwatch._watcher import _options
    for ms, want in [(0, 0), (0.000001, 1), (0.5, 1), (1, 1), (1.001, 2), (1500, 1500)]:
        assert _options(0, None, ms)["dedup_ms"] == want
    with pytest.raises(ValueError):
        Host(dedup_ms=-1)
    with pytest.raises(ValueError):
        Host(dedup_ms=2**32)  # the C layer's range check


def test_cursor_resume(state: StateDir):
    with Watcher(state.dir, "c1", sources=FILE_SOURCES) as w:
        state.audit('{"container":"c1","action":"a1"}', '{"container":"c1","action":"a2"}')
        first = collect(w, lambda v: len(v) >= 2)[0]
    assert first.cursor and first.cursor.startswith("sw2.")
    assert "cursor" not in first.to_dict()
    state.audit('{"container":"other","action":"a3"}')  # while down; still c1's line
    with Watcher(state.dir, "c1", sources=FILE_SOURCES, audit_cursor=first.cursor,
                 json_cursor=True) as w:
        evs = collect(w, lambda v: len(v) >= 2)
        evs += settle(w)
    assert [(e.action, e.container, e.member) for e in evs] == [("a2", "c1", "c1"),
                                                                ("a3", "other", "c1")]
    assert evs[0].to_dict()["cursor"] == evs[0].cursor
    with Watcher(state.dir, "c1", sources=FILE_SOURCES, audit_cursor="garbage") as w:
        evs = collect(w, lambda v: any(e.action == "gap" for e in v))
    gap = next(e for e in evs if e.action == "gap")
    assert gap.source == "watch" and gap.detail.startswith("audit: cannot resume")
