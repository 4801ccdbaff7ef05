//! The binary's edge: arguments, logger, exit code.
//!
//! No std: `main` is C's (musl's crt calls it with argc/argv), the heap is
//! malloc (`os::alloc::Malloc`), and a panic writes one line to stderr and
//! aborts (in the probe helper it first becomes that device's error record:
//! `scan::on_panic`). std's panic runtime (backtrace symbolizer, unwinder,
//! unwind tables) is what this leaves out.

#![cfg_attr(not(test), no_std, no_main)]
// The test build of this file (no tests of its own) has a std `main`.
#![cfg_attr(test, allow(dead_code, unused_imports))]

extern crate alloc;
#[cfg(test)]
extern crate std;

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use cloudseed::cli::{self, Command};
use cloudseed::eprintln;
use cloudseed::os::path::{OsString, Path};
use cloudseed::seed::record::Probe;
use cloudseed::{agent, logger};
use core::ffi::{c_char, c_int};

#[cfg(not(test))]
#[global_allocator]
static HEAP: cloudseed::os::alloc::Malloc = cloudseed::os::alloc::Malloc;

/// A panic: one line on stderr, the helper's error record, then SIGABRT.
#[cfg(not(test))]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    let msg = info.message();
    cloudseed::scan::on_panic(&msg);
    match info.location() {
        Some(l) => eprintln!("cloudseed: panic: {msg} at {}:{}", l.file(), l.line()),
        None => eprintln!("cloudseed: panic: {msg}"),
    }
    cloudseed::os::process::abort_process()
}

/// The prebuilt liballoc was compiled to unwind, and its landing pads name
/// the unwinder's resume function; with panic = "abort" no unwind ever
/// starts, so this is never called. (std would link libunwind for it.)
#[cfg(not(test))]
#[no_mangle]
#[allow(non_snake_case)]
extern "C" fn _Unwind_Resume() -> ! {
    cloudseed::os::process::abort_process()
}

/// The personality routine those landing pads name (DWARF unwind info):
/// never called either, as no unwind starts.
#[cfg(not(test))]
#[no_mangle]
extern "C" fn rust_eh_personality() {}

#[cfg(not(test))]
#[no_mangle]
extern "C" fn main(argc: c_int, argv: *const *const c_char) -> c_int {
    // SAFETY-relevant contract: argc/argv as the C runtime passes them.
    #[allow(unsafe_code)]
    let args = unsafe { cloudseed::os::process::args(argc, argv) };
    cloudseed::os::process::sanitize_stdio();
    cloudseed::sys::ignore_sigpipe();
    c_int::from(run(args))
}

#[cfg(test)]
fn main() {}

