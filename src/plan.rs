//! The planner (pure): facts in, plan out. What the command line asked,
//! what the scan found, what the network fetched and what identification
//! (ds-identify's decision, src/identify/) says become the files to write,
//! or standing aside with a reason, and the exit status. The agent only
//! gathers the facts and carries the plan out.
//!
//! Two steps, because the image's config is only readable after the root is
//! mounted: [`choose`] needs nothing from the root (the source NoCloud itself
//! would read, the fetched bodies, the pins: every check that can refuse the
//! hand-off) and runs before the root mount; [`apply`] adds identification.
//! [`decide`] is both.

use crate::prelude::*;

use crate::cmdline::{Cmdline, NetworkPolicy};
use crate::handoff::{self, Datasource};
use crate::identify::Decision;
use crate::pin;
use crate::seed::{Found, Kind, Seed};
use crate::url::{Scheme, Url};

/// Exit codes, decided here only.
pub const EXIT_OK: u8 = 0;
/// A source named on the kernel command line failed (unreachable, not
/// `#cloud-config`, pin mismatch): the boot goes on.
pub const EXIT_SOURCE_FAILED: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
/// The same failures, or nothing found, under `cloudseed.required`: the boot
/// must stop. Never returned without it; the hooks test this code alone.
pub const EXIT_STOP_BOOT: u8 = 3;

/// A source named on the command line, as the agent will treat it.
#[derive(Clone, Debug, PartialEq)]
pub enum Named {
    None,
    /// http: we fetch it.
    Fetch(Url),
    /// https, ftp, file, …: cloud-init in the root handles it.
    LeftToCloudInit(String),
    Malformed(String),
}

pub fn classify(raw: Option<&str>, no_network: bool) -> Named {
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

/// Which initramfs generator runs us (the hooks say so with `--generator`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum Generator {
    /// Not said (manual runs, tests): `ip=` alone keeps the network.
    #[default]
    Unknown,
    InitramfsTools,
    Dracut {
        /// One of dracut's network modules is in the image.
        network_module: bool,
    },
}

/// What is left of the network cloudseed brought up.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum NetworkLeft {
    Teardown,
    /// Keep the interface configured; `write_conf`: write klibc's
    /// `/run/net-<if>.conf` (never under dracut: its own module's config is
    /// what the root adopts).
    Keep {
        write_conf: bool,
    },
}

fn tokens(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| c.is_whitespace())
        .filter(|t| !t.is_empty())
}

/// Whether initramfs-tools would call `configure_networking` for this boot:
/// `BOOT=nfs` (`boot=nfs`, or `root=/dev/nfs` while no `boot=` was seen yet,
/// as its `init` parses it), a URL root (`root=squash:http…` as in MAAS's
/// ephemeral boot, cloud-initramfs-rooturl), or an iSCSI root (open-iscsi's
/// `iscsi_target_name=`/`iscsi_auto`).
pub fn initramfs_tools_network(cmdline: &str) -> bool {
    let (mut boot, mut url_root, mut iscsi) = (String::new(), false, false);
    for t in tokens(cmdline) {
        if let Some(r) = t.strip_prefix("root=") {
            if boot.is_empty() && r == "/dev/nfs" {
                boot = "nfs".into();
            }
            url_root = r.starts_with("squash:") || r.contains("://");
        } else if let Some(b) = t.strip_prefix("boot=") {
            boot = b.to_string();
        } else if t.starts_with("iscsi_target_name=") || t == "iscsi_auto" {
            iscsi = true;
        }
    }
    boot == "nfs" || url_root || iscsi
}

