"""examples/shield_watch.py: JSON lines on stdout (the events' own bytes), clean exit on
SIGTERM/SIGINT."""

import json
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shieldwatch import Source, Watcher

from conftest import StateDir

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "shield_watch.py"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_shield_watch_example(state: StateDir, sig: int):
    with Watcher(state.dir, "c1", sources=Source.AUDIT) as objects:
        p = subprocess.Popen(
            [sys.executable, str(EXAMPLE), str(state.dir), "c1", "--nflog-group", "4243"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0,
        )
        try:
            out = b""

            def lines(source: str):
                """The whole lines printed so far from `source`."""
                whole = out[:out.rfind(b"\n") + 1].splitlines(keepends=True)
                return [x for x in whole if json.loads(x)["source"] == source]

            def read_more() -> None:
                nonlocal out
                if select.select([p.stdout], [], [], 0.2)[0]:
                    chunk = p.stdout.read(65536)  # unbuffered: one read(2)
                    assert chunk, p.stderr.read()
                    out += chunk

            # Only lines written after the watcher opened are reported: write a
            # query until one comes out (NFLOG may print its status first).
            deadline = time.monotonic() + 10
            while not lines("dns"):
                assert time.monotonic() < deadline, "no event from the example"
                state.query("A", "example.evil.test")
                read_more()
            ev = json.loads(lines("dns")[0])
            assert ev["action"] == "blocked_query" and ev["container"] == "c1"
            assert list(ev)[:4] == ["ts", "source", "action", "container"]
            # Byte for byte what print(ev.to_json()) gave: escapes, non-ASCII.
            n = 20
            state.audit(*(json.dumps({"ts": "2026-12-07T10:00:00Z", "container": "c1",
                                      "action": "deny", "dest": "10.0.0.%d" % i,
                                      "detail": 'tab\there "q" \u00e9 n%d' % i})
                          for i in range(n)))
            want = [bytes(objects.next_event(timeout=5)) + b"\n" for _ in range(n)]
            while len(lines("audit")) < n and time.monotonic() < deadline + 10:
                read_more()
            assert lines("audit") == want
            assert "\u00e9".encode() in want[0]
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
