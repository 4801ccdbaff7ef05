//! STUB from the `exec` branch (see mod.rs): reads the DMI serial and, with a
//! root, the image's cloud-init config.

use super::{Facts, Filesystem, ImageConfig};
use crate::paths::Paths;
use std::path::Path;

pub fn gather(
    paths: &Paths,
    root: Option<&Path>,
    cmdline: &str,
    filesystems: Vec<Filesystem>,
) -> Facts {
    let read = |p: &Path| std::fs::read_to_string(p).ok();
    let mut config = ImageConfig::default();
    if let Some(root) = root {
        config.cloud_cfg = read(&root.join("etc/cloud/cloud.cfg"));
        config.ds_identify_cfg = read(&root.join("etc/cloud/ds-identify.cfg"));
        if let Ok(rd) = std::fs::read_dir(root.join("etc/cloud/cloud.cfg.d")) {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if let (true, Some(t)) = (name.ends_with(".cfg"), read(&e.path())) {
                    config.cloud_cfg_d.push((name, t));
                }
            }
        }
        config.cloud_cfg_d.sort();
    }
    let dmi = read(&paths.dmi_serial())
        .map(|v| vec![("product_serial".to_string(), v.trim().to_string())])
        .unwrap_or_default();
    Facts {
        cmdline: cmdline.to_string(),
        dmi,
        filesystems,
        config,
        ..Facts::default()
    }
}
