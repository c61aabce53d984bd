#!/usr/bin/env bash
# Builds the libFuzzer targets in a separate clang build dir and runs each for
# SW_FUZZ_SECONDS seconds (default 30), printing the executions reached.
# Fails (non-zero) when any target crashes, leaks, times out or runs out of
# memory; the crash inputs are printed and kept in a temp dir, never in the repo.
#
#   fuzz/run.sh                              # every target, 30 s each
#   SW_FUZZ_SECONDS=60 fuzz/run.sh           # what fuzz/README.md records
#   fuzz/run.sh fuzz_nflog fuzz_json         # some targets only
#
# Environment: SW_FUZZ_SECONDS, SW_FUZZ_BUILD_DIR (default build-fuzz),
# SW_FUZZ_KEEP=1 keeps the temp dir (grown corpus, logs) even on success.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${SW_FUZZ_SECONDS:-30}
build=${SW_FUZZ_BUILD_DIR:-build-fuzz}
all_targets=(fuzz_dns_line fuzz_audit_line fuzz_nflog fuzz_json fuzz_allowlist fuzz_cursor)
if (($#)); then targets=("$@"); else targets=("${all_targets[@]}"); fi
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || { echo "SW_FUZZ_SECONDS must be a positive integer" >&2; exit 2; }

for tool in clang clang++ meson ninja; do
  command -v "$tool" >/dev/null || { echo "fuzz/run.sh: $tool not found (apt-get install clang-14 libclang-rt-14-dev meson ninja-build)" >&2; exit 2; }
done

if [[ ! -f $build/build.ninja ]]; then
  CC=clang CXX=clang++ meson setup "$build" -Dfuzz=true -Dtests=disabled >/dev/null
fi
ninja -C "$build" >"${TMPDIR:-/tmp}/sw-fuzz-ninja.log" 2>&1 ||
  { tail -n 40 "${TMPDIR:-/tmp}/sw-fuzz-ninja.log"; echo "fuzz/run.sh: build failed" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sw-fuzz.XXXXXX")
failed=()
declare -A execs rate corpus result
for t in "${targets[@]}"; do
  bin=$build/fuzz/$t
  [[ -x $bin ]] || { echo "fuzz/run.sh: no such target: $t" >&2; exit 2; }
  mkdir -p "$tmp/corpus/$t" "$tmp/artifacts/$t" "$tmp/scratch/$t"
  args=(-max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048
        -artifact_prefix="$tmp/artifacts/$t/")
  [[ -f fuzz/$t.dict ]] && args+=(-dict="fuzz/$t.dict")
  echo "== $t: fuzzing for ${seconds}s"
  # New inputs go to the first (temp) corpus dir; the committed seeds are only read.
  rc=0
  TMPDIR=$tmp/scratch/$t "$bin" "${args[@]}" "$tmp/corpus/$t" "fuzz/corpus/$t" \
    >"$tmp/$t.log" 2>&1 || rc=$?
  execs[$t]=$(awk '/^stat::number_of_executed_units:/ {print $2}' "$tmp/$t.log" | tail -1)
  rate[$t]=$(awk '/^stat::average_exec_per_sec:/ {print $2}' "$tmp/$t.log" | tail -1)
  corpus[$t]=$(find "$tmp/corpus/$t" "fuzz/corpus/$t" -type f | wc -l)
  artifacts=$(find "$tmp/artifacts/$t" -type f | sort)
  if [[ $rc -ne 0 || -n $artifacts ]]; then
    result[$t]="FAILED (exit $rc)"
    failed+=("$t")
    echo "!! $t failed (exit $rc); last lines of its log:"
    tail -n 60 "$tmp/$t.log" | sed 's/^/   | /'
    for a in $artifacts; do
      echo "!! artifact $a ($(stat -c %s "$a") bytes), first 512 bytes:"
      head -c 512 "$a" | od -A x -t x1z -v | sed 's/^/   | /'
      echo "   reproduce: $bin $a"
    done
  else
    result[$t]=ok
  fi
done

echo
printf '%-16s %14s %10s %8s  %s\n' target executions exec/s corpus result
for t in "${targets[@]}"; do
  printf '%-16s %14s %10s %8s  %s\n' "$t" "${execs[$t]:-?}" "${rate[$t]:-?}" "${corpus[$t]}" "${result[$t]}"
done
if ((${#failed[@]})); then
  echo "fuzz/run.sh: FAILED: ${failed[*]} (logs, inputs and artifacts kept in $tmp)"
  exit 1
fi
if [[ ${SW_FUZZ_KEEP:-0} == 1 ]]; then
  echo "fuzz/run.sh: all ${#targets[@]} targets ran ${seconds}s each without a crash (kept $tmp)"
else
  rm -rf "$tmp"
  echo "fuzz/run.sh: all ${#targets[@]} targets ran ${seconds}s each without a crash"
fi
