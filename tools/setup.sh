#!/usr/bin/env bash
# Installs what is missing (Debian packages) and builds into ./build.
# Usage: tools/setup.sh [extra meson options...]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(meson ninja-build pkg-config g++ libmnl-dev libnetfilter-log-dev
  libcjson-dev libgtest-dev googletest nftables dnsmasq-base iproute2
  bind9-dnsutils binutils libsystemd-dev rsyslog)
tools/install-packages.sh "${packages[@]}"

# CI builds everything: both library kinds (the static-consumer test needs
# the archive), the tests (a missing GoogleTest is an error, not a skip) and
# the benchmarks (compiled, not run).
if [ ! -f build/build.ninja ]; then
  meson setup build -Ddefault_library=both -Dtests=enabled -Dbench=enabled "$@"
fi
ninja -C build
