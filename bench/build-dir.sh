# Sourced by bench/run.sh and bench/soak: sets $build (SW_BUILD_DIR, default
# build-bench, relative to the source root) and configures it for the
# benchmarks if needed.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${SW_BUILD_DIR:-build-bench}
case $build in /*) ;; *) build=$top/$build ;; esac
if [ ! -f "$build/build.ninja" ]; then
  (cd "$top" && meson setup "$build" -Dbench=enabled -Dbuildtype=release -Dtests=disabled) >/dev/null ||
    { echo "bench: meson setup $build failed" >&2; exit 1; }
fi
grep -q "bench/flood_sender" "$build/build.ninja" || meson configure "$build" -Dbench=enabled >/dev/null ||
  { echo "bench: meson configure $build -Dbench=enabled failed" >&2; exit 1; }
