//! ds-identify's `_main` and its `dscheck_*` functions, per [`Dialect`].
//! A check answers with the set of outcomes it could have: one when its
//! inputs are all visible, more when they are not.

use crate::prelude::*;

use super::shell::{self, Files};
use super::{Answer, Dialect, Facts, Outcome, DISABLED_MARKER};
use core::cell::RefCell;

/// A set of `dscheck_*` results.
type Out = u8;
const FOUND: Out = 1;
const NOT_FOUND: Out = 2;
const MAYBE: Out = 4;

/// Unknown facts: `None`.
type Tri = Option<bool>;

const MAX_COMBINATIONS: usize = 4096;

pub const DEFAULT_V22: &str = "MAAS ConfigDrive NoCloud AltCloud Azure Bigstep \
CloudSigma CloudStack DigitalOcean Vultr AliYun Ec2 GCE OpenNebula OpenStack \
OVF SmartOS Scaleway Hetzner IBMCloud Oracle Exoscale RbxCloud UpCloud VMware \
LXD NWCS";
pub const DEFAULT_V25: &str = "MAAS ConfigDrive NoCloud AltCloud Azure Bigstep \
CloudSigma CloudStack DigitalOcean Vultr AliYun Ec2 GCE OpenNebula OpenStack \
VMware OVF SmartOS Scaleway Hetzner IBMCloud Oracle Exoscale RbxCloud UpCloud \
LXD NWCS Akamai WSL CloudCIX";
pub const DEFAULT_UPSTREAM: &str = "MAAS ConfigDrive NoCloud AltCloud Azure Bigstep \
CloudSigma CloudStack DigitalOcean Vultr AliYun Ec2 GCE OpenNebula OpenStack \
VMware OVF SmartOS Scaleway Hetzner IBMCloud Oracle Exoscale RbxCloud UpCloud \
LXD NWCS Akamai WSL CloudCIX";

/// Root-relative glob markers gather.rs records when the glob matches.
pub const CD_GLOB: &str = "config-drive/openstack/2???-??-??/meta_data.json";
pub const CD_SEED_GLOB: &str =
    "var/lib/cloud/seed/config_drive/openstack/2???-??-??/meta_data.json";
pub const CD_SEED_LATEST: &str = "var/lib/cloud/seed/config_drive/openstack/latest/meta_data.json";
/// Directories on the generator's PATH (and ds-identify's ensure_sane_path).
pub const BIN_DIRS: [&str; 6] = [
    "usr/local/sbin",
    "usr/local/bin",
    "usr/sbin",
    "usr/bin",
    "sbin",
    "bin",
];

struct Ctx<'a> {
    f: &'a Facts,
    d: Dialect,
    /// DI_KERNEL_CMDLINE
    cmdline: String,
    /// cloud.cfg and cloud.cfg.d/*.cfg for check_config
    files: Vec<(&'a str, &'a str)>,
    /// DI_FS_LABELS / DI_FS_UUIDS as the shell builds them
    labels: String,
    uuids: String,
    /// a device whose label/UUID cloudseed cannot see
    blind: Option<String>,
    dslist: Vec<String>,
    why: RefCell<Vec<String>>,
}

/// `safe_print` in blkid's export output: these get a backslash.
fn blkid_escape(s: &str) -> String {
    let mut o = String::new();
    for c in s.chars() {
        if " \\\"'$`<>".contains(c) {
            o.push('\\');
        }
        o.push(c);
    }
    o
}

