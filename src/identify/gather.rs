//! STUB from the `exec` branch (see mod.rs): the command line, the volumes
//! and the DMI serial. The image config under `root` is ident's to read
//! (the stub's identify() does not use it).

use super::{Facts, Filesystem};
use crate::paths::Paths;
use std::path::Path;

pub fn gather(
    paths: &Paths,
    root: Option<&Path>,
    cmdline: &str,
    filesystems: Vec<Filesystem>,
) -> Facts {
    let _ = root;
    let dmi = std::fs::read_to_string(paths.dmi_serial())
        .map(|v| vec![("product_serial".to_string(), v.trim().to_string())])
        .unwrap_or_default();
    Facts {
        cmdline: cmdline.to_string(),
        dmi,
        filesystems,
        ..Facts::default()
    }
}
