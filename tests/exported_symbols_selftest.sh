#!/usr/bin/env bash
# exported_symbols.sh must catch each kind of drift: run it on the real
# library with a header or map changed one way at a time and expect failure.
# Usage: exported_symbols_selftest.sh CHECKER LIB.so HEADER MAP
set -euo pipefail
check=$1 lib=$2 header=$3 map=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$check" "$lib" "$header" "$map" >/dev/null || { echo "FAIL: the real header/map/library do not pass"; exit 1; }

expect_fail() { # $1 what, $2 header, $3 map, $4 text the report must contain
  if out=$("$check" "$lib" "$2" "$3" 2>&1); then
    echo "FAIL: not detected: $1"; exit 1
  fi
  grep -q -- "$4" <<<"$out" || { echo "FAIL: $1: report lacks '$4':"; echo "$out"; exit 1; }
  echo "detected: $1"
}
# A new function in the header without a map entry (and not exported).
sed 's|^void sw_close(sw_watcher \*w);|&\nint sw_brand_new(void);|' "$header" >"$tmp/h_extra.h"
grep -q sw_brand_new "$tmp/h_extra.h"
expect_fail "header function missing from the map" "$tmp/h_extra.h" "$map" "declared in .* but not listed"
# A function dropped from the header but still exported.
grep -v '^void sw_close(' "$header" >"$tmp/h_less.h"
expect_fail "exported function missing from the header" "$tmp/h_less.h" "$map" "exported by .* but not declared"
# A map entry the library does not export.
sed 's|^\([[:space:]]*\)sw_close;|&\n\1sw_ghost;|' "$map" >"$tmp/m_extra.map"
expect_fail "map entry not exported" "$header" "$tmp/m_extra.map" "not exported by"
# A wildcard instead of names.
sed 's|^\([[:space:]]*\)sw_close;|\1sw_*;|' "$map" >"$tmp/m_wild.map"
expect_fail "wildcard in a global section" "$header" "$tmp/m_wild.map" "wildcard"
# A symbol moved to a newer node than the one it was built with.
sed 's|^\([[:space:]]*\)sw_close;||' "$map" >"$tmp/m_moved.map"
printf 'LIBSHIELDWATCH_1.9 {\n  global:\n    sw_close;\n} LIBSHIELDWATCH_1.0;\n' >>"$tmp/m_moved.map"
expect_fail "symbol versioned in another node" "$header" "$tmp/m_moved.map" "another version"
echo "all drift kinds detected"