impl<'a> Ctx<'a> {
    fn new(f: &'a Facts, d: Dialect) -> Ctx<'a> {
        let mut files: Vec<(&str, &str)> = Vec::new();
        if let Some(t) = &f.config.cloud_cfg {
            files.push(("cloud.cfg", t));
        }
        for (n, t) in &f.config.cloud_cfg_d {
            files.push((n, t));
        }
        let (mut labels, mut uuids, mut blind) = (String::new(), String::new(), None);
        for fs in &f.filesystems {
            if fs.fstype.is_empty() {
                blind.get_or_insert_with(|| fs.device.clone());
                continue;
            }
            if !fs.label.is_empty() {
                labels.push_str(&blkid_escape(&fs.label));
                labels.push(',');
            }
            if !fs.uuid.is_empty() {
                uuids.push_str(&blkid_escape(&fs.uuid));
                uuids.push(',');
            }
        }
        labels.pop_if_comma();
        uuids.pop_if_comma();
        Ctx {
            f,
            d,
            cmdline: shell::read(&f.cmdline).0,
            files,
            labels,
            uuids,
            blind,
            dslist: Vec::new(),
            why: RefCell::new(Vec::new()),
        }
    }

    fn unknown(&self, why: String) -> Tri {
        let mut w = self.why.borrow_mut();
        if !w.contains(&why) {
            w.push(why);
        }
        None
    }

    fn has(&self, path: &str) -> bool {
        self.f.root_files.iter().any(|p| p == path)
    }

    fn seed_dir(&self, name: &str, files: &[&str]) -> bool {
        files
            .iter()
            .all(|x| self.has(&format!("var/lib/cloud/seed/{name}/{x}")))
    }

    fn writable_seed_dir(&self, name: &str, files: &[&str]) -> bool {
        files.iter().all(|x| {
            self.has(&format!(
                "writable/system-data/var/lib/cloud/seed/{name}/{x}"
            ))
        })
    }

    /// get_dmi_field: `read` of the sysfs file; "unavailable" when the
    /// file is missing; with no DMI directory dmidecode finds nothing either.
    fn dmi(&self, key: &str) -> String {
        if self.f.dmi.is_empty() {
            return "error".into();
        }
        match self.f.dmi.iter().find(|(k, _)| k == key) {
            Some((_, v)) => shell::read(v).0,
            None => "unavailable".into(),
        }
    }

    fn virt_is(&self, name: &str) -> Tri {
        match &self.f.virt {
            Some(v) => Some(v == name),
            None => self.unknown("the virtualization type".into()),
        }
    }

    fn has_label(&self, want: &[&str]) -> Tri {
        let padded = format!(",{},", self.labels);
        if want.iter().any(|l| padded.contains(&format!(",{l},"))) {
            return Some(true);
        }
        match &self.blind {
            Some(d) => self.unknown(format!("the label of {d}")),
            None => Some(false),
        }
    }

    fn has_uuid(&self, want: &str) -> Tri {
        if format!(",{},", self.uuids).contains(&format!(",{want},")) {
            return Some(true);
        }
        match &self.blind {
            Some(d) => self.unknown(format!("the UUID of {d}")),
            None => Some(false),
        }
    }

    fn check_config(&self, key: &str) -> Option<String> {
        self.check_config_in(&self.files, key)
    }

    fn check_config_in(&self, files: &Files, key: &str) -> Option<String> {
        match self.d {
            Dialect::V22 | Dialect::V22Release => shell::check_config_v22(files, key),
            _ => shell::check_config_grep(files, key),
        }
    }

    fn has_tool(&self, name: &str) -> bool {
        BIN_DIRS.iter().any(|d| self.has(&format!("{d}/{name}")))
    }
}

trait PopComma {
    fn pop_if_comma(&mut self);
}
impl PopComma for String {
    fn pop_if_comma(&mut self) {
        if self.ends_with(',') {
            self.pop();
        }
    }
}

/// `if cond; then return x; fi; rest`
fn when(cond: Tri, x: Out, rest: impl FnOnce() -> Out) -> Out {
    match cond {
        Some(true) => x,
        Some(false) => rest(),
        None => x | rest(),
    }
}

fn and(a: Tri, b: impl FnOnce() -> Tri) -> Tri {
    match a {
        Some(false) => Some(false),
        Some(true) => b(),
        None => match b() {
            Some(false) => Some(false),
            _ => None,
        },
    }
}

fn or(a: Tri, b: impl FnOnce() -> Tri) -> Tri {
    match a {
        Some(true) => Some(true),
        Some(false) => b(),
        None => match b() {
            Some(true) => Some(true),
            _ => None,
        },
    }
}

fn is_x86(arch: &str) -> bool {
    let b = arch.as_bytes();
    arch == "x86_64" || (b.len() == 4 && b[0] == b'i' && &b[2..] == b"86")
}

/// Names cloudseed may write into `datasource_list: [ … ]` and have YAML
/// read back as the same strings.
fn plain_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.')
}

