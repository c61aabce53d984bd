#!/usr/bin/env bash
# Live demo: a throwaway network namespace with an nft egress shield and a
# dnsmasq resolver logging to a temp state dir; allowed and blocked lookups,
# a dropped raw-IP connection; swcat streams the events. Cleans up on exit.
# Needs root (network namespaces, nftables).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh >/dev/null

if [ "$(id -u)" -ne 0 ]; then echo "demo: run as root (it creates a network namespace)"; exit 1; fi
ns="swdemo-$$"
state=$(mktemp -d /tmp/swdemo.XXXXXX)
swcat_pid=""; dnsmasq_pid=""
cleanup() {
  [ -n "$swcat_pid" ] && kill "$swcat_pid" 2>/dev/null && wait "$swcat_pid" 2>/dev/null || true
  [ -n "$dnsmasq_pid" ] && kill "$dnsmasq_pid" 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$state"
}
trap cleanup EXIT INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }

say "sandbox: netns $ns, state dir $state"
echo dnsmasq > "$state/dns.tier"
printf 'allowed.demo\n' > "$state/profile.domains"
ip netns add "$ns"
ip -n "$ns" link set lo up
# A veth pair gives the sandbox a default route, so connections reach the
# output hook (and the shield) instead of failing with "no route".
ip -n "$ns" link add v0 type veth peer name v1
ip -n "$ns" link set v1 up
ip -n "$ns" link set v0 up
ip -n "$ns" addr add 10.99.0.1/24 dev v0
ip -n "$ns" route add default dev v0
ip netns exec "$ns" nft -f - <<'NFT'
table inet terok_shield {
  chain output {
    type filter hook output priority 0; policy accept;
    oifname "lo" accept
    meta l4proto ipv6-icmp accept
    ip daddr 192.0.2.0/24 log prefix "TEROK_SHIELD_ALLOWED: " group 100 accept
    log prefix "TEROK_SHIELD_DENIED: " group 100 drop
  }
}
NFT

cat > "$state/dnsmasq.conf" <<CONF
no-resolv
no-hosts
listen-address=127.0.0.1
bind-interfaces
log-queries
log-facility=$state/dnsmasq.log
user=root
host-record=allowed.demo,192.0.2.10
host-record=tracker.demo,203.0.113.66
CONF
ip netns exec "$ns" dnsmasq --keep-in-foreground --conf-file="$state/dnsmasq.conf" &
dnsmasq_pid=$!
for _ in $(seq 50); do
  ip netns exec "$ns" dig +short +tries=1 +time=1 @127.0.0.1 allowed.demo >/dev/null 2>&1 && break
  sleep 0.1
done

say "swcat streams the events (text; -o json for JSON lines)"
build/tools/swcat --state "$state" --netns "/run/netns/$ns" -o text demo &
swcat_pid=$!
sleep 0.5

say "dig allowed.demo (allowed: no event)"
ip netns exec "$ns" dig +short @127.0.0.1 allowed.demo >&2
say "dig tracker.demo and a TXT lookup (not allowed: blocked_query events)"
ip netns exec "$ns" dig +short @127.0.0.1 tracker.demo >&2
ip netns exec "$ns" dig +short @127.0.0.1 exfil.example TXT >&2 || true
say "connect to tracker.demo's IP directly (dropped by nft, NFLOG event with its domain)"
ip netns exec "$ns" timeout 0.5 bash -c 'echo > /dev/tcp/203.0.113.66/443' 2>/dev/null || true
say "connect to allowed.demo's IP (allowed by nft, logged as allowed_connection)"
ip netns exec "$ns" timeout 0.5 bash -c 'echo > /dev/tcp/192.0.2.10/443' 2>/dev/null || true
say "the runtime writes an audit event"
printf '{"ts":"%s","container":"demo","action":"deny","dest":"203.0.113.66","detail":"demo"}\n' \
  "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >> "$state/audit.jsonl"
sleep 1
say "done; cleaning up"
