#!/usr/bin/env bash
# bench/run.sh [names...]: builds the benchmarks (release) and runs them,
# then prints a table of every RESULT line.
#
#   names: dns_throughput audit_throughput latency idle memory nflog_flood
#          host_scale python_watch (default: all of them) and soak (not in the
#          default set; runs bench/soak, SOAK_SECONDS defaults to 600).
#          python_watch runs bench/python_watch.py in the venv that
#          bindings/python/venv.sh makes under the build dir (pip needs PyPI
#          the first time).
#   SW_BUILD_DIR: build dir (default build-bench); configured with
#          meson setup build-bench -Dbench=enabled -Dbuildtype=release -Dtests=disabled
#          when absent.
# latency/nflog, idle's NFLOG part, nflog_flood and soak's NFLOG part need root.
# Logs go to $SW_BUILD_DIR/bench-logs/NAME.log.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/build-dir.sh"
ninja -C "$build" >/dev/null || { echo "run.sh: build failed (ninja -C $build)" >&2; exit 1; }

all=(dns_throughput audit_throughput latency idle memory nflog_flood host_scale python_watch)
[ $# -gt 0 ] && names=("$@") || names=("${all[@]}")
logs=$build/bench-logs
mkdir -p "$logs"
results=$logs/results.txt
: > "$results"
status=0
for n in "${names[@]}"; do
  echo "== $n"
  if [ "$n" = soak ]; then
    SW_BUILD_DIR=$build "$here/soak" 2>&1 | tee "$logs/$n.log"
    rc=${PIPESTATUS[0]}
  elif [ "$n" = python_watch ]; then
    if py=$("$top/bindings/python/venv.sh" "$build" 2>"$logs/$n.setup.log"); then
      "$py" "$here/python_watch.py" 2>&1 | tee "$logs/$n.log" | grep -v '^RESULT '
      rc=${PIPESTATUS[0]}
    else
      echo "run.sh: bindings/python/venv.sh failed, see $logs/$n.setup.log" >&2
      : > "$logs/$n.log"
      rc=1
    fi
  elif [ -x "$build/bench/$n" ]; then
    "$build/bench/$n" 2>&1 | tee "$logs/$n.log" | grep -v '^RESULT '
    rc=${PIPESTATUS[0]}
  else
    echo "run.sh: unknown benchmark '$n' (known: ${all[*]} soak)" >&2
    status=2
    continue
  fi
  [ "$rc" -ne 0 ] && { echo "run.sh: $n exited $rc" >&2; status=1; }
  grep '^RESULT ' "$logs/$n.log" >> "$results"
done

echo
printf '%-17s %-26s %14s %-9s %-7s %s\n' bench metric value unit target verdict
printf '%-17s %-26s %14s %-9s %-7s %s\n' ----- ------ ----- ---- ------ -------
while read -r _ b m v u t s; do
  printf '%-17s %-26s %14s %-9s %-7s %s\n' "$b" "$m" "$v" "$u" "$t" "$s"
done < "$results"
exit $status