struct Policy {
    mode: String,
    found_first: bool,
    maybe_all: bool,
    notfound_enabled: bool,
}

fn parse_policy(policy: &str, d: Dialect, arch: &str) -> Policy {
    // DI_DEFAULT_POLICY / DI_DEFAULT_POLICY_NO_DMI
    let (def_maybe_all, def_nf_enabled) = match d {
        // Debian 12 (22.4.2-1+deb12u4) ships maybe=none; the 22.4.2 release had maybe=all
        Dialect::V22 => (false, !is_x86(arch)),
        Dialect::V22Release => (true, !is_x86(arch)),
        _ => (false, false),
    };
    let mut p = Policy {
        mode: String::new(),
        found_first: false,
        maybe_all: def_maybe_all,
        notfound_enabled: def_nf_enabled,
    };
    let mut fields: Vec<&str> = policy.split(',').collect();
    if fields.last() == Some(&"") {
        fields.pop();
    }
    for tok in fields {
        match tok {
            "enabled" | "disabled" | "search" | "report" => p.mode = tok.into(),
            "found=all" => p.found_first = false,
            "found=first" => p.found_first = true,
            "maybe=all" => p.maybe_all = true,
            "maybe=none" => p.maybe_all = false,
            "notfound=enabled" => p.notfound_enabled = true,
            "notfound=disabled" => p.notfound_enabled = false,
            t if t.starts_with("found=") => p.found_first = false,
            t if t.starts_with("maybe=") => p.maybe_all = def_maybe_all,
            t if t.starts_with("notfound=") => p.notfound_enabled = def_nf_enabled,
            _ => {}
        }
    }
    if p.mode.is_empty() {
        p.mode = "search".into();
    }
    p
}

/// 22.4.2's generator: the last ` cloud-init=` value on the cmdline.
fn v22_generator_state(cmdline: &str) -> Option<&str> {
    let padded = format!(" {cmdline} ");
    let i = padded.rfind(" cloud-init=")?;
    let tok = &padded[i + " cloud-init=".len()..];
    let tok = tok.split(' ').next().unwrap_or("");
    match tok {
        "enabled" => Some("enabled"),
        "disabled" => Some("disabled"),
        _ => None,
    }
}

