//! Command-line parsing for people and tests. Hand-written: four flags do not
//! earn an argument-parsing crate.

use std::path::PathBuf;
use std::time::Duration;

pub const HELP: &str = "\
cloudseed - hand cloud-init its data from the initramfs

USAGE:
  cloudseed [run] [OPTIONS]
  cloudseed probe PATH...
  cloudseed mkcidata OUT.img --user-data F --meta-data F [--vendor-data F] [--network-config F]
  cloudseed --help | --version

run (the default) reads the kernel command line, scans block devices for a
cidata/CIDATA or config-2 volume, fetches http sources named on the command
line, and writes the hand-off for cloud-init under /run.

OPTIONS (run):
  --cmdline TEXT     use TEXT instead of /proc/cmdline
  --device PATH      probe only this block device or image file (repeatable)
  --run-dir DIR      write under DIR instead of /run
  --sys-dir DIR      read DIR instead of /sys
  --no-network       never touch the network (http sources are left to cloud-init)
  --timeout SECONDS  overall deadline (default: cloudseed.timeout= or 120)
  -v, --verbose      debug logging

probe prints what each device or image holds and writes nothing.
mkcidata writes a FAT image labelled cidata holding the given files.

EXIT STATUS:
  0  finished: data handed off, or nothing to do
  1  a source named on the kernel command line failed (or, with
     cloudseed.required, nothing was found)
  2  usage error

Logs go to /dev/kmsg when running with the real /run, else to stderr.
The report is written to RUN/cloudseed/report.json.
";

#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunArgs {
    pub cmdline: Option<String>,
    pub devices: Vec<PathBuf>,
    pub run_dir: Option<PathBuf>,
    pub sys_dir: Option<PathBuf>,
    pub no_network: bool,
    pub timeout: Option<Duration>,
    pub verbose: bool,
}

impl RunArgs {
    /// The console in the initramfs is /dev/kmsg; a test or a person running
    /// with --run-dir wants the messages on stderr.
    pub fn logs_to_kmsg(&self) -> bool {
        self.run_dir.is_none()
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct MkcidataArgs {
    pub out: PathBuf,
    pub user_data: PathBuf,
    pub meta_data: PathBuf,
    pub vendor_data: Option<PathBuf>,
    pub network_config: Option<PathBuf>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Run(RunArgs),
    Probe(Vec<PathBuf>),
    Mkcidata(MkcidataArgs),
    /// Internal: the probe helper process of `run` (src/scan.rs); not in --help.
    Scan {
        paths: Vec<PathBuf>,
        kmsg: bool,
    },
    /// Internal: ds-identify's decision for a fake machine (tests/identify/run.sh).
    Identify(Vec<String>),
    Help,
    Version,
}

/// Parses arguments (without the program name). Errors are usage messages.
pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Command, String> {
    let mut args = args.into_iter().peekable();
    match args.peek().map(String::as_str) {
        Some("--help") | Some("-h") | Some("help") => return Ok(Command::Help),
        Some("--version") | Some("-V") => return Ok(Command::Version),
        Some("probe") => {
            args.next();
            let paths: Vec<PathBuf> = args.map(PathBuf::from).collect();
            if paths.is_empty() {
                return Err("probe needs at least one PATH".into());
            }
            return Ok(Command::Probe(paths));
        }
        Some("__scan") => {
            args.next();
            let kmsg = args.next_if(|a| a == "--kmsg").is_some();
            return Ok(Command::Scan {
                paths: args.map(PathBuf::from).collect(),
                kmsg,
            });
        }
        Some("__identify") => {
            args.next();
            return Ok(Command::Identify(args.collect()));
        }
        Some("mkcidata") => {
            args.next();
            return parse_mkcidata(args).map(Command::Mkcidata);
        }
        Some("run") => {
            args.next();
        }
        _ => {}
    }
    let mut r = RunArgs::default();
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--cmdline" => r.cmdline = Some(value("--cmdline")?),
            "--device" => r.devices.push(value("--device")?.into()),
            "--run-dir" => r.run_dir = Some(value("--run-dir")?.into()),
            "--sys-dir" => r.sys_dir = Some(value("--sys-dir")?.into()),
            "--no-network" => r.no_network = true,
            "--timeout" => {
                let v = value("--timeout")?;
                let secs: u64 = v
                    .parse()
                    .map_err(|_| format!("--timeout takes whole seconds, not {v:?}"))?;
                r.timeout = Some(Duration::from_secs(secs));
            }
            "-v" | "--verbose" => r.verbose = true,
            "--help" | "-h" => return Ok(Command::Help),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Command::Run(r))
}

fn parse_mkcidata(args: impl Iterator<Item = String>) -> Result<MkcidataArgs, String> {
    let mut args = args.peekable();
    let mut m = MkcidataArgs::default();
    let mut out = None;
    let (mut ud, mut md) = (None, None);
    while let Some(a) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .map(PathBuf::from)
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match a.as_str() {
            "--user-data" => ud = Some(value("--user-data")?),
            "--meta-data" => md = Some(value("--meta-data")?),
            "--vendor-data" => m.vendor_data = Some(value("--vendor-data")?),
            "--network-config" => m.network_config = Some(value("--network-config")?),
            s if s.starts_with('-') => return Err(format!("unknown argument {s:?}")),
            s if out.is_none() => out = Some(PathBuf::from(s)),
            s => return Err(format!("unexpected argument {s:?}")),
        }
    }
    m.out = out.ok_or("mkcidata needs OUT.img")?;
    m.user_data = ud.ok_or("mkcidata needs --user-data")?;
    m.meta_data = md.ok_or("mkcidata needs --meta-data")?;
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(a: &[&str]) -> Result<Command, String> {
        parse(a.iter().map(|s| s.to_string()))
    }

    #[test]
    fn run_is_the_default() {
        assert_eq!(p(&[]), Ok(Command::Run(RunArgs::default())));
        let Ok(Command::Run(r)) = p(&[
            "run",
            "--cmdline",
            "quiet",
            "--device",
            "a.img",
            "--device",
            "b",
            "--run-dir",
            "/tmp/r",
            "--sys-dir",
            "/tmp/s",
            "--no-network",
            "--timeout",
            "5",
            "-v",
        ]) else {
            panic!()
        };
        assert_eq!(r.cmdline.as_deref(), Some("quiet"));
        assert_eq!(r.devices, vec![PathBuf::from("a.img"), PathBuf::from("b")]);
        assert!(r.no_network && r.verbose);
        assert_eq!(r.timeout, Some(Duration::from_secs(5)));
    }

    #[test]
    fn usage_errors() {
        assert!(p(&["--bogus"]).is_err());
        assert!(p(&["--timeout", "soon"]).is_err());
        assert!(p(&["--cmdline"]).is_err());
        assert!(p(&["probe"]).is_err());
        assert!(p(&["mkcidata", "out.img", "--user-data", "u"]).is_err());
    }

    #[test]
    fn subcommands() {
        assert_eq!(p(&["--version"]), Ok(Command::Version));
        assert_eq!(p(&["--help"]), Ok(Command::Help));
        assert_eq!(p(&["probe", "x"]), Ok(Command::Probe(vec!["x".into()])));
        let Ok(Command::Mkcidata(m)) = p(&[
            "mkcidata",
            "o.img",
            "--meta-data",
            "m",
            "--user-data",
            "u",
            "--network-config",
            "n",
        ]) else {
            panic!()
        };
        assert_eq!(m.out, PathBuf::from("o.img"));
        assert_eq!(m.network_config, Some(PathBuf::from("n")));
        assert_eq!(m.vendor_data, None);
    }
}