/// Whether the command line asks dracut's network module for a network:
/// `rd.neednet`, an `ip=`/`ip6=` that configures something, or a network
/// root (`root=nfs:…`, `iscsi:`, `nbd:`, `dhcp`, `netroot=`).
pub fn dracut_network(cmd: &Cmdline, cmdline: &str) -> bool {
    let mut neednet = false;
    let mut netroot = false;
    for t in tokens(cmdline) {
        match t.split_once('=') {
            None if t == "rd.neednet" => neednet = true,
            Some(("rd.neednet", v)) => neednet = !matches!(v, "0" | "no" | "false" | "off"),
            Some(("netroot", _)) => netroot = true,
            Some(("root", r)) => {
                netroot = [
                    "nfs:", "nfs4:", "iscsi:", "nbd:", "cifs:", "dhcp", "/dev/nfs",
                ]
                .iter()
                .any(|p| r.starts_with(p))
            }
            _ => {}
        }
    }
    neednet || netroot || cmd.keeps_network()
}

/// The network left behind is what the initramfs alone would leave
/// (INTEROP section 5); `cloudseed.network=` overrides.
pub fn network_left(cmd: &Cmdline, cmdline: &str, generator: Generator) -> NetworkLeft {
    let keep = |yes: bool, write_conf: bool| {
        if yes {
            NetworkLeft::Keep { write_conf }
        } else {
            NetworkLeft::Teardown
        }
    };
    match (cmd.knobs.network, generator) {
        (Some(NetworkPolicy::Keep), _) => NetworkLeft::Keep { write_conf: true },
        (Some(NetworkPolicy::Teardown), _) => NetworkLeft::Teardown,
        // dracut keeps the network up for the root when rd.neednet=1
        (None, Generator::Unknown) => {
            keep(cmd.keeps_network() || cmd.net.neednet == Some(true), true)
        }
        (None, Generator::InitramfsTools) => keep(initramfs_tools_network(cmdline), true),
        (None, Generator::Dracut { network_module }) => {
            keep(network_module && dracut_network(cmd, cmdline), false)
        }
    }
}

/// What the network step returned, errors as one-line messages.
#[derive(Clone, Debug, Default)]
pub struct Fetched {
    pub cloud_config: Option<Result<Vec<u8>, String>>,
    pub seed: Option<Result<Seed, String>>,
}

/// Every fact the planner needs.
pub struct Inputs<'a> {
    pub cmd: &'a Cmdline,
    /// The raw command line (for `cc:`).
    pub cmdline: &'a str,
    pub cloud_config_url: &'a Named,
    pub seed_url: &'a Named,
    /// Recognised volumes, in scan order, with their device names.
    pub volumes: &'a [(String, Found)],
    pub fetched: &'a Fetched,
    /// ds-identify's decision; `None` before the root is mounted.
    pub decision: Option<&'a Decision>,
}

/// What can be handed off, before identification: the outcome of every
/// check that can refuse the hand-off.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Chosen {
    /// The NoCloud seed and where it came from (for cloud.cfg's header).
    pub seed: Option<(Seed, String)>,
    /// A config-2 volume (identification only).
    pub configdrive: Option<String>,
    /// A `cloud-config-url` body (starts with `#cloud-config`, pins checked).
    pub body: Option<Vec<u8>>,
    /// A named source failed (reported in phase 1).
    pub failed: bool,
    /// The command line's `cc: … end_cc` sets `datasource_list`.
    pub cc_list: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Write this hand-off, naming this `datasource_list` (`None`: the
    /// body sets its own, or the command line's `cc:` does).
    HandOff {
        handoff: handoff::Plan,
        datasource_list: Option<Vec<String>>,
    },
    /// Before the root mount: the checks passed, identification decides.
    Pending(Chosen),
    /// Nothing for cloud-init (nothing found, disabled, or standing aside):
    /// cloud-init behaves exactly as alone.
    Nothing {
        reason: String,
    },
    StandAside {
        reason: String,
    },
    /// Write nothing at all, not even `/run/net-<if>.conf` (a pin failed).
    Refused {
        reason: String,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub action: Action,
    pub exit: u8,
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
    /// Informational lines for the log.
    pub notes: Vec<String>,
}

impl Plan {
    fn new(action: Action, exit: u8) -> Plan {
        Plan {
            action,
            exit,
            errors: vec![],
            warnings: vec![],
            notes: vec![],
        }
    }
}

/// The code for a failure: stop the boot only under `cloudseed.required`.
pub fn failure(cmd: &Cmdline) -> u8 {
    if cmd.knobs.required {
        EXIT_STOP_BOOT
    } else {
        EXIT_SOURCE_FAILED
    }
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::NoCloud => "nocloud",
        Kind::ConfigDrive => "config-2",
    }
}

