//! The machine-readable report, `/run/cloudseed/report.json`: what was asked,
//! what was probed, what was chosen and written, how long each phase took.
//! Never holds user-data or URL query strings.

use miniserde::Serialize;

#[derive(Serialize, Debug, Default)]
pub struct Report {
    pub version: String,
    /// What the kernel command line asked for (URLs redacted).
    pub asked: Asked,
    pub devices: Vec<DeviceEntry>,
    /// The source handed to cloud-init, e.g. "nocloud:/dev/vdb", or null.
    pub source: Option<String>,
    pub files: Vec<FileEntry>,
    pub phases: Vec<Phase>,
    pub network: Option<NetworkEntry>,
    /// Each DHCP, DNS or HTTP attempt, in order.
    pub attempts: Vec<Attempt>,
    pub warnings: Vec<String>,
    pub errors: Vec<String>,
    pub exit_code: u8,
    /// ds-identify's decision as identification saw it (phase 2), or null.
    pub identification: Option<String>,
    /// Why nothing was handed off although a source was found, or null.
    pub stand_aside: Option<String>,
}

#[derive(Serialize, Debug, Default)]
pub struct Asked {
    pub cloud_config_url: Option<String>,
    pub nocloud_seed: Option<String>,
    pub nocloud_origin: Option<String>,
    pub cloud_init_disabled: bool,
    pub required: bool,
    pub ip: bool,
    pub bootif: Option<String>,
    pub timeout_s: u64,
}

#[derive(Serialize, Debug, Default, Clone)]
pub struct DeviceEntry {
    pub name: String,
    /// "vfat", "iso9660", or null when neither.
    pub fs: Option<String>,
    pub label: Option<String>,
    /// "nocloud", "config-2", "no match", "error: …", "skipped: …".
    pub verdict: String,
}

#[derive(Serialize, Debug, Default, Clone)]
pub struct FileEntry {
    /// Path under the run dir, e.g. "cloud-init/seed/nocloud/user-data".
    pub path: String,
    pub size: u64,
    pub mode: String,
    pub sha256: String,
}

#[derive(Serialize, Debug, Default, Clone)]
pub struct Phase {
    pub name: String,
    pub ms: u64,
}

#[derive(Serialize, Debug, Default, Clone)]
pub struct NetworkEntry {
    pub interface: Option<String>,
    /// Why this interface: "BOOTIF", "ip=", "cloudseed.interface", "first lease", "existing address".
    pub reason: Option<String>,
    pub mac: Option<String>,
    pub address: Option<String>,
    pub prefix: Option<u8>,
    pub gateway: Option<String>,
    pub dns: Vec<String>,
    pub server: Option<String>,
    pub lease_s: Option<u32>,
    /// "kept" or "torn down".
    pub left: Option<String>,
}

#[derive(Serialize, Debug, Default, Clone)]
pub struct Attempt {
    /// "dhcp", "dns", "http".
    pub kind: String,
    /// Interface, name or URL (redacted).
    pub target: String,
    pub ms: u64,
    /// "ok", "200", "404", "timeout", "refused", …
    pub outcome: String,
}

impl Report {
    pub fn new() -> Self {
        Report {
            version: env!("CARGO_PKG_VERSION").to_string(),
            ..Report::default()
        }
    }

    pub fn warn(&mut self, msg: impl Into<String>) {
        let msg = msg.into();
        log::warn!("{msg}");
        self.warnings.push(msg);
    }

    pub fn error(&mut self, msg: impl Into<String>) {
        let msg = msg.into();
        log::error!("{msg}");
        self.errors.push(msg);
    }

    pub fn phase(&mut self, name: &str, ms: u64) {
        self.phases.push(Phase {
            name: name.to_string(),
            ms,
        });
    }

    pub fn attempt(
        &mut self,
        kind: &str,
        target: impl Into<String>,
        ms: u64,
        outcome: impl Into<String>,
    ) {
        self.attempts.push(Attempt {
            kind: kind.to_string(),
            target: target.into(),
            ms,
            outcome: outcome.into(),
        });
    }

    pub fn to_json(&self) -> String {
        miniserde::json::to_string(self)
    }
}

/// Phase 2's report merged into phase 1's JSON (`base`): its files, phases,
/// attempts, warnings and errors appended; its source, identification,
/// stand_aside and exit_code set. `None` when `base` is not a JSON object.
pub fn merge_json(base: &str, add: &Report) -> Option<String> {
    use miniserde::json::{Number, Object, Value};
    let mut base: Object = miniserde::json::from_str(base).ok()?;
    let exit_code = add.exit_code;
    let add: Object = miniserde::json::from_str(&add.to_json()).ok()?;
    for (k, v) in add {
        match (k.as_str(), v) {
            ("files" | "phases" | "attempts" | "warnings" | "errors", Value::Array(a)) => {
                match base.get_mut(&k) {
                    Some(Value::Array(b)) => b.extend(a),
                    _ => {
                        base.insert(k, Value::Array(a));
                    }
                }
            }
            ("source" | "identification" | "stand_aside", v) if !matches!(v, Value::Null) => {
                base.insert(k, v);
            }
            _ => {}
        }
    }
    base.insert(
        "exit_code".into(),
        Value::Number(Number::U64(exit_code.into())),
    );
    Some(miniserde::json::to_string(&base))
}
