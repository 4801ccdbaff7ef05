//! The thin shell that reads the facts [`super::identify`] decides from:
//! DMI, virtualization, architecture and, once the root is mounted, the
//! image's cloud-init config and the files ds-identify tests. Every read is
//! bounded; what cannot be read as ds-identify would read it is listed in
//! `Facts::unreadable`, which makes the decision stand aside.

use crate::prelude::*;

use super::checks::{BIN_DIRS, CD_GLOB, CD_SEED_GLOB, CD_SEED_LATEST};
use super::{Facts, Filesystem, ImageConfig, DISABLED_MARKER};
use crate::os::io::Read;
use crate::os::path::{Path, PathBuf};
use crate::paths::Paths;

/// Bytes read from any one file.
pub const MAX_FILE: u64 = 64 << 10;
/// cloud.cfg.d entries read; more make the decision stand aside.
pub const MAX_CFG_FILES: usize = 256;

/// The DMI files ds-identify reads, plus those `__dmi.<key>__` may name.
pub const DMI_FILES: [&str; 20] = [
    "bios_date",
    "bios_release",
    "bios_vendor",
    "bios_version",
    "board_asset_tag",
    "board_name",
    "board_serial",
    "board_vendor",
    "board_version",
    "chassis_asset_tag",
    "chassis_serial",
    "chassis_type",
    "chassis_vendor",
    "chassis_version",
    "product_family",
    "product_name",
    "product_serial",
    "product_uuid",
    "product_version",
    "sys_vendor",
];

/// Root-relative files whose existence a check tests (regular files, except
/// the `writable/system-data` directory); the config-drive globs are
/// recorded under their pattern text.
pub fn root_file_list() -> Vec<String> {
    let mut v: Vec<String> = [
        DISABLED_MARKER,
        "var/lib/cloud/instance/manual-clean",
        "var/lib/cloud/seed/opennebula/meta-data",
        "var/lib/cloud/seed/azure/ovf-env.xml",
        "var/lib/cloud/seed/ovf/ovf-env.xml",
        "var/lib/cloud/data/seed/bigstep/url",
        CD_SEED_LATEST,
        "root/provisioningConfiguration.cfg",
        "root/swinstall.log",
        "var/run/scaleway",
        "etc/vultr",
        "writable/system-data",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for name in ["nocloud", "nocloud-net", "ec2", "AliYun"] {
        for f in ["meta-data", "user-data"] {
            v.push(format!("var/lib/cloud/seed/{name}/{f}"));
            if name.starts_with("nocloud") {
                v.push(format!(
                    "writable/system-data/var/lib/cloud/seed/{name}/{f}"
                ));
            }
        }
    }
    for d in BIN_DIRS {
        for t in ["vmware-rpctool", "vmtoolsd"] {
            v.push(format!("{d}/{t}"));
        }
    }
    v
}

/// The machine name as std's `env::consts::ARCH` says it, for the
/// architectures cloudseed builds for.
const ARCH: &str = if cfg!(target_arch = "x86_64") {
    "x86_64"
} else if cfg!(target_arch = "aarch64") {
    "aarch64"
} else if cfg!(target_arch = "riscv64") {
    "riscv64"
} else if cfg!(target_arch = "s390x") {
    "s390x"
} else if cfg!(target_arch = "powerpc64") {
    "powerpc64"
} else if cfg!(target_arch = "x86") {
    "x86"
} else {
    "arm"
};

/// Reads DMI/virt/arch/container facts under `paths` and, when `root` is
/// given, the image config under `root` (e.g. "/sysroot" or "/root").
pub fn gather(
    paths: &Paths,
    root: Option<&Path>,
    cmdline: &str,
    filesystems: Vec<Filesystem>,
) -> Facts {
    let dmi_dir = paths.sys_dir.join("class/dmi/id");
    let mut dmi = Vec::new();
    for k in DMI_FILES {
        if let Some(v) = read_small(&dmi_dir.join(k)) {
            dmi.push((k.to_string(), lossy(&v)));
        }
    }
    let hypervisor_uuid = read_small(&paths.sys_dir.join("hypervisor/uuid")).map(|b| lossy(&b));
    let hv_type = read_small(&paths.sys_dir.join("hypervisor/type")).map(|b| lossy(&b));
    let cpuinfo = read_small(&paths.proc_dir.join("cpuinfo")).map(|b| lossy(&b));
    let arch = read_small(&paths.proc_dir.join("sys/kernel/arch"))
        .map(|b| lossy(&b).trim().to_string())
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| ARCH.to_string());
    let virt = detect_virt(
        &DmiView(&dmi),
        hv_type.as_deref(),
        cpuinfo.as_deref(),
        &arch,
    );
    let container = read_small(&paths.proc_dir.join("1/environ")).and_then(|b| {
        b.split(|&c| c == 0)
            .find_map(|kv| kv.strip_prefix(b"container="))
            .map(lossy)
    });
    let mut virtio_ports = Vec::new();
    if let Ok(rd) = crate::os::fs::read_dir(paths.sys_dir.join("class/virtio-ports")) {
        for e in rd.flatten().take(64) {
            if let Some(n) = read_small(&e.path().join("name")) {
                virtio_ports.push(super::shell::read(&lossy(&n)).0);
            }
        }
    }
    let mut facts = Facts {
        cmdline: cmdline.to_string(),
        dmi,
        virt,
        container,
        arch,
        filesystems,
        hypervisor_uuid,
        virtio_ports,
        ..Facts::default()
    };
    // /var/run is /run when the generator runs: the initramfs's /run moves there.
    if paths.run_dir.join("scaleway").is_file() {
        facts.root_files.push("var/run/scaleway".into());
    }
    if let Some(root) = root {
        read_root(root, &mut facts);
    }
    facts
}