/// Both steps: [`choose`], then [`apply`] when the decision is known.
pub fn decide(i: &Inputs) -> Plan {
    let plan = choose(i);
    match (plan.action, i.decision) {
        (Action::Pending(chosen), Some(d)) => {
            let mut out = apply(i.cmd, &chosen, d);
            let mut p = Plan {
                errors: plan.errors,
                warnings: plan.warnings,
                notes: plan.notes,
                ..Plan::new(
                    Action::Nothing {
                        reason: String::new(),
                    },
                    plan.exit,
                )
            };
            p.errors.append(&mut out.errors);
            p.warnings.append(&mut out.warnings);
            p.notes.append(&mut out.notes);
            p.action = out.action;
            p.exit = p.exit.max(out.exit);
            p
        }
        (action, _) => Plan { action, ..plan },
    }
}

/// Everything that does not need the root: which source, the fetched
/// bodies, the pins. Ends in `Pending`, `Nothing` or `Refused`.
pub fn choose(i: &Inputs) -> Plan {
    let cmd = i.cmd;
    let mut p = Plan::new(
        Action::Nothing {
            reason: String::new(),
        },
        EXIT_OK,
    );
    if cmd.knobs.disable || cmd.cloud_init_disabled {
        // With cloud-init=disabled, a cached ds-identify result would bypass
        // cloud-init's own disable logic.
        let reason = if cmd.knobs.disable {
            "cloudseed.disable"
        } else {
            "cloud-init=disabled: nothing for cloud-init"
        };
        p.action = Action::Nothing {
            reason: reason.into(),
        };
        return p;
    }
    let mut failed = named_errors(i, &mut p);
    let body = fetched_body(i, &mut p, &mut failed);
    let (volume_nocloud, volume_configdrive) = volumes(i.volumes, &mut p);
    let seed = match (i.seed_url, &i.fetched.seed) {
        (Named::Fetch(u), Some(Ok(s))) => {
            if let Some((name, _)) = volume_nocloud {
                p.warnings.push(format!(
                    "both {name} and {u} hold a seed: the fetched user-data and vendor-data win, \
                     cloud-init merges the volume's meta-data on top (NoCloud precedence)"
                ));
            }
            Some((s.clone(), format!("NoCloud seed from {u}")))
        }
        (Named::Fetch(u), Some(Err(e))) => {
            p.errors.push(format!("nocloud seed {u}: {e}"));
            failed = true;
            None
        }
        (Named::None, _) => volume_nocloud.and_then(|(name, f)| {
            let s = f.seed.clone()?;
            Some((
                s,
                format!("NoCloud seed from {} volume {name}", f.volume.fs.name()),
            ))
        }),
        _ => {
            if let Some((name, _)) = volume_nocloud {
                p.notes.push(format!(
                    "{name}: not handed off, the cmdline seed decides (cloud-init reads the volume itself)"
                ));
            }
            None
        }
    };
    let configdrive = match (volume_configdrive, i.seed_url) {
        (Some((name, f)), Named::None) => {
            Some(format!("ConfigDrive {} volume {name}", f.volume.fs.name()))
        }
        _ => None,
    };
    let subjects = pin::Subjects {
        url_named: !matches!(i.cloud_config_url, Named::None),
        body: body.as_deref(),
        seed: seed.as_ref().map(|(s, _)| s),
    };
    if let Err(e) = check_pins(cmd, &subjects, &mut p) {
        p.errors.push(format!("integrity: {e}"));
        p.action = Action::Refused { reason: e };
        p.exit = failure(cmd);
        return p;
    }
    if seed.is_none() && configdrive.is_none() && body.is_none() {
        let mut reason = "nothing to hand off; cloud-init will look for itself".to_string();
        if cmd.knobs.required && !failed {
            reason = "cloudseed.required: no source found".into();
            p.errors.push(reason.clone());
        }
        p.exit = if failed || cmd.knobs.required {
            failure(cmd)
        } else {
            EXIT_OK
        };
        p.action = Action::Nothing { reason };
        return p;
    }
    p.exit = if failed { failure(cmd) } else { EXIT_OK };
    p.action = Action::Pending(Chosen {
        seed,
        configdrive,
        body,
        failed,
        cc_list: cc_sets_list(i.cmdline),
    });
    p
}

