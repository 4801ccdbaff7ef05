//! The machine-readable report, `/run/cloudseed/report.json`: what was asked,
//! what was probed, what was chosen and written, how long each phase took.
//! Never holds user-data or URL query strings.

use crate::prelude::*;

use alloc::borrow::Cow;
use core::fmt;
use core::net::Ipv4Addr;
use miniserde::ser::Fragment;
use miniserde::Serialize;

/// Serializes an enum as its `Display` string, so the JSON keeps the words
/// it always had while the code handles variants.
macro_rules! serialize_as_display {
    ($($t:ty),*) => {$(
        impl Serialize for $t {
            fn begin(&self) -> Fragment<'_> {
                Fragment::Str(Cow::Owned(self.to_string()))
            }
        }
    )*};
}

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
    /// "nocloud", "config-2", "no match", "error: …".
    pub verdict: Verdict,
}

/// What a probed device turned out to be.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub enum Verdict {
    NoCloud,
    ConfigDrive,
    #[default]
    NoMatch,
    /// The device could not be read (the error's one-line message).
    Error(String),
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::NoCloud => f.write_str("nocloud"),
            Verdict::ConfigDrive => f.write_str("config-2"),
            Verdict::NoMatch => f.write_str("no match"),
            Verdict::Error(e) => write!(f, "error: {e}"),
        }
    }
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
    pub left: Option<Left>,
}

/// What was left of the network afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Left {
    Kept,
    TornDown,
}

impl fmt::Display for Left {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Left::Kept => "kept",
            Left::TornDown => "torn down",
        })
    }
}

#[derive(Serialize, Debug, Clone)]
pub struct Attempt {
    /// "dhcp", "dns", "http".
    pub kind: AttemptKind,
    /// Interface, name or URL (redacted).
    pub target: String,
    pub ms: u64,
    /// "ok", "200", "404", "timeout", "refused", …
    pub outcome: Outcome,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptKind {
    Dhcp,
    Dns,
    Http,
}

impl fmt::Display for AttemptKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AttemptKind::Dhcp => "dhcp",
            AttemptKind::Dns => "dns",
            AttemptKind::Http => "http",
        })
    }
}

/// How one DHCP, DNS or HTTP attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// DNS: an address.
    Ok,
    /// DHCP: a lease (on the winning link), or dropped (another link won).
    Bound,
    Dropped,
    Nak {
        server: Ipv4Addr,
    },
    /// HTTP: the response status.
    Status(u16),
    Timeout,
    Refused,
    Reset,
    Aborted,
    BrokenPipe,
    Unreachable,
    /// The reply ended early, or DNS answered with TC set.
    Truncated,
    OverLimit,
    Malformed,
    Unsupported,
    /// SIGTERM or SIGINT cut it short.
    Interrupted,
    /// DNS: NXDOMAIN, no A record, SERVFAIL and friends, a bad name.
    NoSuchName,
    NoData,
    ServerError,
    BadName,
    SocketError,
    SendFailed,
    /// Any other failure.
    Failed,
}