pub fn run(f: &Facts, d: Dialect) -> Answer {
    let mut c = Ctx::new(f, d);
    let marker = c.has(DISABLED_MARKER);
    match d {
        Dialect::V22 | Dialect::V22Release => match v22_generator_state(&c.cmdline) {
            Some("disabled") => return Ok(Outcome::Disabled("cloud-init=disabled".into())),
            Some("enabled") => {}
            _ if marker => return Ok(Outcome::Disabled(format!("/{DISABLED_MARKER}"))),
            _ => {}
        },
        _ => {
            if marker {
                return Ok(Outcome::Disabled(format!("/{DISABLED_MARKER}")));
            }
            if c.cmdline.contains("cloud-init=disabled") {
                return Ok(Outcome::Disabled("cloud-init=disabled".into()));
            }
        }
    }

    // read_config
    let (mut dsname, mut policy) = match &f.config.ds_identify_cfg {
        Some(t) => shell::read_config_all(t),
        None => (None, None),
    };
    for tok in shell::words(&c.cmdline) {
        let key = tok.split('=').next().unwrap_or(tok);
        let mut val = tok.split_once('=').map_or(tok, |(_, v)| v);
        if !d.is_v22() {
            val = val.split(';').next().unwrap_or(val);
        }
        match key {
            "ds" if !d.is_v22() => dsname = Some(val.into()),
            "ci.ds" | "ci.datasource" => dsname = Some(val.into()),
            "ci.di.policy" => policy = Some(val.into()),
            _ => {}
        }
    }
    let policy = parse_policy(policy.as_deref().unwrap_or(""), d, &f.arch);
    let dsname = dsname.unwrap_or_default();

    // read_datasource_list
    let mut dslist = dsname.clone();
    if let Some(i) = c.cmdline.find("cc:") {
        if c.cmdline[i..].contains("datasource_list") {
            let t = c.cmdline.rsplit("datasource_list").next().unwrap_or("");
            let t = t.split(']').next().unwrap_or("");
            let t = t.rsplit('[').next().unwrap_or("");
            dslist = shell::parse_yaml_array(t);
        }
    }
    if dslist.is_empty() {
        if let Some(v) = c.check_config("datasource_list") {
            match d {
                Dialect::V22 | Dialect::V22Release => dslist = shell::parse_yaml_array(&v),
                _ => {
                    if let Some(v) = shell::get_value(&v) {
                        dslist = shell::parse_yaml_array(v);
                    }
                }
            }
        }
    }
    if dslist.is_empty() {
        dslist = match d {
            Dialect::V22 | Dialect::V22Release => DEFAULT_V22,
            Dialect::V25 => DEFAULT_V25,
            Dialect::Upstream => DEFAULT_UPSTREAM,
        }
        .into();
    }
    c.dslist = shell::words(&dslist).map(String::from).collect();

    match policy.mode.as_str() {
        "disabled" => return Ok(Outcome::Disabled("policy mode=disabled".into())),
        "enabled" => return Ok(Outcome::NoList("policy mode=enabled".into())),
        _ => {}
    }
    let report = policy.mode == "report";
    let found = |list: Vec<String>| -> Answer {
        let mut list = list;
        if !list.iter().any(|x| x == "None") {
            list.push("None".into());
        }
        written(list, report)
    };

    if !dsname.is_empty() {
        return found(vec![dsname]);
    }
    if c.has("var/lib/cloud/instance/manual-clean") {
        return Ok(Outcome::NoList("manual_cache_clean".into()));
    }
    let n = c.dslist.len();
    if n == 1 {
        return match d {
            Dialect::V22 | Dialect::V22Release => found(c.dslist.clone()),
            _ => written(c.dslist.clone(), report),
        };
    }
    if n == 2 && c.dslist[1] == "None" {
        return found(c.dslist.clone());
    }

    // every check, each with the outcomes it may have
    let mut results: Vec<(String, Out)> = Vec::new();
    for ds in &c.dslist {
        if let Some(o) = dscheck(&c, ds) {
            results.push((ds.clone(), o));
        }
    }
    let combos: usize = results
        .iter()
        .map(|(_, o)| o.count_ones() as usize)
        .try_fold(1usize, |a, b| a.checked_mul(b))
        .unwrap_or(usize::MAX);
    if combos > MAX_COMBINATIONS {
        return Err(unknown_reason(&c));
    }
    let mut answer: Option<Answer> = None;
    for k in 0..combos {
        let mut k = k;
        let (mut fnd, mut maybe, mut ec2_maybe) = (Vec::new(), Vec::new(), false);
        for (ds, o) in &results {
            let opts: Vec<Out> = [FOUND, NOT_FOUND, MAYBE]
                .into_iter()
                .filter(|b| o & b != 0)
                .collect();
            let pick = opts[k % opts.len()];
            k /= opts.len();
            match pick {
                FOUND => fnd.push(ds.clone()),
                MAYBE => {
                    maybe.push(ds.clone());
                    ec2_maybe |= ds == "Ec2";
                }
                _ => {}
            }
        }
        let a = if !fnd.is_empty() {
            if policy.found_first {
                fnd.truncate(1);
            }
            found(fnd)
        } else if !maybe.is_empty() && policy.maybe_all {
            if ec2_maybe && !report {
                Err("ds-identify would also write Ec2's strict_id setting".into())
            } else {
                found(maybe)
            }
        } else if report || policy.notfound_enabled {
            Ok(Outcome::NoList(
                "no datasource found, notfound=enabled".into(),
            ))
        } else {
            Ok(Outcome::Disabled("no datasource found".into()))
        };
        match &answer {
            None => answer = Some(a),
            Some(prev) if *prev != a => return Err(unknown_reason(&c)),
            Some(_) => {}
        }
    }
    answer.unwrap_or_else(|| Err("no outcome".into()))
}