/// A probed device ([`crate::seed::read_device`]'s volume) as
/// identification sees it: None when it holds nothing blkid would list.
pub fn filesystem_from_volume(device: &str, v: Option<&crate::seed::Volume>) -> Option<Filesystem> {
    v.map(|v| Filesystem {
        device: device.into(),
        fstype: v.fs.blkid_type().into(),
        label: v.label.clone(),
        uuid: v.uuid.clone(),
    })
}

/// A device as identification sees it, from blkid's view of its first
/// bytes ([`crate::seed::probe::blkid`]); None when blkid would list no
/// TYPE, LABEL or UUID (partition table, zeros). For vfat prefer the seed
/// reader's volume (it reads the root-directory label blkid reports).
pub fn filesystem_from_blkid(device: &str, b: crate::seed::probe::Blkid) -> Option<Filesystem> {
    use crate::seed::probe::Blkid;
    match b {
        Blkid::Fs {
            fstype,
            label,
            uuid,
        } => Some(Filesystem {
            device: device.into(),
            fstype,
            label,
            uuid,
        }),
        Blkid::Nothing => None,
        Blkid::Unknown => Some(Filesystem {
            device: device.into(),
            ..Filesystem::default()
        }),
    }
}

/// The image side of the facts, read under `root`.
pub fn read_root(root: &Path, facts: &mut Facts) {
    let mut unreadable = Vec::new();
    let text = |rel: &str, unreadable: &mut Vec<String>| -> Option<String> {
        let p = resolve(root, rel)?;
        read_text(&p)
            .map_err(|()| unreadable.push(format!("/{rel}")))
            .ok()
    };
    let mut config = ImageConfig {
        cloud_cfg: text("etc/cloud/cloud.cfg", &mut unreadable),
        ds_identify_cfg: text("etc/cloud/ds-identify.cfg", &mut unreadable),
        cloud_cfg_d: Vec::new(),
    };
    if let Some(dir) = resolve_dir(root, "etc/cloud/cloud.cfg.d") {
        let mut names: Vec<String> = match crate::os::fs::read_dir(&dir) {
            Ok(rd) => rd
                .flatten()
                .filter_map(|e| {
                    e.file_name()
                        .into_string()
                        .map_err(|_| {
                            unreadable
                                .push("/etc/cloud/cloud.cfg.d (a name that is not UTF-8)".into())
                        })
                        .ok()
                })
                .filter(|n| n.ends_with(".cfg") && !n.starts_with('.'))
                .collect(),
            Err(_) => Vec::new(),
        };
        // the shell's glob order in the C locale generators run in
        crate::sort::sort_by(&mut names, |a, b| a.as_bytes().cmp(b.as_bytes()));
        if names.len() > MAX_CFG_FILES {
            unreadable.push(format!("/etc/cloud/cloud.cfg.d ({} files)", names.len()));
            names.truncate(MAX_CFG_FILES);
        }
        for n in names {
            // grep prefixes each hit with the file name; ds-identify cuts it
            // at the first ':' after dropping from the first '#': such names
            // (or a newline) garble what it reads
            if n.contains(['#', ':', '\n']) {
                unreadable.push(format!("/etc/cloud/cloud.cfg.d/{n} (its name)"));
                continue;
            }
            let rel = format!("etc/cloud/cloud.cfg.d/{n}");
            if let Some(t) = text(&rel, &mut unreadable) {
                config.cloud_cfg_d.push((n, t));
            }
        }
    }
    facts.config = config;
    for rel in root_file_list() {
        let ok = if rel == "writable/system-data" {
            resolve_dir(root, &rel).is_some()
        } else {
            resolve(root, &rel).is_some()
        };
        if ok && !facts.root_files.contains(&rel) {
            facts.root_files.push(rel);
        }
    }
    for (pattern, dir) in [
        (CD_GLOB, "config-drive/openstack"),
        (CD_SEED_GLOB, "var/lib/cloud/seed/config_drive/openstack"),
    ] {
        if dated_meta_data(root, dir) {
            facts.root_files.push(pattern.into());
        }
    }
    facts.cloud_info = resolve(root, "etc/sysconfig/cloud-info")
        .and_then(|p| read_small(&p))
        .map(|b| lossy(&b));
    facts.cloud_init_version = cloud_init_version(root);
    facts.unreadable = unreadable;
}

