#!/usr/bin/env bash
# swcat's command-line contract: options, exit codes, state-dir resolution,
# -n, closed stdout, SIGINT.
set -uo pipefail
swcat="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/sh_util.sh"

root="$tmp/root"; dir="$root/containers/web"
mkdir -p "$dir"; echo dnsmasq > "$dir/dns.tier"; echo github.com > "$dir/profile.domains"
printf '{"action":"a1","container":"web"}\n{"action":"a2","container":"web"}\n{"action":"a3","container":"web"}\n' > "$dir/audit.jsonl"

"$swcat" --help > "$tmp/help"; check "--help exits 0" [ $? -eq 0 ]
check "--help shows usage" grep -q 'Usage: swcat' "$tmp/help"
check "--version" bash -c "'$swcat' --version | grep -qE '^swcat [0-9]+\.[0-9]+\.[0-9]+$'"
"$swcat" --bogus web 2>/dev/null; check "unknown option exits 2" [ $? -eq 2 ]
"$swcat" -o xml web 2>"$tmp/err"; check "bad -o exits 2 with a reason" [ $? -eq 2 -a -s "$tmp/err" ]
"$swcat" --source dns,bogus web 2>/dev/null; check "bad --source exits 2" [ $? -eq 2 ]
"$swcat" 2>/dev/null; check "missing CONTAINER exits 2" [ $? -eq 2 ]

mkdir -p "$root/containers/bind"; echo bind > "$root/containers/bind/dns.tier"
"$swcat" --state-dir "$root" bind 2>"$tmp/err"; rc=$?
check "wrong tier exits non-zero" [ $rc -ne 0 ]
check "wrong tier says why in one line" bash -c "[ \$(wc -l < '$tmp/err') -eq 1 ] && grep -q dnsmasq '$tmp/err'"
"$swcat" --state-dir "$root" nosuch 2>"$tmp/err"; rc=$?
check "missing container dir exits non-zero with a reason" bash -c "[ $rc -ne 0 ] && grep -q 'No such file' '$tmp/err'"

# -n N, then live events; JSON because stdout is a file; SIGINT exits 0.
out="$tmp/out1"
"$swcat" --state-dir "$root" --source dns,audit -n 2 web > "$out" &
pid=$!
wait_lines "$out" 2
query evil.example >> "$dir/dnsmasq.log"
query api.github.com >> "$dir/dnsmasq.log"
wait_lines "$out" 3
kill -INT $pid; wait $pid; rc=$?
check "SIGINT exits 0" [ $rc -eq 0 ]
check "-n 2 prints the last two audit events first" bash -c "sed -n 1p '$out' | grep -q '\"action\":\"a2\"' && sed -n 2p '$out' | grep -q '\"action\":\"a3\"'"
check "then the live blocked query, and only it" bash -c "[ \$(wc -l < '$out') -eq 3 ] && sed -n 3p '$out' | grep -q '\"domain\":\"evil.example\"'"
check "output is valid JSON lines" python3 -c "import json,sys; [json.loads(l) for l in open('$out')]"

# $TEROK_SHIELD_STATE_DIR and --state; text output without color when not a TTY.
out="$tmp/out2"
TEROK_SHIELD_STATE_DIR="$root" NO_COLOR=1 "$swcat" -o text --source dns web > "$out" &
pid=$!; wait_ready $pid
query text.example >> "$dir/dnsmasq.log"
wait_lines "$out" 1; kill -TERM $pid; wait $pid; rc=$?
check "TEROK_SHIELD_STATE_DIR is the default root; SIGTERM exits 0" [ $rc -eq 0 ]
check "text output is a readable line without escapes" bash -c "grep -q 'blocked_query' '$out' && grep -q 'text.example \[A\]' '$out' && ! grep -q \$'\\033' '$out'"

# A pipe on stdout is grown to 1 MiB (or fs.pipe-max-size when lower), so
# a burst waits for the reader less often. F_GETPIPE_SZ is 1032.
check "swcat grows its stdout pipe" python3 - "$swcat" "$dir" <<'PY'
import fcntl, subprocess, sys, time
swcat, d = sys.argv[1], sys.argv[2]
want = min(1 << 20, int(open("/proc/sys/fs/pipe-max-size").read()))
p = subprocess.Popen([swcat, "--state", d, "--source", "audit", "web"], stdout=subprocess.PIPE)
size, deadline = 0, time.time() + 10
while size < want and time.time() < deadline:
    size = fcntl.fcntl(p.stdout.fileno(), 1032)
    time.sleep(0.02)
