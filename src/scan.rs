//! Reads devices in a helper process, so a device that stops answering
//! cannot hold the agent past its deadline. A read stuck in the kernel can't
//! be interrupted, not even by exit: only a reader in another process can be
//! abandoned. The helper is this same binary (`cloudseed __scan PATH…`); it
//! streams one `seed::record` per device over a pipe, and the agent moves on
//! when a device gives no answer for `PER_DEVICE` or the deadline passes.
//! The boundary also contains panics: release builds abort on panic (no
//! unwinder in the binary), so a parser that panics on a hostile image
//! ends only the helper, whose panic handler first reports the panic as
//! that device's error ([`on_panic`]); the agent starts a new helper for
//! the devices left. The helper is started with fork + execve of
//! `/proc/self/exe` (src/os/process.rs).

use crate::prelude::*;

use crate::error::{Error, ErrorKind};
use crate::os::io::{self, Write};
use crate::os::path::{Path, PathBuf};
use crate::os::process::{self, Child};
use crate::seed::record::{self, Probe};
use crate::sys;
use crate::time::Deadline;
use core::sync::atomic::{AtomicBool, Ordering};
use core::time::Duration;
use rustix::fd::AsFd;

/// How long one device may take to answer (a CD drive spinning up is slow;
/// a 16 MiB seed reads in tens of milliseconds).
pub const PER_DEVICE: Duration = Duration::from_secs(10);

/// Probes `devices` in order and returns one result per device. Never runs
/// past `deadline`; devices not reached are reported as such.
pub fn probe_all(devices: &[PathBuf], deadline: Deadline, kmsg: bool) -> Vec<Probe> {
    let mut results: Vec<Probe> = Vec::with_capacity(devices.len());
    while results.len() < devices.len() {
        if deadline.expired(sys::now()) {
            break;
        }
        let rest = &devices[results.len()..];
        let mut child = match spawn(rest, kmsg) {
            Ok(c) => c,
            Err(e) => {
                // No /proc/self/exe (or no fork): read in-process instead.
                log::warn!("scan: cannot start a probe process ({e}); reading devices in-process");
                results.extend(rest.iter().map(|p| probe_one(p)));
                break;
            }
        };
        let got = stream(&mut child, rest.len(), deadline, &mut results);
        if got.is_err() || results.len() < devices.len() {
            let _ = child.kill();
        }
        // Reap if it is gone; a child stuck in the kernel is left to init.
        let _ = child.try_wait();
        if let Err(why) = got {
            let stop = why.kind() == ErrorKind::Interrupted;
            results.push(Err(why));
            if stop {
                break;
            }
        }
    }
    while results.len() < devices.len() {
        results.push(Err(match sys::caught_signal() {
            Some(signal) => Error::interrupted(signal),
            None => Error::timeout("not probed: the deadline passed"),
        }));
    }
    results
}

fn spawn(paths: &[PathBuf], kmsg: bool) -> io::Result<Child> {
    let mut args: Vec<&[u8]> = vec![b"cloudseed", b"__scan"];
    if kmsg {
        args.push(b"--kmsg");
    }
    // The helper logs at the agent's level (-v, cloudseed.debug).
    if log::max_level() >= log::LevelFilter::Debug {
        args.push(b"--debug");
    }
    args.extend(paths.iter().map(|p| p.as_bytes()));
    process::spawn(b"/proc/self/exe", &args)
}

/// Reads records until `want` arrived; `Err` names why the current device
/// has no result (no answer in time, helper died, broken stream, a signal).
fn stream(
    child: &mut Child,
    want: usize,
    deadline: Deadline,
    results: &mut Vec<Probe>,
) -> Result<(), Error> {
    let Some(out) = child.stdout.as_mut() else {
        return Err(Error::io(
            "read",
            "probe process",
            io::ErrorKind::BrokenPipe,
        ));
    };
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 64 << 10];
    let mut got = 0;
    let mut last = sys::now();
    while got < want {
        while let Some(d) = record::decode(&buf)? {
            buf.drain(..d.used);
            results.push(d.probe);
            got += 1;
            last = sys::now();
            if d.last {
                // The helper panicked on that device and is ending.
                return Ok(());
            }
        }
        if got == want {
            break;
        }
        let now = sys::now();
        let limit = deadline.min_after(last, PER_DEVICE);
        if limit.expired(now) {
            return Err(Error::timeout(format!(
                "no answer in {} ms; its reader was abandoned",
                now.since(last).as_millis()
            )));
        }
        match sys::poll_readable(&[out.as_fd()], limit.remaining(now)) {
            Ok(ready) if ready[0] => {}
            Ok(_) => continue,
            Err(e) => return Err(Error::io("poll", "probe process", e)),
        }
        match rustix::io::read(&*out, &mut chunk) {
            Ok(0) => return Err(ended(child)),
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                // Reserve the whole record once: no doubling for a 16 MiB seed.
                if let Some(total) = record::record_len(&buf) {
                    if total > buf.capacity() && total <= record::MAX_RECORD {
                        buf.reserve_exact(total - buf.len());
                    }
                }
            }
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(Error::io("read", "probe process", e)),
        }
    }
    Ok(())
}

/// One device, read here; the log lines it causes are capped
/// (`logger::MAX_LINES_PER_DEVICE`).
fn probe_one(p: &Path) -> Probe {
    crate::logger::device_scope(Some(p));
    let probe = crate::seed::read_device(p);
    crate::logger::device_scope(None);
    probe
}

/// Why a helper closed its pipe without answering for the current device.
fn ended(child: &mut Child) -> Error {
    match child.wait() {
        // 4..=6 is SIGILL, SIGTRAP, SIGABRT. SIGABRT: panic=abort after the
        // panic handler ([`on_panic`]); SIGILL/SIGTRAP (x86_64/aarch64 trap
        // instructions): the tuned build's panic=immediate-abort traps at
        // once, before any handler runs.
        Ok(st) if matches!(st.signal(), Some(4..=6)) => {
            Error::panicked("probe process aborted on this device")
        }
        Ok(st) => Error::io(
            "read",
            "probe process",
            io::Error::other(format!("ended without an answer ({st})")),
        ),
        Err(e) => Error::io("wait", "probe process", e),
    }
}

/// Set while this process is the helper: a panic then becomes that
/// device's error record ([`on_panic`]).
static SERVING: AtomicBool = AtomicBool::new(false);

/// For the binary's panic handler: in the helper, writes the panic (its
/// first line) as the current device's error record, the last one. The
/// handler then aborts (SIGABRT, which [`ended`] also reads as a panic).
pub fn on_panic(msg: &dyn core::fmt::Display) {
    if !SERVING.load(Ordering::SeqCst) {
        return;
    }
    let text = msg.to_string();
    let e = Error::panicked(text.lines().next().unwrap_or(""));
    let mut rec = Vec::new();
    record::encode_fatal(&e, &mut rec);
    let _ = io::stdout().write_all(&rec);
}

/// The helper's side: probe each path and write its record to stdout. A
/// panic becomes that device's error record before the process ends.
pub fn serve(paths: &[PathBuf]) -> io::Result<()> {
    SERVING.store(true, Ordering::SeqCst);
    let mut out = io::stdout();
    for p in paths {
        let probe = probe_one(p);
        let mut rec = Vec::new();
        record::encode(&probe, &mut rec);
        out.write_all(&rec)?;
    }
    Ok(())
}
