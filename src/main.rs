//! The binary's edge: arguments, logger, exit code.

use cloudseed::cli::{self, Command};
use cloudseed::os::path::{OsString, Path};
use cloudseed::seed::record::Probe;
use cloudseed::{agent, logger, mkcidata};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = std::env::args_os().skip(1).map(|a| {
        use std::os::unix::ffi::OsStringExt;
        OsString::from_vec(a.into_vec())
    });
    let cmd = match cli::parse(args) {
        Ok(c) => c,
        Err(msg) => {
            eprintln!("cloudseed: {msg}\nTry 'cloudseed --help'.");
            return ExitCode::from(2);
        }
    };
    match cmd {
        // test-only: kept out of release builds (size budget)
        #[cfg(debug_assertions)]
        Command::Identify(a) => ExitCode::from(cloudseed::identify::cli::main(&a)),
        #[cfg(not(debug_assertions))]
        Command::Identify(_) => {
            eprintln!("cloudseed: __identify is in debug builds only");
            ExitCode::from(2)
        }
        Command::Help => {
            say(cli::HELP);
            ExitCode::SUCCESS
        }
        Command::Version => {
            say(&format!("cloudseed {}\n", env!("CARGO_PKG_VERSION")));
            ExitCode::SUCCESS
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
                Ok(job) => ExitCode::from(agent::run(&job)),
                Err(e) => {
                    log::error!("{e}");
                    ExitCode::from(agent::EXIT_SOURCE_FAILED)
                }
            }
        }
        Command::Required(text) => {
            logger::init(None, log::LevelFilter::Warn);
            let text = text.or_else(|| cloudseed::os::fs::read_to_string("/proc/cmdline").ok());
            let none = |_: &str| None;
            let cmd = cloudseed::cmdline::parse(text.as_deref().unwrap_or(""), None, &none);
            ExitCode::from(if cmd.knobs.required {
                agent::EXIT_STOP_BOOT
            } else {
                agent::EXIT_OK
            })
        }
        Command::Probe(paths) => {
            logger::init(None, log::LevelFilter::Warn);
            // The same helper process as `run`: release builds abort on a
            // parser panic, and a stuck device must not hang the command.
            let deadline =
                cloudseed::time::Deadline::after(cloudseed::sys::now(), agent::DEFAULT_TIMEOUT);
            let probes = cloudseed::scan::probe_all(&paths, deadline, false);
            for (p, probe) in paths.iter().zip(probes) {
                say(&format!("{}\n", probe_line(p, probe)));
            }
            ExitCode::SUCCESS
        }
        Command::Scan { paths, kmsg, debug } => {
            let level = if debug {
                log::LevelFilter::Debug
            } else {
                log::LevelFilter::Info
            };
            logger::init(kmsg.then_some(Path::new("/dev/kmsg")), level);
            std::panic::set_hook(Box::new(|info| {
                let text = cloudseed::error::panic_text(info.payload());
                cloudseed::scan::on_panic(&text);
            }));
            match cloudseed::scan::serve(&paths) {
                Ok(()) => ExitCode::SUCCESS,
                Err(_) => ExitCode::from(1),
            }
        }
        Command::Mkcidata(m) => {
            logger::init(None, log::LevelFilter::Info);
            match make_cidata(&m) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("cloudseed: mkcidata: {e}");
                    ExitCode::from(1)
                }
            }
        }
    }
}

/// Writes to stdout; a closed stdout (`cloudseed probe … | head -1`) is not
/// worth a panic, unlike `print!`.
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
    let mut files: Vec<(&str, Vec<u8>)> = vec![
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
    use std::os::unix::ffi::OsStrExt;
    let out = std::path::Path::new(std::ffi::OsStr::from_bytes(m.out.as_bytes()));
    mkcidata::write_image(out, &refs).map_err(|e| e.to_string())
}
