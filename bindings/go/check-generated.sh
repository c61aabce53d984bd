#!/bin/sh
# Fails when the committed SWIG output in internal/swc differs from what
# generate.sh produces from the current header and interface file.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$here/generate.sh" "$tmp" "$tmp"
status=0
if ! diff -u "$here/vocab_gen.go" "$tmp/vocab_gen.go" >"$tmp/vocab.diff"; then
  echo "check-generated: vocab_gen.go is stale; run bindings/go/generate.sh and commit" >&2
  head -n 40 "$tmp/vocab.diff" >&2
  status=1
fi
for f in swc.go swc_wrap.c; do
  if ! diff -u "$here/internal/swc/$f" "$tmp/$f" >"$tmp/$f.diff"; then
    echo "check-generated: internal/swc/$f is stale; run bindings/go/generate.sh and commit" >&2
    head -n 40 "$tmp/$f.diff" >&2
    status=1
  fi
done
[ $status = 0 ] && echo "check-generated: internal/swc and vocab_gen.go are up to date"
exit $status
