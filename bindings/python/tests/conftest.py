"""Shared helpers: a state directory laid out as the shield writes it."""

import os
from pathlib import Path
from typing import Iterable

import pytest

import shieldwatch

# Sources every test can run unprivileged and in parallel (NFLOG binds a
# group: one socket per namespace).
FILE_SOURCES = shieldwatch.Source.DNS | shieldwatch.Source.AUDIT


def skip_unless_required(reason: str) -> None:
    """Skips, or fails where SW_REQUIRE_PRIVILEGED=1 (CI) says privileged tests must run."""
    if os.environ.get("SW_REQUIRE_PRIVILEGED") == "1":
        pytest.fail("SW_REQUIRE_PRIVILEGED=1 but: " + reason, pytrace=False)
    pytest.skip(reason)


class StateDir:
    """dns.tier ("dnsmasq"), an empty dnsmasq.log and audit.jsonl, profile.domains."""

    def __init__(self, root: Path, allowed: Iterable[str] = ()) -> None:
        self.dir = root
        self.write("dns.tier", "dnsmasq\n")
        self.write("dnsmasq.log", "")
        self.write("audit.jsonl", "")
        self.write("profile.domains", "".join(d + "\n" for d in allowed))

    def path(self, name: str) -> Path:
        return self.dir / name

    def write(self, name: str, content: str) -> None:
        self.path(name).write_text(content)

    def append(self, name: str, *lines: str) -> None:
        with open(self.path(name), "a") as f:
            f.write("".join(line + "\n" for line in lines))

    def query(self, qtype: str, domain: str) -> None:
        self.append(
            "dnsmasq.log",
            "Nov 22 13:30:01 dnsmasq[9605]: query[%s] %s from 127.0.0.1" % (qtype, domain),
        )

    def audit(self, *lines: str) -> None:
        self.append("audit.jsonl", *lines)


@pytest.fixture
def state(tmp_path: Path) -> StateDir:
    d = tmp_path / "state"
    d.mkdir()
    return StateDir(d, ["good.example.com"])


@pytest.fixture
def watcher(state: StateDir):
    with shieldwatch.Watcher(state.dir, "c1", sources=FILE_SOURCES) as w:
        yield w


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))
