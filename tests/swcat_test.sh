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

# A reader that goes away ends swcat with status 0.
"$swcat" --state "$dir" --source audit -n 3 web | head -n 1 > /dev/null
check "closed stdout exits 0" [ "${PIPESTATUS[0]}" -eq 0 ]

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

echo "swcat: $pass passed, $fail failed"
[ $fail -eq 0 ]
