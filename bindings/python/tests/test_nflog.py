"""A real dropped packet, end to end, in a network namespace this test creates.

An nft rule in the namespace logs packets to 192.0.2.0/24 to NFLOG group 100
and drops them; a watcher, or a host member, bound inside the namespace with
netns=, reports it. Needs root, ip and nft: skips otherwise (fails under
SW_REQUIRE_PRIVILEGED=1).
"""

import os
import shutil
import subprocess
import sys

import pytest

from pathlib import Path

from shieldwatch import Host, Source, Stat, Watcher

from conftest import FILE_SOURCES, StateDir, skip_unless_required

RULESET = """table inet swpy {
  chain out {
    type filter hook output priority 0; policy accept;
    ip daddr 192.0.2.0/24 log prefix "TEROK_SHIELD_DENIED: " group 100 drop
  }
}
"""

SEND = """import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.sendto(b"shieldwatch", ("192.0.2.7", 5353))
except OSError:
    pass  # EPERM: dropped on output; the log entry is the point
"""


def run(*args: str) -> None:
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(args), p.returncode, p.stderr.strip()))


@pytest.fixture
def netns(tmp_path):
    if os.geteuid() != 0:
        skip_unless_required("NFLOG test needs root (network namespaces, nft)")
    for tool in ("ip", "nft"):
        if shutil.which(tool) is None:
            skip_unless_required("NFLOG test needs %s on PATH" % tool)
    name = "swpy-%d" % os.getpid()
    subprocess.run(["ip", "netns", "del", name], capture_output=True)
    try:
        run("ip", "netns", "add", name)
    except RuntimeError as e:
        skip_unless_required("cannot create a network namespace: %s" % e)
    try:
        rules = tmp_path / "rules.nft"
        rules.write_text(RULESET)
        try:
            # A route for the test prefix so the packet reaches the output
            # hook; loopback only, no veth needed.
            for cmd in (
                ["ip", "link", "set", "lo", "up"],
                ["ip", "addr", "add", "198.51.100.1/32", "dev", "lo"],
                ["ip", "route", "add", "192.0.2.0/24", "dev", "lo", "src", "198.51.100.1"],
                ["nft", "-f", str(rules)],
            ):
                run("ip", "netns", "exec", name, *cmd)
        except RuntimeError as e:
            skip_unless_required("cannot set up the namespace (nf_tables, nfnetlink_log?): %s" % e)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


def send_and_wait(stream, netns: str):
    """Sends the packet from inside the namespace; the first NFLOG event of
    the stream (a Watcher or a Host), within 5 s."""
    run("ip", "netns", "exec", netns, sys.executable, "-c", SEND)
    while True:
        ev = stream.next_event(timeout=5)
        assert ev is not None, "no NFLOG event within 5 s"
        if ev.source == "nflog":
            return ev


def test_nflog_dropped_packet(state: StateDir, netns: str):
    with Watcher(state.dir, "c1", netns="/run/netns/" + netns, nflog_required=True,
                 nflog_group=100) as w:
        assert w.source_status(Source.NFLOG) is None
        ev = send_and_wait(w, netns)
        assert (ev.action, ev.container, ev.dest, ev.port, ev.proto) == (
            "blocked_connection", "c1", "192.0.2.7", 5353, 17), ev.to_json()
        assert ev.to_dict()["dest"] == "192.0.2.7"
        assert ev.to_json().encode() == bytes(ev)
        assert w.stat(Stat.NFLOG_PACKETS) == 1
        assert w.stat(Stat.NFLOG_LOST) == 0


def test_nflog_on_a_host_member(tmp_path: Path, netns: str):
    """The packet is reported once, as the member bound in the namespace's."""
    for name in ("alpha", "beta"):
        (tmp_path / name).mkdir()
    alpha, beta = StateDir(tmp_path / "alpha"), StateDir(tmp_path / "beta")
    with Host() as h:
        h.add(alpha.dir, "alpha", netns="/run/netns/" + netns, nflog_required=True,
              nflog_group=100)
        h.add(beta.dir, "beta", sources=FILE_SOURCES)
        assert h.source_status("alpha", Source.NFLOG) is None
        ev = send_and_wait(h, netns)
        assert (ev.action, ev.container, ev.dest, ev.port, ev.proto) == (
            "blocked_connection", "alpha", "192.0.2.7", 5353, 17), ev.to_json()
        # Nothing more: one packet, one event, for one member.
        while (more := h.next_event(timeout=0.3)) is not None:
            assert more.source != "nflog", more.to_json()
        assert h.stat(Stat.NFLOG_PACKETS) == 1
        assert h.stat(Stat.NFLOG_LOST) == 0
