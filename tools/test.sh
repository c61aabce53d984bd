#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the C/C++ suite
# (unit, ABI, real dnsmasq/netns/NFLOG integration), the Go and Rust
# bindings, and the sanitizer build. SW_FUZZ_SECONDS sets the fuzzing time.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
meson test -C build --print-errorlogs --num-processes 2
