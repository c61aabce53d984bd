#!/usr/bin/env bash
# Installs what is missing (Debian packages) and builds into ./build.
# Usage: tools/setup.sh [extra meson options...]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(meson ninja-build pkg-config g++ libmnl-dev libnetfilter-log-dev
  libcjson-dev libgtest-dev googletest nftables dnsmasq-base iproute2
  bind9-dnsutils binutils libsystemd-dev rsyslog)
tools/install-packages.sh "${packages[@]}"

if [ ! -f build/build.ninja ]; then
  meson setup build "$@"
fi
ninja -C build
