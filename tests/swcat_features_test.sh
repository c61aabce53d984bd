#!/usr/bin/env bash
# swcat's dedup options, filters and --summary.
set -uo pipefail
swcat="$1"
tmp=$(mktemp -d /tmp/swcat-features.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
. "$(dirname "$0")/sh_util.sh"
# Sum over the JSON lines of FILE of 1 + suppressed.
occurrences() { python3 -c '
import json, sys
print(sum(1 + json.loads(l).get("suppressed", 0) for l in open(sys.argv[1]) if l.strip()))' "$1"; }
# Waits until FILE stands for at least N occurrences (up to 5 s).
wait_occ() { for _ in $(seq 100); do [ "$(occurrences "$1")" -ge "$2" ] && return 0; sleep 0.05; done; return 1; }
stop() { kill -TERM "$1"; wait "$1"; }

dir="$tmp/web"; mkdir -p "$dir"; echo dnsmasq > "$dir/dns.tier"; echo github.com > "$dir/profile.domains"
cat > "$dir/audit.jsonl" <<'JSON'
{"ts":"2026-11-20T10:00:00Z","action":"deny","container":"web","dest":"10.0.0.1","port":22,"proto":"tcp"}
{"ts":"2026-11-21T10:00:00Z","action":"setup","container":"web"}
{"ts":"2026-11-21T11:00:00Z","action":"blocked_query","container":"db","domain":"tracker.evil.com"}
{"ts":"2026-11-22T10:00:00Z","action":"deny","container":"web","dest":"10.0.0.1","port":22,"proto":"tcp"}
{"ts":"2026-11-22T12:00:00Z","action":"deny","container":"web","dest":"10.0.0.2","port":443,"proto":"tcp"}
JSON

# ---- dedup: randomised bursts, exact totals ----
out="$tmp/dedup"
"$swcat" --state "$dir" --source dns --dedup 150 web > "$out" & pid=$!; pids+=($pid)
wait_ready $pid
total=0
for round in 1 2 3; do
  lines=""
  for _ in $(seq $((RANDOM % 40 + 5))); do
    lines+=$(query "d$((RANDOM % 4)).example"; echo x); lines=${lines%x}
    total=$((total + 1))
  done
  printf '%s' "$lines" >> "$dir/dnsmasq.log"
  sleep 0.$((RANDOM % 3))
done
wait_occ "$out" $total; sleep 0.4; stop $pid
check "--dedup: sum of 1 + suppressed == $total lines written" [ "$(occurrences "$out")" -eq $total ]
check "--dedup: fewer events than lines" [ "$(wc -l < "$out")" -lt $total ]
check "--dedup: some event carries a suppressed count" grep -q '"suppressed":' "$out"

out="$tmp/once"
"$swcat" --state "$dir" --source dns --dedup-once --dedup 150 web > "$out" & pid=$!; pids+=($pid)
wait_ready $pid
{ query once.example; query once.example; query once.example; } >> "$dir/dnsmasq.log"
wait_occ "$out" 3; sleep 0.5
{ query once.example; query once.example; } >> "$dir/dnsmasq.log"
wait_occ "$out" 5; sleep 0.3; stop $pid
check "--dedup-once: 5 occurrences in 3 events (first, then two periodic counts)" \
  bash -c "[ \$(wc -l < '$out') -eq 3 ] && [ $(occurrences "$out") -eq 5 ]"
check "--dedup-once: only the first event lacks a count" bash -c "[ \$(grep -c suppressed '$out') -ge 1 ] && ! sed -n 1p '$out' | grep -q suppressed"

# ---- filters ----
"$swcat" --state "$dir" -n 10 --no-follow --action deny web > "$tmp/f1"
check "--action deny: exactly the 3 deny lines" bash -c "[ \$(wc -l < '$tmp/f1') -eq 3 ] && [ \$(grep -c '\"action\":\"deny\"' '$tmp/f1') -eq 3 ]"
"$swcat" --state "$dir" -n 10 --no-follow --action setup,blocked_query web > "$tmp/f2"
check "--action A,B" bash -c "[ \$(wc -l < '$tmp/f2') -eq 2 ] && ! grep -q '\"deny\"' '$tmp/f2'"
"$swcat" --state "$dir" -n 10 --no-follow --action set web > "$tmp/f3"
check "--action matches whole names only" [ ! -s "$tmp/f3" ]
"$swcat" --state "$dir" -n 10 --no-follow --domain '*.EVIL.com' web > "$tmp/f4"
check "--domain GLOB, case-insensitive" bash -c "[ \$(wc -l < '$tmp/f4') -eq 1 ] && grep -q tracker.evil.com '$tmp/f4'"
"$swcat" --state "$dir" -n 10 --no-follow --container 'd*' web > "$tmp/f5"
check "--container GLOB" bash -c "[ \$(wc -l < '$tmp/f5') -eq 1 ] && grep -q '\"container\":\"db\"' '$tmp/f5'"
"$swcat" --state "$dir" -n 10 --no-follow --source dns web > "$tmp/f6"
check "-n honours --source (no audit lines with --source dns)" [ ! -s "$tmp/f6" ]
"$swcat" --state "$dir" -n 10 --no-follow --source audit web > "$tmp/f7"
check "-n with --source audit prints the history" [ "$(wc -l < "$tmp/f7")" -eq 5 ]
out="$tmp/f8"
"$swcat" --state "$dir" --source dns --domain 'keep.*' web > "$out" & pid=$!; pids+=($pid)
wait_ready $pid; { query drop.example; query keep.example; } >> "$dir/dnsmasq.log"
wait_lines "$out" 1; sleep 0.2; stop $pid
check "filters apply to the live stream" bash -c "[ \$(wc -l < '$out') -eq 1 ] && grep -q keep.example '$out'"
"$swcat" --state "$dir" --action '' web 2>/dev/null; check "--action '' exits 2" [ $? -eq 2 ]
"$swcat" --state "$dir" --summary --sort bogus web 2>/dev/null; check "--sort bogus exits 2" [ $? -eq 2 ]

# ---- summary ----
"$swcat" --state "$dir" --summary --no-follow web > "$tmp/s1"
python3 - "$tmp/s1" > "$tmp/s1.check" 2>&1 <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, lines
s = json.loads(lines[0])
c = {x["container"]: x for x in s["containers"]}
assert sorted(c) == ["db", "web"], c
d = c["web"]["destinations"]
assert [(x["dest"], x["count"]) for x in d] == [("10.0.0.1", 2), ("10.0.0.2", 1)], d
assert d[0]["port"] == 22 and d[0]["proto"] == 6, d
assert d[0]["first"] == "2026-11-20T10:00:00Z" and d[0]["last"] == "2026-11-22T10:00:00Z", d
assert c["db"]["domains"] == [{"domain": "tracker.evil.com", "count": 1,
    "first": "2026-11-21T11:00:00Z", "last": "2026-11-21T11:00:00Z"}], c["db"]
assert "domains" not in c["web"], c["web"]  # setup is not a blocked access
print("summary ok")
PY
check "--summary --no-follow: JSON per container from the audit history" grep -q "summary ok" "$tmp/s1.check" || cat "$tmp/s1.check"
"$swcat" --state "$dir" --summary --no-follow --sort recent web > "$tmp/s2"
check "--sort recent puts the latest destination first" python3 -c "
import json; d = json.loads(open('$tmp/s2').read())['containers'][1]['destinations']
assert [x['dest'] for x in d] == ['10.0.0.2', '10.0.0.1'], d"

out="$tmp/s3"
"$swcat" --state "$dir" --summary --dedup 100 web > "$out" & pid=$!; pids+=($pid)
wait_ready $pid
for _ in $(seq 7); do query live.example; done >> "$dir/dnsmasq.log"
sleep 1.5; stop $pid
check "--summary following: live events counted with their suppressed repeats" python3 -c "
import json; s = json.loads(open('$out').read().splitlines()[-1])
web = [c for c in s['containers'] if c['container'] == 'web'][0]
assert [(x['domain'], x['count']) for x in web['domains']] == [('live.example', 7)], web"

# Text on a terminal: redrawn in place while following.
python3 - "$swcat" "$dir" > "$tmp/tty.check" 2>&1 <<'PY'
import os, pty, select, signal, subprocess, sys, time
swcat, d = sys.argv[1], sys.argv[2]
master, slave = pty.openpty()
p = subprocess.Popen([swcat, "--state", d, "--source", "dns,audit", "--summary", "web"],
                     stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.STDOUT)
os.close(slave)
def read_for(seconds):
    out, end = b"", time.time() + seconds
    while time.time() < end:
        r, _, _ = select.select([master], [], [], 0.05)
        if r:
            try: out += os.read(master, 65536)
            except OSError: break
    return out
first = read_for(0.8)
with open(os.path.join(d, "dnsmasq.log"), "a") as f:
    f.write("Nov 22 13:30:01 dnsmasq[1]: query[A] tty.example from 127.0.0.1\n")
second = read_for(1.8)
p.send_signal(signal.SIGTERM); p.wait()
assert b"DESTINATION" in first and b"10.0.0.1:22/tcp" in first and b"{" not in first, first
assert b"\x1b[H\x1b[2J" in second and b"tty.example" in second, second
print("tty ok")
PY
check "--summary on a TTY: text, redrawn in place when something new arrives" grep -q "tty ok" "$tmp/tty.check" || cat "$tmp/tty.check"

echo "features: $pass passed, $fail failed"
[ $fail -eq 0 ]
