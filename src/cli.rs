//! Command-line parsing for people and tests. Hand-written: four flags do not
//! earn an argument-parsing crate.

use crate::prelude::*;

use crate::os::path::{OsString, PathBuf};
use core::time::Duration;

pub const HELP: &str = "\
cloudseed - hand cloud-init its data from the initramfs

USAGE:
  cloudseed [run] [OPTIONS]
  cloudseed run --stage [OPTIONS]      phase 1, before the root mount (hooks)
  cloudseed handoff [--root DIR] [--run-dir DIR] [--sys-dir DIR] [-v]
                                       phase 2, after the root mount (hooks)
  cloudseed required [--cmdline TEXT]  exit 3 if cloudseed.required is set
  cloudseed probe PATH...
  cloudseed mkcidata OUT.img --user-data F --meta-data F [--vendor-data F] [--network-config F]
  cloudseed --help | --version

run (the default) reads the kernel command line, scans block devices for a
cidata/CIDATA or config-2 volume, fetches http sources named on the command
line, and writes the hand-off for cloud-init under /run, naming the
datasource_list ds-identify would write for the image (--root) or standing
aside. The boot hooks split it in two: `run --stage` (scan, network, fetch,
pins; stages in RUN/cloudseed/stage) and `handoff --root DIR` once the root
is mounted (reads DIR/etc/cloud, identifies, writes).

OPTIONS (run):
  --cmdline TEXT     use TEXT instead of /proc/cmdline
  --device PATH      probe only this block device or image file (repeatable)
  --run-dir DIR      write under DIR instead of /run
  --sys-dir DIR      read DIR instead of /sys
  --no-network       never touch the network (http sources are left to cloud-init)
  --timeout SECONDS  overall deadline (default: cloudseed.timeout= or 120)
  --root DIR         the mounted root whose /etc/cloud identification reads
                     (default: none, cloud-init's built-in datasource list)
  --stage            phase 1 only: stage for `cloudseed handoff`
  --generator NAME   the initramfs: initramfs-tools, dracut, or dracut-net
                     (dracut with one of its network modules); decides what
                     network is left behind (default: ip= keeps it)
  -v, --verbose      debug logging

probe prints what each device or image holds and writes nothing.
mkcidata writes a FAT image labelled cidata holding the given files.

EXIT STATUS:
  0  finished: data handed off, stood aside, or nothing to do
  1  a source named on the kernel command line failed (unreachable, not
     #cloud-config, a cloudseed.sha256 pin mismatch): the boot goes on
  2  usage error
  3  only with cloudseed.required: a source failed or nothing was found;
     the boot must stop (the hooks test this code alone)

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
    pub root: Option<PathBuf>,
    pub stage: bool,
    /// `handoff`: phase 2.
    pub handoff: bool,
    pub generator: crate::plan::Generator,
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
    /// `required`: exit 3 when the command line sets cloudseed.required.
    Required(Option<String>),
    /// Internal: the probe helper process of `run` (src/scan.rs); not in --help.
    Scan {
        paths: Vec<PathBuf>,
        kmsg: bool,
        debug: bool,
    },
    /// Internal: ds-identify's decision for a fake machine (tests/identify/run.sh).
    Identify(Vec<String>),
    Help,
    Version,
}

/// Parses arguments (without the program name) as the OS gives them: any
/// bytes. Flags are ASCII, paths keep their bytes, and `--cmdline` is read
/// lossily (a byte that is not UTF-8 becomes U+FFFD, as Python's
/// `errors="replace"` does). Errors are usage messages; nothing here panics.
pub fn parse<I: IntoIterator<Item = OsString>>(args: I) -> Result<Command, String> {
    let mut args = args.into_iter().peekable();
    match args.peek().and_then(|a| a.to_str()) {
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
            let debug = args.next_if(|a| a == "--debug").is_some();
            return Ok(Command::Scan {
                paths: args.map(PathBuf::from).collect(),
                kmsg,
                debug,
            });
        }
        Some("__identify") => {
            args.next();
            return Ok(Command::Identify(
                args.map(|a| a.to_string_lossy().into_owned()).collect(),
            ));
        }
        Some("mkcidata") => {
            args.next();
            return parse_mkcidata(args).map(Command::Mkcidata);
        }
        Some("required") => {
            args.next();
            let flag = args.next();
            return match (flag.as_ref().map(OsString::to_str), args.next()) {
                (None, _) => Ok(Command::Required(None)),
                (Some(Some("--cmdline")), Some(c)) => {
                    Ok(Command::Required(Some(c.to_string_lossy().into_owned())))
                }
                _ => Err("usage: cloudseed required [--cmdline TEXT]".into()),
            };
        }
        Some("run") => {
            args.next();
        }
        _ => {}
    }
    let mut r = RunArgs::default();
    if args.next_if(|a| a == "handoff").is_some() {
        r.handoff = true;
    }
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match a.to_str().unwrap_or("") {
            "--cmdline" => r.cmdline = Some(value("--cmdline")?.to_string_lossy().into_owned()),
            "--device" => r.devices.push(value("--device")?.into()),
            "--run-dir" => r.run_dir = Some(value("--run-dir")?.into()),
            "--sys-dir" => r.sys_dir = Some(value("--sys-dir")?.into()),
            "--no-network" => r.no_network = true,
            "--timeout" => {
                let v = value("--timeout")?;
                let secs: u64 = v
                    .to_str()
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| format!("--timeout takes whole seconds, not {v:?}"))?;
                r.timeout = Some(Duration::from_secs(secs));
            }
            "-v" | "--verbose" => r.verbose = true,
            "--root" => r.root = Some(value("--root")?.into()),
            "--stage" => r.stage = true,
            "--generator" => {
                use crate::plan::Generator;
                r.generator = match value("--generator")?.to_str().unwrap_or("") {
                    "initramfs-tools" => Generator::InitramfsTools,
                    "dracut" => Generator::Dracut {
                        network_module: false,
                    },
                    "dracut-net" => Generator::Dracut {
                        network_module: true,
                    },
                    g => return Err(format!("unknown --generator {g:?}")),
                }
            }
            "--help" | "-h" => return Ok(Command::Help),
            _ => return Err(format!("unknown argument {a:?}")),
        }
    }
    if r.handoff && (r.stage || r.cmdline.is_some() || !r.devices.is_empty() || r.no_network) {
        return Err("handoff takes only --root, --run-dir, --sys-dir, --timeout, -v".into());
    }
    Ok(Command::Run(r))
}

