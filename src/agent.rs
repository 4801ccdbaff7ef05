//! Policy: kernel cmdline → local volumes → network → hand-off, within one
//! deadline. The only module that decides; everything it calls either
//! computes (cmdline, handoff rendering) or does one kind of I/O.

use crate::cli::RunArgs;
use crate::cmdline::{self, Cmdline};
use crate::error::Error;
use crate::handoff::{self, Datasource, Plan};
use crate::net;
use crate::paths::Paths;
use crate::report::{Asked, DeviceEntry, Report};
use crate::scan;
use crate::seed::{blockdev, Found, Kind, Seed};
use crate::sys;
use crate::time::{Deadline, Instant};
use crate::url::{Scheme, Url};
use log::{debug, info};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// Exit codes, decided here only.
pub const EXIT_OK: u8 = 0;
pub const EXIT_SOURCE_FAILED: u8 = 1;

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
}

impl Job {
    pub fn from_args(args: &RunArgs) -> Result<Job, Error> {
        let mut paths = Paths::default();
        if let Some(d) = &args.run_dir {
            paths.run_dir = d.clone();
        }
        if let Some(d) = &args.sys_dir {
            paths.sys_dir = d.clone();
        }
        let cmdline_text = match &args.cmdline {
            Some(c) => c.clone(),
            None => read_text(&paths.cmdline()).ok_or_else(|| {
                Error::io(
                    "read",
                    paths.cmdline().display(),
                    std::io::ErrorKind::NotFound.into(),
                )
            })?,
        };
        let dmi_serial = read_text(&paths.dmi_serial());
        Ok(Job {
            paths,
            cmdline_text,
            dmi_serial,
            devices: (!args.devices.is_empty()).then(|| args.devices.clone()),
            no_network: args.no_network,
            timeout: args.timeout,
            kmsg: args.logs_to_kmsg(),
        })
    }
}

/// Small text files from /proc and /sys; bounded so a odd file can't hurt.
fn read_text(p: &Path) -> Option<String> {
    use std::io::Read;
    let mut buf = Vec::new();
    std::fs::File::open(p)
        .ok()?
        .take(64 << 10)
        .read_to_end(&mut buf)
        .ok()?;
    Some(String::from_utf8_lossy(&buf).into_owned())
}

/// A source named on the command line, as the agent will treat it.
enum Named {
    None,
    /// http: we fetch it.
    Fetch(Url),
    /// https, ftp, file, …: cloud-init in the root handles it.
    LeftToCloudInit(String),
    Malformed(String),
}

fn classify(raw: Option<&str>, no_network: bool) -> Named {
    let Some(raw) = raw else { return Named::None };
    match Url::parse(raw) {
        Ok(u) if u.scheme == Scheme::Http && no_network => {
            Named::LeftToCloudInit(format!("{u} (--no-network)"))
        }
        Ok(u) if u.scheme == Scheme::Http => Named::Fetch(u),
        Ok(u) => Named::LeftToCloudInit(u.to_string()),
        Err(e) => Named::Malformed(format!("{}: {e}", crate::url::redact(raw))),
    }
}

/// Milliseconds from `t` to now, for the report's phases.
fn ms_since(t: Instant) -> u64 {
    sys::now().since(t).as_millis() as u64
}

/// Runs the whole job and returns the exit code. Writes the report in every case.
pub fn run(job: &Job) -> u8 {
    let start = sys::now();
    let mut report = Report::new();
    let code = run_inner(job, start, &mut report);
    report.exit_code = code;
    report.phase("total", ms_since(start));
    if let Err(e) = handoff::write_report(&job.paths, &report) {
        log::error!("report: {e}");
    }
    code
}

