"""json_stream: the events as one byte stream of JSON lines (read_json, readinto)."""

import asyncio
import errno
import json
import select
import time
from pathlib import Path

import pytest

import shieldwatch
from shieldwatch import Host, Stat, Watcher

from conftest import FILE_SOURCES, StateDir


def read_lines(h, n: int, size: int = 65536, how: str = "read_json", seconds: float = 5) -> bytes:
    """The stream until it holds `n` whole lines or time runs out, read `size` bytes at a time."""
    got = b""
    buf = bytearray(size)
    deadline = time.monotonic() + seconds
    while got.count(b"\n") < n and time.monotonic() < deadline:
        left = max(0.0, deadline - time.monotonic())
        if how == "readinto":
            piece = bytes(buf[:h.readinto(memoryview(buf), timeout=left)])
        else:
            piece = h.read_json(size, timeout=left)
        assert len(piece) <= size
        got += piece
    return got


def audit_line(i: int) -> str:
    # Its own ts, so both forms make the same JSON; a detail that needs escapes.
    return json.dumps({"ts": "2026-12-07T10:00:00Z", "container": "c1", "action": "deny",
                       "dest": "10.0.0.%d" % (i % 250), "detail": 'tab\there "q" \u00e9 n%d' % i,
                       "port": i + 1})


@pytest.mark.parametrize("how", ["read_json", "readinto"])
def test_same_lines_as_the_events_in_small_pieces(state: StateDir, how: str):
    n = 300
    opts = dict(sources=FILE_SOURCES, json_cursor=True)
    with Watcher(state.dir, "c1", **opts) as objects, \
            Watcher(state.dir, "c1", json_stream=True, **opts) as stream:
        state.audit(*(audit_line(i) for i in range(n)))
        want = []
        for _ in range(n):
            ev = objects.next_event(timeout=5)
            assert ev is not None
            want.append(bytes(ev) + b"\n")
        got = read_lines(stream, n, size=7, how=how)
        assert got.splitlines(keepends=True) == want
        # The comparison covered json_cursor and non-ASCII text.
        assert b'"cursor":' in got and "\u00e9".encode() in got
        assert stream.stat(Stat.EVENTS) == n
        # Drained: nothing now, without blocking, and the fd is quiet.
        start = time.monotonic()
        assert stream.read_json() == b""
        assert stream.readinto(bytearray(16)) == 0
        assert time.monotonic() - start < 0.5
        assert select.select([stream], [], [], 0)[0] == []


def test_fd_readable_while_bytes_are_queued(state: StateDir):
    # No poll() on this handle: read_json alone reads the line appended after open.
    with Watcher(state.dir, "c1", sources=FILE_SOURCES, json_stream=True) as w:
        state.query("A", "evil.example.com")
        assert select.select([w], [], [], 5)[0] == [w]
        head = w.read_json(10)
        assert head == b'{"ts":"202'
        assert select.select([w], [], [], 0)[0] == [w]  # the rest of the line is queued
        rest = w.read_json()
        assert rest.endswith(b"\n") and rest.count(b"\n") == 1
        line = json.loads(head + rest)
        assert (line["action"], line["domain"]) == ("blocked_query", "evil.example.com")


def test_each_form_refuses_the_others_calls(state: StateDir):
    def assert_eopnotsupp(call) -> None:
        with pytest.raises(shieldwatch.Error) as ei:
            call()
        assert ei.value.errno == errno.EOPNOTSUPP, ei.value

    async def first_event(h):
        async for ev in h.events():
            return ev

    with Watcher(state.dir, "c1", sources=FILE_SOURCES, json_stream=True) as stream, \
            Watcher(state.dir, "c1", sources=FILE_SOURCES) as objects, \
            Host(sources=FILE_SOURCES, json_stream=True) as host_stream, \
            Host(sources=FILE_SOURCES) as host_objects:
        state.query("A", "queued.example.com")  # something to hand out: no call may wait for it
        for h in (stream, host_stream):
            start = time.monotonic()
            assert_eopnotsupp(lambda: h.next_event(timeout=5))
            assert_eopnotsupp(lambda: next(iter(h)))
            assert_eopnotsupp(h.poll)
            assert_eopnotsupp(lambda: asyncio.run(first_event(h)))
            assert time.monotonic() - start < 2
        for h in (objects, host_objects):
            assert_eopnotsupp(h.read_json)
            assert_eopnotsupp(lambda: h.read_json(timeout=None))
            assert_eopnotsupp(lambda: h.readinto(bytearray(16)))
        # The refused poll() lost nothing: its line is in the stream.
        assert json.loads(read_lines(stream, 1))["domain"] == "queued.example.com"
        assert objects.next_event(timeout=5).domain == "queued.example.com"
        with pytest.raises(ValueError):
            stream.read_json(0)
        with pytest.raises(ValueError):
            stream.readinto(bytearray())
    with pytest.raises(shieldwatch.ClosedError):
        stream.read_json()


def test_host_stream_carries_membership(tmp_path: Path):
    d = tmp_path / "web"
    d.mkdir()
    web = StateDir(d)
    with Host(sources=FILE_SOURCES, json_stream=True) as h:
        h.add(web.dir, "web")
        web.query("A", "blocked.example.com")
        lines = [json.loads(x) for x in read_lines(h, 2).splitlines()]
        assert [(x["source"], x["action"], x["container"]) for x in lines] == [
            ("watch", "container_added", "web"), ("dns", "blocked_query", "web")]
        assert lines[0]["detail"] == str(web.dir)
        assert lines[1]["domain"] == "blocked.example.com"