fn run(args: Vec<OsString>) -> u8 {
    let cmd = match cli::parse(args) {
        Ok(c) => c,
        Err(msg) => {
            eprintln!("cloudseed: {msg}\nTry 'cloudseed --help'.");
            return 2;
        }
    };
    match cmd {
        // test-only: kept out of release builds (size budget)
        #[cfg(debug_assertions)]
        Command::Identify(a) => cloudseed::identify::cli::main(&a),
        #[cfg(not(debug_assertions))]
        Command::Identify(_) => {
            eprintln!("cloudseed: __identify is in debug builds only");
            2
        }
        Command::Help => {
            say(cli::HELP);
            0
        }
        Command::Version => {
            say(concat!("cloudseed ", env!("CARGO_PKG_VERSION"), "\n"));
            0
        }
        Command::Run(args) => {
            let kmsg = args.logs_to_kmsg().then_some(Path::new("/dev/kmsg"));
            let level = if args.verbose {
                log::LevelFilter::Debug
            } else {
                log::LevelFilter::Info
            };
            logger::init(kmsg, level);
            // SIGTERM/SIGINT end every wait with Error::Interrupted; the run
            // unwinds, and the report says which signal (exit 128 + signal).
            if let Err(e) = cloudseed::sys::install_signal_handlers() {
                log::warn!("signals: cannot install handlers: {e}");
            }
            match agent::Job::from_args(&args) {
                Ok(job) => agent::run(&job),
                Err(e) => {
                    log::error!("{e}");
                    agent::EXIT_SOURCE_FAILED
                }
            }
        }
        Command::Required(text) => {
            logger::init(None, log::LevelFilter::Warn);
            let text = text.or_else(|| cloudseed::os::fs::read_to_string("/proc/cmdline").ok());
            let none = |_: &str| None;
            let cmd = cloudseed::cmdline::parse(text.as_deref().unwrap_or(""), None, &none);
            if cmd.knobs.required {
                agent::EXIT_STOP_BOOT
            } else {
                agent::EXIT_OK
            }
        }
        Command::Probe(paths) => {
            logger::init(None, log::LevelFilter::Warn);
            // The same helper process as `run`: release builds abort on a
            // parser panic, and a stuck device must not hang the command.
            let deadline =
                cloudseed::time::Deadline::after(cloudseed::sys::now(), agent::DEFAULT_TIMEOUT);
            let probes = cloudseed::scan::probe_all(&paths, deadline, false);
            for (p, probe) in paths.iter().zip(probes) {
                let mut line = probe_line(p, probe);
                line.push('\n');
                say(&line);
            }
            0
        }
        Command::Scan { paths, kmsg, debug } => {
            let level = if debug {
                log::LevelFilter::Debug
            } else {
                log::LevelFilter::Info
            };
            logger::init(kmsg.then_some(Path::new("/dev/kmsg")), level);
            match cloudseed::scan::serve(&paths) {
                Ok(()) => 0,
                Err(_) => 1,
            }
        }
        Command::Mkcidata(m) => {
            logger::init(None, log::LevelFilter::Info);
            match make_cidata(&m) {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("cloudseed: mkcidata: {e}");
                    1
                }
            }
        }
    }
}

/// Writes to stdout; a closed stdout (`cloudseed probe … | head -1`) is not
/// worth a panic.
fn say(text: &str) {
    use cloudseed::os::io::Write;
    let _ = cloudseed::os::io::stdout().write_all(text.as_bytes());
}

fn probe_line(p: &Path, probe: Probe) -> String {
    let name = p.display();
    match probe {
        Ok((None, _)) => format!("{name}: no filesystem"),
        Ok((Some(v), None)) => format!("{name}: {} label={:?}: no match", v.fs.name(), v.label),
        Ok((Some(v), Some(f))) => {
            let mut s = format!("{name}: {} label={:?}: ", v.fs.name(), v.label);
            match &f.seed {
                Some(seed) => {
                    s.push_str(&format!(
                        "nocloud meta-data={}B user-data={}B",
                        seed.meta_data.len(),
                        seed.user_data.len()
                    ));
                    if let Some(vd) = &seed.vendor_data {
                        s.push_str(&format!(" vendor-data={}B", vd.len()));
                    }
                    if let Some(nc) = &seed.network_config {
                        s.push_str(&format!(" network-config={}B", nc.len()));
                    }
                }
                None => s.push_str("config-2"),
            }
            s
        }
        Err(e) => format!("{name}: error: {e}"),
    }
}

fn make_cidata(m: &cli::MkcidataArgs) -> Result<(), String> {
    let read = |p: &Path| cloudseed::os::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    let mut files: Vec<(&str, Vec<u8>)> = alloc::vec![
        ("meta-data", read(&m.meta_data)?),
        ("user-data", read(&m.user_data)?),
    ];
    if let Some(p) = &m.vendor_data {
        files.push(("vendor-data", read(p)?));
    }
    if let Some(p) = &m.network_config {
        files.push(("network-config", read(p)?));
    }
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(n, d)| (*n, d.as_slice())).collect();
    cloudseed::mkcidata::write_image(&m.out, &refs).map_err(|e| e.to_string())
}
