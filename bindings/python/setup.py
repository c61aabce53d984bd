"""Builds shieldwatch._sw against libshieldwatch as pkg-config describes it.

pkg-config finds the installed library, or a meson build tree when
PKG_CONFIG_PATH=<build>/meson-uninstalled (pkg-config then prefers
libshieldwatch-uninstalled.pc). Everything else is in pyproject.toml.
"""

import shlex
import subprocess

from setuptools import Extension, setup


def pkg_config(flag: str) -> list:
    cmd = ["pkg-config", flag, "libshieldwatch"]
    try:
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    except FileNotFoundError:
        raise SystemExit("shieldwatch: pkg-config not found; install pkg-config") from None
    except subprocess.CalledProcessError as e:
        raise SystemExit(
            "shieldwatch: pkg-config cannot find libshieldwatch (%s). Install the library, "
            "or set PKG_CONFIG_PATH=<meson build dir>/meson-uninstalled." % e.stderr.strip()
        ) from None
    return shlex.split(out)


setup(
    ext_modules=[
        Extension(
            "shieldwatch._sw",
            sources=["src/shieldwatch/_sw.c"],
            extra_compile_args=pkg_config("--cflags") + ["-Wall", "-Wextra"],
            extra_link_args=pkg_config("--libs"),
        )
    ]
)
