#!/usr/bin/env bash
# Runs every Rust test binary (with the tokio feature, so all tests) under
# valgrind memcheck: any invalid read/write (for example an Event reading
# library memory after sw_event_free/sw_close) or definite leak fails.
# Needs libshieldwatch findable as for `cargo test` (see test.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

if ! command -v valgrind >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind
  else
    echo "valgrind.sh: valgrind is not installed" >&2
    exit 2
  fi
fi

mapfile -t bins < <(
  cargo test --locked --workspace --features shieldwatch/tokio --no-run --message-format=json 2>/dev/null |
    grep '"test":true' | grep -o '"executable":"[^"]*"' | cut -d'"' -f4 | sort -u
)
if [ "${#bins[@]}" -eq 0 ]; then
  echo "valgrind.sh: no test binaries built" >&2
  exit 1
fi

status=0
for bin in "${bins[@]}"; do
  echo "== valgrind $(basename "$bin")"
  # One test thread keeps the run deterministic and the output readable.
  if ! valgrind --quiet --error-exitcode=99 \
      --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
      --trace-children=no \
      "$bin" --test-threads=1; then
    echo "valgrind.sh: FAILED: $bin" >&2
    status=1
  fi
done
exit "$status"
