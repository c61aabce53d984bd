//! Like `watch`, on tokio: prints events as JSON lines until interrupted, or
//! until `--count N` events have arrived.
//!
//!     cargo run --features tokio --example watch_tokio -- STATE_DIR CONTAINER [--count N]
use std::process::ExitCode;

use shieldwatch::{AsyncWatcher, Options};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (dir, container) = match (args.first(), args.get(1)) {
        (Some(d), Some(c)) => (d.clone(), c.clone()),
        _ => {
            eprintln!("usage: watch_tokio STATE_DIR CONTAINER [--count N]");
            return ExitCode::from(2);
        }
    };
    let count: Option<usize> = args
        .iter()
        .position(|a| a == "--count")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok());

    let mut watcher = match AsyncWatcher::open(&dir, &container, Options::new()) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("watch_tokio: {dir}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut seen = 0;
    while count.is_none_or(|n| seen < n) {
        match watcher.recv().await {
            Ok(ev) => println!("{}", ev.json()),
            Err(e) => {
                eprintln!("watch_tokio: {e}");
                return ExitCode::FAILURE;
            }
        }
        seen += 1;
    }
    ExitCode::SUCCESS
}
