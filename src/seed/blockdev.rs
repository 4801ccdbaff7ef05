//! Enumerates candidate block devices from `/sys/class/block`, without udev.

use crate::prelude::*;

use crate::os::fs;
use crate::os::path::{Path, PathBuf};
use crate::paths::Paths;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Kernel name, e.g. "vdb", "sr0", "sda1".
    pub name: String,
    /// Device node to open, e.g. "/dev/vdb".
    pub node: PathBuf,
}

/// Whole disks and partitions worth probing, sorted by name. Skipped: empty
/// devices (size 0, e.g. a CD drive with no medium), RAM disks, and loop
/// devices with nothing attached (a partition `loopNpM` counts as attached
/// when its disk `loopN` is). An unreadable sysfs yields no candidates.
pub fn candidates(paths: &Paths) -> Vec<Candidate> {
    let Ok(dir) = fs::read_dir(paths.class_block()) else {
        return Vec::new();
    };
    let mut out: Vec<Candidate> = dir
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let sys = e.path();
            worth_probing(&name, &sys).then(|| Candidate {
                node: paths.dev_node(&dev_name(&sys).unwrap_or_else(|| name.clone())),
                name,
            })
        })
        .collect();
    crate::sort::sort_by(&mut out, |a, b| a.name.cmp(&b.name));
    out
}

fn worth_probing(name: &str, sys: &Path) -> bool {
    if name.starts_with("ram") || name.starts_with("zram") {
        return false;
    }
    if name.starts_with("loop") {
        // Only the whole loop device has `loop/backing_file`.
        let disk = match loop_disk_of_partition(name) {
            Some(disk) if sys.join("partition").exists() => sys.with_file_name(disk),
            _ => sys.to_path_buf(),
        };
        if !disk.join("loop/backing_file").exists() {
            return false;
        }
    }
    // `size` counts 512-byte sectors.
    let size = fs::read_to_string(sys.join("size")).ok();
    matches!(size.and_then(|s| s.trim().parse::<u64>().ok()), Some(n) if n > 0)
}

/// `loop0p1` → `loop0`: the kernel names a loop device's partitions
/// `loop<N>p<M>`.
fn loop_disk_of_partition(name: &str) -> Option<&str> {
    let (disk, part) = name.rsplit_once('p')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(part) && disk.strip_prefix("loop").is_some_and(digits)).then_some(disk)
}

/// DEVNAME from `uevent` (it may hold a subdirectory, e.g. "mapper/x").
fn dev_name(sys: &Path) -> Option<String> {
    let uevent = fs::read_to_string(sys.join("uevent")).ok()?;
    uevent
        .lines()
        .find_map(|l| l.strip_prefix("DEVNAME="))
        .map(str::trim)
        .filter(|n| !n.is_empty() && !n.split('/').any(|c| c == ".."))
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_dev(root: &Path, name: &str, size: &str, uevent: Option<&str>) -> PathBuf {
        let d = root.join("class/block").join(name);
        fs::create_dir_all(&d).unwrap();
        fs::write(d.join("size"), size).unwrap();
        if let Some(u) = uevent {
            fs::write(d.join("uevent"), u).unwrap();
        }
        d
    }

    #[test]
    fn enumerates_a_fake_sysfs() {
        let root = crate::os::path::test_dir("blockdev");
        let _ = fs::remove_dir_all(&root);
        fake_dev(
            &root,
            "vdb",
            "4096\n",
            Some("MAJOR=252\nMINOR=16\nDEVNAME=vdb\nDEVTYPE=disk\n"),
        );
        fake_dev(
            &root,
            "sda1",
            "2048\n",
            Some("DEVNAME=sda1\nDEVTYPE=partition\n"),
        );
        fake_dev(&root, "sr0", "0\n", Some("DEVNAME=sr0\n"));
        fake_dev(&root, "ram0", "8192\n", None);
        fake_dev(&root, "zram0", "8192\n", None);
        fake_dev(&root, "loop0", "0\n", None);
        fake_dev(&root, "loop1", "100\n", None); // attached size but no backing file: skipped
        let l2 = fake_dev(&root, "loop2", "2048\n", Some("DEVNAME=loop2\n"));
        fs::create_dir_all(l2.join("loop")).unwrap();
        fs::write(l2.join("loop/backing_file"), "/tmp/seed.img\n").unwrap();
        // Partitions of an attached loop device (losetup -P) are probed;
        // those of a detached one, or without the `partition` file, are not.
        let l3 = fake_dev(&root, "loop3", "4096\n", Some("DEVNAME=loop3\n"));
        fs::create_dir_all(l3.join("loop")).unwrap();
        fs::write(l3.join("loop/backing_file"), "/tmp/disk.img\n").unwrap();
        let p = fake_dev(&root, "loop3p1", "2048\n", Some("DEVNAME=loop3p1\n"));
        fs::write(p.join("partition"), "1\n").unwrap();
        fake_dev(&root, "loop3p2", "2048\n", Some("DEVNAME=loop3p2\n"));
        let p = fake_dev(&root, "loop4p1", "2048\n", Some("DEVNAME=loop4p1\n"));
        fs::write(p.join("partition"), "1\n").unwrap();
        fake_dev(&root, "dm-0", "100\n", Some("DEVNAME=mapper/seed\n"));
        fake_dev(&root, "nvme0n1", "garbage", None);
        let paths = Paths {
            sys_dir: root.clone(),
            dev_dir: "/dev".into(),
            ..Paths::default()
        };
        let got: Vec<(String, PathBuf)> = candidates(&paths)
            .into_iter()
            .map(|c| (c.name, c.node))
            .collect();
        let want: Vec<(String, PathBuf)> = [
            ("dm-0", "/dev/mapper/seed"),
            ("loop2", "/dev/loop2"),
            ("loop3", "/dev/loop3"),
            ("loop3p1", "/dev/loop3p1"),
            ("sda1", "/dev/sda1"),
            ("vdb", "/dev/vdb"),
        ]
        .iter()
        .map(|(n, p)| (n.to_string(), PathBuf::from(*p)))
        .collect();
        assert_eq!(got, want);
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn loop_partition_names() {
        assert_eq!(loop_disk_of_partition("loop0p1"), Some("loop0"));
        assert_eq!(loop_disk_of_partition("loop12p34"), Some("loop12"));
        for n in ["loop0", "loopp1", "loop0p", "loopxp1", "sda1", "nvme0n1p1"] {
            assert_eq!(loop_disk_of_partition(n), None, "{n}");
        }
    }

    #[test]
    fn missing_sysfs_gives_nothing() {
        let paths = Paths {
            sys_dir: "/nonexistent-cloudseed".into(),
            ..Paths::default()
        };
        assert!(candidates(&paths).is_empty());
    }
}
