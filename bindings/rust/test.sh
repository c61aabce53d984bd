#!/usr/bin/env bash
# Everything CI checks for the Rust bindings:
#   LIBSW_BUILD_DIR=/path/to/meson/build bindings/rust/test.sh
# LIBSW_BUILD_DIR is the meson build directory of libshieldwatch (built with
# `meson setup DIR && ninja -C DIR`); the crates link against it uninstalled.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

: "${LIBSW_BUILD_DIR:?set LIBSW_BUILD_DIR to the meson build directory of libshieldwatch}"
build="$(cd "$LIBSW_BUILD_DIR" && pwd)"
if [ ! -f "$build/meson-uninstalled/libshieldwatch-uninstalled.pc" ]; then
  echo "test.sh: $build/meson-uninstalled/libshieldwatch-uninstalled.pc missing: is $build a built meson dir?" >&2
  exit 2
fi
export PKG_CONFIG_PATH="$build/meson-uninstalled${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
so="$(find "$build" -maxdepth 3 -name 'libshieldwatch.so*' -print -quit)"
if [ -z "$so" ]; then
  echo "test.sh: no libshieldwatch.so under $build: run ninja -C $build first" >&2
  exit 2
fi
export LD_LIBRARY_PATH="$(dirname "$so")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

step() { echo; echo "=== rust: $*"; }

step "toolchain"
cargo --version
cargo clippy --version >/dev/null 2>&1 || rustup component add clippy
cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt

step "generated bindings are current"
./check-generated.sh

step "rustfmt"
cargo fmt --all --check

step "clippy"
cargo clippy --locked --workspace -- -D warnings
cargo clippy --locked --workspace --all-targets -- -D warnings
cargo clippy --locked --workspace --all-targets --features shieldwatch/tokio,shieldwatch/serde -- -D warnings

step "rustdoc"
RUSTDOCFLAGS="-D warnings" cargo doc --locked --workspace --no-deps
RUSTDOCFLAGS="-D warnings" cargo doc --locked --workspace --no-deps --features shieldwatch/tokio,shieldwatch/serde

step "tests"
cargo test --locked --workspace
step "tests (tokio, serde)"
cargo test --locked --workspace --features shieldwatch/tokio,shieldwatch/serde

# SHIELDWATCH_STATIC=1 must link libshieldwatch.a (the build dir needs
# -Ddefault_library=both or static, as tools/setup.sh does); a target dir of
# its own keeps the shared build's artifacts. static_link asserts the .so is
# not loaded (and, in the runs above, that it is).
step "static link (SHIELDWATCH_STATIC=1)"
if [ -f "$build/libshieldwatch.a" ]; then
  SHIELDWATCH_STATIC=1 CARGO_TARGET_DIR="$here/target/static" \
    cargo test --locked -p shieldwatch --test static_link
else
  echo "test.sh: no $build/libshieldwatch.a (built with -Ddefault_library=shared): cannot test SHIELDWATCH_STATIC" >&2
  [ "${SW_REQUIRE_PRIVILEGED:-0}" = 1 ] && exit 1
fi

step "valgrind"
./valgrind.sh

echo
echo "=== rust: all checks passed"
