"""examples/shield_watch.py: JSON lines on stdout, clean exit on SIGTERM/SIGINT."""

import json
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import StateDir

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "shield_watch.py"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_shield_watch_example(state: StateDir, sig: int):
    p = subprocess.Popen(
        [sys.executable, str(EXAMPLE), str(state.dir), "c1", "--nflog-group", "4243"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        # Only lines written after the watcher opened are reported: write a
        # query until one comes out (NFLOG may print its status first).
        deadline = time.monotonic() + 10
        ev = {}
        while ev.get("source") != "dns":
            assert time.monotonic() < deadline, "no event from the example"
            state.query("A", "example.evil.test")
            if select.select([p.stdout], [], [], 0.2)[0]:
                line = p.stdout.readline()
                assert line, p.stderr.read()
                ev = json.loads(line)
        assert ev["action"] == "blocked_query" and ev["container"] == "c1"
        assert list(ev)[:4] == ["ts", "source", "action", "container"]
        p.send_signal(sig)
        assert p.wait(5) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_shield_watch_example_tier(state: StateDir):
    state.write("dns.tier", "unbound\n")
    p = subprocess.run([sys.executable, str(EXAMPLE), str(state.dir), "c1"],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 1
    assert p.stdout == ""
    assert p.stderr.startswith("Error: ") and "dns.tier" in p.stderr
