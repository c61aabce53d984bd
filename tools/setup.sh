#!/usr/bin/env bash
# Installs what is missing (Debian packages) and builds into ./build.
# Usage: tools/setup.sh [extra meson options...]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(meson ninja-build pkg-config g++ libmnl-dev libnetfilter-log-dev
  libcjson-dev libgtest-dev googletest nftables dnsmasq-base iproute2
  bind9-dnsutils binutils)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

fixtures="$(cd .. && pwd)/shared/fixtures"
if [ ! -f build/build.ninja ]; then
  meson setup build -Dfixtures_dir="$fixtures" "$@"
fi
ninja -C build
