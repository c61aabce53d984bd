#!/bin/sh
# bindings/python/venv.sh BUILD_DIR
#
# Makes BUILD_DIR/python-venv: a venv with pytest and the shieldwatch wheel
# built against the library in the meson build tree BUILD_DIR (through its
# meson-uninstalled pkg-config file, with an rpath to the library so nothing
# else needs LD_LIBRARY_PATH). The wheel is built from a copy of this
# directory (setuptools builds in-tree and would reuse stale objects) into
# BUILD_DIR/python-dist. Prints the venv's python. PYTHON picks the
# interpreter (default python3; Debian needs python3-venv).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
: "${1:?usage: venv.sh BUILD_DIR}"
build=$(cd "$1" && pwd)
pcdir=$build/meson-uninstalled
if [ ! -f "$pcdir/libshieldwatch-uninstalled.pc" ]; then
  echo "venv.sh: $pcdir/libshieldwatch-uninstalled.pc not found; build the library first (meson setup $build && ninja -C $build)" >&2
  exit 1
fi
PKG_CONFIG_PATH=$pcdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
export PKG_CONFIG_PATH
rpath=$(pkg-config --libs-only-L libshieldwatch | sed 's/-L/-Wl,-rpath,/g')

venv=$build/python-venv
if [ ! -x "$venv/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$venv" >&2
fi
py=$venv/bin/python
if ! "$py" -c 'import pytest, setuptools, wheel' 2>/dev/null; then
  "$py" -m pip install -q pytest 'setuptools>=61' wheel >&2
fi

src=$build/python-src
dist=$build/python-dist
rm -rf "$src" "$dist"
mkdir -p "$src"
(cd "$here" && tar cf - --exclude=./build --exclude='*.egg-info' --exclude=.pytest_cache \
  --exclude=__pycache__ .) | (cd "$src" && tar xf -)
LDFLAGS="${LDFLAGS:-} $rpath" "$py" -m pip wheel -q --no-deps --no-build-isolation -w "$dist" "$src" >&2
"$py" -m pip install -q --force-reinstall --no-deps "$dist"/shieldwatch-*.whl >&2
echo "$py"
