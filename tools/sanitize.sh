#!/usr/bin/env bash
# Sanitizer and memcheck runs of libshieldwatch (what CI runs after the tests):
#
#   1. asan      gcc ASan+UBSan build (build-asan) running the whole meson test
#                suite, halting on the first UBSan report, leak checking on.
#   2. valgrind  memcheck of the C API and unit test binaries of a plain build
#                (build-valgrind), and of swcat following a state dir while
#                dnsmasq and audit lines are appended, stopped with SIGTERM:
#                zero errors and zero definite/indirect leaks required.
#   3. tsan      gcc TSan build of the library (build-tsan) and
#                tools/tsan_stress.cc: 8 watchers, a pool of poller threads
#                trading the handles, appender threads, event hand-off between
#                threads; every event must arrive exactly once. As root (when
#                `unshare -n` works) once more with NFLOG bound in a private
#                netns from the library's helper thread.
#
# Exits non-zero when any step fails; prints a summary with the time per step.
#   tools/sanitize.sh                 # all steps
#   tools/sanitize.sh asan tsan       # some steps
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
fixtures=$root/tests/fixtures
if (($#)); then steps=("$@"); else steps=(asan valgrind tsan); fi

for tool in meson ninja gcc g++ valgrind; do
  command -v "$tool" >/dev/null || { echo "tools/sanitize.sh: $tool not found" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sw-sanitize.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

can_unshare_net() { unshare -n true 2>/dev/null; }

setup() {  # setup DIR [meson options...]
  local dir=$1; shift
  if [[ ! -f $dir/build.ninja ]]; then
    meson setup "$dir" "$@" >"$tmp/setup-${dir##*/}.log" 2>&1 ||
      { cat "$tmp/setup-${dir##*/}.log"; return 1; }
  fi
  ninja -C "$dir" >"$tmp/ninja-${dir##*/}.log" 2>&1 || { tail -n 80 "$tmp/ninja-${dir##*/}.log"; return 1; }
}

# ---- 1. ASan + UBSan: the whole meson suite -------------------------------------
step_asan() {
  setup build-asan -Db_sanitize=address,undefined -Db_lundef=false
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1 \
    meson test -C build-asan --print-errorlogs --num-processes 2
}

# ---- 2. valgrind memcheck ---------------------------------------------------------
vg=(valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect
    --show-leak-kinds=definite,indirect --track-fds=no -q)

step_valgrind() {
  setup build-valgrind
  local env=(SW_FIXTURES_DIR="$fixtures" SWCAT="$root/build-valgrind/tools/swcat" SW_SOURCE_ROOT="$root")
  # The whole C API suite (~10 s under memcheck on 2 cores: no filter needed;
  # its timing-based tests wait for events, they do not bound latency).
  local bad=()
  echo "--- memcheck: capi_tests"
  env "${env[@]}" "${vg[@]}" build-valgrind/tests/capi_tests --gtest_brief=1 || bad+=(capi_tests)
  echo "--- memcheck: unit_tests"
  env "${env[@]}" "${vg[@]}" build-valgrind/tests/unit_tests --gtest_brief=1 || bad+=(unit_tests)
  echo "--- memcheck: swcat"
  swcat_under_valgrind || bad+=(swcat)
  if ((${#bad[@]})); then echo "memcheck failed: ${bad[*]}"; return 1; fi
}

# Follows a temp state dir with swcat under memcheck, appends dnsmasq and audit
# lines, requires the exact events, stops it with SIGTERM (exit status 0) and
# requires a clean memcheck report. Called in a `||` list, where `set -e` is
# off: every failure returns explicitly.
swcat_under_valgrind() {
  local dir=$tmp/state out=$tmp/swcat.out log=$tmp/swcat.vg
  mkdir -p "$dir"
  echo dnsmasq >"$dir/dns.tier"
  printf 'allowed.test\n' >"$dir/profile.domains"
  : >"$dir/dnsmasq.log"
  for i in 1 2 3; do
    printf '{"ts":"2026-11-22T13:30:0%dZ","container":"vg","action":"setup","detail":"old %d"}\n' "$i" "$i"
  done >"$dir/audit.jsonl"
  # In a private netns the NFLOG source binds too (group 100 there is ours);
  # elsewhere only dns and audit, so no host NFLOG group is touched.
  local launch=() sources=dns,audit
  if can_unshare_net; then launch=(unshare -n); sources=dns,audit,nflog; fi
  "${launch[@]}" "${vg[@]}" --log-file="$log" build-valgrind/tools/swcat \
    --state "$dir" -o json -n 3 --source "$sources" vg >"$out" 2>"$tmp/swcat.err" &
  local pid=$!
  wait_lines() {  # wait_lines N: until swcat printed N lines (60 s)
    for _ in $(seq 600); do
      (($(wc -l <"$out") >= $1)) && return 0
      kill -0 "$pid" 2>/dev/null || { echo "swcat exited early:"; cat "$tmp/swcat.err" "$log"; return 1; }
      sleep 0.1
    done
    echo "timed out waiting for $1 lines from swcat, got:"; cat "$out" "$tmp/swcat.err"
    kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; return 1
  }
  wait_lines 3 || return 1  # the audit tail: the watcher is open now
  local blocked=0 audit=0
  for i in $(seq 1 40); do
    if ((i % 4 == 0)); then name=x$i.allowed.test; else name=blocked-$i.example; blocked=$((blocked + 1)); fi
    printf 'Nov 22 13:30:01 dnsmasq[77]: query[A] %s from 127.0.0.1\n' "$name" >>"$dir/dnsmasq.log"
    printf 'Nov 22 13:30:01 dnsmasq[77]: reply %s is 192.0.2.%d\n' "$name" "$i" >>"$dir/dnsmasq.log"
    printf '{"container":"vg","action":"deny","dest":"203.0.113.%d","detail":"caf\\u00e9 %d"}\n' "$i" "$i" >>"$dir/audit.jsonl"
    audit=$((audit + 1))
  done
  printf 'not json\n\n' >>"$dir/audit.jsonl"                               # skipped lines
  printf 'Nov 22 13:30:01 dnsmasq[77]: query[A] bad\377name from ::1\n' >>"$dir/dnsmasq.log"  # U+FFFD
  blocked=$((blocked + 1))
  local want=$((3 + blocked + audit))
  wait_lines "$want" || return 1
  sleep 0.5  # nothing more may arrive
  kill -TERM "$pid"
  local rc=0
  wait "$pid" || rc=$?
  local got dns aud
  got=$(wc -l <"$out")
  dns=$(grep -c '"source":"dns","action":"blocked_query","container":"vg"' "$out" || true)
  aud=$(grep -c '"source":"audit","action":"deny","container":"vg"' "$out" || true)
  echo "swcat: exit $rc, $got lines ($dns blocked queries, $aud audit events, 3 tail); memcheck: $(grep -c . "$log" || true) report lines"
  if ((rc != 0)); then echo "swcat under valgrind exited $rc:"; cat "$tmp/swcat.err" "$log"; return 1; fi
  if [[ -s $log ]]; then echo "memcheck reported:"; cat "$log"; return 1; fi
  if ((got != want || dns != blocked || aud != audit)); then
    echo "unexpected swcat output (want $want lines, $blocked blocked, $audit audit):"; cat "$out"; return 1
  fi
  LC_ALL=C grep -qF "$(printf '"domain":"bad\357\277\275name"')" "$out" ||
    { echo "invalid UTF-8 in a name was not replaced by U+FFFD"; return 1; }
  if grep -q 'allowed.test' "$out"; then echo "an allowed query was reported"; return 1; fi
}

# ---- 3. TSan ------------------------------------------------------------------------
step_tsan() {
  setup build-tsan -Db_sanitize=thread -Db_lundef=false -Dtests=disabled
  g++ -std=c++20 -fsanitize=thread -g -O1 -Wall -Wextra -Werror -Iinclude tools/tsan_stress.cc \
    -Lbuild-tsan -lshieldwatch -Wl,-rpath,"$root/build-tsan" -pthread -o build-tsan/tsan_stress
  # TSan needs a fixed address-space layout: run without ASLR when possible
  # (kernels with vm.mmap_rnd_bits > 28 otherwise abort gcc 12's runtime).
  local norand=()
  setarch "$(uname -m)" -R true 2>/dev/null && norand=(setarch "$(uname -m)" -R)
  export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:report_signal_unsafe=1
  "${norand[@]}" build-tsan/tsan_stress 8 5000
  if can_unshare_net; then
    SW_STRESS_NFLOG=1 "${norand[@]}" unshare -n build-tsan/tsan_stress 8 2000
  else
    echo "(not root / no unshare -n: the NFLOG variant is skipped)"
  fi
}

# ---- driver ------------------------------------------------------------------------
summary=()
failed=0
total0=$SECONDS
for s in "${steps[@]}"; do
  declare -F "step_$s" >/dev/null || { echo "unknown step: $s (asan, valgrind, tsan)" >&2; exit 2; }
  echo "==> $s"
  t0=$SECONDS
  # A background subshell keeps `set -e` in force inside the step.
  rc=0
  ( set -euo pipefail; "step_$s" ) &
  wait $! || rc=$?
  if ((rc == 0)); then
    summary+=("$(printf 'PASS  %-9s %4ds' "$s" $((SECONDS - t0)))")
  else
    summary+=("$(printf 'FAIL  %-9s %4ds  (exit %d)' "$s" $((SECONDS - t0)) "$rc")")
    failed=1
  fi
done
echo
echo "==> sanitize summary"
printf '  %s\n' "${summary[@]}"
echo "  total $((SECONDS - total0))s"
exit "$failed"
