//! What cloud-init's `ds-identify` would decide on this machine, as a pure
//! function of facts the initramfs can see (`gather.rs` reads them).
//!
//! A port of `tools/ds-identify` (upstream, and the 22.4.2 and 25.1.4
//! versions Debian 12 and 13 ship: [`Dialect`]). Every dialect that may be
//! booting is evaluated; the decision stands only when they all agree. A
//! check whose inputs cloudseed cannot see answers with every outcome it
//! could have, and the decision stands only when each combination gives
//! the same result; otherwise it is [`Decision::Unknown`] and cloudseed
//! stands aside, so cloud-init decides alone, as without cloudseed.

use crate::prelude::*;

mod checks;
pub mod cli;
pub mod gather;
pub mod shell;

use miniserde::{Deserialize, Serialize};

/// One probed block device, as `blkid -o export` shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filesystem {
    /// "/dev/vdb"
    pub device: String,
    /// blkid TYPE: "vfat", "iso9660", "ext4", ...; "" when cloudseed could
    /// not tell what the device holds: its label and UUID are then unknown,
    /// and a check that hinges on them makes the decision `Unknown`.
    /// Devices known to hold nothing blkid reports (a bare partition table)
    /// are left out.
    pub fstype: String,
    /// blkid LABEL ("" if none)
    pub label: String,
    /// blkid UUID ("" if none), e.g. "9796-932E" for vfat
    pub uuid: String,
}

/// The booted root's cloud-init config, as text.
#[derive(Debug, Clone, Default)]
pub struct ImageConfig {
    /// /etc/cloud/cloud.cfg
    pub cloud_cfg: Option<String>,
    /// /etc/cloud/cloud.cfg.d/*.cfg: (file name, text), in the shell glob's order
    pub cloud_cfg_d: Vec<(String, String)>,
    /// /etc/cloud/ds-identify.cfg
    pub ds_identify_cfg: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// /proc/cmdline ("" when it is not UTF-8, as cloud-init)
    pub cmdline: String,
    /// /sys/class/dmi/id/<file> -> raw contents, for files that exist
    pub dmi: Vec<(String, String)>,
    /// systemd-detect-virt's name when known, None when cloudseed cannot tell
    pub virt: Option<String>,
    /// a container manager's name; cloudseed does not decide inside one
    pub container: Option<String>,
    /// uname -m
    pub arch: String,
    pub filesystems: Vec<Filesystem>,
    /// Default when no root is available (the built-in default list applies)
    pub config: ImageConfig,
    /// Root-relative paths that exist, from [`gather::ROOT_FILES`], for
    /// checks that test files (seed dirs, marker files, tools).
    pub root_files: Vec<String>,
    /// /sys/hypervisor/uuid (Xen; ds-identify's AWS check)
    pub hypervisor_uuid: Option<String>,
    /// names in /sys/class/virtio-ports/*/name (upstream's LXD check)
    pub virtio_ports: Vec<String>,
    /// first line of /etc/sysconfig/cloud-info in the root (AltCloud)
    pub cloud_info: Option<String>,
    /// cloudinit/version.py's version in the root, when found: narrows the
    /// dialects evaluated
    pub cloud_init_version: Option<String>,
    /// inputs cloudseed could not read as ds-identify would (a config file
    /// too big, not UTF-8, too many, oddly named; a /proc/cmdline that is not
    /// UTF-8, which the caller adds): any makes the decision `Unknown`
    pub unreadable: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// ds-identify would enable cloud-init and write this datasource_list (exactly as it writes it).
    Enabled {
        datasource_list: Vec<String>,
        reason: String,
    },
    /// ds-identify would disable cloud-init (notfound=disabled policy, cloud-init=disabled, ...).
    Disabled { reason: String },
    /// A check needs something cloudseed cannot see, or ds-identify would
    /// leave cloud-init to its own list: stand aside, write nothing.
    Unknown { reason: String },
}

