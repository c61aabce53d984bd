#!/usr/bin/env bash
# Regenerates shieldwatch-sys/src/bindings.rs from include/libshieldwatch.h.
#
#   bindings/rust/generate.sh            # rewrite the committed file
#   bindings/rust/generate.sh OUT.rs     # write somewhere else (check-generated.sh)
#
# Needs bindgen-cli $BINDGEN_VERSION and libclang (Debian: libclang-dev or
# clang-14). Only maintainers need this: building the crates never runs bindgen.
# A matching `bindgen` on PATH is used; otherwise bindgen-cli is installed once
# with `cargo install --locked` into a private cache directory (never into
# ~/.cargo/bin, so a user's own bindgen is left alone).
set -euo pipefail

BINDGEN_VERSION=0.73.2
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
header="$root/include/libshieldwatch.h"
out="${1:-$here/shieldwatch-sys/src/bindings.rs}"

find_bindgen() {
  local cand
  for cand in "${BINDGEN:-}" bindgen \
      "${XDG_CACHE_HOME:-$HOME/.cache}/shieldwatch-rust/bindgen-cli-$BINDGEN_VERSION/bin/bindgen"; do
    [ -n "$cand" ] || continue
    if command -v "$cand" >/dev/null 2>&1 &&
       [ "$("$cand" --version 2>/dev/null)" = "bindgen $BINDGEN_VERSION" ]; then
      command -v "$cand"
      return 0
    fi
  done
  return 1
}

if ! bindgen_bin="$(find_bindgen)"; then
  cache="${XDG_CACHE_HOME:-$HOME/.cache}/shieldwatch-rust/bindgen-cli-$BINDGEN_VERSION"
  echo "generate.sh: installing bindgen-cli $BINDGEN_VERSION into $cache" >&2
  cargo install --quiet --locked --root "$cache" bindgen-cli --version "$BINDGEN_VERSION" >&2
  bindgen_bin="$cache/bin/bindgen"
fi

# libclang: bindgen finds it through LIBCLANG_PATH or the usual places; point
# it at Debian's LLVM when nothing else is set.
if [ -z "${LIBCLANG_PATH:-}" ]; then
  for d in /usr/lib/llvm-*/lib; do
    if ls "$d"/libclang*.so* >/dev/null 2>&1; then export LIBCLANG_PATH="$d"; fi
  done
fi

tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT

# SW_ETIER is EMEDIUMTYPE, whose value differs between architectures: it is
# blocklisted here and defined in shieldwatch-sys/src/lib.rs from libc.
"$bindgen_bin" "$header" \
  --rust-target 1.70 \
  --rust-edition 2021 \
  --allowlist-function 'sw_.*' \
  --allowlist-type 'sw_.*' \
  --allowlist-var 'SW_.*' \
  --blocklist-item 'SW_ETIER' \
  --constified-enum-module 'sw_stat_id' \
  --merge-extern-blocks \
  --sort-semantically \
  --no-layout-tests \
  -o "$tmp" \
  -- -x c -std=c11 -fparse-all-comments

mv "$tmp" "$out"
trap - EXIT
echo "generate.sh: wrote $out" >&2
