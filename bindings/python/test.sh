#!/bin/sh
# CI entry point for the Python binding.
#
#   LIBSW_BUILD_DIR=/path/to/meson/build bindings/python/test.sh [pytest args]
#
# Builds the shieldwatch wheel against the meson build tree and installs it
# into a venv under the build dir (venv.sh), then runs pytest on tests/
# against the installed package. The NFLOG test needs root, ip and nft; it
# skips otherwise, and fails instead under SW_REQUIRE_PRIVILEGED=1. pytest
# collecting no test at all (exit 5) is a failure.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
: "${LIBSW_BUILD_DIR:?set LIBSW_BUILD_DIR to the meson build directory}"
echo "== build the wheel and the venv"
py=$("$here/venv.sh" "$LIBSW_BUILD_DIR")
echo "== pytest ($("$py" --version), libshieldwatch $("$py" -c 'import shieldwatch; print(shieldwatch.library_version())'))"
cd "$here"
rc=0
"$py" -m pytest -p no:cacheprovider -rs "$@" || rc=$?
if [ $rc = 5 ]; then
  echo "test.sh: pytest collected no tests" >&2
  exit 1
fi
exit $rc
