#!/usr/bin/env bash
# swcat -o journal and -o syslog against real receivers: a journald
# native-protocol socket in a private mount namespace (root), and rsyslog on
# loopback (TCP with octet counting, UDP, a unix socket) parsing the
# structured data with mmpstrucdata.
set -uo pipefail
swcat="$1"
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/swcat-export.XXXXXX)
rspid=""
cleanup() { [ -n "$rspid" ] && kill "$rspid" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$tmp"; }
trap cleanup EXIT
pass=0; fail=0; skip=0
check() {  # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then pass=$((pass + 1)); echo "ok   $name"; else fail=$((fail + 1)); echo "FAIL $name"; fi
}
skip() {
  if [ "${SW_REQUIRE_PRIVILEGED:-0}" = 1 ]; then fail=$((fail + 1)); echo "FAIL (required) $1"
  else skip=$((skip + 1)); echo "SKIP $1"; fi
}

dir="$tmp/state"; mkdir -p "$dir"; echo dnsmasq > "$dir/dns.tier"
# The tricky characters of both formats: '"', '\', ']' and a newline.
cat > "$dir/audit.jsonl" <<'JSON'
{"ts":"2026-11-23T10:00:00.5Z","action":"deny","container":"web","dest":"10.0.0.1","port":22,"proto":"tcp","detail":"q\"uote b\\ack ]br"}
{"ts":"2026-11-23T10:00:01Z","action":"setup","container":"web","detail":"line1\nline2"}
{"ts":"2026-11-23T10:00:02Z","action":"blocked_query","container":"web","domain":"evil.example"}
JSON

# ---- journald native protocol ----
"$swcat" -o journal --source audit --state "$dir" --no-follow web 2>"$tmp/err" || true
if grep -q "built without libsystemd" "$tmp/err"; then
  skip "-o journal: swcat built without libsystemd"
elif [ "$(id -u)" -ne 0 ] || ! unshare -m true 2>/dev/null; then
  skip "-o journal needs root for a private mount namespace"
else
  unshare -m bash -c "
    mount --make-rprivate / && mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/journal || exit 1
    python3 '$here/journal_receiver.py' /run/systemd/journal/socket '$tmp/journal.out' 3 &
    rcv=\$!
    for _ in \$(seq 100); do [ -S /run/systemd/journal/socket ] && break; sleep 0.05; done
    '$swcat' -o journal --source dns,audit --state '$dir' -n 3 --no-follow web || exit 2
    wait \$rcv
  "; rc=$?
  check "-o journal exits 0 and the receiver got 3 entries" bash -c "[ $rc -eq 0 ] && [ \$(wc -l < '$tmp/journal.out') -eq 3 ]"
  check "journal entries parse as the native protocol" bash -c "! grep -q INVALID '$tmp/journal.out'"
  python3 - "$tmp/journal.out" > "$tmp/journal.check" 2>&1 <<'PY'
import json, sys
e = [json.loads(l) for l in open(sys.argv[1])]
assert e[0]["SYSLOG_IDENTIFIER"] == "swcat", e[0]
assert e[0]["PRIORITY"] == "4" and e[1]["PRIORITY"] == "6" and e[2]["PRIORITY"] == "4", e
assert e[0]["SHIELDWATCH_DETAIL"] == 'q"uote b\\ack ]br', e[0]
assert e[0]["SHIELDWATCH_DEST"] == "10.0.0.1" and e[0]["SHIELDWATCH_PORT"] == "22", e[0]
assert e[0]["SHIELDWATCH_PROTO"] == "6" and e[0]["SHIELDWATCH_ACTION"] == "deny", e[0]
assert e[0]["SHIELDWATCH_TS"] == "2026-11-23T10:00:00.5Z", e[0]  # audit ts verbatim
assert not any(k.startswith("CODE_") for k in e[0]), e[0]  # no build paths
assert e[1]["SHIELDWATCH_DETAIL"] == "line1\nline2", e[1]  # binary-safe field
assert e[2]["SHIELDWATCH_DOMAIN"] == "evil.example", e[2]
assert "SHIELDWATCH_UID" not in e[2], e[2]  # absent fields are not sent
assert e[2]["MESSAGE"].split()[:3] == ["10:00:02", "audit", "blocked_query"], e[2]["MESSAGE"]
assert e[2]["MESSAGE"].endswith("web evil.example"), e[2]["MESSAGE"]
print("journal fields ok")
PY
  grep -q "journal fields ok" "$tmp/journal.check" || cat "$tmp/journal.check"
  check "journal: MESSAGE, PRIORITY by action, SYSLOG_IDENTIFIER, SHIELDWATCH_* fields" grep -q "journal fields ok" "$tmp/journal.check"
fi

# ---- rsyslog ----
if ! command -v rsyslogd >/dev/null 2>&1; then
  skip "rsyslogd not installed (Debian package rsyslog)"
else
  # A port picked by bind(0) and released can be taken again before rsyslogd
  # binds it (another test doing the same at once): then pick new ones.
  for attempt in 1 2 3 4 5; do
    read -r tport uport < <(python3 -c '
import socket
t = socket.socket(); t.bind(("127.0.0.1", 0))
u = socket.socket(type=socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
print(t.getsockname()[1], u.getsockname()[1])')
    mkdir -p "$tmp/rs"
    cat > "$tmp/rs/rsyslog.conf" <<CONF
global(workDirectory="$tmp/rs")
module(load="imtcp")
module(load="imudp")
module(load="imuxsock" SysSock.Use="off")
module(load="mmpstrucdata")
input(type="imtcp" address="127.0.0.1" port="$tport")
input(type="imudp" address="127.0.0.1" port="$uport")
input(type="imuxsock" Socket="$tmp/rs/log.sock" UseSpecialParser="off" ParseHostname="on" IgnoreTimestamp="off")
template(name="check" type="list") {
  property(name="inputname") constant(value="|")
  property(name="app-name") constant(value="|")
  property(name="msgid") constant(value="|")
  property(name="syslogseverity") constant(value="|")
  property(name="timereported" dateFormat="rfc3339") constant(value="|")
  property(name="\$!") constant(value="|")
  property(name="msg") constant(value="\n")
}
action(type="mmpstrucdata")
action(type="omfile" file="$tmp/rs/out.log" template="check")
CONF
    rsyslogd -n -f "$tmp/rs/rsyslog.conf" -i "$tmp/rs/pid" 2>"$tmp/rs/stderr" &
    rspid=$!
    for _ in $(seq 100); do [ -S "$tmp/rs/log.sock" ] && break; sleep 0.05; done
    grep -q "Could not create\|no listeners" "$tmp/rs/stderr" 2>/dev/null || break
    kill "$rspid" 2>/dev/null; wait "$rspid" 2>/dev/null; rspid=
    rm -rf "$tmp/rs"
  done
  for target in "tcp:127.0.0.1:$tport" "udp:127.0.0.1:$uport" "unix:$tmp/rs/log.sock"; do
    "$swcat" -o "syslog=$target" --source dns,audit --state "$dir" -n 3 --no-follow web; rc=$?
    check "-o syslog=$target exits 0" [ $rc -eq 0 ]
  done
  for _ in $(seq 100); do [ "$(wc -l < "$tmp/rs/out.log" 2>/dev/null || echo 0)" -ge 9 ] && break; sleep 0.05; done
  python3 - "$tmp/rs/out.log" > "$tmp/rs/check" 2>&1 <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
# 9: the newline inside "line1\nline2" did not split a TCP message (octet counting)
assert len(lines) == 9, lines
by_input = {}
for l in lines:
    inp, app, msgid, sev, ts, sd, msg = l.split("|", 6)
    by_input.setdefault(inp, []).append((app, msgid, sev, ts, json.loads(sd), msg))
assert sorted(by_input) == ["imtcp", "imudp", "imuxsock"], by_input.keys()
for inp, evs in by_input.items():
    assert len(evs) == 3, (inp, evs)
    app, msgid, sev, ts, sd, msg = evs[0]
    p = sd["rfc5424-sd"]["shieldwatch@32473"]
    assert app == "swcat" and msgid == "deny" and sev == "4", (inp, evs[0])
    assert ts.startswith("2026-11-23T10:00:00.5"), (inp, ts)
    assert p["detail"] == 'q"uote b\\ack ]br', (inp, p)  # escaping round-trips
    assert p["dest"] == "10.0.0.1" and p["port"] == "22" and p["proto"] == "6", (inp, p)
    assert evs[1][1] == "setup" and evs[1][2] == "6", (inp, evs[1])
    # rsyslog shows control characters as #ooo on receipt
    assert evs[1][4]["rfc5424-sd"]["shieldwatch@32473"]["detail"] == "line1#012line2", (inp, evs[1])
    assert evs[2][4]["rfc5424-sd"]["shieldwatch@32473"]["domain"] == "evil.example", (inp, evs[2])
    assert "blocked_query" in evs[2][5] and evs[2][5].endswith("web evil.example"), (inp, evs[2][5])
print("syslog ok")
PY
  grep -q "syslog ok" "$tmp/rs/check" || cat "$tmp/rs/check" "$tmp/rs/stderr"
  check "rsyslog parsed RFC 5424 with SD-PARAM escaping over tcp (octet counting), udp and unix" grep -q "syslog ok" "$tmp/rs/check"
fi

"$swcat" -o syslog=tcp:127.0.0.1:1 --state "$dir" web 2>"$tmp/err"; rc=$?
check "unreachable syslog target: exit 1 with a one-line reason" bash -c "[ $rc -eq 1 ] && [ \$(wc -l < '$tmp/err') -eq 1 ] && grep -q 'refused' '$tmp/err'"
"$swcat" -o syslog=bogus --state "$dir" web 2>/dev/null; rc=$?
check "bad syslog target exits non-zero" [ $rc -ne 0 ]

echo "export: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
