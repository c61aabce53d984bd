//! Shared test helpers: a throwaway state directory laid out like the
//! shield's (dns.tier, dnsmasq.log, audit.jsonl, profile.domains).
#![allow(dead_code)]

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

pub const ALLOWED: &str = "allowed.example.com";

pub struct StateDir {
    path: PathBuf,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

impl StateDir {
    /// An empty directory.
    pub fn empty() -> StateDir {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "shieldwatch-rs-{}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            nanos
        ));
        fs::create_dir(&path).expect("create temp state dir");
        StateDir { path }
    }

    /// A dnsmasq-tier state directory whose allowlist holds [`ALLOWED`].
    pub fn new() -> StateDir {
        let dir = StateDir::empty();
        dir.write("dns.tier", "dnsmasq\n");
        dir.write("dnsmasq.log", "");
        dir.write("audit.jsonl", "");
        dir.write("profile.domains", &format!("{ALLOWED}\n"));
        dir
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    pub fn write(&self, name: &str, text: &str) {
        fs::write(self.file(name), text).expect("write state file");
    }

    /// Appends with one write(2), like the real writers do.
    pub fn append(&self, name: &str, text: &str) {
        let mut f = OpenOptions::new()
            .append(true)
            .create(true)
            .open(self.file(name))
            .expect("open for append");
        f.write_all(text.as_bytes()).expect("append");
    }

    pub fn query(&self, domain: &str, qtype: &str) {
        self.append("dnsmasq.log", &dns_query_line(domain, qtype));
    }

    pub fn audit(&self, container: &str, action: &str) {
        self.append("audit.jsonl", &audit_line(container, action));
    }
}

impl Drop for StateDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

pub fn dns_query_line(domain: &str, qtype: &str) -> String {
    format!("Nov 22 13:30:01 dnsmasq[9605]: query[{qtype}] {domain} from 127.0.0.1\n")
}

pub fn audit_line(container: &str, action: &str) -> String {
    format!("{{\"ts\":\"2026-11-22T13:30:01Z\",\"container\":\"{container}\",\"action\":\"{action}\"}}\n")
}

/// Open file descriptors of this process.
pub fn open_fds() -> usize {
    fs::read_dir("/proc/self/fd")
        .expect("read /proc/self/fd")
        .count()
}