impl Outcome {
    /// The word for a socket error, from its kind.
    pub fn of_io(kind: crate::os::io::ErrorKind) -> Outcome {
        use crate::os::io::ErrorKind as K;
        match kind {
            K::TimedOut | K::WouldBlock => Outcome::Timeout,
            K::ConnectionRefused => Outcome::Refused,
            K::ConnectionReset => Outcome::Reset,
            K::ConnectionAborted => Outcome::Aborted,
            K::BrokenPipe => Outcome::BrokenPipe,
            K::HostUnreachable | K::NetworkUnreachable => Outcome::Unreachable,
            _ => Outcome::Failed,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = match self {
            Outcome::Nak { server } => return write!(f, "nak from {server}"),
            Outcome::Status(s) => return write!(f, "{s}"),
            Outcome::Ok => "ok",
            Outcome::Bound => "bound",
            Outcome::Dropped => "dropped",
            Outcome::Timeout => "timeout",
            Outcome::Refused => "refused",
            Outcome::Reset => "reset",
            Outcome::Aborted => "aborted",
            Outcome::BrokenPipe => "broken pipe",
            Outcome::Unreachable => "unreachable",
            Outcome::Truncated => "truncated",
            Outcome::OverLimit => "over limit",
            Outcome::Malformed => "malformed",
            Outcome::Unsupported => "unsupported",
            Outcome::Interrupted => "interrupted",
            Outcome::NoSuchName => "nxdomain",
            Outcome::NoData => "no data",
            Outcome::ServerError => "server error",
            Outcome::BadName => "bad name",
            Outcome::SocketError => "socket error",
            Outcome::SendFailed => "send failed",
            Outcome::Failed => "error",
        };
        f.write_str(word)
    }
}

serialize_as_display!(Verdict, Left, AttemptKind, Outcome);

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
        kind: AttemptKind,
        target: impl Into<String>,
        ms: u64,
        outcome: Outcome,
    ) {
        self.attempts.push(Attempt {
            kind,
            target: target.into(),
            ms,
            outcome,
        });
    }

    pub fn to_json(&self) -> String {
        miniserde::json::to_string(self)
    }
}

/// Phase 2's report merged into phase 1's JSON (`base`): its files, phases,
/// attempts, warnings and errors appended; its source, identification,
/// stand_aside and exit_code set; every other key as phase 1 wrote it, in
/// its order. `None` when `base` is not a JSON object. Works on the text
/// (both sides are miniserde's output): no JSON tree, no number parsing.
pub fn merge_json(base: &str, add: &Report) -> Option<String> {
    let add_json = add.to_json();
    let mut merged = top_level(base)?;
    for (k, v) in top_level(&add_json)? {
        let slot = merged.iter_mut().find(|(k2, _)| *k2 == k);
        let appended = matches!(k, "files" | "phases" | "attempts" | "warnings" | "errors");
        let set = matches!(k, "source" | "identification" | "stand_aside") && v != "null";
        match slot {
            Some((_, old)) if appended => *old = concat_arrays(old, &v)?,
            Some((_, old)) if set || k == "exit_code" => *old = v.to_string(),
            None if appended || set || k == "exit_code" => merged.push((k, v.to_string())),
            _ => {}
        }
    }
    let body: Vec<String> = merged.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
    Some(format!("{{{}}}", body.join(",")))
}

/// `[a…]` and `[b…]` → `[a…,b…]`.
fn concat_arrays(a: &str, b: &str) -> Option<String> {
    let ia = a.strip_prefix('[')?.strip_suffix(']')?.trim();
    let ib = b.strip_prefix('[')?.strip_suffix(']')?.trim();
    Some(match (ia.is_empty(), ib.is_empty()) {
        (true, _) => format!("[{ib}]"),
        (_, true) => format!("[{ia}]"),
        _ => format!("[{ia},{ib}]"),
    })
}

/// The top-level keys of a JSON object (plain keys, as our structs have)
/// with the raw text of each value.
fn top_level(json: &str) -> Option<Vec<(&str, String)>> {
    let b = json.trim().as_bytes();
    let text = json.trim();
    if b.first() != Some(&b'{') || b.last() != Some(&b'}') {
        return None;
    }
    let mut out = Vec::new();
    let mut i = 1;
    let skip_ws = |i: &mut usize| {
        while *i < b.len() && b[*i].is_ascii_whitespace() {
            *i += 1
        }
    };
    loop {
        skip_ws(&mut i);
        match b.get(i)? {
            b'}' => return Some(out),
            b',' => {
                i += 1;
                continue;
            }
            b'"' => {}
            _ => return None,
        }
        let kend = i + 1 + text[i + 1..].find('"')?;
        let key = &text[i + 1..kend];
        i = kend + 1;
        skip_ws(&mut i);
        if b.get(i)? != &b':' {
            return None;
        }
        i += 1;
        skip_ws(&mut i);
        let start = i;
        i = skip_value(b, i)?;
        out.push((key, text[start..i].to_string()));
    }
}

