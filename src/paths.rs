//! Every path the agent touches, derived from a few roots, so tests can point
//! `/sys` and `/run` at temporary directories and need no root.

use crate::os::path::{Path, PathBuf};

#[derive(Clone, Debug)]
pub struct Paths {
    pub proc_dir: PathBuf,
    pub sys_dir: PathBuf,
    pub dev_dir: PathBuf,
    pub run_dir: PathBuf,
}

impl Default for Paths {
    fn default() -> Self {
        Paths {
            proc_dir: "/proc".into(),
            sys_dir: "/sys".into(),
            dev_dir: "/dev".into(),
            run_dir: "/run".into(),
        }
    }
}

impl Paths {
    pub fn cmdline(&self) -> PathBuf {
        self.proc_dir.join("cmdline")
    }
    /// DMI serial: QEMU's `-smbios type=1,serial=ds=nocloud;s=…` lands here.
    pub fn dmi_serial(&self) -> PathBuf {
        self.sys_dir.join("class/dmi/id/product_serial")
    }
    /// `/sys/class/dmi/id/<key>` for `__dmi.<key>__` substitution.
    pub fn dmi_key(&self, key: &str) -> PathBuf {
        self.sys_dir.join("class/dmi/id").join(key)
    }
    pub fn class_block(&self) -> PathBuf {
        self.sys_dir.join("class/block")
    }
    pub fn class_net(&self) -> PathBuf {
        self.sys_dir.join("class/net")
    }
    pub fn dev_node(&self, name: &str) -> PathBuf {
        self.dev_dir.join(name)
    }
    pub fn cloud_init_dir(&self) -> PathBuf {
        self.run_dir.join("cloud-init")
    }
    pub fn nocloud_seed_dir(&self) -> PathBuf {
        self.cloud_init_dir().join("seed/nocloud")
    }
    pub fn report_dir(&self) -> PathBuf {
        self.run_dir.join("cloudseed")
    }
    /// What `seedfrom` must say in cloud.cfg: the seed as seen from the booted
    /// root, where our run dir is `/run` whatever `--run-dir` said.
    pub fn seedfrom_url() -> &'static str {
        "file:///run/cloud-init/seed/nocloud/"
    }
    pub fn relative_to_run<'a>(&self, p: &'a Path) -> &'a Path {
        p.strip_prefix(&self.run_dir).unwrap_or(p)
    }
}