fn unknown_reason(c: &Ctx) -> String {
    format!(
        "ds-identify's answer depends on what cloudseed cannot see: {}",
        c.why.borrow().join(", ")
    )
}

fn written(list: Vec<String>, report: bool) -> Answer {
    if report {
        return Ok(Outcome::NoList("policy mode=report".into()));
    }
    if let Some(bad) = list.iter().find(|x| !plain_name(x)) {
        return Err(format!(
            "datasource name '{bad}' would not read back as written"
        ));
    }
    Ok(Outcome::List(list))
}

/// `dscheck_<ds>`, or None when this dialect has no such function.
fn dscheck(c: &Ctx, ds: &str) -> Option<Out> {
    let v = c.d;
    let dmi_pn = || c.dmi("product_name");
    let vendor = || c.dmi("sys_vendor");
    let tag = || c.dmi("chassis_asset_tag");
    let dmi_found = |hit: bool| if hit { FOUND } else { NOT_FOUND };
    Some(match ds {
        "MAAS" if v != Dialect::Upstream => {
            let iqn = "iqn.2004-05.com.ubuntu:maas";
            let cl = &c.cmdline;
            let eph = cl
                .find("cloud-config-url=")
                .is_some_and(|i| cl[i..].contains(iqn))
                || cl
                    .find(iqn)
                    .is_some_and(|i| cl[i..].contains("cloud-config-url="));
            dmi_found(eph || c.check_config("MAAS").is_some())
        }
        "ConfigDrive" => configdrive_v2(c),
        "NoCloud" => nocloud(c),
        "AltCloud" => {
            let ctype = match &c.f.cloud_info {
                Some(t) => shell::read(t).0,
                None => dmi_pn(),
            };
            // the patterns are quoted in the case statement: literal text
            if ctype == "[Rr][Hh][Ee][Vv]" || ctype == "[Vv][Ss][Pp][Hh][Ee][Rr][Ee]" {
                c.unknown("AltCloud's floppy or CDROM device".into());
                MAYBE | NOT_FOUND
            } else {
                NOT_FOUND
            }
        }
        "Azure" => {
            let chassis = tag() == "7783-7084-3265-9085-8269-3286-77";
            if chassis || c.seed_dir("azure", &["ovf-env.xml"]) {
                FOUND
            } else if v.is_v22() {
                let rd = || {
                    let padded = format!(",{},", c.labels);
                    if padded.contains(",rd_rdfe_") {
                        Some(true)
                    } else {
                        match &c.blind {
                            Some(d) => c.unknown(format!("the label of {d}")),
                            None => Some(false),
                        }
                    }
                };
                when(and(c.virt_is("microsoft"), rd), FOUND, || NOT_FOUND)
            } else {
                NOT_FOUND
            }
        }
        "Bigstep" => dmi_found(c.has("var/lib/cloud/data/seed/bigstep/url")),
        "CloudSigma" => dmi_found(dmi_pn() == "CloudSigma"),
        "CloudStack" => dmi_found(dmi_pn().starts_with("CloudStack")),
        "DigitalOcean" => dmi_found(vendor() == "DigitalOcean"),
        "Vultr" => dmi_found(
            vendor() == "Vultr"
                || format!(" {} ", c.cmdline).contains(" vultr ")
                || c.has("etc/vultr"),
        ),
        "AliYun" => dmi_found(
            c.seed_dir("AliYun", &["meta-data", "user-data"]) || dmi_pn() == "Alibaba Cloud ECS",
        ),
        "Ec2" => ec2(c),
        "GCE" => dmi_found(
            dmi_pn() == "Google Compute Engine"
                || c.dmi("product_serial").starts_with("GoogleCloud-"),
        ),
        "OpenNebula" => {
            if c.seed_dir("opennebula", &["meta-data"]) {
                FOUND
            } else {
                when(c.has_label(&["CONTEXT", "CDROM"]), FOUND, || NOT_FOUND)
            }
        }
        "OpenStack" => openstack(c),
        "VMware" => when(c.virt_is("vmware"), vmware_tools(c), || NOT_FOUND),
        "OVF" => ovf(c),
        "SmartOS" => dmi_found(dmi_pn().starts_with("SmartDC")),
        "Scaleway" => dmi_found(
            vendor() == "Scaleway"
                || format!(" {} ", c.cmdline).contains(" scaleway ")
                || c.has("var/run/scaleway"),
        ),
        "Hetzner" => dmi_found(vendor() == "Hetzner"),
        "IBMCloud" => match ibm_provisioning(c) {
            Some(true) => NOT_FOUND,
            p => {
                let r = when(is_ibm_cloud(c), FOUND, || NOT_FOUND);
                if p.is_none() {
                    r | NOT_FOUND
                } else {
                    r
                }
            }
        },
        "Oracle" => dmi_found(tag() == "OracleCloud.com"),
        "Exoscale" => dmi_found(dmi_pn().starts_with("Exoscale")),
        "RbxCloud" => when(c.has_label(&["CLOUDMD", "cloudmd"]), FOUND, || NOT_FOUND),
        "UpCloud" => dmi_found(vendor() == "UpCloud"),
        "LXD" => {
            // /dev/lxd/sock exists only inside LXD containers
            let kvm = or(c.virt_is("kvm"), || c.virt_is("qemu"));
            let lxd = || match v {
                Dialect::Upstream => {
                    let port =
                        c.f.virtio_ports
                            .iter()
                            .any(|n| n == "com.canonical.lxd" || n == "org.linuxcontainers.lxd");
                    if port {
                        Some(true)
                    } else if c.dmi("board_name") == "LXD" {
                        c.unknown("LXD's virtio port (not yet in /sys/class/virtio-ports)".into())
                    } else {
                        Some(false)
                    }
                }
                _ => Some(c.dmi("board_name") == "LXD"),
            };
            when(and(kvm, lxd), FOUND, || NOT_FOUND)
        }
        "NWCS" => dmi_found(vendor() == "NWCS"),
        "Akamai" if !v.is_v22() => dmi_found(vendor() == "Linode" || vendor() == "Akamai"),
        // WSL needs 9p drvfs mounts of the Windows host: never in an initramfs boot
        "WSL" if !v.is_v22() => NOT_FOUND,
        "CloudCIX" if !v.is_v22() => dmi_found(dmi_pn() == "CloudCIX"),
        "None" => NOT_FOUND,
        _ => return None,
    })
}

