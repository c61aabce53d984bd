#!/usr/bin/env python3
"""Soak test for libshieldwatch through `swcat -o json` (stdlib only; run it
with bench/soak, which builds swcat and the flood sender first).

For SOAK_SECONDS (default 600) it drives mixed load into one state dir:
  - DNS: blocked queries d<N>.soak.test (each must appear exactly once) and
    allowed queries under allowed.soak.test (must never appear), with the
    forwarded/reply lines dnsmasq writes around them;
  - audit: deny lines with detail "soak <N>" (each exactly once);
  - NFLOG (root only): a burst of 20,000 UDP packets every ~7 s from
    flood_sender inside a throwaway netns, each with its own (dest, port);
    each must appear at most once, and delivered + reported lost == sent;
  - rotations every ~3 s, cycling through rename+recreate, copytruncate and
    delete+recreate for dnsmasq.log and rename / copytruncate for
    audit.jsonl (before a copytruncate the writer waits until swcat has
    printed everything written so far: lines appended between a reader's
    last read and the truncate are lost to any tailer, by design of
    copytruncate);
  - allowlist edits every ~5 s (live.domains rewritten, profile.domains
    appended, denied.domains toggled).
Afterwards it checks the output (every line valid JSON), prints RSS (VmRSS)
and fd count of swcat at start / middle / end, and exits 1 on any failure.
"""
import argparse
import atexit
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

LOG_PREFIX = "Nov 22 13:30:01 dnsmasq[9605]: "


def proc_status(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def fd_count(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def sh(cmd):
    return subprocess.run(cmd, shell=True).returncode


class Netns:
    def __init__(self):
        self.name = f"swsoak-{os.getpid()}"
        self.path = f"/run/netns/{self.name}"
        n = f"ip -n {self.name} "
        steps = [f"ip netns add {self.name}", n + "link set lo up",
                 n + "link add d0 type veth peer name d1", n + "link set d1 up",
                 n + "link set d0 up", n + "addr add 10.200.0.1/24 dev d0",
                 n + "route add default dev d0"]
        atexit.register(self.close)  # also when the soak dies half-way
        for s in steps:
            if sh(s) != 0:
                raise RuntimeError(f"'{s}' failed")
        rules = ("table inet t {\n chain o {\n  type filter hook output priority 0;\n"
                 "  ip daddr 192.0.2.0/24 log prefix \"TEROK_SHIELD_DENIED: \" group 100 drop\n"
                 " }\n}\n")
        p = subprocess.run(["ip", "netns", "exec", self.name, "nft", "-f", "-"], input=rules,
                           text=True)
        if p.returncode != 0:
            raise RuntimeError("nft -f failed")

    def close(self):
        if self.name:
            sh(f"ip netns del {self.name}")
            self.name = None


def nflog_identity(dest, port):
    """Inverse of flood_sender's seq -> (192.0.2.(1 + s/60000 % 240), 1024 + s % 60000)."""
    last = int(dest.rsplit(".", 1)[1])
    return (last - 1) * 60000 + (port - 1024)


class Writer:
    """Appends whole lines with one write(2) each, like dnsmasq and the audit writer."""

    def __init__(self, path):
        self.path = path
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)

    def write(self, text):
        os.write(self.fd, text.encode())

    def reopen(self):
        os.close(self.fd)
        self.fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)


