//! STUB from the `exec` branch, replaced at merge by the `ident` branch's
//! module (same names, see IDENTIFY-API.md). It answers as ds-identify does
//! on a machine with no DMI match: the built-in default list filtered to
//! what was found, else disabled.

pub mod gather;

pub use gather::gather;

/// One probed block device (blkid's view).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filesystem {
    pub device: String,
    pub fstype: String,
    pub label: String,
    pub uuid: String,
}

/// The booted root's cloud-init config, as text.
#[derive(Debug, Clone, Default)]
pub struct ImageConfig {
    pub cloud_cfg: Option<String>,
    pub cloud_cfg_d: Vec<(String, String)>,
    pub ds_identify_cfg: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub cmdline: String,
    pub dmi: Vec<(String, String)>,
    pub virt: Option<String>,
    pub container: Option<String>,
    pub arch: String,
    pub filesystems: Vec<Filesystem>,
    pub config: ImageConfig,
    pub root_files: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    Enabled {
        datasource_list: Vec<String>,
        reason: String,
    },
    Disabled {
        reason: String,
    },
    Unknown {
        reason: String,
    },
}

pub fn identify(facts: &Facts) -> Decision {
    let label = |names: &[&str]| {
        facts
            .filesystems
            .iter()
            .any(|f| names.contains(&f.label.as_str()))
    };
    let serial = facts
        .dmi
        .iter()
        .find(|(k, _)| k == "product_serial")
        .map_or("", |(_, v)| v.as_str());
    let nocloud_line = |s: &str| format!(" {s} ").contains(" ds=nocloud");
    let mut list = Vec::new();
    if label(&["config-2", "CONFIG-2"]) {
        list.push("ConfigDrive".to_string());
    }
    if label(&["cidata", "CIDATA"]) || nocloud_line(&facts.cmdline) || nocloud_line(serial) {
        list.push("NoCloud".to_string());
    }
    if list.is_empty() {
        return Decision::Disabled {
            reason: "no datasource found (stub)".into(),
        };
    }
    list.push("None".into());
    Decision::Enabled {
        datasource_list: list,
        reason: "found (stub)".into(),
    }
}
