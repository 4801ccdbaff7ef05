//! The imperative shell around the planner (src/plan.rs): gathers the facts
//! (kernel cmdline, local volumes, network fetches, the image's config),
//! asks the planner, and carries the plan out, within one deadline.
//!
//! Two phases, so that the image's own cloud-init config is read from the
//! root that is booting: phase 1 (`run --stage`, before the root mount)
//! scans, fetches and stages in `/run/cloudseed/stage`; phase 2 (`handoff
//! --root DIR`, after it) identifies and writes (src/agent/stage.rs). A
//! plain `run` does both in one process.

use crate::prelude::*;

mod stage;

use crate::cli::RunArgs;
use crate::cmdline::{self, Cmdline};
use crate::error::{Error, ErrorKind};
use crate::handoff;
use crate::identify::{self, Decision, Filesystem};
use crate::net;
use crate::os::path::{Path, PathBuf};
use crate::paths::Paths;
use crate::plan::{self, Action, Generator, Inputs, Named, NetworkLeft};
use crate::report::{Asked, DeviceEntry, Report, Verdict};
use crate::scan;
use crate::seed::{blockdev, Found, Kind};
use crate::sys;
use crate::time::{Deadline, Instant};
use core::time::Duration;
use log::{debug, info};

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

pub use crate::plan::{EXIT_OK, EXIT_SOURCE_FAILED, EXIT_STOP_BOOT};

/// Which part of the job this process does.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// `run`: both phases in one process.
    #[default]
    OneShot,
    /// `run --stage`: phase 1, before the root mount.
    Stage,
    /// `handoff`: phase 2, after the root mount.
    HandOff,
}

/// The agent's inputs after the CLI and environment are resolved.
pub struct Job {
    pub paths: Paths,
    pub cmdline_text: String,
    pub dmi_serial: Option<String>,
    pub devices: Option<Vec<PathBuf>>,
    pub no_network: bool,
    pub timeout: Option<Duration>,
    /// Logging goes to /dev/kmsg (the real /run): the probe helper does the same.
    pub kmsg: bool,
    pub mode: Mode,
    /// The mounted root whose /etc/cloud identification reads.
    pub root: Option<PathBuf>,
    pub generator: Generator,
}

impl Job {
    pub fn from_args(args: &RunArgs) -> Result<Job, crate::error::Error> {
        let mut paths = Paths::default();
        if let Some(d) = &args.run_dir {
            paths.run_dir = d.clone();
        }
        if let Some(d) = &args.sys_dir {
            paths.sys_dir = d.clone();
        }
        let (cmdline_text, dmi_serial) = if args.handoff {
            // Phase 2 takes both from the staged state.
            (String::new(), None)
        } else {
            let text = match &args.cmdline {
                Some(c) => c.clone(),
                // cloud-init reads a /proc/cmdline that is not UTF-8 as empty.
                None => read_bytes(&paths.cmdline())
                    .map(|b| cmdline::text_from_bytes(&b).to_string())
                    .ok_or_else(|| {
                        crate::error::Error::io(
                            "read",
                            paths.cmdline().display(),
                            crate::os::io::ErrorKind::NotFound,
                        )
                    })?,
            };
            (text, read_text(&paths.dmi_serial()))
        };
        Ok(Job {
            paths,
            cmdline_text,
            dmi_serial,
            devices: (!args.devices.is_empty()).then(|| args.devices.clone()),
            no_network: args.no_network,
            timeout: args.timeout,
            kmsg: args.logs_to_kmsg(),
            mode: match (args.handoff, args.stage) {
                (true, _) => Mode::HandOff,
                (false, true) => Mode::Stage,
                (false, false) => Mode::OneShot,
            },
            root: args.root.clone(),
            generator: args.generator,
        })
    }
}

/// Small files from /proc and /sys; bounded so a odd file can't hurt.
fn read_bytes(p: &Path) -> Option<Vec<u8>> {
    use crate::os::io::Read;
    let mut buf = Vec::new();
    crate::os::fs::File::open(p)
        .ok()?
        .take(64 << 10)
        .read_to_end(&mut buf)
        .ok()?;
    Some(buf)
}

