#!/usr/bin/env python3
"""bench/python_watch.py: `shield watch` on the Python binding vs the original's select loop.

Both consumers follow dnsmasq.log of a fresh state directory and turn each
blocked query into its JSON line, in the main thread, while a writer thread
appends query lines (one write(2) per batch, O_APPEND):

  binding      `for ev in shieldwatch.Watcher(dir, c, sources=["dns"])` +
               `ev.to_json()` (the event-object loop; the shield_watch.py
               example now copies the JSON stream with read_json instead):
               blocks in poll(2) on the library's fd.
  select_loop  a stdlib reimplementation of the original's loop: with no NFLOG
               socket, `select.select([], [], [], 1.0)` (sleeps 1 s), then
               `readline()` over the new lines, the filtering of ref_dns.py
               and `json.dumps` (cheaper than the original's dataclass
               `asdict`, so its CPU figure flatters the original).

latency: 300 queries, one every 5-15 ms (jittered); monotonic time from just
  before the write to the consumer holding the JSON line; p50/p99/max.
cpu:     100,000 queries in batches of 500 every 5 ms; CPU time of the
  consumer thread (time.thread_time) from the start to the last event,
  divided by the events.

Prints RESULT python_watch <metric> <value> <unit> - - lines (bench/run.sh
runs it in the venv bindings/python/venv.sh makes under the build dir).
"""

import json
import os
import random
import select
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ref_dns  # noqa: E402  (the stdlib filtering the throughput benchmark uses)
import shieldwatch  # noqa: E402

CONTAINER = "c1"
LATENCY_EVENTS = 300
CPU_EVENTS = 100_000
CPU_BATCH = 500


def make_state(root):
    d = tempfile.mkdtemp(prefix="state-", dir=root)
    for name, content in (("dns.tier", "dnsmasq\n"), ("dnsmasq.log", ""),
                          ("audit.jsonl", ""), ("profile.domains", "allowed.test\n")):
        with open(os.path.join(d, name), "w") as f:
            f.write(content)
    return d


def query_line(i):
    return "Nov 22 13:30:01 dnsmasq[9605]: query[A] q%d.bench.test from 127.0.0.1\n" % i


def binding_consumer(state, ready, on_event):
    with shieldwatch.Watcher(state, CONTAINER, sources=["dns"]) as w:
        ready.set()
        for ev in w:
            if on_event(ev.domain, ev.to_json()):
                return


def select_loop_consumer(state, ready, on_event):
    allowed = ref_dns.load_allowlist(state)
    dumps = json.dumps
    with open(os.path.join(state, "dnsmasq.log"), encoding="utf-8", errors="replace") as fh:
        fh.seek(0, os.SEEK_END)
        ready.set()
        while True:
            select.select([], [], [], 1.0)  # the original without an NFLOG socket
            while True:
                line = fh.readline()
                if not line:
                    break
                msg = ref_dns.skip_extra(ref_dns.message_of(line.rstrip("\n")))
                if not msg.startswith("query["):
                    continue
                close = msg.find("] ", 6)
                frm = msg.rfind(" from ")
                if close < 0 or frm < close + 2:
                    continue
                qtype, name = msg[6:close], msg[close + 2:frm]
                if ref_dns.allows(allowed, name):
                    continue
                ev = {"ts": ref_dns.now_rfc3339(), "source": "dns", "action": "blocked_query",
                      "container": CONTAINER, "domain": name, "query_type": qtype}
                if on_event(name, dumps(ev, separators=(",", ":"))):
                    return


def run(consumer, state, n, writer):
    """Runs consumer in this thread and writer(fd, ready, sent) in another."""
    ready = threading.Event()
    sent = [0.0] * n
    got = [0.0] * n
    count = [0]

    def on_event(domain, line):
        got[int(domain[1:domain.index(".")])] = time.monotonic()
        count[0] += 1
        return count[0] == n

    fd = os.open(os.path.join(state, "dnsmasq.log"), os.O_WRONLY | os.O_APPEND)
    t = threading.Thread(target=writer, args=(fd, ready, sent), daemon=True)
    t.start()
    cpu0, wall0 = time.thread_time(), time.monotonic()
    consumer(state, ready, on_event)
    cpu, wall = time.thread_time() - cpu0, time.monotonic() - wall0
    t.join()
    os.close(fd)
    return sent, got, cpu, wall


def latency_writer(fd, ready, sent):
    ready.wait()
    rnd = random.Random(1)
    for i in range(len(sent)):
        time.sleep(rnd.uniform(0.005, 0.015))
        line = query_line(i).encode()
        sent[i] = time.monotonic()
        os.write(fd, line)


def cpu_writer(fd, ready, sent):
    ready.wait()
    for start in range(0, len(sent), CPU_BATCH):
        os.write(fd, "".join(query_line(i) for i in range(start, start + CPU_BATCH)).encode())
        time.sleep(0.005)


def pct(sorted_ms, p):
    return sorted_ms[min(len(sorted_ms) - 1, int(len(sorted_ms) * p))]


def main():
    print("python_watch: Python %s, libshieldwatch %s" % (
        sys.version.split()[0], shieldwatch.library_version()))
    results = []
    with tempfile.TemporaryDirectory(prefix="sw-pybench-") as root:
        lat = {}
        for name, consumer in (("binding", binding_consumer), ("select_loop", select_loop_consumer)):
            sent, got, _, _ = run(consumer, make_state(root), LATENCY_EVENTS, latency_writer)
            ms = sorted((g - s) * 1000 for s, g in zip(sent, got))
            lat[name] = ms
            print("latency %-11s p50 %.3f ms  p99 %.3f ms  max %.3f ms  (%d events)" % (
                name, pct(ms, 0.5), pct(ms, 0.99), ms[-1], len(ms)))
            results += [(name + "_latency_p50", pct(ms, 0.5), "ms"),
                        (name + "_latency_p99", pct(ms, 0.99), "ms"),
                        (name + "_latency_max", ms[-1], "ms")]
        cpu_us = {}
        for name, consumer in (("binding", binding_consumer), ("select_loop", select_loop_consumer)):
            _, _, cpu, wall = run(consumer, make_state(root), CPU_EVENTS, cpu_writer)
            cpu_us[name] = cpu / CPU_EVENTS * 1e6
            print("cpu     %-11s %.2f us/event  (%.3f s CPU, %.3f s wall, %d events)" % (
                name, cpu_us[name], cpu, wall, CPU_EVENTS))
            results.append((name + "_cpu_per_event", cpu_us[name], "us"))
    results.append(("latency_p50_ratio", pct(lat["select_loop"], 0.5) / pct(lat["binding"], 0.5), "x"))
    results.append(("cpu_ratio", cpu_us["select_loop"] / cpu_us["binding"], "x"))
    for metric, value, unit in results:
        print("RESULT python_watch %s %.6g %s - -" % (metric, value, unit))


if __name__ == "__main__":
    main()
