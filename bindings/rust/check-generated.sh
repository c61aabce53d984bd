#!/usr/bin/env bash
# Fails when shieldwatch-sys/src/bindings.rs is not what generate.sh produces
# from the current include/libshieldwatch.h. Fix with: bindings/rust/generate.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
committed="$here/shieldwatch-sys/src/bindings.rs"

# bindgen loads libclang at run time; install it when the machine lacks it.
if ! ls /usr/lib/llvm-*/lib/libclang*.so* >/dev/null 2>&1 && [ -z "${LIBCLANG_PATH:-}" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "check-generated.sh: installing libclang-dev for bindgen" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libclang-dev >&2
  else
    echo "check-generated.sh: libclang not found; install libclang-dev or set LIBCLANG_PATH" >&2
    exit 2
  fi
fi

fresh="$(mktemp --suffix=.rs)"
trap 'rm -f "$fresh"' EXIT
"$here/generate.sh" "$fresh"
if ! diff -u "$committed" "$fresh"; then
  echo >&2
  echo "check-generated.sh: $committed is stale." >&2
  echo "Regenerate it with bindings/rust/generate.sh and commit the result." >&2
  exit 1
fi
echo "check-generated.sh: bindings.rs is up to date"