p.terminate(); p.wait()
print("pipe size", size, "want", want)
sys.exit(0 if size >= want else 1)
PY

# A reader that goes away ends swcat with status 0.
"$swcat" --state "$dir" --source audit -n 3 web | head -n 1 > /dev/null
check "closed stdout exits 0" [ "${PIPESTATUS[0]}" -eq 0 ]

# --cursor-file with --no-follow: a catch-up that prints what was missed and
# exits. A cursor file swcat cannot use gives one gap event, then the file
# from its start; the file is then replaced by usable cursors.
cf="$tmp/cursors"; out="$tmp/outc"
printf 'audit not-a-cursor\n' > "$cf"
timeout 10 "$swcat" --state "$dir" --source audit --cursor-file "$cf" --no-follow web > "$out"; rc=$?
check "--no-follow exits 0 by itself" [ $rc -eq 0 ]
check "an unusable cursor: one gap event with the reason" bash -c "sed -n 1p '$out' | grep -q '\"action\":\"gap\".*audit: cannot resume from the cursor: the cursor is not one this library wrote'"
check "then audit.jsonl from its start" bash -c "[ \$(grep -c '\"source\":\"audit\"' '$out') -eq 3 ] && sed -n 2p '$out' | grep -q '\"action\":\"a1\"'"
check "the cursor file now holds a cursor" grep -q '^audit sw2\.' "$cf"
check "no temp file left" [ ! -e "$cf.tmp" ]
printf '{"action":"a4","container":"web"}\n' >> "$dir/audit.jsonl"
timeout 10 "$swcat" --state "$dir" --source audit --cursor-file "$cf" --no-follow web > "$out"; rc=$?
check "the next catch-up prints only what was missed" bash -c "[ $rc -eq 0 ] && [ \$(wc -l < '$out') -eq 1 ] && grep -q '\"action\":\"a4\"' '$out'"
timeout 10 "$swcat" --state "$dir" --source audit --cursor-file "$cf" --no-follow --show-cursor web > "$out"; rc=$?
check "and nothing when nothing was missed" bash -c "[ $rc -eq 0 ] && [ ! -s '$out' ]"
"$swcat" --state-dir "$root" --cursor-file "$cf" web db 2>/dev/null; check "--cursor-file with several containers exits 2" [ $? -eq 2 ]

# Several containers in one host; --all picks up a container created live.
mkdir -p "$root/containers/db"; echo dnsmasq > "$root/containers/db/dns.tier"
out="$tmp/out3"
NO_COLOR=1 "$swcat" --state-dir "$root" -o text web db > "$out" &
pid=$!; wait_ready $pid
query from.web >> "$dir/dnsmasq.log"
query from.db >> "$root/containers/db/dnsmasq.log"
wait_lines "$out" 4; kill -INT $pid; wait $pid
check "swcat A B: text names each event's container" bash -c "grep -q 'blocked_query *web from.web' '$out' && grep -q 'blocked_query *db from.db' '$out'"
"$swcat" --all web 2>/dev/null; check "--all with a CONTAINER exits 2" [ $? -eq 2 ]
out="$tmp/out4"
"$swcat" --state-dir "$root" --all > "$out" &
pid=$!; wait_ready $pid
mkdir -p "$root/containers/late"; echo dnsmasq > "$root/containers/late/dns.tier"
wait_lines "$out" 3
query from.late >> "$root/containers/late/dnsmasq.log"
wait_lines "$out" 4; kill -INT $pid; wait $pid
check "--all attaches the existing containers" bash -c "grep -q '\"action\":\"container_added\",\"container\":\"web\"' '$out' && grep -q '\"container_added\",\"container\":\"db\"' '$out'"
check "--all picks up a container created live" bash -c "grep -q '\"blocked_query\",\"container\":\"late\",\"domain\":\"from.late\"' '$out'"
check "--all never attaches a non-dnsmasq tier" bash -c "! grep -q '\"container\":\"bind\"' '$out'"

# A reader that never reads (stdout a FIFO nobody drains): SIGTERM still ends
# swcat within a second.
python3 -c "
import sys
with open(sys.argv[1], 'w') as f:
    for i in range(100000): f.write('{\"action\":\"bulk%d\",\"container\":\"web\"}\n' % i)