fn parse_mkcidata(args: impl Iterator<Item = OsString>) -> Result<MkcidataArgs, String> {
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
        match a.to_str().unwrap_or("") {
            "--user-data" => ud = Some(value("--user-data")?),
            "--meta-data" => md = Some(value("--meta-data")?),
            "--vendor-data" => m.vendor_data = Some(value("--vendor-data")?),
            "--network-config" => m.network_config = Some(value("--network-config")?),
            _ if a.as_bytes().starts_with(b"-") => return Err(format!("unknown argument {a:?}")),
            _ if out.is_none() => out = Some(PathBuf::from(a.clone())),
            _ => return Err(format!("unexpected argument {a:?}")),
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
        parse(a.iter().map(|s| OsString::from(*s)))
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
    fn two_phases_and_the_generator() {
        let Ok(Command::Run(r)) = p(&["run", "--stage", "--generator", "dracut-net"]) else {
            panic!()
        };
        assert!(r.stage && !r.handoff);
        assert_eq!(
            r.generator,
            crate::plan::Generator::Dracut {
                network_module: true
            }
        );
        let Ok(Command::Run(r)) = p(&["handoff", "--root", "/sysroot"]) else {
            panic!()
        };
        assert!(r.handoff);
        assert_eq!(r.root, Some(PathBuf::from("/sysroot")));
        assert!(p(&["handoff", "--cmdline", "x"]).is_err());
        assert!(p(&["--generator", "mkinitcpio"]).is_err());
        assert_eq!(p(&["required"]), Ok(Command::Required(None)));
        assert_eq!(
            p(&["required", "--cmdline", "a b"]),
            Ok(Command::Required(Some("a b".into())))
        );
        assert!(p(&["required", "--bogus"]).is_err());
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

    #[test]
    fn bytes_that_are_not_utf8_never_panic() {
        let raw = |b: &[u8]| OsString::from_vec(b.to_vec());
        let Ok(Command::Run(r)) = parse([
            OsString::from("--cmdline"),
            raw(b"quiet \xff ds=nocloud"),
            OsString::from("--device"),
            raw(b"/dev/\xfe"),
        ]) else {
            panic!()
        };
        assert_eq!(r.cmdline.as_deref(), Some("quiet \u{fffd} ds=nocloud"));
        assert_eq!(r.devices[0].as_bytes(), b"/dev/\xfe");
        for bad in [&b"\xff"[..], b"--\xff", b"--timeout"] {
            assert!(parse([raw(bad)]).is_err());
        }
        assert!(parse([OsString::from("--timeout"), raw(b"1\xff")]).is_err());
        assert!(parse([OsString::from("probe"), raw(b"\xff")]).is_ok());
        assert!(parse([OsString::from("mkcidata"), raw(b"-\xff")]).is_err());
    }
}
