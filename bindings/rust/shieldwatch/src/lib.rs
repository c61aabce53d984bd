//! Safe Rust API for libshieldwatch: a live stream of what a container's
//! egress shield blocked.
//!
//! A [`Watcher`] follows one container's state directory and merges three
//! sources into one stream of [`Event`]s: blocked DNS queries from the
//! dnsmasq log, records appended to `audit.jsonl`, and packets the firewall
//! logged to its NFLOG group.
//!
//! ```no_run
//! use shieldwatch::{Options, Watcher};
//!
//! let mut watcher = Watcher::open("/var/lib/shield/c1", "c1", Options::new())?;
//! for event in watcher.events() {
//!     let event = event?;
//!     println!("{}", event.json());
//! }
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! * Events are owned copies ([`Event`]); nothing borrows library memory.
//! * Errors are [`std::io::Error`]s built from the library's negative errno
//!   values. When the library explains a failure (every [`Watcher::open`]
//!   error, and always for its own `SW_ETIER`) the error carries that one-line
//!   reason in a [`LibError`]; [`error_code`] gives the errno of any error
//!   ([`io::Error::kind`](std::io::Error::kind) works too), [`is_tier_error`]
//!   tests for `SW_ETIER`.
//! * [`Event::source`] and [`Event::action`] are enums generated from the
//!   C header's vocabulary ([`SourceName`], [`Action`], with `as_str` and an
//!   `Other` variant); [`Event::timestamp`] parses `ts`; the `serde` feature
//!   makes [`Event`] `Serialize` as the library's JSON object.
//! * For event loops, [`Watcher`] implements [`AsFd`](std::os::fd::AsFd):
//!   wait for readability, then call [`Watcher::next_event`] until it
//!   returns `Ok(None)`.
//! * With [`Options::json_stream`], a watcher or host hands out the events'
//!   JSON lines as one byte stream instead ([`Watcher::read_json`],
//!   [`Watcher::json_reader`]); a read also processes what is ready, so
//!   no `poll` is needed.
//! * With the `tokio` feature, `AsyncWatcher` is a `futures_core::Stream`.
//! * [`AuditLog`] writes (and tails) the audit log.
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod audit;
mod error;
mod event;
mod host;
mod names;
mod options;
#[cfg(feature = "tokio")]
mod stream;
mod watcher;

pub use audit::AuditLog;
pub use error::{error_code, is_tier_error, strerror, LibError, ERR_TIER};
pub use event::Event;
pub use host::Host;
pub use names::{Action, SourceName};
pub use options::{Options, Sources};
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub use stream::{AsyncHost, AsyncWatcher};
pub use watcher::{EventSource, Events, JsonReader, Stat, Watcher};

/// The raw FFI bindings this crate is built on.
pub use shieldwatch_sys as sys;

/// The library's version, `"MAJOR.MINOR.PATCH"`, as reported at run time.
pub fn version() -> &'static str {
    // SAFETY: static storage, NUL-terminated.
    let p = unsafe { sys::sw_version() };
    if p.is_null() {
        return "";
    }
    // SAFETY: see above; the library promises UTF-8.
    unsafe { std::ffi::CStr::from_ptr(p) }
        .to_str()
        .unwrap_or("")
}