/// Named sources left to cloud-init (noted) or malformed (an error).
/// Returns whether one failed.
fn named_errors(i: &Inputs, p: &mut Plan) -> bool {
    let mut failed = false;
    for (what, named) in [
        ("cloud-config-url", i.cloud_config_url),
        ("nocloud seedfrom", i.seed_url),
    ] {
        match named {
            Named::LeftToCloudInit(u) => p
                .notes
                .push(format!("{what} {u}: left to cloud-init in the root")),
            Named::Malformed(e) => {
                p.errors.push(format!("{what}: {e}"));
                failed = true;
            }
            _ => {}
        }
    }
    failed
}

/// The `cloud-config-url` body, if fetched and starting with `#cloud-config`
/// (cloud-init ignores anything else, and so do we).
fn fetched_body(i: &Inputs, p: &mut Plan, failed: &mut bool) -> Option<Vec<u8>> {
    let (Named::Fetch(url), Some(r)) = (i.cloud_config_url, &i.fetched.cloud_config) else {
        return None;
    };
    match r {
        Ok(b) if b.starts_with(b"#cloud-config") => {
            p.notes
                .push(format!("cloud-config-url {url}: {} bytes", b.len()));
            return Some(b.clone());
        }
        Ok(_) => p.errors.push(format!(
            "cloud-config-url {url}: body does not start with #cloud-config; ignored as cloud-init would"
        )),
        Err(e) => p.errors.push(format!("cloud-config-url {url}: {e}")),
    }
    *failed = true;
    None
}

type Vol<'a> = Option<&'a (String, Found)>;

/// The cidata volume NoCloud itself would read (it sorts its devices in
/// reverse and takes the first valid seed; handing off another would mix
/// two seeds) and the first config-2 volume; notes the others.
fn volumes<'a>(volumes: &'a [(String, Found)], p: &mut Plan) -> (Vol<'a>, Vol<'a>) {
    let mut cidata: Vec<&(String, Found)> = volumes
        .iter()
        .filter(|(_, f)| f.kind == Kind::NoCloud && f.seed.is_some())
        .collect();
    // Unstable sort (no stable-sort code in the binary); ties keep their
    // order (the slice's addresses are in order).
    let at = |v: &&(String, Found)| core::ptr::from_ref(*v) as usize;
    crate::sort::sort_by(&mut cidata, |a, b| b.0.cmp(&a.0).then(at(a).cmp(&at(b))));
    let nocloud = cidata.first().copied();
    let configdrive = volumes.iter().find(|(_, f)| f.kind == Kind::ConfigDrive);
    for (name, f) in volumes {
        let chosen = nocloud.or(configdrive).is_some_and(|(n, _)| n == name);
        if !chosen {
            p.notes.push(format!(
                "{name}: {} also present, not used",
                kind_name(f.kind)
            ));
        }
    }
    (nocloud, configdrive)
}

