//! Prints a container's shield events as JSON lines, one per event.
//!
//!     cargo run --example watch -- STATE_DIR CONTAINER [--no-nflog]
use std::io::{self, Write};
use std::process::ExitCode;

use shieldwatch::{Options, Sources, Watcher};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (dir, container) = match (args.first(), args.get(1)) {
        (Some(d), Some(c)) => (d, c),
        _ => {
            eprintln!("usage: watch STATE_DIR CONTAINER [--no-nflog]");
            return ExitCode::from(2);
        }
    };
    let mut opts = Options::new();
    if args.iter().any(|a| a == "--no-nflog") {
        opts = opts.sources(Sources::DNS | Sources::AUDIT);
    }
    let mut watcher = match Watcher::open(dir, container, opts) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("watch: {dir}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let stdout = io::stdout();
    for event in watcher.events() {
        match event {
            Ok(ev) => {
                let mut out = stdout.lock();
                // Stop quietly when the reader goes away (e.g. `| head`).
                if writeln!(out, "{}", ev.json())
                    .and_then(|_| out.flush())
                    .is_err()
                {
                    return ExitCode::SUCCESS;
                }
            }
            Err(e) => {
                eprintln!("watch: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
