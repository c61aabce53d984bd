#!/usr/bin/env bash
# A static consumer builds from pkg-config alone: compile tests/static_consumer
# with `pkg-config --static --cflags --libs libshieldwatch` (the build tree's
# uninstalled .pc), with only libshieldwatch.a in the first library directory,
# then check the program does not need libshieldwatch.so and works.
# Usage: static_consumer.sh BUILD_DIR SOURCE_DIR LIBSHIELDWATCH.a
set -euo pipefail
build=$1 src=$2 archive=$3
cc=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export PKG_CONFIG_PATH="$build/meson-uninstalled"
cflags=$(pkg-config --cflags libshieldwatch)
libs=$(pkg-config --static --libs libshieldwatch)
echo "pkg-config --static --libs: $libs"
# -L ahead of the .pc's own: the linker takes the archive from there, the way
# it would with only -Ddefault_library=static installed.
mkdir "$tmp/lib"
ln -s "$archive" "$tmp/lib/libshieldwatch.a"
"$cc" -o "$tmp/consumer" "$src/consumer.c" $cflags -L"$tmp/lib" $libs
if readelf -d "$tmp/consumer" | grep -q 'NEEDED.*libshieldwatch'; then
  echo "FAIL: consumer needs libshieldwatch.so:"; readelf -d "$tmp/consumer" | grep NEEDED; exit 1
fi
echo "NEEDED: $(readelf -d "$tmp/consumer" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ')"
mkdir "$tmp/state"
echo dnsmasq >"$tmp/state/dns.tier"
out=$(env -u LD_LIBRARY_PATH "$tmp/consumer" "$tmp/state")
echo "$out"
grep -q '"action":"setup"' <<<"$out" && grep -q '"detail":"linked statically"' <<<"$out"