/// Every pin against exactly what would be handed off.
fn check_pins(cmd: &Cmdline, subjects: &pin::Subjects, p: &mut Plan) -> Result<(), String> {
    if cmd.knobs.sha256.is_none() && cmd.knobs.pins.is_empty() {
        return Ok(());
    }
    let bare = cmd.knobs.sha256.map(|d| pin::Pin {
        target: pin::Target::Default,
        digest: d,
    });
    let pins: Vec<pin::Pin> = bare
        .into_iter()
        .chain(cmd.knobs.pins.iter().cloned())
        .collect();
    let verified = pin::check(&pins, subjects)?;
    p.notes
        .push(format!("pins verified: {}", verified.join(", ")));
    Ok(())
}

/// Whether the command line's `cc: … end_cc` sets `datasource_list`
/// (it outranks every file cloudseed could write).
pub fn cc_sets_list(cmdline: &str) -> bool {
    let mut rest = cmdline;
    while let Some(start) = rest.find("cc:") {
        let after = &rest[start + 3..];
        let end = after.find("end_cc").unwrap_or(after.len());
        if after[..end].contains("datasource_list") {
            return true;
        }
        rest = &after[end..];
    }
    false
}

/// Adds identification to what [`choose`] picked. Pure.
pub fn apply(cmd: &Cmdline, c: &Chosen, decision: &Decision) -> Plan {
    let exit = if c.failed { failure(cmd) } else { EXIT_OK };
    let mut p = Plan::new(
        Action::Nothing {
            reason: String::new(),
        },
        exit,
    );
    let stand_aside = |why: String| Action::StandAside {
        reason: format!("{why}: nothing for cloud-init, it decides as alone"),
    };
    let hand_off = |datasource, with_seed: bool, origin: &str, list| Action::HandOff {
        handoff: handoff::Plan {
            origin: origin.to_string(),
            datasource,
            seed: if with_seed {
                c.seed.as_ref().map(|(s, _)| s.clone())
            } else {
                None
            },
            system_config: c.body.clone(),
        },
        datasource_list: list,
    };
    let ours = match (&c.seed, &c.configdrive) {
        (Some(_), _) => Some("NoCloud"),
        (None, Some(_)) => Some("ConfigDrive"),
        _ => None,
    };
    p.action = match decision {
        Decision::Enabled {
            datasource_list: list,
            ..
        } => {
            let has = |n: &str| list.iter().any(|d| d == n);
            match (&c.seed, &c.configdrive) {
                (Some((_, origin)), _) if has("NoCloud") => {
                    hand_off(Some(Datasource::NoCloud), true, origin, Some(list.clone()))
                }
                (_, Some(origin)) if has("ConfigDrive") => hand_off(
                    Some(Datasource::ConfigDrive),
                    false,
                    origin,
                    Some(list.clone()),
                ),
                _ if ours.is_some() => stand_aside(format!(
                    "datasource_list [ {} ] leaves out {}",
                    list.join(", "),
                    ours.unwrap_or_default()
                )),
                _ => hand_off(None, false, "cloud-config-url", Some(list.clone())),
            }
        }
        Decision::Disabled { reason } => match (&c.body, ours) {
            (Some(body), None) => {
                let own = handoff::body_appendable(body) == Err("defines datasource keys");
                if own || c.cc_list {
                    hand_off(None, false, "cloud-config-url", None)
                } else if let Err(why) = handoff::body_appendable(body) {
                    stand_aside(format!(
                        "cloud-config-url body {why}: cannot add datasource_list: [ None ]"
                    ))
                } else {
                    p.notes.push(format!(
                        "identification: {reason}; cloud-config-url alone: datasource_list: [ None ]"
                    ));
                    hand_off(None, false, "cloud-config-url", Some(vec!["None".into()]))
                }
            }
            _ => stand_aside(format!("identification: {reason}")),
        },
        Decision::Unknown { reason } => stand_aside(format!("identification: {reason}")),
    };
    p
}
