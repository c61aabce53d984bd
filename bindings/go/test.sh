#!/bin/sh
# CI entry point for the Go bindings.
#
#   LIBSW_BUILD_DIR=/path/to/meson/build bindings/go/test.sh [go test flags]
#
# Builds against the meson build tree through its uninstalled pkg-config
# file (meson-uninstalled/libshieldwatch-uninstalled.pc), then:
#   1. fails when the committed SWIG output is stale (check-generated.sh),
#   2. fails when a Go file is not gofmt-clean,
#   3. go vet ./...
#   4. go test -race ./...   (extra arguments are passed to go test)
# The NFLOG test needs root, ip, nft and python3; it skips otherwise.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
: "${LIBSW_BUILD_DIR:?set LIBSW_BUILD_DIR to the meson build directory}"
build=$(cd "$LIBSW_BUILD_DIR" && pwd)

pcdir=$build/meson-uninstalled
if [ ! -f "$pcdir/libshieldwatch-uninstalled.pc" ]; then
  echo "test.sh: $pcdir/libshieldwatch-uninstalled.pc not found; build the library first (meson setup $build && ninja -C $build)" >&2
  exit 1
fi
PKG_CONFIG_PATH=$pcdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
export PKG_CONFIG_PATH

# Run against the library just built: its directory is the .pc's -L.
libdirs=$(pkg-config --libs-only-L libshieldwatch | sed 's/-L//g; s/^ *//; s/ *$//; s/  */:/g')
LD_LIBRARY_PATH=$libdirs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export LD_LIBRARY_PATH
# Go's build cache does not key cgo packages on pkg-config output, so a
# package built against another copy of the library could be reused. The
# CGO_* variables are part of the key: naming the library's directories there
# ties cached builds to this build tree.
CGO_CFLAGS="${CGO_CFLAGS:--O2 -g} $(pkg-config --cflags libshieldwatch)"
CGO_LDFLAGS="${CGO_LDFLAGS:--O2 -g} $(pkg-config --libs-only-L libshieldwatch)"
export CGO_CFLAGS CGO_LDFLAGS

if [ -z "${GO:-}" ]; then
  if command -v go >/dev/null 2>&1; then GO=go; else GO=/usr/local/go/bin/go; fi
fi
# The example's test builds it with the same toolchain.
PATH=$(dirname "$(command -v "$GO")"):$PATH
export PATH
export CGO_ENABLED=1

cd "$here"
echo "== check generated SWIG layer"
./check-generated.sh
echo "== gofmt"
unformatted=$("$(dirname "$(command -v "$GO")")/gofmt" -l .)
if [ -n "$unformatted" ]; then
  echo "test.sh: not gofmt-clean:" $unformatted >&2
  exit 1
fi
echo "== go vet (libshieldwatch $(pkg-config --modversion libshieldwatch) from $libdirs)"
"$GO" vet ./...
echo "== go test -race"
"$GO" test -race -count=1 "$@" ./...
