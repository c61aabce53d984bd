#!/usr/bin/env bash
# Golden-file compatibility suite: the stream of the Python `shield watch`
# tool, as libshieldwatch reproduces it (or deliberately differs from it, see
# the README's "Compatibility with `shield watch`").
#
#   compat_test.sh SWCAT CASES_DIR README
#
# Each directory under CASES_DIR is one case (see tests/compat/README.md):
#   about           what the case shows (printed)
#   container       the container name (default "ctr")
#   state/          files in the state dir before swcat starts (dns.tier is
#                   written as "dnsmasq" unless given)
#   dnsmasq.log     appended after swcat started (phase 1)
#   nflog           packets sent after phase 1 from a throwaway netns whose
#                   nft rules log them to NFLOG, one a line:
#                     PROTO DEST PORT "PREFIX"   (PROTO tcp or udp)
#                   (needs root, ip, nft; the case skips otherwise)
#   audit.jsonl     appended last (phase 3)
#   expected.jsonl  swcat's output, line for line. A timestamp the library
#                   generated is written "<generated>": in the output it must
#                   have the form YYYY-MM-DDTHH:MM:SS.uuuuuu+00:00 and lie
#                   within the run (inputs use other dates). Every other byte
#                   is compared exactly.
# Between phases an audit line {"action":"compat-sync"} is appended and
# awaited, so the order across sources is fixed; those lines are removed
# from the output before comparing.
#
# Also checks that the README's first ```json block equals the case
# "readme-example" (timestamps aside).
set -uo pipefail
swcat=$1 cases=$2 readme=$3
tmp=$(mktemp -d /tmp/sw-compat-XXXXXX)
netns=""
cleanup() {
  [ -n "$netns" ] && ip netns del "$netns" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
pass=0 fail=0 skip=0
sync_line='{"action":"compat-sync","container":"compat"}'

# Why NFLOG cases cannot run here, or nothing.
nflog_unavailable() {
  [ "$(id -u)" = 0 ] || { echo "needs root (netns, nft, NFLOG)"; return; }
  command -v ip >/dev/null || { echo "needs ip (iproute2)"; return; }
  command -v nft >/dev/null || { echo "needs nft"; return; }
}

# Appends the sync line and waits until swcat printed it (count $2), 20 s max
# (a loaded CI machine).
sync_with() {  # STATE_DIR COUNT OUT
  printf '%s\n' "$sync_line" >> "$1/audit.jsonl"
  for _ in $(seq 800); do
    [ "$(grep -cF '"action":"compat-sync"' "$3")" -ge "$2" ] && return 0
    sleep 0.025
  done
  return 1
}

# A netns with an uplink and one nft rule per packet of the case's nflog file.
setup_netns() {  # NFLOG_FILE GROUP
  netns=swcompat-$$
  ip netns add "$netns" || return 1
  local n="ip -n $netns"
  $n link set lo up && $n link add d0 type veth peer name d1 && $n link set d1 up &&
    $n link set d0 up && $n addr add 10.201.0.1/24 dev d0 && $n route add default dev d0 ||
    return 1
  {
    echo "table inet compat { chain out { type filter hook output priority 0;"
    while read -r proto dest port prefix; do
      echo "ip daddr $dest $proto dport $port log prefix $prefix group $2 drop"
    done < "$1"
    echo "}"
    echo "}"
  } > "$tmp/rules.nft"
  ip netns exec "$netns" nft -f "$tmp/rules.nft"
}

send_packets() {  # NFLOG_FILE
  while read -r proto dest port _; do
    # One datagram or one SYN (the connect is cut short before a retransmit).
    ip netns exec "$netns" timeout 0.3 bash -c "echo > /dev/$proto/$dest/$port" 2>/dev/null
  done < "$1"
}

# Output line -> its generated ts replaced: only the library's own form, and
# only a time within the run (inputs carry other dates).
normalize() {  # FILE START_EPOCH END_EPOCH
  local line ts secs
  while IFS= read -r line; do
    ts=$(printf '%s' "$line" | sed -nE 's/^\{"ts":"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}\+00:00)".*/\1/p')
    if [ -n "$ts" ] && secs=$(date -u -d "$ts" +%s 2>/dev/null) &&
       [ "$secs" -ge $(($2 - 1)) ] && [ "$secs" -le $(($3 + 1)) ]; then
      line="{\"ts\":\"<generated>\"${line#\{\"ts\":\"$ts\"}"
    fi
    printf '%s\n' "$line"
  done < "$1"
}

run_case() {  # CASE_DIR
  local c=$1 name out dir ctr args=() group pid n want
  name=$(basename "$c")
  ctr=$(cat "$c/container" 2>/dev/null || echo ctr)
  dir="$tmp/$name/containers/$ctr"
  out="$tmp/$name/out"
  mkdir -p "$dir"
  [ -d "$c/state" ] && cp -a "$c/state/." "$dir/"
  [ -f "$dir/dns.tier" ] || echo dnsmasq > "$dir/dns.tier"
  args=(--state "$dir" -o json --source dns,audit)
  if [ -f "$c/nflog" ]; then
    local why
    why=$(nflog_unavailable)
    if [ -n "$why" ]; then
      echo "SKIP $name: $why"
      skip=$((skip + 1))
      return
    fi
    group=$((3000 + $$ % 2000))
    if ! setup_netns "$c/nflog" "$group"; then
      echo "FAIL $name: could not set up netns $netns with nft rules"
      fail=$((fail + 1))
      ip netns del "$netns" 2>/dev/null; netns=""
      return
    fi
    args=(--state "$dir" -o json --source dns,audit,nflog --netns "/run/netns/$netns"
          --nflog-group "$group")
  fi
  local start
  start=$(date +%s)
  "$swcat" "${args[@]}" "$ctr" > "$out" 2> "$tmp/$name/err" &
  pid=$!
  # Ready once a line appended after its open comes out.
  local ready=0
  for _ in $(seq 400); do
    printf '%s\n' "$sync_line" >> "$dir/audit.jsonl"
    if grep -qF '"action":"compat-sync"' "$out"; then ready=1; break; fi
    sleep 0.05
  done
  n=$(grep -cF '"action":"compat-sync"' "$out")
  local ok=$ready
  if [ -f "$c/dnsmasq.log" ]; then
    cat "$c/dnsmasq.log" >> "$dir/dnsmasq.log"
    n=$((n + 1)); sync_with "$dir" "$n" "$out" || ok=0
  fi
  if [ -f "$c/nflog" ]; then
    send_packets "$c/nflog"
    want=$(grep -c '"source":"nflog"' "$c/expected.jsonl")
    for _ in $(seq 800); do
      [ "$(grep -c '"source":"nflog"' "$out")" -ge "$want" ] && break
      sleep 0.025
    done
    n=$((n + 1)); sync_with "$dir" "$n" "$out" || ok=0
  fi
  if [ -f "$c/audit.jsonl" ]; then
    cat "$c/audit.jsonl" >> "$dir/audit.jsonl"
    n=$((n + 1)); sync_with "$dir" "$n" "$out" || ok=0
  fi
  kill -INT "$pid" 2>/dev/null
  wait "$pid"
  if [ -n "$netns" ]; then ip netns del "$netns" 2>/dev/null; netns=""; fi
  grep -vF '"action":"compat-sync"' "$out" > "$out.events"
  normalize "$out.events" "$start" "$(date +%s)" > "$out.normalized"
  if [ "$ok" = 1 ] && diff -u "$c/expected.jsonl" "$out.normalized" > "$tmp/$name/diff"; then
    echo "ok   $name: $(cat "$c/about")"
    pass=$((pass + 1))
  else
    echo "FAIL $name: $(cat "$c/about")"
    [ "$ok" = 1 ] || echo "  swcat did not keep up (sync line missing); stderr: $(cat "$tmp/$name/err")"
    sed 's/^/  /' "$tmp/$name/diff"
    fail=$((fail + 1))
  fi
}

for c in "$cases"/*/; do
  run_case "${c%/}"
done

# The README's example lines are the readme-example case, byte for byte
# except the generated timestamps.
awk '/^```json$/ {inside = 1; next} inside && /^```$/ {exit} inside' "$readme" |
  sed -E 's/^\{"ts":"[^"]*"/{"ts":"<generated>"/' > "$tmp/readme.jsonl"
if [ -s "$tmp/readme.jsonl" ] && diff -u "$cases/readme-example/expected.jsonl" "$tmp/readme.jsonl"; then
  echo "ok   README example lines = tests/compat/readme-example"
  pass=$((pass + 1))
else
  echo "FAIL README example lines differ from tests/compat/readme-example/expected.jsonl"
  fail=$((fail + 1))
fi

echo "compat: $pass passed, $fail failed, $skip skipped"
if [ "$skip" -gt 0 ] && [ "${SW_REQUIRE_PRIVILEGED:-0}" = 1 ]; then
  echo "SW_REQUIRE_PRIVILEGED=1: cases skipped instead of running"
  exit 1
fi
[ "$fail" -eq 0 ] || exit 1
[ "$pass" -gt 0 ] || exit 77
exit 0