class OutputReader:
    """Follows swcat's output file incrementally."""

    DNS = re.compile(rb'"domain":"d(\d+)\.soak\.test"')
    AUDIT = re.compile(rb'"detail":"soak (\d+)"')

    def __init__(self, path):
        self.f = open(path, "rb")
        self.buf = b""
        self.lines = []
        self.max_dns = self.max_audit = -1  # highest sequence numbers printed

    def poll(self):
        chunk = self.f.read()
        if chunk:
            self.buf += chunk
            *complete, self.buf = self.buf.split(b"\n")
            self.lines.extend(complete)
            for l in complete:
                m = self.DNS.search(l)
                if m:
                    self.max_dns = max(self.max_dns, int(m.group(1)))
                m = self.AUDIT.search(l)
                if m:
                    self.max_audit = max(self.max_audit, int(m.group(1)))
        return self.lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--swcat", required=True)
    ap.add_argument("--sender", required=True)
    ap.add_argument("--seconds", type=float,
                    default=float(os.environ.get("SOAK_SECONDS", "600")))
    a = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="swsoak-")
    state = os.path.join(tmp, "state")
    os.mkdir(state)
    for name, text in [("dns.tier", "dnsmasq\n"), ("profile.domains", "allowed.soak.test\n"),
                       ("live.domains", ""), ("denied.domains", "")]:
        with open(os.path.join(state, name), "w") as f:
            f.write(text)
    dns_path = os.path.join(state, "dnsmasq.log")
    audit_path = os.path.join(state, "audit.jsonl")
    dns = Writer(dns_path)
    audit = Writer(audit_path)

    netns = None
    if os.geteuid() == 0 and shutil.which("ip") and shutil.which("nft"):
        try:
            netns = Netns()
        except RuntimeError as e:
            print(f"soak: NFLOG part skipped: {e}")
    else:
        print("soak: NFLOG part skipped: needs root, ip and nft")

    out_path = os.path.join(tmp, "out.jsonl")
    args = [a.swcat, "-o", "json", "--state", state]
    args += ["--netns", netns.path] if netns else ["--source", "dns,audit"]
    args.append("web")
    out_file = open(out_path, "wb")
    swcat = subprocess.Popen(args, stdout=out_file, stderr=subprocess.PIPE)
    atexit.register(lambda: swcat.poll() is None and swcat.kill())
    reader = OutputReader(out_path)
    failures = []

    def wait_for(pred, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if pred(reader.poll()):
                return True
            time.sleep(0.02)
        return False

    # Only lines appended after swcat's sw_open() count: repeat until one shows.
    live = False
    for _ in range(50):
        dns.write(LOG_PREFIX + "query[A] live.soak.check from 127.0.0.1\n")
        if wait_for(lambda ls: any(b"live.soak.check" in l for l in ls), 0.2):
            live = True
            break
    if not live:
        swcat.kill()
        print("soak: swcat never reported the live-check line:", swcat.stderr.read().decode())
        return 1

    samples = [(0.0, proc_status(swcat.pid, "VmRSS"), fd_count(swcat.pid))]
    dns_seq = audit_seq = allowed_seq = edit_seq = 0
    nflog_sent = 0
    nflog_next = 0
    rotations = {"dns": 0, "audit": 0}
    edits = 0
    bursts = 0
    dns_rot = ["rename", "copytruncate", "delete"]
    audit_rot = ["rename", "copytruncate"]
    t0 = time.monotonic()
    next_rot, next_edit, next_burst, next_sample = t0 + 3, t0 + 5, t0 + 7, t0 + 30

    def caught_up():
        # Everything written so far has been printed (events come in order).
        return wait_for(lambda ls: reader.max_dns >= dns_seq - 1
                        and reader.max_audit >= audit_seq - 1, 30)

    while True:
        now = time.monotonic()
        if now - t0 >= a.seconds:
            break
        # ~1,000 blocked + 250 allowed DNS queries and ~400 audit lines per second.
        lines = []
        for _ in range(10):
            n = dns_seq
            dns_seq += 1
            lines.append(f"query[A] d{n}.soak.test from 127.0.0.1")
            lines.append(f"forwarded d{n}.soak.test to 127.0.0.2")
            lines.append(f"reply d{n}.soak.test is 203.0.113.{n % 250 + 1}")
        for _ in range(2):
            lines.append(f"query[AAAA] a{allowed_seq}.allowed.soak.test from 127.0.0.1")
            lines.append(f"cached a{allowed_seq}.allowed.soak.test is 2001:db8::{allowed_seq % 65536:x}")
            allowed_seq += 1
        # Several lines per write now and then, as dnsmasq's buffered log does.
        dns.write("".join(LOG_PREFIX + l + "\n" for l in lines))
        for _ in range(4):
            audit.write(json.dumps({"ts": "2026-11-23T14:11:02.123456Z", "container": "web",
                                    "action": "deny", "dest": "203.0.113.5",
                                    "detail": f"soak {audit_seq}"}, separators=(",", ":")) + "\n")
            audit_seq += 1
        if now >= next_rot:
            next_rot = now + 3
            kind = dns_rot[rotations["dns"] % len(dns_rot)]
            rotations["dns"] += 1
            if kind == "rename":
                os.replace(dns_path, dns_path + ".1")
                dns.reopen()
            elif kind == "copytruncate":
                if not caught_up():
                    failures.append("swcat did not catch up before a copytruncate")
                shutil.copyfile(dns_path, dns_path + ".1")
                os.truncate(dns_path, 0)
            else:
                os.unlink(dns_path)
                dns.reopen()
            akind = audit_rot[rotations["audit"] % len(audit_rot)]
            rotations["audit"] += 1
            if akind == "rename":
                os.replace(audit_path, audit_path + ".1")
                audit.reopen()
            else:
                if not caught_up():
                    failures.append("swcat did not catch up before a copytruncate")
                shutil.copyfile(audit_path, audit_path + ".1")
                os.truncate(audit_path, 0)
        if now >= next_edit:
            next_edit = now + 5
            edits += 1
            edit_seq += 1
            with open(os.path.join(state, "live.domains"), "w") as f:
                f.write("".join(f"e{edit_seq}-{i}.edit.soak.test\n" for i in range(50)))
            with open(os.path.join(state, "profile.domains"), "a") as f:
                f.write(f"p{edit_seq}.edit.soak.test\n")
            with open(os.path.join(state, "denied.domains"), "w") as f:
                f.write(f"e{edit_seq}-0.edit.soak.test\n" if edit_seq % 2 else "")
        if netns and now >= next_burst:
            next_burst = now + 7
            p = subprocess.run([a.sender, netns.path, "20000", str(nflog_next)],
                               capture_output=True, text=True)
            m = re.match(r"sent (\d+)", p.stdout)
            sent = int(m.group(1)) if m else 0
            nflog_sent += sent
            nflog_next += 20000
            bursts += 1
        if now >= next_sample:
            next_sample = now + 30
            samples.append((now - t0, proc_status(swcat.pid, "VmRSS"), fd_count(swcat.pid)))
        time.sleep(0.01)

    elapsed = time.monotonic() - t0
    # Drain: everything written must come out.
    if not caught_up():
        failures.append("swcat did not print the last DNS/audit lines within 30 s")
    marker_seq = 239 * 60000  # 192.0.2.240, outside the bursts' range
    if netns:
        # Losses at the end show up only as a sequence gap before a later packet.
        def marker_seen(ls):
            return any(b'"dest":"192.0.2.240"' in l for l in ls[-200:])
        for _ in range(50):
            subprocess.run([a.sender, netns.path, "1", str(marker_seq)], capture_output=True)
            if wait_for(marker_seen, 0.2):
                break
    samples.append((elapsed, proc_status(swcat.pid, "VmRSS"), fd_count(swcat.pid)))
    swcat.send_signal(signal.SIGTERM)
    try:
        rc = swcat.wait(10)
    except subprocess.TimeoutExpired:
        swcat.kill()
        rc = -9
    if rc != 0:
        failures.append(f"swcat exited {rc}: {swcat.stderr.read().decode().strip()}")
    if netns:
        netns.close()

    # Verify.
    lines = reader.poll()
    if reader.buf:
        failures.append("output ends without a newline")
    dns_seen = {}
    audit_seen = {}
    nflog_seen = {}
    allowed_reported = 0
    lost_events = 0
    lost_reported = 0
    other_watch = []
    bad_json = 0
    gap_re = re.compile(r"nflog: (\d+) messages lost")
    for raw in lines:
        try:
            ev = json.loads(raw)
        except ValueError:
            bad_json += 1
            continue
        src, action = ev.get("source"), ev.get("action")
        if src == "dns":
            d = ev.get("domain", "")
            m = re.fullmatch(r"d(\d+)\.soak\.test", d)
            if m:
                dns_seen[int(m.group(1))] = dns_seen.get(int(m.group(1)), 0) + 1
            elif d.endswith("allowed.soak.test"):
                allowed_reported += 1
        elif src == "audit":
            m = re.fullmatch(r"soak (\d+)", ev.get("detail", ""))
            if m:
                audit_seen[int(m.group(1))] = audit_seen.get(int(m.group(1)), 0) + 1
        elif src == "nflog":
            ident = nflog_identity(ev.get("dest", "0.0.0.0"), ev.get("port", 0))
            if ident != marker_seq:
                nflog_seen[ident] = nflog_seen.get(ident, 0) + 1
        elif src == "watch":
            if action == "lost":
                lost_events += 1
                m = gap_re.search(ev.get("detail", ""))
                if m:
                    lost_reported += int(m.group(1))
            else:
                other_watch.append(raw.decode(errors="replace"))

    def check_once(name, seen, total):
        missing = sum(1 for i in range(total) if i not in seen)
        dup = sum(1 for c in seen.values() if c > 1)
        extra = sum(1 for i in seen if i >= total)
        print(f"soak: {name}: {total} written, {total - missing} seen, {missing} missing, "
              f"{dup} duplicated, {extra} unknown")
        if missing or dup or extra:
            failures.append(f"{name}: {missing} missing, {dup} duplicated, {extra} unknown")

    print(f"soak: {elapsed:.0f} s, {len(lines)} output lines, {rotations['dns']} dnsmasq.log and "
          f"{rotations['audit']} audit.jsonl rotations, {edits} allowlist edits, {bursts} NFLOG bursts")
    check_once("dns blocked queries", dns_seen, dns_seq)
    check_once("audit lines", audit_seen, audit_seq)
    print(f"soak: allowed queries: {allowed_seq} written, {allowed_reported} reported (must be 0)")
    if allowed_reported:
        failures.append(f"{allowed_reported} allowed queries were reported")
    if bad_json:
        failures.append(f"{bad_json} output lines are not valid JSON")
    if other_watch:
        failures.append(f"unexpected watch events: {other_watch[:3]}")
    if netns:
        dup = sum(1 for c in nflog_seen.values() if c > 1)
        unknown = sum(1 for i in nflog_seen if i >= nflog_next)
        delivered = len(nflog_seen)
        print(f"soak: nflog: {nflog_sent} sent, {delivered} delivered, {nflog_sent - delivered} "
              f"lost; {lost_events} lost events reporting {lost_reported}; {dup} duplicated, "
              f"{unknown} unknown")
        if dup or unknown:
            failures.append(f"nflog: {dup} duplicated, {unknown} unknown")
        if delivered + lost_reported != nflog_sent:
            failures.append(f"nflog: delivered {delivered} + reported lost {lost_reported} != "
                            f"sent {nflog_sent}")
    for t, rss, fds in samples:
        print(f"soak: swcat at {t:6.0f} s: VmRSS {rss} kB, {fds} fds")
    mid = samples[len(samples) // 2]
    print(f"RESULT soak rss_start {samples[0][1]} kB - -")
    print(f"RESULT soak rss_middle {mid[1]} kB - -")
    print(f"RESULT soak rss_end {samples[-1][1]} kB - -")
    print(f"RESULT soak fds_start {samples[0][2]} fds - -")
    print(f"RESULT soak fds_end {samples[-1][2]} fds = {'MET' if samples[-1][2] == samples[0][2] else 'MISSED'}")
    print(f"RESULT soak failures {len(failures)} count 0 {'MET' if not failures else 'MISSED'}")
    if samples[-1][2] != samples[0][2]:
        failures.append(f"fd count changed: {samples[0][2]} -> {samples[-1][2]}")
    out_file.close()
    if failures:
        print("soak: FAIL:\n  " + "\n  ".join(failures))
        print(f"soak: output kept in {tmp}")
        return 1
    shutil.rmtree(tmp, ignore_errors=True)
    print("soak: PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
