#!/usr/bin/env bash
# Instructions per log line of the library's drain (dns_throughput and
# audit_throughput, their RunLibrary only), counted by callgrind: a figure a
# shared, noisy machine cannot move, to compare two commits of lib/ where
# wall-clock ratios spread by 30 %. It is no stand-in for the timed rows (it
# does not count the kernel's copies, cache misses or the CPU's parallelism).
#
#   bench/instructions.sh                  # both, 50,000 lines each
#   SW_INSTR_LINES=20000 bench/instructions.sh audit_throughput
#
# Each program runs its untimed verify round and one timed round under
# callgrind (Python and grep run natively beside it); both rounds drain the
# same lines, so the count (less the program's own appending of the input)
# is divided by twice the lines.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/build-dir.sh"
command -v valgrind >/dev/null || { echo "SKIP: valgrind is not installed (apt-get install valgrind)"; exit 0; }
lines=${SW_INSTR_LINES:-50000}
[[ $lines =~ ^[0-9]+$ && $lines -gt 0 ]] || { echo "SW_INSTR_LINES must be a positive integer" >&2; exit 2; }
ninja -C "$build" >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
(($#)) || set -- dns_throughput audit_throughput
for name in "$@"; do
  SW_BENCH_LINES=$lines SW_BENCH_ROUNDS=1 valgrind --tool=callgrind --toggle-collect='*RunLibrary*' \
    --callgrind-out-file="$out/$name.cg" "$build/bench/$name" >"$out/$name.log" 2>&1 ||
    { echo "$name failed under callgrind:" >&2; tail -5 "$out/$name.log" >&2; exit 1; }
  total=$(callgrind_annotate "$out/$name.cg" | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
  # Less the program's own copy of the input into the watched log.
  append=$(callgrind_annotate --inclusive=yes --threshold=100 "$out/$name.cg" |
    awk '!seen && /AppendFile/ { gsub(",", "", $1); print $1; seen = 1 }')
  total=$((total - ${append:-0}))
  # dns_throughput generates a few lines more than asked (whole CNAME chains).
  drained=$(awk '/generated [0-9]+ lines/ { for (i = 1; i <= NF; i++) if ($i == "generated") print $(i + 1) }' "$out/$name.log")
  per_line=$((total / (2 * ${drained:-$lines})))
  echo "$name: $total instructions in 2 drains of ${drained:-$lines} lines = $per_line per line"
  echo "RESULT $name instructions_per_line $per_line instr - -"
  # The top functions (self cost); awk reads it all, so nothing gets SIGPIPE.
  callgrind_annotate --inclusive=no "$out/$name.cg" |
    awk '/^-+$/ { n++ } n >= 3 && /%\)/ && shown++ < 8 { print substr($0, 1, 120) }'
done
