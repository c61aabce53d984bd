#!/usr/bin/env python3
"""The restart test: a consumer (swcat --cursor-file) is killed with SIGKILL at
random points of a 100,000-event stream, and while it is down the logs grow and
are rotated (rename or copytruncate). Each restart resumes from the cursor
file. Checks: every event appears; each run starts exactly after the cursor
saved last (so nothing up to it is ever repeated, nothing after it is lost);
inside a run, each source's events come once each, in order; no "gap".

usage: cursor_restart_test.py SWCAT [EVENTS] [SEED]
"""
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

swcat = sys.argv[1]
total = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
seed = int(sys.argv[3]) if len(sys.argv) > 3 else int(time.time())
rng = random.Random(seed)
print(f"seed {seed}, {total} events")

tmp = tempfile.mkdtemp(prefix="sw-restart-")
state = os.path.join(tmp, "state")
os.mkdir(state)
with open(os.path.join(state, "dns.tier"), "w") as f:
    f.write("dnsmasq\n")
with open(os.path.join(state, "profile.domains"), "w") as f:
    f.write("allowed.test\n")
cursor_file = os.path.join(tmp, "cursors")
files = {"dns": os.path.join(state, "dnsmasq.log"), "audit": os.path.join(state, "audit.jsonl")}
for path in files.values():
    open(path, "w").close()

order = {"dns": [], "audit": []}  # seqs in the order written, per source
generation = {"dns": 0, "audit": 0}  # rotations so far
written = 0
rotations = {"rename": 0, "copytruncate": 0}


def fail(msg):
    print(f"FAIL (seed {seed}): {msg}; files kept in {tmp}")
    for name in sorted(os.listdir(state)):
        st = os.stat(os.path.join(state, name))
        print(f"  {name}: inode {st.st_ino:x}, {st.st_size} bytes, mtime {st.st_mtime_ns}")
    sys.exit(1)


def line(source, seq):
    if source == "audit":
        return f'{{"action":"deny","container":"c","detail":"seq {seq}"}}\n'
    return f"Nov 23 13:30:01 dnsmasq[7]: query[A] q{seq}.blocked.test from 10.0.0.2\n"


