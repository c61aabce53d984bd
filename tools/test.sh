#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the C/C++ suites
# (unit, ABI, real dnsmasq/netns/NFLOG integration, idle), the Go, Rust and
# Python bindings, the sanitizer/valgrind/TSan runs and a bounded fuzzing pass.
#   SW_FUZZ_SECONDS=N   seconds per fuzz target (default 20; 0 skips fuzzing)
#   SW_STAGES="c go"    run only these stages (c go rust python sanitize fuzz)
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin:$HOME/.cargo/bin"

tools/setup.sh || exit 1
# What only the test stages need (the library itself needs none of it).
tools/install-packages.sh swig valgrind clang libclang-rt-14-dev libclang-dev python3 \
  python3-venv python3-dev rsyslog libsystemd-dev || exit 1

# In CI the privileged tests (root, netns, nft, NFLOG) must run: a skip fails.
if [ "${CI:-}" = true ]; then export SW_REQUIRE_PRIVILEGED=${SW_REQUIRE_PRIVILEGED:-1}; fi
if [ "${SW_REQUIRE_PRIVILEGED:-0}" = 1 ]; then export SHIELDWATCH_REQUIRE_NFLOG=1; fi

# The C/C++ suites; gtest reports a GTEST_SKIP as a pass, so read the log.
c_suites() {
  meson test -C build --print-errorlogs --num-processes 2 || return 1
  if [ "${SW_REQUIRE_PRIVILEGED:-0}" = 1 ] &&
     grep -E '^\[  SKIPPED \] [A-Za-z]' build/meson-logs/testlog.txt; then
    echo "SW_REQUIRE_PRIVILEGED=1: the tests above skipped instead of running"
    return 1
  fi
}

stages=${SW_STAGES:-"c go rust python sanitize fuzz"}
passed=0; failed=0; failures=()
run_stage() {
  local name=$1; shift
  case " $stages " in *" $name "*) ;; *) return 0 ;; esac
  echo; echo "######## stage: $name"
  local start=$SECONDS
  if "$@"; then
    passed=$((passed + 1)); echo "######## stage $name passed ($((SECONDS - start)) s)"
  else
    failed=$((failed + 1)); failures+=("$name"); echo "######## stage $name FAILED ($((SECONDS - start)) s)"
  fi
}

run_stage c c_suites
run_stage go env LIBSW_BUILD_DIR="$PWD/build" bindings/go/test.sh
run_stage rust env LIBSW_BUILD_DIR="$PWD/build" bindings/rust/test.sh
run_stage python env LIBSW_BUILD_DIR="$PWD/build" bindings/python/test.sh
[ -x tools/sanitize.sh ] && run_stage sanitize tools/sanitize.sh
[ -x fuzz/run.sh ] && [ "${SW_FUZZ_SECONDS:-20}" != 0 ] && run_stage fuzz env SW_FUZZ_SECONDS="${SW_FUZZ_SECONDS:-20}" fuzz/run.sh

echo
[ $failed -eq 0 ] || echo "failed stages: ${failures[*]}"
echo "stages: $passed passed, $failed failed"
[ $failed -eq 0 ]