fn read_text(p: &Path) -> Option<String> {
    read_bytes(p).map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// Milliseconds from `t` to now, for the report's phases.
fn ms_since(t: Instant) -> u64 {
    sys::now().since(t).as_millis() as u64
}

/// Runs the job (one phase or both) and returns the exit code. Writes the
/// report in every case.
pub fn run(job: &Job) -> u8 {
    let start = sys::now();
    let mut report = Report::new();
    match job.mode {
        Mode::OneShot => {
            let g = gather(job, start, &mut report);
            let code = finish(job, g, None, &mut report);
            end(job, start, report, code)
        }
        Mode::Stage => {
            let g = gather(job, start, &mut report);
            let code = stage::save(job, g, &mut report);
            end(job, start, report, code)
        }
        Mode::HandOff => stage::hand_off(job, start, report),
    }
}

/// Ends phase 1 (or a one-shot run): a caught SIGTERM/SIGINT decides the
/// exit code (128 + signal) and is named in the report, which is written in
/// every case.
fn end(job: &Job, start: Instant, mut report: Report, mut code: u8) -> u8 {
    if let Some(signal) = sys::caught_signal() {
        report.error(Error::interrupted(signal).to_string());
        code = signal.exit_code();
    }
    report.exit_code = code;
    report.phase("total", ms_since(start));
    write_report(&job.paths, &report);
    code
}

fn write_report(paths: &Paths, report: &Report) {
    if let Err(e) = handoff::write_report(paths, report) {
        log::error!("report: {e}");
    }
}

/// What phase 1 learnt: the command line, the volumes seen, and the
/// planner's choice before identification.
pub(crate) struct Gathered {
    cmd: Cmdline,
    plan: plan::Plan,
    filesystems: Vec<Filesystem>,
}

/// Phase 1 (before the root mount): command line, scan, network, fetch, and
/// every check that can refuse the hand-off. Writes only net-<if>.conf.
fn gather(job: &Job, start: Instant, report: &mut Report) -> Gathered {
    let cmd = parse_cmdline(job);
    if cmd.knobs.debug {
        log::set_max_level(log::LevelFilter::Debug);
    }
    let timeout = job.timeout.or(cmd.knobs.timeout).unwrap_or(DEFAULT_TIMEOUT);
    let deadline = Deadline::after(start, timeout);
    report.asked = asked(&cmd, timeout);
    for w in &cmd.warnings {
        report.warn(w.clone());
    }
    report.phase("cmdline", ms_since(start));
    let ccu = plan::classify(cmd.cloud_config_url.as_deref(), job.no_network);
    let seed_url = plan::classify(
        cmd.nocloud.as_ref().and_then(|n| n.seedfrom()),
        job.no_network,
    );
    let (mut found, mut filesystems) = (Vec::new(), Vec::new());
    let mut fetched = plan::Fetched::default();
    let mut kept_confs: Vec<(String, String)> = Vec::new();
    if !cmd.knobs.disable && !cmd.cloud_init_disabled {
        let t = sys::now();
        (found, filesystems) = scan(job, deadline, report);
        report.phase("scan", ms_since(t));
        let mut req = net::Request::default();
        if let Named::Fetch(u) = &ccu {
            req.cloud_config_url = Some(u.clone());
        }
        if let Named::Fetch(u) = &seed_url {
            req.seed_url = Some(u.clone());
        }
        if req.cloud_config_url.is_some() || req.seed_url.is_some() {
            let left = plan::network_left(&cmd, &job.cmdline_text, job.generator);
            (req.keep, req.write_conf) = match left {
                NetworkLeft::Teardown => (false, false),
                NetworkLeft::Keep { write_conf } => (true, write_conf),
            };
            let t = sys::now();
            let out = net::run(&cmd, &req, &job.paths, deadline, report);
            report.phase("network", ms_since(t));
            let msg = |e: crate::error::Error| e.to_string();
            fetched.cloud_config = out.cloud_config.map(|r| r.map_err(msg));
            fetched.seed = out.seed.map(|r| r.map_err(msg));
            // klibc's /run/net-<if>.conf and, for IPv6, /run/net6-<if>.conf.
            for (kind, conf) in [("net", out.klibc_conf), ("net6", out.klibc6_conf)] {
                if let Some((ifname, content)) = conf {
                    kept_confs.push((format!("{kind}-{ifname}.conf"), content));
                }
            }
        }
    }
    let plan = plan::choose(&Inputs {
        cmd: &cmd,
        cmdline: &job.cmdline_text,
        cloud_config_url: &ccu,
        seed_url: &seed_url,
        volumes: &found,
        fetched: &fetched,
        decision: None,
    });
    log_plan(&plan, report);
    // Only now, every refusing check passed: the network config left behind.
    for (name, content) in kept_confs {
        if matches!(plan.action, Action::Refused { .. }) {
            info!("network: kept, but no /run/{name}: the hand-off was refused");
        } else {
            write_net_conf(&job.paths, &name, &content, report);
        }
    }
    Gathered {
        cmd,
        plan,
        filesystems,
    }
}

fn parse_cmdline(job: &Job) -> Cmdline {
    let dmi_dir = job.paths.clone();
    let dmi = move |file: &str| read_text(&dmi_dir.dmi_key(file));
    cmdline::parse(&job.cmdline_text, job.dmi_serial.as_deref(), &dmi)
}

fn write_net_conf(paths: &Paths, name: &str, content: &str, report: &mut Report) {
    // The run dir may not exist yet (a fresh /run, or --run-dir).
    let res = handoff::make_dir(&paths.run_dir, 0o755)
        .and_then(|()| handoff::write_atomic(&paths.run_dir, name, content.as_bytes(), 0o644));
    match res {
        Ok(_) => info!("network: kept, wrote /run/{name}"),
        Err(e) => report.error(format!("network: {e}")),
    }
}

fn log_plan(plan: &plan::Plan, report: &mut Report) {
    for n in &plan.notes {
        info!("{n}");
    }
    for w in &plan.warnings {
        report.warn(w.clone());
    }
    for e in &plan.errors {
        report.error(e.clone());
    }
}

/// Phase 2 (after the root mount): identification with the image's config,
/// the plan, the hand-off. `staged`: the seed files wait there.
fn finish(job: &Job, g: Gathered, staged: Option<&Path>, report: &mut Report) -> u8 {
    let chosen = match g.plan.action {
        Action::Pending(c) => c,
        Action::Nothing { reason } | Action::Refused { reason } => {
            info!("{reason}");
            return g.plan.exit;
        }
        _ => unreachable!("choose() ends in Pending, Nothing or Refused"),
    };
    let t = sys::now();
    let facts = identify::gather::gather(
        &job.paths,
        job.root.as_deref(),
        &job.cmdline_text,
        g.filesystems,
    );
    let mut facts = facts;
    if job.cmdline_text.is_empty()
        && read_bytes(&job.paths.cmdline()).is_some_and(|b| core::str::from_utf8(&b).is_err())
    {
        facts.unreadable.push("/proc/cmdline is not UTF-8".into());
    }
    let decision = match source_aside(&g.cmd, &facts) {
        Some(reason) => Decision::Unknown { reason },
        None => identify::identify(&facts),
    };
    report.identification = Some(describe(&decision));
    report.phase("identify", ms_since(t));
    let p = plan::apply(&g.cmd, &chosen, &decision);
    log_plan(&p, report);
    let code = g.plan.exit.max(p.exit);
    match p.action {
        Action::HandOff {
            handoff: h,
            datasource_list,
        } => {
            let t = sys::now();
            report.source = Some(h.origin.clone());
            let res =
                handoff::write_listed(&job.paths, &h, datasource_list.as_deref(), staged, report);
            report.phase("handoff", ms_since(t));
            match res {
                Ok(()) => {
                    info!("handed off: {} ({} files)", h.origin, report.files.len());
                    code
                }
                Err(e) => {
                    report.source = None;
                    report.error(format!("hand-off: {e}"));
                    plan::failure(&g.cmd)
                }
            }
        }
        Action::StandAside { reason } | Action::Nothing { reason } => {
            info!("standing aside: {reason}");
            report.stand_aside = Some(reason);
            code
        }
        _ => code,
    }
}

/// Sources whose reading differs between the cloud-init versions that may
/// be booting, or that the image reconfigures: cloudseed cannot know which
/// reading applies, so it stands aside (identify's `Unknown`).
fn source_aside(cmd: &Cmdline, facts: &identify::Facts) -> Option<String> {
    let nocloud = cmd.nocloud.as_ref();
    if let Some(s) = nocloud.and_then(|n| n.unusable_seedfrom()) {
        return Some(format!(
            "NoCloud refuses the seed {}: left to cloud-init",
            crate::url::redact(s)
        ));
    }
    if let Some(s) = nocloud.and_then(|n| n.seedfrom()) {
        if !crate::url::seed_base_portable(s) {
            return Some(format!(
                "cloud-init versions build different URLs from the seed {}",
                crate::url::redact(s)
            ));
        }
    }
    if identify::nocloud_label_configured(&facts.config) {
        return Some("the image sets NoCloud's fs_label: left to cloud-init".into());
    }
    if cmd.legacy_url.is_some() {
        return Some("url= on the command line: cloud-init versions differ on it".into());
    }
    None
}

fn describe(d: &Decision) -> String {
    match d {
        Decision::Enabled {
            datasource_list,
            reason,
        } => format!("enabled: [ {} ] ({reason})", datasource_list.join(", ")),
        Decision::Disabled { reason } => format!("disabled: {reason}"),
        Decision::Unknown { reason } => format!("unknown: {reason}"),
    }
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::NoCloud => "nocloud",
        Kind::ConfigDrive => "config-2",
    }
}