fn nocloud(c: &Ctx) -> Out {
    if format!(" {} ", c.dmi("product_serial")).contains(" ds=nocloud") {
        return FOUND;
    }
    if c.d.is_v22() && format!(" {} ", c.cmdline).contains(" ds=nocloud") {
        return FOUND;
    }
    for d in ["nocloud", "nocloud-net"] {
        let f = ["meta-data", "user-data"];
        if c.seed_dir(d, &f) || (c.has("writable/system-data") && c.writable_seed_dir(d, &f)) {
            return FOUND;
        }
    }
    when(c.has_label(&["cidata", "CIDATA"]), FOUND, || {
        let cfg = c.check_config("NoCloud").is_some();
        let ud_md =
            || c.check_config("user-data").is_some() && c.check_config("meta-data").is_some();
        let hit = match c.d {
            Dialect::V22 | Dialect::V22Release => cfg && ud_md(),
            _ => cfg && (ud_md() || c.check_config("seedfrom").is_some()),
        };
        if hit {
            FOUND
        } else {
            NOT_FOUND
        }
    })
}

fn ibm_provisioning(c: &Ctx) -> Tri {
    if !c.has("root/provisioningConfiguration.cfg") {
        return Some(false);
    }
    if !c.has("root/swinstall.log") {
        return Some(true);
    }
    c.unknown("whether /root/swinstall.log is newer than /proc/1/environ".into())
}