/// The ds-identify generations whose decisions differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Debian 12 (22.4.2-1+deb12u4): no `ds=` alias, `read`-based config
    /// parser, a single-entry list gets `None` appended, maybe=none.
    V22,
    /// The 22.4.2 release as tagged (and Debian 12 before its maybe=none
    /// fix): as V22 but maybe=all.
    V22Release,
    /// Debian 13 (25.1.4): grep-based config parser, `cloud-init=disabled`
    /// as a substring, still a MAAS check.
    V25,
    /// upstream main (26.x): no MAAS check, LXD by virtio port.
    Upstream,
}

impl Dialect {
    pub const ALL: [Dialect; 4] = [
        Dialect::V22,
        Dialect::V22Release,
        Dialect::V25,
        Dialect::Upstream,
    ];
    pub fn is_v22(self) -> bool {
        matches!(self, Dialect::V22 | Dialect::V22Release)
    }
    pub fn name(self) -> &'static str {
        match self {
            Dialect::V22 => "22.4.2-deb12",
            Dialect::V22Release => "22.4.2",
            Dialect::V25 => "25.1.4",
            Dialect::Upstream => "upstream",
        }
    }
    /// The dialects a cloud-init of this version may behave as.
    pub fn for_version(v: Option<&str>) -> &'static [Dialect] {
        match v {
            Some(v) if v.starts_with("22.4.") => &[Dialect::V22, Dialect::V22Release],
            Some(v) if v.starts_with("25.1.") => &[Dialect::V25],
            _ => &Dialect::ALL,
        }
    }
}

/// What one ds-identify run ends in, as cloudseed must mirror it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// exit 0 and `datasource_list: [ … ]` written
    List(Vec<String>),
    /// exit 1 or 2: cloud-init disabled
    Disabled(String),
    /// exit 0 with no list (mode enabled/report, notfound=enabled, manual
    /// clean, extra config lines): cloud-init searches its own list
    NoList(String),
}

/// The name cloudseed writes for a datasource ds-identify lists. 23.x and
/// later copy `ds=nocloud-net` (or `nocloud`) into the list as spelled,
/// 22.4.2 writes `NoCloud`: the same module either way. cloudseed's NoCloud
/// hand-off is a local `file://` seed, which the `NoCloud` spelling makes
/// every supported version read in its local stage (tests/cloudinit proves
/// it for 22.4.2 and 25.1.4), so the family is written as `NoCloud`.
pub fn handed_off_name(name: String) -> String {
    match name.to_ascii_lowercase().as_str() {
        "nocloud" | "nocloud-net" | "nocloudnet" => "NoCloud".into(),
        _ => name,
    }
}

/// Two versions' answers lead to the same boot: equal, or lists that differ
/// only in how they spell the NoCloud family (`handed_off_name`).
fn same_answer(a: &Outcome, b: &Outcome) -> bool {
    match (a, b) {
        (Outcome::List(x), Outcome::List(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|(p, q)| handed_off_name(p.clone()) == handed_off_name(q.clone()))
        }
        _ => a == b,
    }
}

/// ds-identify's answer, or why cloudseed cannot know it.
pub type Answer = Result<Outcome, String>;

