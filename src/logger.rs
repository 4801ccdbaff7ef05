//! `log` backend: one line per record to `/dev/kmsg` (with a kernel log level,
//! prefix `cloudseed:`) when writable, else to stderr.

use log::{Level, LevelFilter, Log, Metadata, Record};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

struct Logger {
    kmsg: Option<Mutex<File>>,
    level: LevelFilter,
}

impl Log for Logger {
    fn enabled(&self, m: &Metadata) -> bool {
        m.level() <= self.level
    }
    fn log(&self, r: &Record) {
        if !self.enabled(r.metadata()) {
            return;
        }
        match &self.kmsg {
            Some(k) => {
                // <3> err, <4> warning, <6> info, <7> debug (syslog priorities).
                let pri = match r.level() {
                    Level::Error => 3,
                    Level::Warn => 4,
                    Level::Info => 6,
                    Level::Debug | Level::Trace => 7,
                };
                // One write() per record: kmsg takes each write as one message.
                let line = format!("<{pri}>cloudseed: {}\n", r.args());
                if let Ok(mut f) = k.lock() {
                    let _ = f.write_all(line.as_bytes());
                }
            }
            None => {
                let line = format!(
                    "cloudseed: {}: {}\n",
                    r.level().as_str().to_lowercase(),
                    r.args()
                );
                let _ = std::io::stderr().write_all(line.as_bytes());
            }
        }
    }
    fn flush(&self) {}
}

/// Installs the logger; `kmsg` is tried first unless `None`.
pub fn init(kmsg: Option<&Path>, level: LevelFilter) {
    let kmsg = kmsg
        .and_then(|p| OpenOptions::new().write(true).open(p).ok())
        .map(Mutex::new);
    let logger = Box::new(Logger { kmsg, level });
    if log::set_boxed_logger(logger).is_ok() {
        log::set_max_level(level);
    }
}