/// `DIR/2???-??-??/meta_data.json` exists (ds-identify tests the first match).
fn dated_meta_data(root: &Path, dir: &str) -> bool {
    let Some(d) = resolve_dir(root, dir) else {
        return false;
    };
    let Ok(rd) = crate::os::fs::read_dir(d) else {
        return false;
    };
    let mut names: Vec<String> = rd
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| {
            let b = n.as_bytes();
            b.len() == 10 && b[0] == b'2' && b[4] == b'-' && b[7] == b'-'
        })
        .collect();
    crate::sort::sort(&mut names);
    names
        .first()
        .is_some_and(|n| resolve(root, &format!("{dir}/{n}/meta_data.json")).is_some())
}

/// cloudinit/version.py's `__VERSION__` in the root's Python path.
fn cloud_init_version(root: &Path) -> Option<String> {
    for base in [
        "usr/lib/python3/dist-packages",
        "usr/lib/python3.13/site-packages",
        "usr/lib/python3.12/site-packages",
        "usr/lib/python3.11/site-packages",
    ] {
        let Some(p) = resolve(root, &format!("{base}/cloudinit/version.py")) else {
            continue;
        };
        let text = lossy(&read_small(&p)?);
        for line in text.lines() {
            if let Some(rest) = line.trim().strip_prefix("__VERSION__") {
                let v = rest
                    .trim_start_matches([' ', '='])
                    .trim()
                    .trim_matches(['"', '\'']);
                if !v.is_empty() {
                    return Some(v.to_string());
                }
            }
        }
    }
    None
}

/// `rel` under `root` as the booted system resolves it (absolute symlinks
/// point into the root, not the initramfs), if it is a regular file.
fn resolve(root: &Path, rel: &str) -> Option<PathBuf> {
    let p = resolve_path(root, rel)?;
    crate::os::fs::metadata(&p)
        .ok()
        .filter(|m| m.is_file())
        .map(|_| p)
}

fn resolve_dir(root: &Path, rel: &str) -> Option<PathBuf> {
    let p = resolve_path(root, rel)?;
    crate::os::fs::metadata(&p)
        .ok()
        .filter(|m| m.is_dir())
        .map(|_| p)
}

