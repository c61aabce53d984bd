#!/bin/sh
# meson install hook: refresh the dynamic linker's cache when the library
# went into a directory it searches (e.g. /usr/local/lib/x86_64-linux-gnu),
# so `swcat` runs right after `sudo meson install` without a manual ldconfig.
# Nothing to do for a private prefix (use LD_LIBRARY_PATH or an rpath); meson
# skips it for a staged install (DESTDIR: the package's trigger runs ldconfig).
# meson 1.0 hides an install script's output, so this only matters in logs.
libdir=$1
if ! command -v ldconfig >/dev/null 2>&1; then
  exit 0
fi
# The directories ldconfig scans, compared after resolving symlinks
# (/lib -> usr/lib on merged-/usr systems).
real=$(readlink -f "$libdir" 2>/dev/null || echo "$libdir")
searched=no
for d in $(ldconfig -v -N 2>/dev/null | sed -n 's/^\(\/[^:]*\):.*/\1/p'); do
  if [ "$(readlink -f "$d" 2>/dev/null || echo "$d")" = "$real" ]; then searched=yes; fi
done
if [ $searched = yes ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "ldconfig-after-install: running ldconfig for $libdir"
    ldconfig
  else
    echo "ldconfig-after-install: $libdir changed: run 'sudo ldconfig'"
  fi
else
  echo "ldconfig-after-install: $libdir is not in the dynamic linker's search path: set LD_LIBRARY_PATH=$libdir to run swcat or programs linked against it"
fi
