"""AuditLog: the AuditLogger call shapes on sw_audit_*."""

import errno
import json
import os
import stat

import pytest

import shieldwatch
from shieldwatch import AuditLog, Watcher

from conftest import FILE_SOURCES, StateDir


def test_round_trip(tmp_path):
    path = tmp_path / "audit.jsonl"
    with AuditLog(path) as log:
        assert log.enabled
        log.log_event("c1", "setup")
        log.log_event("c1", "denied", dest="203.0.113.9", detail="port 443")
        log.enabled = False
        log.log_event("c1", "dropped-while-disabled")
        assert not log.enabled
        log.enabled = True
        log.log_event("c1", "teardown", dest=None, detail="")
        tail = list(log.tail_log())
        assert [d["action"] for d in tail] == ["setup", "denied", "teardown"]
        assert tail[1]["dest"] == "203.0.113.9" and tail[1]["detail"] == "port 443"
        assert "dest" not in tail[0] and "detail" not in tail[2]
        assert [d["action"] for d in log.tail_log(n=2)] == ["denied", "teardown"]
        assert list(log.tail_log(0)) == []
        evs = log.tail(1)
        assert evs[0].action == "teardown" and evs[0].ts is not None
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    lines = path.read_text().splitlines()
    assert len(lines) == 3
    assert [json.loads(line)["container"] for line in lines] == ["c1"] * 3


def test_disabled_at_start_and_missing_file(tmp_path):
    log = AuditLog(tmp_path / "a.jsonl", enabled=False)
    log.log_event("c1", "nothing")
    assert list(log.tail_log()) == []
    log.close()
    log.close()
    with pytest.raises(shieldwatch.ClosedError):
        log.log_event("c1", "late")
    assert list(AuditLog(tmp_path / "b.jsonl").tail_log()) == []


def test_errors(tmp_path):
    with pytest.raises(shieldwatch.Error) as ei:
        AuditLog(tmp_path / "no-dir" / "audit.jsonl")
    assert ei.value.errno == errno.ENOENT
    with AuditLog(tmp_path / "a.jsonl") as log:
        with pytest.raises(ValueError):
            log.log_event("c\x00", "x")


def test_written_events_reach_the_watcher(state: StateDir):
    with Watcher(state.dir, "c1", sources=FILE_SOURCES) as w, AuditLog(state.path("audit.jsonl")) as log:
        log.log_event("c1", "allowed", dest="example.org")
        ev = w.next_event(timeout=5)
        assert ev is not None
        assert (ev.source, ev.action, ev.dest) == ("audit", "allowed", "example.org")
