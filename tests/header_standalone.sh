#!/bin/sh
# The public header must compile on its own in every C and C++ dialect a
# user might pick, with warnings as errors.
set -eu
inc="$1"
cc="${CC:-cc}"
cxx="${CXX:-c++}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#include <libshieldwatch.h>\nint main(void) { return sw_version() == 0; }\n' > "$tmp/t.c"
cp "$tmp/t.c" "$tmp/t.cc"
fail=0
for std in c99 c11 c17; do
  if "$cc" -std=$std -Wall -Wextra -Werror -pedantic -I"$inc" -c "$tmp/t.c" -o "$tmp/t.o"; then
    echo "ok   $std"; else echo "FAIL $std"; fail=1; fi
done
for std in c++11 c++14 c++17 c++20; do
  if "$cxx" -std=$std -Wall -Wextra -Werror -pedantic -I"$inc" -c "$tmp/t.cc" -o "$tmp/t.o"; then
    echo "ok   $std"; else echo "FAIL $std"; fail=1; fi
done
exit $fail