/// The decision every possibly-booting dialect agrees on, or `Unknown`.
pub fn identify(facts: &Facts) -> Decision {
    if let Some(c) = facts
        .container
        .as_deref()
        .filter(|c| !c.is_empty() && *c != "none")
    {
        return Decision::Unknown {
            reason: format!("running in a container ({c}): cloud-init decides alone"),
        };
    }
    if cmdline_disables(&facts.cmdline) {
        return Decision::Disabled {
            reason: "cloud-init=disabled on the kernel command line".into(),
        };
    }
    if facts.root_files.iter().any(|f| f == DISABLED_MARKER) {
        return Decision::Disabled {
            reason: format!("/{DISABLED_MARKER} exists"),
        };
    }
    let dialects = Dialect::for_version(facts.cloud_init_version.as_deref());
    let mut first: Option<(Dialect, Outcome)> = None;
    for &d in dialects {
        match identify_as(facts, d) {
            Err(why) => return Decision::Unknown { reason: why },
            Ok(o) => match &first {
                None => first = Some((d, o)),
                Some((d0, o0)) if !same_answer(o0, &o) => {
                    return Decision::Unknown {
                        reason: format!(
                            "cloud-init versions disagree: {} would give {}, {} {}",
                            d0.name(),
                            show(o0),
                            d.name(),
                            show(&o)
                        ),
                    }
                }
                Some(_) => {}
            },
        }
    }
    let Some((_, o)) = first else {
        return Decision::Unknown {
            reason: "no ds-identify version to follow".into(),
        };
    };
    match o {
        Outcome::List(l) => {
            let l: Vec<String> = l.into_iter().map(handed_off_name).collect();
            Decision::Enabled {
                reason: format!(
                    "ds-identify would write datasource_list: [ {} ]",
                    l.join(", ")
                ),
                datasource_list: l,
            }
        }
        Outcome::Disabled(r) => Decision::Disabled { reason: r },
        Outcome::NoList(r) => Decision::Unknown {
            reason: format!("{r}: cloud-init would search its own datasource_list"),
        },
    }
}

fn show(o: &Outcome) -> String {
    match o {
        Outcome::List(l) => format!("[ {} ]", l.join(", ")),
        Outcome::Disabled(r) => format!("disabled ({r})"),
        Outcome::NoList(r) => format!("no list ({r})"),
    }
}

/// `cloud-init=disabled` read the most restrictive way any supported
/// cloud-init reads it: 23.4+'s ds-identify matches the substring anywhere;
/// 22.4.2's generator takes the last `cloud-init=` value; systemd's
/// `ConditionKernelCommandLine=!cloud-init=disabled` wants the exact word.
/// The substring covers the other two.
pub fn cmdline_disables(cmdline: &str) -> bool {
    cmdline.contains("cloud-init=disabled")
}

/// The cidata volume NoCloud itself would read (`_get_devices`, then the
/// first valid seed): TYPE vfat or iso9660 with LABEL `CIDATA` or `cidata`,
/// devices sorted by name in reverse (Python's str order, i.e. code
/// points), the first whose seed is valid (`meta-data` and `user-data`
/// present). Returns its index in `vols`; each entry is a volume and
/// whether it holds a valid seed. Handing off any other cidata volume would
/// mix two seeds, since NoCloud still reads its own pick.
pub fn nocloud_volume(vols: &[(&Filesystem, bool)]) -> Option<usize> {
    let mut idx: Vec<usize> = (0..vols.len())
        .filter(|&i| {
            let f = vols[i].0;
            (f.fstype == "vfat" || f.fstype == "iso9660")
                && (f.label == "CIDATA" || f.label == "cidata")
        })
        .collect();
    // list(set(...)): one entry per device name
    // Unstable sort (no stable-sort code in the binary), ties in index order.
    crate::sort::sort_by(&mut idx, |&a, &b| {
        vols[b].0.device.cmp(&vols[a].0.device).then(a.cmp(&b))
    });
    idx.dedup_by(|a, b| vols[*a].0.device == vols[*b].0.device);
    idx.into_iter().find(|&i| vols[i].1)
}

/// The image's config may rename NoCloud's volume label
/// (`datasource: NoCloud: fs_label:`): then NoCloud looks for another
/// label and cloudseed cannot know which volume it reads without a YAML
/// parser, so it should stand aside.
pub fn nocloud_label_configured(config: &ImageConfig) -> bool {
    config
        .cloud_cfg
        .iter()
        .chain(config.cloud_cfg_d.iter().map(|(_, t)| t))
        .any(|t| t.contains("fs_label"))
}

/// The marker file that disables cloud-init (root-relative).
pub const DISABLED_MARKER: &str = "etc/cloud/cloud-init.disabled";

/// One ds-identify generation's outcome on these facts.
pub fn identify_as(facts: &Facts, d: Dialect) -> Answer {
    if let Some(f) = facts.unreadable.first() {
        return Err(format!("cannot read {f} as ds-identify would"));
    }
    checks::run(facts, d)
}

#[cfg(test)]
mod tests;