/// Follows symlinks component by component, re-rooting absolute targets;
/// at most 32 hops.
fn resolve_path(root: &Path, rel: &str) -> Option<PathBuf> {
    let mut todo: Vec<String> = rel
        .split('/')
        .filter(|c| !c.is_empty())
        .rev()
        .map(String::from)
        .collect();
    let mut cur: Vec<String> = Vec::new();
    let mut hops = 0;
    while let Some(c) = todo.pop() {
        match c.as_str() {
            "." => continue,
            ".." => {
                cur.pop();
                continue;
            }
            _ => {}
        }
        let mut p = root.to_path_buf();
        p.extend(&cur);
        p.push(&c);
        match crate::os::fs::read_link(&p) {
            Ok(target) => {
                hops += 1;
                if hops > 32 {
                    return None;
                }
                let t = target.to_str()?.to_string();
                if t.starts_with('/') {
                    cur.clear();
                }
                todo.extend(
                    t.split('/')
                        .filter(|c| !c.is_empty())
                        .rev()
                        .map(String::from),
                );
            }
            Err(_) => cur.push(c),
        }
    }
    let mut p = root.to_path_buf();
    p.extend(&cur);
    Some(p)
}

/// At most MAX_FILE bytes of a regular file.
fn read_small(p: &Path) -> Option<Vec<u8>> {
    let f = crate::os::fs::File::open(p).ok()?;
    if !f.metadata().ok()?.is_file() {
        return None;
    }
    let mut b = Vec::new();
    f.take(MAX_FILE).read_to_end(&mut b).ok()?;
    Some(b)
}

/// A config file ds-identify would read in full, as text; Err when it is
/// too big, unreadable, not UTF-8 or binary (grep would say "Binary file").
fn read_text(p: &Path) -> Result<String, ()> {
    let f = crate::os::fs::File::open(p).map_err(|_| ())?;
    let mut b = Vec::new();
    f.take(MAX_FILE + 1).read_to_end(&mut b).map_err(|_| ())?;
    if b.len() as u64 > MAX_FILE || b.contains(&0) {
        return Err(());
    }
    String::from_utf8(b).map_err(|_| ())
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// DMI values as systemd reads them (first line, trimmed).
struct DmiView<'a>(&'a [(String, String)]);
impl DmiView<'_> {
    fn get(&self, k: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| n == k)
            .map_or("", |(_, v)| v.lines().next().unwrap_or("").trim())
    }
}