def write_batch(most=400):
    """Appends up to `most` events, one write(2) per file, as daemons do."""
    global written
    n = min(rng.randint(1, most), total - written)
    chunks = {"dns": [], "audit": []}
    for _ in range(n):
        source = rng.choice(("dns", "audit"))
        written += 1
        chunks[source].append(line(source, written))
        order[source].append(written)
    for source, lines in chunks.items():
        if lines:
            fd = os.open(files[source], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            os.write(fd, "".join(lines).encode())
            os.close(fd)


def rotate(source, how):
    # File times tick with the kernel's coarse clock (a few ms): rotations
    # in a burst could share an mtime, and resume orders rotated files by it.
    time.sleep(0.012)
    path = files[source]
    generation[source] += 1
    rotated = f"{path}.{generation[source]}"
    if how == "rename":
        os.rename(path, rotated)
        open(path, "a").close()
    else:
        shutil.copyfile(path, rotated)
        os.truncate(path, 0)
    rotations[how] += 1
    time.sleep(0.012)


def read_saved():
    saved = {}
    try:
        with open(cursor_file) as f:
            for l in f:
                source, _, cursor = l.rstrip("\n").partition(" ")
                saved[source] = cursor
    except FileNotFoundError:
        pass
    return saved


def parse_run(path):
    """[(source, seq, cursor)] of one run's output (a kill may cut the last line)."""
    events = []
    with open(path) as f:
        lines = f.read().split("\n")
    for i, l in enumerate(lines):
        if not l:
            continue
        try:
            ev = json.loads(l)
        except json.JSONDecodeError:
            if i == len(lines) - 1:
                continue  # the line the kill cut
            fail(f"{path}: invalid JSON line {i + 1}")
        if ev["source"] == "watch":
            fail(f"{path}: unexpected watch event {l}")
        seq = int(ev["detail"].split()[1]) if ev["source"] == "audit" else int(ev["domain"][1:].split(".")[0])
        events.append((ev["source"], seq, ev["cursor"]))
    return events


def wait_opened(proc):
    """swcat sleeps in poll(2) only once sw_open() returned (and the resumed
    backlog was read): from then on what is appended is reported."""
    for _ in range(2000):
        try:
            with open(f"/proc/{proc.pid}/wchan") as f:
                if "poll" in f.read():
                    return
        except OSError:
            pass
        if proc.poll() is not None:
            fail(f"swcat exited early with {proc.returncode}")
        time.sleep(0.005)
    fail("swcat did not open")


seq_of_cursor = {}
resume_at = {}  # source -> index in order[source] the next run must start at
seen = {"dns": set(), "audit": set()}
runs = 0
repeated = 0  # printed after the saved cursor by a killed run, so again later


def check_run(path):
    global runs
    runs += 1
    events = parse_run(path)
    pos = {s: {seq: i for i, seq in enumerate(order[s])} for s in order}
    nxt = dict(resume_at)
    for source, seq, cursor in events:
        seq_of_cursor[cursor] = (source, seq)
        i = pos[source].get(seq)
        if i is None:
            fail(f"run {runs}: {source} seq {seq} was never written")
        if source in nxt and i != nxt[source]:
            want = order[source][nxt[source]] if nxt[source] < len(order[source]) else "none"
            fail(f"run {runs}: {source} seq {seq} where seq {want} was due "
                 f"({'repeated' if i < nxt[source] else 'skipped'})")
        nxt[source] = i + 1
        global repeated
        repeated += seq in seen[source]
        seen[source].add(seq)
    return events


start = time.monotonic()
# Run 1 has no cursor: it reports what is written after it opened, and is
# killed only once it saved a cursor for both sources. Up to 64 rotations of
# a file since its cursor are bridged; the test stays far below.
while True:
    out = os.path.join(tmp, f"run{runs + 1}.jsonl")
    with open(out, "w") as o:
        proc = subprocess.Popen([swcat, "--state", state, "--source", "dns,audit", "--show-cursor",
                                 "--cursor-file", cursor_file, "-o", "json", "c"], stdout=o)
    # Wait until it opened (on a loaded machine that can take longer than
    # the random time it gets to run).
    wait_opened(proc)
    # Live: write while it reads, then kill it at a random point.
    deadline = time.monotonic() + rng.uniform(0.01, 0.2)
    while written < total and (time.monotonic() < deadline or (runs == 0 and len(read_saved()) < 2)):
        write_batch()
        time.sleep(rng.uniform(0, 0.01))
    if written >= total:
        break
    # A burst, and the kill lands somewhere in its reading and printing.
    write_batch(5000)
    time.sleep(rng.uniform(0, 0.01))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    check_run(out)
    saved = read_saved()
    for source, cursor in saved.items():
        if cursor not in seq_of_cursor:
            fail(f"the saved {source} cursor is not one swcat printed")
        s, seq = seq_of_cursor[cursor]
        resume_at[source] = order[source].index(seq) + 1
    # Down: the logs grow and are rotated, sometimes twice.
    for _ in range(rng.randint(0, 3)):
        if written < total:
            write_batch()
    for source in ("dns", "audit"):
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            rotate(source, rng.choice(("rename", "copytruncate")))
            for _ in range(rng.randint(0, 2)):
                if written < total:
                    write_batch()

# Everything is written: a live run is still reading; stop it, then the
# catch-up run (--no-follow) must print the rest and exit by itself.
time.sleep(0.05)
os.kill(proc.pid, signal.SIGKILL)
proc.wait()
check_run(out)
saved = read_saved()
for source, cursor in saved.items():
    resume_at[source] = order[source].index(seq_of_cursor[cursor][1]) + 1
out = os.path.join(tmp, "final.jsonl")
with open(out, "w") as o:
    try:
        rc = subprocess.run([swcat, "--state", state, "--source", "dns,audit", "--show-cursor",
                             "--cursor-file", cursor_file, "--no-follow", "c"], stdout=o,
                            timeout=60).returncode
    except subprocess.TimeoutExpired:
        fail("swcat --no-follow did not exit")
if rc != 0:
    fail(f"swcat --no-follow exited {rc}")
check_run(out)
for source in order:
    missing = set(order[source]) - seen[source]
    if missing:
        fail(f"{len(missing)} {source} events never appeared, first {min(missing)}")
elapsed = time.monotonic() - start
print(f"ok: {total} events, {runs} runs ({runs - 1} kills), rotations while down: "
      f"{rotations['rename']} rename, {rotations['copytruncate']} copytruncate; "
      f"every event appeared, each run started right after the saved cursor "
      f"({repeated} printed after it by a killed run came again); {elapsed:.1f} s")
shutil.rmtree(tmp)
