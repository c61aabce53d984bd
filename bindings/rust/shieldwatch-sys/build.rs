//! Finds libshieldwatch. Never runs bindgen: the bindings are committed in
//! `src/bindings.rs` (see `bindings/rust/generate.sh`).
//!
//! Environment (like other `-sys` crates):
//!
//! * `SHIELDWATCH_LIB_DIR` – directory holding the library; skips pkg-config.
//! * `SHIELDWATCH_LIB_NAME` – library name to link (default `shieldwatch`).
//! * `SHIELDWATCH_INCLUDE_DIR` – directory holding `libshieldwatch.h`, passed
//!   on to dependent build scripts as `DEP_SHIELDWATCH_INCLUDE`.
//! * `SHIELDWATCH_STATIC` – `1` links the static archive `libshieldwatch.a`
//!   (build the library with `-Ddefault_library=static` or `both`). Through
//!   pkg-config (`--static`) its private dependencies come from the `.pc`
//!   (`Requires.private`, `Libs.private`, which include the C++ runtime);
//!   with `SHIELDWATCH_LIB_DIR` they are linked by name: libmnl,
//!   libnetfilter_log and the C++ runtime (`SHIELDWATCH_CXX_LIB`,
//!   default `stdc++`). Fails the build when no archive is found rather than
//!   silently linking the shared object.
//! * `SHIELDWATCH_NO_PKG_CONFIG` – `1` never asks pkg-config; the linker's
//!   default search path is used.
//!
//! With none set, pkg-config is asked for `libshieldwatch` (then
//! `shieldwatch`), honouring `PKG_CONFIG_PATH` as usual.

use std::env;
use std::path::PathBuf;

const PKG_NAMES: &[&str] = &["libshieldwatch", "shieldwatch"];
const MIN_VERSION: &str = "1.2";

fn env_var(name: &str) -> Option<String> {
    println!("cargo:rerun-if-env-changed={name}");
    env::var(name).ok().filter(|v| !v.is_empty())
}

fn truthy(name: &str) -> bool {
    matches!(env_var(name).as_deref(), Some(v) if v != "0" && v != "false" && v != "no")
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let lib_dir = env_var("SHIELDWATCH_LIB_DIR");
    let lib_name = env_var("SHIELDWATCH_LIB_NAME").unwrap_or_else(|| "shieldwatch".into());
    let include_dir = env_var("SHIELDWATCH_INCLUDE_DIR");
    let want_static = truthy("SHIELDWATCH_STATIC");
    let no_pkg_config = truthy("SHIELDWATCH_NO_PKG_CONFIG");
    let cxx_lib = env_var("SHIELDWATCH_CXX_LIB").unwrap_or_else(|| "stdc++".into());

    if let Some(inc) = &include_dir {
        println!("cargo:include={inc}");
    }

    if lib_dir.is_none() && !no_pkg_config {
        let mut errors = Vec::new();
        for name in PKG_NAMES {
            let mut cfg = pkg_config::Config::new();
            // Static: pkg-config's --static list, but the link lines are ours,
            // because the crate links a library under /usr dynamically even
            // in static mode.
            cfg.atleast_version(MIN_VERSION)
                .statik(want_static)
                .cargo_metadata(!want_static);
            match cfg.probe(name) {
                Ok(lib) => {
                    if include_dir.is_none() {
                        if let Some(inc) = lib.include_paths.first() {
                            println!("cargo:include={}", inc.display());
                        }
                    }
                    if want_static {
                        require_archive(&lib.link_paths, &lib_name);
                        for dir in &lib.link_paths {
                            println!("cargo:rustc-link-search=native={}", dir.display());
                        }
                        for l in &lib.libs {
                            if *l == lib_name {
                                println!("cargo:rustc-link-lib=static={l}");
                            } else {
                                println!("cargo:rustc-link-lib={l}");
                            }
                        }
                    }
                    return;
                }
                Err(e) => errors.push(format!("{name}: {e}")),
            }
        }
        panic!(
            "\n\nshieldwatch-sys: libshieldwatch (>= {MIN_VERSION}) not found by pkg-config.\n\
             Set PKG_CONFIG_PATH to the directory holding its .pc file (for an\n\
             uninstalled meson build: BUILD/meson-uninstalled), or set\n\
             SHIELDWATCH_LIB_DIR to the directory holding libshieldwatch.so\n\
             (that skips pkg-config).\n\n{}\n",
            errors.join("\n")
        );
    }

    if let Some(dir) = &lib_dir {
        let dir = PathBuf::from(dir);
        println!("cargo:rustc-link-search=native={}", dir.display());
        println!("cargo:lib_dir={}", dir.display());
    }
    if want_static {
        if let Some(dir) = &lib_dir {
            require_archive(&[PathBuf::from(dir)], &lib_name);
        }
        println!("cargo:rustc-link-lib=static={lib_name}");
        for dep in ["netfilter_log", "nfnetlink", "mnl"] {
            println!("cargo:rustc-link-lib={dep}");
        }
        println!("cargo:rustc-link-lib={cxx_lib}");
    } else {
        println!("cargo:rustc-link-lib=dylib={lib_name}");
    }
}

/// SHIELDWATCH_STATIC=1 must link the archive: pkg-config's `--static` mode
/// quietly falls back to the shared object when no `.a` sits in its library
/// directories, so check first.
fn require_archive(dirs: &[PathBuf], lib_name: &str) {
    let file = format!("lib{lib_name}.a");
    if !dirs.iter().any(|d| d.join(&file).is_file()) {
        panic!(
            "\n\nshieldwatch-sys: SHIELDWATCH_STATIC=1 but no {file} in {dirs:?}.\n\
             Build libshieldwatch with -Ddefault_library=static (or both).\n"
        );
    }
}