fn asked(cmd: &Cmdline, timeout: Duration) -> Asked {
    Asked {
        cloud_config_url: cmd.cloud_config_url.as_deref().map(crate::url::redact),
        nocloud_seed: cmd
            .nocloud
            .as_ref()
            .and_then(|n| n.seedfrom())
            .map(crate::url::redact),
        nocloud_origin: cmd.nocloud.as_ref().map(|n| n.origin.to_string()),
        cloud_init_disabled: cmd.cloud_init_disabled,
        required: cmd.knobs.required,
        ip: !cmd.ip.is_empty(),
        bootif: cmd.bootif.map(|m| {
            m.iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(":")
        }),
        timeout_s: timeout.as_secs(),
    }
}

/// Probes every candidate device, in order, recording each in the report.
/// Returns the recognised ones with their names, in scan order.
/// Also returns every vfat/iso9660 volume seen, for identification.
fn scan(
    job: &Job,
    deadline: Deadline,
    report: &mut Report,
) -> (Vec<(String, Found)>, Vec<Filesystem>) {
    let devices: Vec<(String, PathBuf)> = match &job.devices {
        Some(list) => list
            .iter()
            .map(|p| (p.display().to_string(), p.clone()))
            .collect(),
        None => blockdev::candidates(&job.paths)
            .into_iter()
            .map(|c| (c.node.display().to_string(), c.node))
            .collect(),
    };
    let nodes: Vec<PathBuf> = devices.iter().map(|(_, p)| p.clone()).collect();
    // In a helper process: a device that stops answering is abandoned at
    // the deadline instead of holding the boot (src/scan.rs).
    let probes = if nodes.is_empty() {
        Vec::new()
    } else {
        scan::probe_all(&nodes, deadline, job.kmsg)
    };
    let (mut found, mut filesystems) = (Vec::new(), Vec::new());
    for ((name, node), probe) in devices.into_iter().zip(probes) {
        let mut entry = DeviceEntry {
            name: name.clone(),
            ..DeviceEntry::default()
        };
        match probe {
            Ok((vol, f)) => {
                filesystems.extend(identify::gather::filesystem_from_volume(
                    &name,
                    vol.as_ref(),
                ));
                entry.fs = vol.as_ref().map(|v| v.fs.name().to_string());
                entry.label = vol.as_ref().map(|v| v.label.clone());
                entry.verdict = match f.as_ref().map(|f| f.kind) {
                    Some(Kind::NoCloud) => Verdict::NoCloud,
                    Some(Kind::ConfigDrive) => Verdict::ConfigDrive,
                    None => Verdict::NoMatch,
                };
                if let Some(f) = f {
                    info!(
                        "{name}: {} {} volume",
                        f.volume.fs.name(),
                        kind_name(f.kind)
                    );
                    found.push((name.clone(), f));
                } else {
                    debug!("{name}: no match");
                }
            }
            Err(e) => {
                // A device that could not be read (I/O error, no medium, gone)
                // is not in blkid's output either. One that panicked the FAT
                // parser is read again for its superblock only, as blkid
                // reads it; one that stopped answering is not touched again:
                // its label is unknown, so identification stands aside
                // wherever a label or UUID could decide.
                let unknown = || Filesystem {
                    device: name.clone(),
                    ..Filesystem::default()
                };
                match e.kind() {
                    ErrorKind::Panicked => match crate::seed::blkid_device(&node) {
                        Ok(b) => {
                            filesystems.extend(identify::gather::filesystem_from_blkid(&name, b))
                        }
                        Err(_) => filesystems.push(unknown()),
                    },
                    ErrorKind::Timeout => filesystems.push(unknown()),
                    _ => {}
                }
                entry.verdict = Verdict::Error(e.to_string());
                report.warn(format!("{name}: {e}"));
            }
        }
        report.devices.push(entry);
    }
    (found, filesystems)
}
