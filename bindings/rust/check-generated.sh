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
fresh_vocab="$(mktemp --suffix=.rs)"
trap 'rm -f "$fresh" "$fresh_vocab"' EXIT
"$here/generate.sh" "$fresh" "$fresh_vocab"
status=0
for pair in "$committed:$fresh" "$here/shieldwatch/src/vocab.rs:$fresh_vocab"; do
  if ! diff -u "${pair%%:*}" "${pair#*:}"; then
    echo >&2
    echo "check-generated.sh: ${pair%%:*} is stale." >&2
    echo "Regenerate it with bindings/rust/generate.sh and commit the result." >&2
    status=1
  fi
done
[ $status = 0 ] && echo "check-generated.sh: bindings.rs and vocab.rs are up to date"
exit $status