fn is_ibm_cloud(c: &Ctx) -> Tri {
    and(c.virt_is("xen"), || {
        or(ibm_provisioning(c), || {
            or(c.has_label(&["METADATA", "metadata"]), || {
                and(c.has_uuid("9796-932E"), || {
                    c.has_label(&["CONFIG-2", "config-2"])
                })
            })
        })
    })
}

fn configdrive_v2(c: &Ctx) -> Out {
    if c.has(CD_GLOB) || c.has(CD_SEED_GLOB) || c.has(CD_SEED_LATEST) {
        return FOUND;
    }
    let ibm_enabled = c.dslist.iter().any(|x| x == "IBMCloud");
    let ibm = if ibm_enabled {
        is_ibm_cloud(c)
    } else {
        Some(false)
    };
    when(ibm, NOT_FOUND, || {
        when(c.has_label(&["CONFIG-2", "config-2"]), FOUND, || NOT_FOUND)
    })
}

fn openstack(c: &Ctx) -> Out {
    let cd = configdrive_v2(c);
    let rest = || {
        let pn = c.dmi("product_name");
        let tag = c.dmi("chassis_asset_tag");
        let (nova, compute) = ("OpenStack Nova", "OpenStack Compute");
        // pid 1 is systemd when the generator runs: no product_name in its environment
        if pn == nova || pn == compute {
            return FOUND;
        }
        let tags = [
            "OpenTelekomCloud",
            "SAP CCloud VM",
            "HUAWEICLOUD",
            nova,
            compute,
        ];
        if tags.contains(&tag.as_str()) || (!c.d.is_v22() && tag == "Samsung Cloud Platform") {
            return FOUND;
        }
        if is_x86(&c.f.arch) {
            NOT_FOUND
        } else {
            MAYBE
        }
    };
    let mut o = 0;
    if cd & FOUND != 0 {
        o |= NOT_FOUND;
    }
    if cd & !FOUND != 0 {
        o |= rest();
    }
    o
}

fn ec2(c: &Ctx) -> Out {
    if c.seed_dir("ec2", &["meta-data", "user-data"]) {
        return FOUND;
    }
    let serial = c.dmi("product_serial");
    let tag = c.dmi("chassis_asset_tag");
    let vendor = c.dmi("sys_vendor");
    let uuid = c.dmi("product_uuid");
    let mut known = serial.ends_with(".brightbox.com")
        || tag.ends_with(".zstack.io")
        || vendor == "e24cloud"
        || (vendor == "Tilaa" && c.d == Dialect::Upstream)
        || (c.dmi("product_name") == "3DS Outscale VM" && vendor == "3DS Outscale")
        || c.f
            .hypervisor_uuid
            .as_deref()
            .is_some_and(|u| shell::read(u).0.starts_with("ec2"));
    if !known {
        known = match c.d {
            Dialect::V22 | Dialect::V22Release => {
                let ec2 = |s: &str| s.len() >= 3 && s[..3].eq_ignore_ascii_case("ec2");
                ec2(&uuid) && ec2(&serial) && uuid.eq_ignore_ascii_case(&serial)
            }
            _ => {
                let first = uuid.split('-').next().unwrap_or("");
                let b = first.as_bytes();
                (b.len() >= 3 && first[..3].eq_ignore_ascii_case("ec2"))
                    || (b.len() >= 4 && {
                        let t = &b[b.len() - 4..];
                        t[0] == b'2'
                            && t[1].is_ascii_hexdigit()
                            && t[2..].eq_ignore_ascii_case(b"ec")
                    })
            }
        };
    }
    if known {
        return FOUND;
    }
    if ec2_strict(c) == "true" {
        NOT_FOUND
    } else {
        MAYBE
    }
}

