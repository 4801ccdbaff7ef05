//! `log` backend: one line per record to `/dev/kmsg` (with a kernel log level,
//! prefix `cloudseed:`) when writable, else to stderr.
//!
//! A guard for the boot log: while a device is being read (`device_scope`)
//! at most `MAX_LINES_PER_DEVICE` lines are written for it, then one line
//! that says the rest were dropped.

use log::{Level, LevelFilter, Log, Metadata, Record};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

/// Log lines one device may cause, whatever its content.
pub const MAX_LINES_PER_DEVICE: usize = 16;

/// The device being read and how many lines it caused so far.
static DEVICE: Mutex<Option<(String, usize)>> = Mutex::new(None);

/// Starts counting lines against `device` (or stops counting: `None`).
pub fn device_scope(device: Option<&Path>) {
    if let Ok(mut d) = DEVICE.lock() {
        *d = device.map(|p| (p.display().to_string(), 0));
    }
}

/// What to do with the `n`-th line (1-based) of one device.
#[derive(Debug, PartialEq, Eq)]
pub enum Budget {
    Write,
    /// Write a note that the rest is dropped, instead of the line.
    Suppress,
    Drop,
}

pub fn budget(n: usize) -> Budget {
    match n {
        n if n <= MAX_LINES_PER_DEVICE => Budget::Write,
        n if n == MAX_LINES_PER_DEVICE + 1 => Budget::Suppress,
        _ => Budget::Drop,
    }
}

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
        let level = r.level();
        let mut note = None;
        if let Ok(mut d) = DEVICE.lock() {
            if let Some((name, n)) = d.as_mut() {
                *n += 1;
                match budget(*n) {
                    Budget::Write => {}
                    Budget::Suppress => {
                        note = Some(format!(
                            "{name}: over {MAX_LINES_PER_DEVICE} log lines; the rest are dropped"
                        ))
                    }
                    Budget::Drop => return,
                }
            }
        }
        match note {
            Some(n) => self.write(Level::Warn, format_args!("{n}")),
            None => self.write(level, *r.args()),
        }
    }
    fn flush(&self) {}
}

impl Logger {
    fn write(&self, level: Level, args: std::fmt::Arguments<'_>) {
        match &self.kmsg {
            Some(k) => {
                // <3> err, <4> warning, <6> info, <7> debug (syslog priorities).
                let pri = match level {
                    Level::Error => 3,
                    Level::Warn => 4,
                    Level::Info => 6,
                    Level::Debug | Level::Trace => 7,
                };
                // One write() per record: kmsg takes each write as one message.
                let line = format!("<{pri}>cloudseed: {args}\n");
                if let Ok(mut f) = k.lock() {
                    let _ = f.write_all(line.as_bytes());
                }
            }
            None => {
                let line = format!("cloudseed: {}: {args}\n", level.as_str().to_lowercase());
                let _ = std::io::stderr().write_all(line.as_bytes());
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_capped() {
        let kinds: Vec<Budget> = (1..=MAX_LINES_PER_DEVICE + 3).map(budget).collect();
        assert!(kinds[..MAX_LINES_PER_DEVICE]
            .iter()
            .all(|b| *b == Budget::Write));
        assert_eq!(kinds[MAX_LINES_PER_DEVICE], Budget::Suppress);
        assert!(kinds[MAX_LINES_PER_DEVICE + 1..]
            .iter()
            .all(|b| *b == Budget::Drop));
    }
}