/// systemd-detect-virt's answer where cloudseed can reach the same one:
/// its DMI vendor table, Xen's sysfs type, and the CPUID hypervisor bit
/// as /proc/cpuinfo shows it. `None` when the CPUID vendor (which
/// cloudseed does not read) would decide.
fn detect_virt(
    dmi: &DmiView,
    hv_type: Option<&str>,
    cpuinfo: Option<&str>,
    arch: &str,
) -> Option<String> {
    // systemd's detect_vm_dmi: these vendor strings, in this order
    const TABLE: [(&str, &str); 17] = [
        ("KVM", "kvm"),
        ("OpenStack", "kvm"),
        ("KubeVirt", "kvm"),
        ("Amazon EC2", "amazon"),
        ("QEMU", "qemu"),
        ("VMware", "vmware"),
        ("VMW", "vmware"),
        ("innotek GmbH", "oracle"),
        ("VirtualBox", "oracle"),
        ("Oracle Corporation", "oracle"),
        ("Xen", "xen"),
        ("Bochs", "bochs"),
        ("Parallels", "parallels"),
        ("BHYVE", "bhyve"),
        ("Hyper-V", "microsoft"),
        ("Apple Virtualization", "apple"),
        ("Google Compute Engine", "google"),
    ];
    let mut from_dmi = None;
    'outer: for key in [
        "product_name",
        "sys_vendor",
        "board_vendor",
        "bios_vendor",
        "product_version",
    ] {
        let v = dmi.get(key);
        for (prefix, name) in TABLE {
            if v.starts_with(prefix) {
                from_dmi = Some(name);
                break 'outer;
            }
        }
    }
    if from_dmi.is_none()
        && dmi.get("sys_vendor") == "Microsoft Corporation"
        && dmi.get("product_name") == "Virtual Machine"
    {
        from_dmi = Some("microsoft");
    }
    if let Some(v @ ("oracle" | "xen" | "amazon" | "parallels" | "google")) = from_dmi {
        return Some(v.into());
    }
    let x86 =
        arch == "x86_64" || (arch.len() == 4 && arch.starts_with('i') && arch.ends_with("86"));
    if x86 {
        let flag = cpuinfo?.lines().any(|l| {
            l.starts_with("flags")
                && l.split_once(':')
                    .is_some_and(|(_, f)| f.split_whitespace().any(|w| w == "hypervisor"))
        });
        if flag {
            // CPUID names the hypervisor: kvm under QEMU/KVM DMI (qemu when
            // TCG; ds-identify treats both alike), vmware, microsoft...
            return match from_dmi {
                Some("kvm" | "qemu") => Some("kvm".into()),
                Some(v @ ("vmware" | "microsoft")) => Some(v.into()),
                _ => None,
            };
        }
        if from_dmi.is_none() && hv_type.map(str::trim) != Some("xen") {
            return Some("none".into());
        }
    }
    if let Some(v) = from_dmi {
        return Some(v.into());
    }
    if hv_type.map(str::trim) == Some("xen") {
        return Some("xen".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dmi(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn virt_from_dmi_and_cpuinfo() {
        let q = dmi(&[
            ("sys_vendor", "QEMU\n"),
            ("product_name", "Standard PC (Q35 + ICH9, 2009)\n"),
        ]);
        let hv = "flags\t\t: fpu vme hypervisor lahf_lm\n";
        assert_eq!(
            detect_virt(&DmiView(&q), None, Some(hv), "x86_64").as_deref(),
            Some("kvm")
        );
        assert_eq!(
            detect_virt(&DmiView(&q), None, Some("flags : fpu\n"), "x86_64").as_deref(),
            Some("qemu")
        );
        let bare = dmi(&[("sys_vendor", "Dell Inc.\n")]);
        assert_eq!(
            detect_virt(&DmiView(&bare), None, Some("flags : fpu\n"), "x86_64").as_deref(),
            Some("none")
        );
        assert_eq!(detect_virt(&DmiView(&bare), None, Some(hv), "x86_64"), None);
        let vb = dmi(&[("product_name", "VirtualBox\n")]);
        assert_eq!(
            detect_virt(&DmiView(&vb), None, Some(hv), "x86_64").as_deref(),
            Some("oracle")
        );
        assert_eq!(
            detect_virt(&DmiView(&q), None, None, "aarch64").as_deref(),
            Some("qemu")
        );
    }

    #[test]
    fn root_symlinks_stay_in_the_root() {
        let t = crate::os::path::test_dir("gather");
        let _ = crate::os::fs::remove_dir_all(&t);
        crate::os::fs::create_dir_all(t.join("etc/cloud/cloud.cfg.d")).unwrap();
        crate::os::fs::create_dir_all(t.join("usr/share")).unwrap();
        crate::os::fs::write(
            t.join("usr/share/x.cfg"),
            "datasource_list: [ Ec2, None ]\n",
        )
        .unwrap();
        crate::os::fs::symlink("/usr/share/x.cfg", t.join("etc/cloud/cloud.cfg.d/90_x.cfg"))
            .unwrap();
        crate::os::fs::write(t.join("etc/cloud/cloud.cfg.d/10_a.cfg"), "a: 1\n").unwrap();
        crate::os::fs::write(t.join("etc/cloud/cloud.cfg.d/.hidden.cfg"), "b: 1\n").unwrap();
        crate::os::fs::write(t.join("etc/cloud/cloud.cfg.d/README"), "c: 1\n").unwrap();
        crate::os::fs::write(t.join("etc/cloud/cloud.cfg.d/x#1.cfg"), "d: 1\n").unwrap();
        let mut f = Facts::default();
        read_root(&t, &mut f);
        let names: Vec<&str> = f
            .config
            .cloud_cfg_d
            .iter()
            .map(|(n, _)| n.as_str())
            .collect();
        assert_eq!(names, ["10_a.cfg", "90_x.cfg"]);
        assert!(f.config.cloud_cfg_d[1].1.contains("Ec2"));
        assert_eq!(f.unreadable, ["/etc/cloud/cloud.cfg.d/x#1.cfg (its name)"]);
        crate::os::fs::remove_dir_all(&t).unwrap();
    }
}