/// ec2_read_strict_setting, then the validity check in dscheck_Ec2.
fn ec2_strict(c: &Ctx) -> String {
    let default = "true";
    let key = "ci.datasource.ec2.strict_id";
    let mut val: Option<String> = None;
    let padded = format!(" {} ", c.cmdline);
    if padded.contains(&format!(" {key}=")) {
        let v = c.cmdline.rsplit(&format!("{key}=")).next().unwrap_or("");
        let v = v.split(' ').next().unwrap_or("");
        val = Some(if v.is_empty() {
            default.into()
        } else {
            v.into()
        });
    }
    if val.is_none() {
        let ec2_files: Vec<(&str, &str)> = c
            .files
            .iter()
            .filter(|(n, _)| *n == "cloud.cfg" || n.to_ascii_lowercase().contains("ec2"))
            .copied()
            .collect();
        val = c.check_config_in(&ec2_files, "strict_id");
    }
    if val.is_none() {
        if let Some(t) = &c.f.config.ds_identify_cfg {
            let v = shell::read_config_key(t, key).unwrap_or_default();
            val = Some(if v.is_empty() { default.into() } else { v });
        }
    }
    let s = val.unwrap_or_else(|| default.into());
    let ok = matches!(s.as_str(), "true" | "false" | "warn")
        || s.strip_prefix("warn,")
            .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()));
    if ok {
        s
    } else {
        default.into()
    }
}

/// VMware on vmware: with vmware-rpctool or vmtoolsd it asks the host's
/// guestinfo, which cloudseed cannot see.
fn vmware_tools(c: &Ctx) -> Out {
    if c.has_tool("vmware-rpctool") || c.has_tool("vmtoolsd") {
        c.unknown("VMware guestinfo".into());
        FOUND | NOT_FOUND
    } else {
        NOT_FOUND
    }
}

fn ovf(c: &Ctx) -> Out {
    if c.seed_dir("ovf", &["ovf-env.xml"]) {
        return FOUND;
    }
    when(c.virt_is("none"), NOT_FOUND, || {
        if c.dmi("chassis_asset_tag") == "7783-7084-3265-9085-8269-3286-77" {
            return NOT_FOUND;
        }
        let guestinfo = when(c.virt_is("vmware"), vmware_tools(c), || NOT_FOUND);
        let mut o = 0;
        if guestinfo & FOUND != 0 {
            o |= FOUND;
        }
        if guestinfo & NOT_FOUND != 0 {
            o |= ovf_cdrom(c);
        }
        o
    })
}

/// has_ovf_cdrom over DI_ISO9660_DEVS.
fn ovf_cdrom(c: &Ctx) -> Out {
    let mut o = 0;
    for fs in &c.f.filesystems {
        let cdrom = {
            let d = fs.device.as_bytes();
            (d.len() == 8 && fs.device.starts_with("/dev/sr") && d[7].is_ascii_digit())
                || (d.len() == 8 && fs.device.starts_with("/dev/hd") && d[7].is_ascii_lowercase())
        };
        if !cdrom || !(fs.fstype == "iso9660" || fs.fstype.is_empty()) {
            continue;
        }
        let label = blkid_escape(&fs.label);
        match label.as_str() {
            "OVF-TRANSPORT" | "ovf-transport" | "OVFENV" | "ovfenv" | "OVF ENV" | "ovf env"
                if !fs.fstype.is_empty() =>
            {
                return FOUND
            }
            "config-2" | "CONFIG-2" | "cidata" | "CIDATA" if !fs.fstype.is_empty() => continue,
            l if l.starts_with("rd_rdfe_stable") && !fs.fstype.is_empty() => continue,
            _ => {
                c.unknown(format!("whether {} holds an OVF environment", fs.device));
                o |= FOUND;
            }
        }
    }
    o | NOT_FOUND
}
