#!/usr/bin/env bash
# The header, the version script and the shared object agree exactly:
#   every function declared in the header is listed in the map, every name in
#   the map is exported by the .so under that node's version, and every
#   exported symbol is declared in the header. Nothing else is exported, no
#   node uses a wildcard in `global:`, and the soname carries the major.
# Usage: exported_symbols.sh LIB.so HEADER MAP
set -euo pipefail
lib=$1 header=$2 map=$3
cc=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# Declared functions: preprocess (drops comments and macros), then take every
# identifier sw_* directly followed by '('.
"$cc" -E -P -x c "$header" | grep -oE '\bsw_[a-z0-9_]+[[:space:]]*\(' |
  sed 's/[[:space:](]//g' | sort -u >"$tmp/header"

# The map: "name;" lines inside `global:` sections, with their node; a
# wildcard there would let a new function slip into an old node unnoticed.
awk '
  /^[[:space:]]*#/ { next }
  /^[[:space:]]*LIBSHIELDWATCH_[0-9.]+[[:space:]]*\{/ { node = $1; sub(/\{.*/, "", node); section = ""; next }
  /^[[:space:]]*\}/ { section = ""; next }
  /global:/ { section = "global"; next }
  /local:/ { section = "local"; next }
  section == "global" && /[a-zA-Z_*?]/ {
    name = $0; gsub(/[[:space:];]/, "", name)
    if (name ~ /[*?]/) { print "WILDCARD " node " " name; next }
    print name " " node
  }' "$map" | sort -u >"$tmp/map_nodes"
if grep '^WILDCARD' "$tmp/map_nodes"; then
  echo "FAIL: wildcard in a global section of $map: list every symbol by name"; fail=1
fi
grep -v '^WILDCARD' "$tmp/map_nodes" | awk '{print $1}' | sort -u >"$tmp/map"
dups=$(grep -v '^WILDCARD' "$tmp/map_nodes" | awk '{print $1}' | sort | uniq -d)
if [ -n "$dups" ]; then echo "FAIL: listed in more than one node: $dups"; fail=1; fi

# Exported: every defined dynamic symbol (nm -D) but the version
# definitions; objdump -T gives each one's version.
nm -D --defined-only "$lib" | awk '{sub(/@.*/, "", $NF); print $NF}' | grep -v '^LIBSHIELDWATCH_' | sort -u >"$tmp/so"
objdump -T "$lib" | awk '!/\*UND\*/ && / D[FO] / { v = $(NF-1); gsub(/[()]/, "", v); print $NF " " v }' |
  sort -u >"$tmp/so_versions"

report() { # $1 message, $2 file of names
  if [ -s "$2" ]; then echo "FAIL: $1:"; sed 's/^/  /' "$2"; fail=1; fi
}
comm -23 "$tmp/header" "$tmp/map" >"$tmp/d1"; report "declared in $header but not listed in $map" "$tmp/d1"
comm -13 "$tmp/header" "$tmp/map" >"$tmp/d2"; report "listed in $map but not declared in $header" "$tmp/d2"
comm -23 "$tmp/map" "$tmp/so" >"$tmp/d3"; report "listed in $map but not exported by $lib" "$tmp/d3"
comm -13 "$tmp/header" "$tmp/so" >"$tmp/d4"; report "exported by $lib but not declared in $header" "$tmp/d4"
# Each symbol carries the version of the node that lists it.
grep -v '^WILDCARD' "$tmp/map_nodes" | sort >"$tmp/want_versions"
sort "$tmp/so_versions" | join - "$tmp/map" >"$tmp/have_versions" || true
comm -13 "$tmp/have_versions" "$tmp/want_versions" | join - "$tmp/so" >"$tmp/d5" || true
report "exported with another version than its node in $map (want)" "$tmp/d5"

echo "header: $(wc -l <"$tmp/header") functions, map: $(wc -l <"$tmp/map") symbols, $(basename "$lib"): $(wc -l <"$tmp/so") exported"
soname=$(objdump -p "$lib" | awk '/SONAME/ {print $2}')
echo "soname: $soname"
[ "$soname" = "libshieldwatch.so.1" ] || { echo "FAIL: soname $soname"; fail=1; }
[ "$(wc -l <"$tmp/header")" -ge 30 ] || { echo "FAIL: too few functions found in $header"; fail=1; }
exit $fail
