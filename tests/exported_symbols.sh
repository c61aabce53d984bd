#!/bin/sh
# Only sw_* may be exported, all under versioned LIBSHIELDWATCH_1.N nodes, and
# the soname carries the major version.
set -eu
lib="$1"
syms=$(nm -D --defined-only "$lib" | awk '{print $3}')
bad=$(printf '%s\n' "$syms" | grep -v '^sw_' | grep -v '^LIBSHIELDWATCH_1\.[0-9]*$' || true)
if [ -n "$bad" ]; then
  echo "unexpected exported symbols:"; printf '%s\n' "$bad"; exit 1
fi
count=$(printf '%s\n' "$syms" | grep -c '^sw_')
echo "exported sw_* symbols: $count"
[ "$count" -ge 30 ] || { echo "too few sw_* symbols exported"; exit 1; }
objdump -T "$lib" | grep ' sw_open$' | grep -q "LIBSHIELDWATCH_1\.0" || { echo "sw_open not versioned"; exit 1; }
soname=$(objdump -p "$lib" | awk '/SONAME/ {print $2}')
echo "soname: $soname"
[ "$soname" = "libshieldwatch.so.1" ]
