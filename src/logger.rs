//! `log` backend: one line per record to `/dev/kmsg` (with a kernel log level,
//! prefix `cloudseed:`) when writable, else to stderr.
//!
//! A guard for the boot log: while a device is being read (`device_scope`)
//! at most `MAX_LINES_PER_DEVICE` lines are written for it, then one line
//! that says the rest were dropped.
//!
//! State lives in plain cells, not a Mutex: cloudseed is single-threaded
//! (it waits in poll(2) and reads devices in a forked helper process), and
//! a Mutex is std's. `Single` below asserts that in its `Sync` impl.

use crate::prelude::*;

use crate::os::fs::File;
use crate::os::io::Write;
use crate::os::path::Path;
use core::cell::RefCell;
use log::{Level, LevelFilter, Log, Metadata, Record};

/// Log lines one device may cause, whatever its content.
pub const MAX_LINES_PER_DEVICE: usize = 16;

/// A cell shared by the one thread there is.
struct Single<T>(T);

// SAFETY: cloudseed never starts a thread (the crate has no thread API: it is
// `no_std`); the cell is only reached from the main thread, and from a log
// call in the panic handler of that same thread, which `try_borrow_mut`
// below tolerates.
#[allow(unsafe_code)]
unsafe impl<T> Sync for Single<T> {}

/// The device being read and how many lines it caused so far.
static DEVICE: Single<RefCell<Option<(String, usize)>>> = Single(RefCell::new(None));
/// `/dev/kmsg`, once `init` opened it.
static KMSG: Single<RefCell<Option<File>>> = Single(RefCell::new(None));
static LOGGER: Logger = Logger;

/// Starts counting lines against `device` (or stops counting: `None`).
pub fn device_scope(device: Option<&Path>) {
    if let Ok(mut d) = DEVICE.0.try_borrow_mut() {
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

struct Logger;

impl Log for Logger {
    fn enabled(&self, m: &Metadata) -> bool {
        m.level() <= log::max_level()
    }
    fn log(&self, r: &Record) {
        if !self.enabled(r.metadata()) {
            return;
        }
        let level = r.level();
        let mut note = None;
        if let Ok(mut d) = DEVICE.0.try_borrow_mut() {
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
    fn write(&self, level: Level, args: core::fmt::Arguments<'_>) {
        let kmsg = KMSG.0.try_borrow();
        match kmsg.as_deref() {
            Ok(Some(k)) => {
                // <3> err, <4> warning, <6> info, <7> debug (syslog priorities).
                let pri = match level {
                    Level::Error => 3,
                    Level::Warn => 4,
                    Level::Info => 6,
                    Level::Debug | Level::Trace => 7,
                };
                // One write() per record: kmsg takes each write as one message.
                let line = format!("<{pri}>cloudseed: {args}\n");
                let _ = (&*k).write_all(line.as_bytes());
            }
            _ => {
                let word = match level {
                    Level::Error => "error",
                    Level::Warn => "warn",
                    Level::Info => "info",
                    Level::Debug => "debug",
                    Level::Trace => "trace",
                };
                let line = format!("cloudseed: {word}: {args}\n");
                let _ = crate::os::io::stderr().write_all(line.as_bytes());
            }
        }
    }
}

/// Installs the logger; `kmsg` is tried first unless `None`.
pub fn init(kmsg: Option<&Path>, level: LevelFilter) {
    let kmsg = kmsg.and_then(|p| File::open_with(p, rustix::fs::OFlags::WRONLY, 0).ok());
    if let Ok(mut k) = KMSG.0.try_borrow_mut() {
        *k = kmsg;
    }
    if log::set_logger(&LOGGER).is_ok() {
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