" "$dir/audit.jsonl"
mkfifo "$tmp/stuck"
exec 3<>"$tmp/stuck"   # holds the read end open, never reads
# 100,000 lines (~9 MB) overfill the pipe, even at the 1 MiB swcat gives it:
# swcat ends up waiting in poll for stdout, where the signal must find it.
"$swcat" --state "$dir" --source audit -n 100000 web > "$tmp/stuck" &
pid=$!; wait_ready $pid
kill -TERM $pid
gone=1; for _ in $(seq 20); do kill -0 $pid 2>/dev/null || { gone=0; break; }; sleep 0.05; done
check "SIGTERM ends swcat blocked on a stalled stdout within 1 s" [ $gone -eq 0 ]
kill -KILL $pid 2>/dev/null; wait $pid 2>/dev/null; exec 3>&-

# An O_NONBLOCK stdout pipe: every line arrives (or a non-zero exit), never a
# silent drop.
check "O_NONBLOCK stdout delivers every line" python3 - "$swcat" "$dir" <<'PY'
import fcntl, os, signal, subprocess, sys, time
swcat, d = sys.argv[1], sys.argv[2]
r, w = os.pipe()
fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)
p = subprocess.Popen([swcat, "--state", d, "--source", "audit", "-n", "100000", "web"], stdout=w)
os.close(w)
time.sleep(0.5)  # let the pipe fill: swcat sees EAGAIN
data, deadline = b"", time.time() + 60
while data.count(b"\n") < 100000 and time.time() < deadline:
    chunk = os.read(r, 1 << 16)
    if not chunk: break
    data += chunk
p.send_signal(signal.SIGTERM); rc = p.wait()
n = data.count(b"\n")
print("lines", n, "rc", rc)
sys.exit(0 if n == 100000 else 1)
PY

# A blocking stdout pipe stays blocking for everyone else who holds it:
# swcat writes through its own non-blocking open of the pipe, and a slow
# reader still gets every line.
check "swcat leaves its stdout pipe blocking and delivers every line" python3 - "$swcat" "$dir" <<'PY'
import fcntl, os, signal, subprocess, sys, time
swcat, d = sys.argv[1], sys.argv[2]
r, w = os.pipe()
p = subprocess.Popen([swcat, "--state", d, "--source", "audit", "-n", "100000", "web"], stdout=w)
time.sleep(0.5)  # swcat has written, the pipe is full
flags = fcntl.fcntl(w, fcntl.F_GETFL)
os.close(w)
data, deadline = b"", time.time() + 60
while data.count(b"\n") < 100000 and time.time() < deadline:
    chunk = os.read(r, 4096)
    if not chunk: break
    data += chunk
p.send_signal(signal.SIGTERM); rc = p.wait()
n = data.count(b"\n")
print("lines", n, "rc", rc, "O_NONBLOCK", bool(flags & os.O_NONBLOCK))
sys.exit(0 if n == 100000 and not flags & os.O_NONBLOCK else 1)
PY

# Text output escapes control bytes: no raw ESC/CR/LF from a detail, so no
# forged line and no terminal control.
printf '{"action":"x","container":"web","detail":"evil\\u001b[2J\\r\\nFAKE\\u009b1m"}\n' > "$dir/audit.jsonl"
timeout -s TERM 1 "$swcat" --state "$dir" --source audit -o text -n 1 web > "$tmp/text"
check "text output escapes control bytes" bash -c "[ \$(wc -l < '$tmp/text') -eq 1 ] && ! grep -q \$'\\033' '$tmp/text' && ! grep -q \$'\\r' '$tmp/text' && ! grep -q \$'\\xc2\\x9b' '$tmp/text' && grep -qF 'evil\\x1b[2J\\x0d\\x0aFAKE\\u009b1m' '$tmp/text'"

# Error messages name the file.
rm -f "$dir/audit.jsonl"; mkfifo "$dir/audit.jsonl"
timeout 5 "$swcat" --state "$dir" --source audit -n 1 web > /dev/null 2> "$tmp/err"; rc=$?
check "a refused audit.jsonl is named in the error, exit 1" bash -c "[ $rc -eq 1 ] && grep -q 'audit.jsonl' '$tmp/err'"
rm -f "$dir/audit.jsonl"

echo "swcat: $pass passed, $fail failed"
[ $fail -eq 0 ]