fn run_inner(job: &Job, start: Instant, report: &mut Report) -> u8 {
    let dmi_dir = job.paths.clone();
    let dmi = move |file: &str| read_text(&dmi_dir.dmi_key(file));
    let cmd = cmdline::parse(&job.cmdline_text, job.dmi_serial.as_deref(), &dmi);
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

    if cmd.knobs.disable {
        info!("disabled by cloudseed.disable: doing nothing");
        return EXIT_OK;
    }
    if cmd.cloud_init_disabled {
        // A cached ds-identify result would bypass cloud-init's own disable logic.
        info!("cloud-init=disabled: writing nothing for cloud-init");
        return EXIT_OK;
    }

    let ccu = classify(cmd.cloud_config_url.as_deref(), job.no_network);
    let seed_src = classify(
        cmd.nocloud.as_ref().and_then(|n| n.seedfrom()),
        job.no_network,
    );
    let mut failed = false;
    for (what, named) in [("cloud-config-url", &ccu), ("nocloud seedfrom", &seed_src)] {
        match named {
            Named::LeftToCloudInit(u) => info!("{what} {u}: left to cloud-init in the root"),
            Named::Malformed(e) => {
                report.error(format!("{what}: {e}"));
                failed = true;
            }
            _ => {}
        }
    }

    // Local volumes.
    let t = sys::now();
    let mut found = scan(job, deadline, report);
    // Moved out, not cloned: a seed can be 4 x 16 MiB.
    let mut volume_seed = found
        .iter_mut()
        .find(|(_, f)| f.kind == Kind::NoCloud)
        .and_then(|(_, f)| f.seed.take());
    let found = found;
    report.phase("scan", ms_since(t));
    let volume_nocloud = found.iter().find(|(_, f)| f.kind == Kind::NoCloud);
    let volume_configdrive = found.iter().find(|(_, f)| f.kind == Kind::ConfigDrive);
    for (name, f) in &found {
        let chosen = volume_nocloud
            .or(volume_configdrive)
            .is_some_and(|(n, _)| n == name);
        if !chosen {
            info!("{name}: {} also present, not used", kind_name(f.kind));
        }
    }

    // Network sources.
    let mut req = net::Request::default();
    if let Named::Fetch(u) = &ccu {
        req.cloud_config_url = Some(u.clone());
    }
    if let Named::Fetch(u) = &seed_src {
        req.seed_url = Some(u.clone());
    }
    let mut outcome = net::Outcome::default();
    if req.cloud_config_url.is_some() || req.seed_url.is_some() {
        let t = sys::now();
        outcome = net::run(&cmd, &req, &job.paths, deadline, report);
        report.phase("network", ms_since(t));
    }
    // klibc's /run/net-<if>.conf and, for IPv6, /run/net6-<if>.conf.
    let kept = [("net", &outcome.klibc_conf), ("net6", &outcome.klibc6_conf)];
    for (kind, (ifname, content)) in kept.iter().filter_map(|(k, c)| Some((*k, c.as_ref()?))) {
        match handoff::write_atomic(
            &job.paths.run_dir,
            &format!("{kind}-{ifname}.conf"),
            content.as_bytes(),
            0o644,
        ) {
            Ok(_) => info!("network: kept {ifname}, wrote /run/{kind}-{ifname}.conf"),
            Err(e) => report.error(format!("network: {e}")),
        }
    }

    let mut system_config = None;
    if let (Some(url), Some(result)) = (&req.cloud_config_url, outcome.cloud_config) {
        match result {
            Ok(body) if body.starts_with(b"#cloud-config") => {
                info!("cloud-config-url {url}: {} bytes", body.len());
                system_config = Some(body);
            }
            Ok(_) => {
                report.error(format!(
                    "cloud-config-url {url}: body does not start with #cloud-config; ignored as cloud-init would"
                ));
                failed = true;
            }
            Err(e) => {
                report.error(format!("cloud-config-url {url}: {e}"));
                failed = true;
            }
        }
    }
    let mut net_seed: Option<Seed> = None;
    if let (Some(url), Some(result)) = (&req.seed_url, outcome.seed) {
        match result {
            Ok(s) => net_seed = Some(s),
            Err(e) => {
                report.error(format!("nocloud seed {url}: {e}"));
                failed = true;
            }
        }
    }

    // Which NoCloud seed, if any. A seedfrom we write overrides the cmdline
    // `s=`, so when the cmdline names a seed we did not fetch, write none.
    let (seed, seed_origin) = match (&seed_src, net_seed) {
        (Named::Fetch(u), Some(s)) => {
            if let Some((name, _)) = volume_nocloud {
                report.warn(format!(
                    "both {name} and {u} hold a seed: the fetched user-data and vendor-data win, \
                     cloud-init merges the volume's meta-data on top (NoCloud precedence)"
                ));
            }
            (Some(s), format!("NoCloud seed from {u}"))
        }
        (Named::None, _) => match volume_nocloud {
            Some((name, f)) => (
                volume_seed.take(),
                format!("NoCloud seed from {} volume {name}", f.volume.fs.name()),
            ),
            None => (None, String::new()),
        },
        _ => {
            if let Some((name, _)) = volume_nocloud {
                info!("{name}: not handed off, the cmdline seed decides (cloud-init reads the volume itself)");
            }
            (None, String::new())
        }
    };

    // Integrity pin: the cloud-config-url body if one was named, else NoCloud user-data.
    if let Some(pin) = cmd.knobs.sha256 {
        let subject = if req.cloud_config_url.is_some() || !matches!(ccu, Named::None) {
            system_config
                .as_deref()
                .map(|b| ("cloud-config-url body", b))
        } else {
            seed.as_ref().map(|s| ("user-data", s.user_data.as_slice()))
        };
        match subject {
            Some((what, bytes)) if crate::sha256::digest(bytes) == pin => {
                info!("cloudseed.sha256: {what} verified");
            }
            Some((what, _)) => {
                report.error(
                    Error::integrity(format!("{what} does not match cloudseed.sha256")).to_string(),
                );
                return EXIT_SOURCE_FAILED;
            }
            None => {
                report.error(
                    Error::integrity("cloudseed.sha256 is set but there is nothing to verify")
                        .to_string(),
                );
                return EXIT_SOURCE_FAILED;
            }
        }
    }

    let plan = if let Some(seed) = seed {
        Plan {
            origin: seed_origin,
            datasource: Some(Datasource::NoCloud),
            seed: Some(seed),
            system_config,
        }
    } else if let (Some((name, f)), Named::None) = (volume_configdrive, &seed_src) {
        Plan {
            origin: format!("ConfigDrive {} volume {name}", f.volume.fs.name()),
            datasource: Some(Datasource::ConfigDrive),
            seed: None,
            system_config,
        }
    } else if system_config.is_some() {
        Plan {
            origin: "cloud-config-url".into(),
            datasource: None,
            seed: None,
            system_config,
        }
    } else {
        info!("nothing to hand off; cloud-init will look for itself");
        let code = if failed || cmd.knobs.required {
            EXIT_SOURCE_FAILED
        } else {
            EXIT_OK
        };
        if cmd.knobs.required && !failed {
            report.error("cloudseed.required: no source found");
        }
        return code;
    };
    let t = sys::now();
    report.source = Some(plan.origin.clone());
    let res = handoff::write(&job.paths, &plan, report);
    report.phase("handoff", ms_since(t));
    match res {
        Ok(()) => {
            info!("handed off: {} ({} files)", plan.origin, report.files.len());
            if failed {
                EXIT_SOURCE_FAILED
            } else {
                EXIT_OK
            }
        }
        Err(e) => {
            report.source = None;
            report.error(format!("hand-off: {e}"));
            EXIT_SOURCE_FAILED
        }
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
fn scan(job: &Job, deadline: Deadline, report: &mut Report) -> Vec<(String, Found)> {
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
    let mut found = Vec::new();
    for ((name, _), probe) in devices.into_iter().zip(probes) {
        let mut entry = DeviceEntry {
            name: name.clone(),
            ..DeviceEntry::default()
        };
        match probe {
            Ok((vol, f)) => {
                entry.fs = vol.as_ref().map(|v| v.fs.name().to_string());
                entry.label = vol.as_ref().map(|v| v.label.clone());
                entry.verdict = match &f {
                    Some(f) => kind_name(f.kind).to_string(),
                    None => "no match".to_string(),
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
                entry.verdict = format!("error: {e}");
                report.warn(format!("{name}: {e}"));
            }
        }
        report.devices.push(entry);
    }
    found
}