/// The index just past the JSON value starting at `i`.
fn skip_value(b: &[u8], mut i: usize) -> Option<usize> {
    let mut depth = 0usize;
    loop {
        match *b.get(i)? {
            b'"' => {
                i += 1;
                loop {
                    match *b.get(i)? {
                        b'\\' => i += 2,
                        b'"' => break,
                        _ => i += 1,
                    }
                }
            }
            b'[' | b'{' => depth += 1,
            b']' | b'}' if depth == 0 => return Some(i),
            b']' | b'}' => depth -= 1,
            b',' if depth == 0 => return Some(i),
            _ => {}
        }
        i += 1;
        if depth == 0 && matches!(b.get(i), Some(b',' | b'}' | b']') | None) {
            return Some(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_serialize_to_the_words_of_the_report() {
        let mut r = Report::new();
        r.attempt(AttemptKind::Http, "http://h/x", 3, Outcome::Status(404));
        r.attempt(
            AttemptKind::Dhcp,
            "eth0",
            1,
            Outcome::Nak {
                server: Ipv4Addr::new(10, 0, 0, 1),
            },
        );
        r.attempt(AttemptKind::Dns, "h", 2, Outcome::NoSuchName);
        r.devices.push(DeviceEntry {
            name: "/dev/vdb".into(),
            verdict: Verdict::Error("timed out: x".into()),
            ..DeviceEntry::default()
        });
        r.devices.push(DeviceEntry {
            verdict: Verdict::ConfigDrive,
            ..DeviceEntry::default()
        });
        r.network = Some(NetworkEntry {
            left: Some(Left::TornDown),
            ..NetworkEntry::default()
        });
        let j = r.to_json();
        for want in [
            r#""kind":"http","target":"http://h/x","ms":3,"outcome":"404""#,
            r#""kind":"dhcp","target":"eth0","ms":1,"outcome":"nak from 10.0.0.1""#,
            r#""kind":"dns","target":"h","ms":2,"outcome":"nxdomain""#,
            r#""verdict":"error: timed out: x""#,
            r#""verdict":"config-2""#,
            r#""left":"torn down""#,
        ] {
            assert!(j.contains(want), "{want} not in {j}");
        }
    }

    #[test]
    fn phase_2_completes_phase_1s_report() {
        let mut p1 = Report::new();
        p1.devices.push(DeviceEntry {
            name: "/dev/vdb".into(),
            verdict: Verdict::Error("nocloud, \"quoted\" ]}".into()),
            ..DeviceEntry::default()
        });
        p1.phase("scan", 3);
        p1.warnings.push("w1".into());
        p1.exit_code = 1;
        let mut p2 = Report::new();
        p2.phase("identify", 1);
        p2.source = Some("NoCloud seed from vfat volume /dev/vdb".into());
        p2.identification = Some("enabled: [ NoCloud, None ]".into());
        p2.files.push(FileEntry {
            path: "cloud-init/cloud.cfg".into(),
            ..FileEntry::default()
        });
        p2.exit_code = 3;
        let m = merge_json(&p1.to_json(), &p2).unwrap();
        let want = p1.to_json()
            .replace("\"source\":null", "\"source\":\"NoCloud seed from vfat volume /dev/vdb\"")
            .replace(
                "\"files\":[]",
                "\"files\":[{\"path\":\"cloud-init/cloud.cfg\",\"size\":0,\"mode\":\"\",\"sha256\":\"\"}]",
            )
            .replace(
                "{\"name\":\"scan\",\"ms\":3}",
                "{\"name\":\"scan\",\"ms\":3},{\"name\":\"identify\",\"ms\":1}",
            )
            .replace("\"exit_code\":1", "\"exit_code\":3")
            .replace("\"identification\":null", "\"identification\":\"enabled: [ NoCloud, None ]\"");
        assert_eq!(m, want);
        assert_eq!(merge_json("not json", &p2), None);
    }
}
