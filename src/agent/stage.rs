//! The state between the two phases: phase 1 (`run --stage`) leaves what it
//! chose in `RUN/cloudseed/stage/` (mode 0700, on the same tmpfs as the
//! hand-off, seed files already in their final modes) and `state`;
//! phase 2 (`handoff`) reads it, identifies, renames the seed files into
//! place and completes `report.json`.

use crate::prelude::*;

use super::{finish, ms_since, parse_cmdline, Gathered, Job};
use crate::handoff;
use crate::identify::Filesystem;
use crate::os::path::{Path, PathBuf};
use crate::plan::{self, Action, Chosen};
use crate::report::Report;
use crate::seed::Seed;
use crate::sys;
use crate::time::Instant;

const STATE: &str = "state";
const BODY: &str = "cloud-config-url";
const FORMAT: u32 = 1;

#[derive(Debug, Default, PartialEq)]
struct State {
    format: u32,
    cmdline: String,
    dmi_serial: Option<String>,
    /// Phase 1's exit code.
    exit_code: u8,
    /// The checks passed and identification decides (else phase 1 was final).
    pending: bool,
    seed_origin: Option<String>,
    /// Seed files staged, by name.
    seed_files: Vec<String>,
    configdrive: Option<String>,
    body: bool,
    failed: bool,
    cc_list: bool,
    filesystems: Vec<Fs>,
}

#[derive(Debug, Default, PartialEq)]
struct Fs {
    device: String,
    fstype: String,
    label: String,
    uuid: String,
}

pub(super) fn dir(job: &Job) -> PathBuf {
    job.paths.report_dir().join("stage")
}

/// Phase 1's end: stages what was chosen. Returns the exit code.
pub(super) fn save(job: &Job, g: Gathered, report: &mut Report) -> u8 {
    let t = sys::now();
    let dir = dir(job);
    let _ = crate::os::fs::remove_dir_all(&dir);
    let mut state = State {
        format: FORMAT,
        cmdline: job.cmdline_text.clone(),
        dmi_serial: job.dmi_serial.clone(),
        exit_code: g.plan.exit,
        filesystems: g
            .filesystems
            .into_iter()
            .map(|f| Fs {
                device: f.device,
                fstype: f.fstype,
                label: f.label,
                uuid: f.uuid,
            })
            .collect(),
        ..State::default()
    };
    let res = (|| {
        handoff::make_dir(&job.paths.report_dir(), 0o755)?;
        handoff::make_dir(&dir, 0o700)?;
        if let Action::Pending(c) = &g.plan.action {
            state.pending = true;
            if let Some((seed, origin)) = &c.seed {
                state.seed_origin = Some(origin.clone());
                for (name, data, mode) in seed_files(seed) {
                    handoff::write_atomic(&dir, name, data, mode)?;
                    state.seed_files.push(name.to_string());
                }
            }
            if let Some(b) = &c.body {
                handoff::write_atomic(&dir, BODY, b, 0o600)?;
                state.body = true;
            }
            state.configdrive = c.configdrive.clone();
            state.failed = c.failed;
            state.cc_list = c.cc_list;
        }
        handoff::write_atomic(&dir, STATE, state.encode().as_bytes(), 0o600)
    })();
    report.phase("stage", ms_since(t));
    match res {
        Ok(_) => g.plan.exit,
        Err(e) => {
            report.error(format!("stage: {e}"));
            let _ = crate::os::fs::remove_dir_all(&dir);
            plan::failure(&g.cmd)
        }
    }
}

/// `key=value` lines, values escaped (`\\`, `\n`, `\t`): a format this
/// small needs no parser crate, and the binary stays inside its size budget.
impl State {
    fn encode(&self) -> String {
        let mut out = String::new();
        let mut put = |k: &str, v: &str| {
            out.push_str(k);
            out.push('=');
            for c in v.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\t' => out.push_str("\\t"),
                    '\r' => out.push_str("\\r"),
                    c => out.push(c),
                }
            }
            out.push('\n');
        };
        let flag = |b: bool| if b { "1" } else { "0" };
        put("format", &self.format.to_string());
        put("cmdline", &self.cmdline);
        if let Some(d) = &self.dmi_serial {
            put("dmi_serial", d);
        }
        put("exit_code", &self.exit_code.to_string());
        put("pending", flag(self.pending));
        if let Some(o) = &self.seed_origin {
            put("seed_origin", o);
        }
        for f in &self.seed_files {
            put("seed_file", f);
        }
        if let Some(c) = &self.configdrive {
            put("configdrive", c);
        }
        put("body", flag(self.body));
        put("failed", flag(self.failed));
        put("cc_list", flag(self.cc_list));
        for f in &self.filesystems {
            put("fs_device", &f.device);
            put("fs_type", &f.fstype);
            put("fs_label", &f.label);
            put("fs_uuid", &f.uuid);
        }
        out
    }

    fn decode(text: &str) -> Option<State> {
        let mut s = State::default();
        for line in text.lines() {
            let (k, raw) = line.split_once('=')?;
            let mut v = String::new();
            let mut it = raw.chars();
            while let Some(c) = it.next() {
                v.push(match (c, c == '\\') {
                    (_, true) => match it.next()? {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        '\\' => '\\',
                        _ => return None,
                    },
                    (c, false) => c,
                });
            }
            let yes = v == "1";
            match k {
                "format" => s.format = v.parse().ok()?,
                "cmdline" => s.cmdline = v,
                "dmi_serial" => s.dmi_serial = Some(v),
                "exit_code" => s.exit_code = v.parse().ok()?,
                "pending" => s.pending = yes,
                "seed_origin" => s.seed_origin = Some(v),
                "seed_file" => s.seed_files.push(v),
                "configdrive" => s.configdrive = Some(v),
                "body" => s.body = yes,
                "failed" => s.failed = yes,
                "cc_list" => s.cc_list = yes,
                "fs_device" => s.filesystems.push(Fs {
                    device: v,
                    ..Fs::default()
                }),
                "fs_type" => s.filesystems.last_mut()?.fstype = v,
                "fs_label" => s.filesystems.last_mut()?.label = v,
                "fs_uuid" => s.filesystems.last_mut()?.uuid = v,
                _ => return None,
            }
        }
        Some(s)
    }
}

/// The seed's files with their hand-off modes (INTEROP section 2).
fn seed_files(s: &Seed) -> Vec<(&'static str, &[u8], u32)> {
    let mut v = vec![
        ("meta-data", s.meta_data.as_slice(), 0o644),
        ("user-data", s.user_data.as_slice(), 0o600),
    ];
    if let Some(d) = &s.vendor_data {
        v.push(("vendor-data", d, 0o600));
    }
    if let Some(d) = &s.network_config {
        v.push(("network-config", d, 0o600));
    }
    v
}

fn load(dir: &Path) -> Result<State, String> {
    let p = dir.join(STATE);
    let text = crate::os::fs::read_to_string(&p).map_err(|e| {
        format!(
            "no staged state at {} ({e}): did `cloudseed run --stage` run?",
            p.display()
        )
    })?;
    let s =
        State::decode(&text).ok_or_else(|| format!("{}: not a cloudseed state", p.display()))?;
    if s.format != FORMAT {
        return Err(format!("{}: state format {}", p.display(), s.format));
    }
    Ok(s)
}

/// Phase 2: identification against the mounted root, the plan, the
/// hand-off; completes report.json. Returns the exit code (phase 1's
/// failure included).
pub(super) fn hand_off(job: &Job, start: Instant, mut report: Report) -> u8 {
    let dir = dir(job);
    let state = match load(&dir) {
        Ok(s) => s,
        Err(e) => {
            report.error(format!("handoff: {e}"));
            report.exit_code = plan::EXIT_SOURCE_FAILED;
            complete_report(job, &report);
            return plan::EXIT_SOURCE_FAILED;
        }
    };
    let job2 = Job {
        paths: job.paths.clone(),
        cmdline_text: state.cmdline.clone(),
        dmi_serial: state.dmi_serial.clone(),
        devices: None,
        no_network: job.no_network,
        timeout: job.timeout,
        kmsg: job.kmsg,
        mode: job.mode,
        root: job.root.clone(),
        generator: job.generator,
    };
    let cmd = parse_cmdline(&job2);
    if cmd.knobs.debug {
        log::set_max_level(log::LevelFilter::Debug);
    }
    let action = if state.pending {
        match chosen(&dir, &state) {
            Ok(c) => Action::Pending(c),
            Err(e) => {
                report.error(format!("handoff: staged file: {e}"));
                Action::Refused {
                    reason: "the staged files are unreadable".into(),
                }
            }
        }
    } else {
        Action::Nothing {
            reason: "phase 1 finished the job: nothing to identify".into(),
        }
    };
    let g = Gathered {
        cmd,
        plan: plan::Plan {
            action,
            exit: state.exit_code,
            errors: vec![],
            warnings: vec![],
            notes: vec![],
        },
        filesystems: state
            .filesystems
            .into_iter()
            .map(|f| Filesystem {
                device: f.device,
                fstype: f.fstype,
                label: f.label,
                uuid: f.uuid,
            })
            .collect(),
    };
    let code = finish(&job2, g, Some(&dir), &mut report);
    let _ = crate::os::fs::remove_dir_all(&dir);
    report.phase("handoff-total", ms_since(start));
    report.exit_code = code;
    complete_report(job, &report);
    code
}

fn chosen(dir: &Path, s: &State) -> crate::os::io::Result<Chosen> {
    let read = |name: &str| crate::os::fs::read(dir.join(name));
    let has = |name: &str| s.seed_files.iter().any(|f| f == name);
    let seed = match &s.seed_origin {
        Some(origin) => Some((
            Seed {
                meta_data: read("meta-data")?,
                user_data: read("user-data")?,
                vendor_data: has("vendor-data")
                    .then(|| read("vendor-data"))
                    .transpose()?,
                network_config: has("network-config")
                    .then(|| read("network-config"))
                    .transpose()?,
            },
            origin.clone(),
        )),
        None => None,
    };
    Ok(Chosen {
        seed,
        configdrive: s.configdrive.clone(),
        body: s.body.then(|| read(BODY)).transpose()?,
        failed: s.failed,
        cc_list: s.cc_list,
    })
}

/// Merges phase 2's entries into phase 1's report.json (or writes phase 2's
/// alone when there is none).
fn complete_report(job: &Job, report: &Report) {
    let path = job.paths.report_dir().join("report.json");
    let merged = crate::os::fs::read_to_string(&path)
        .ok()
        .and_then(|base| crate::report::merge_json(&base, report));
    let res = match merged {
        Some(mut json) => {
            json.push('\n');
            handoff::make_dir(&job.paths.report_dir(), 0o755).and_then(|()| {
                handoff::write_atomic(
                    &job.paths.report_dir(),
                    "report.json",
                    json.as_bytes(),
                    0o644,
                )
                .map(|_| ())
            })
        }
        None => handoff::write_report(&job.paths, report),
    };
    if let Err(e) = res {
        log::error!("report: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_any_text() {
        let s = State {
            format: FORMAT,
            cmdline: "quiet a\\b\\n c\td=e\n\u{e9}\r".into(),
            dmi_serial: Some("ds=nocloud;s=http://x/".into()),
            exit_code: 3,
            pending: true,
            seed_origin: Some("NoCloud seed from vfat volume /dev/vdb".into()),
            seed_files: vec!["meta-data".into(), "user-data".into()],
            configdrive: None,
            body: true,
            failed: false,
            cc_list: true,
            filesystems: vec![Fs {
                device: "/dev/vdb".into(),
                fstype: "vfat".into(),
                label: "ci\tdata".into(),
                uuid: String::new(),
            }],
        };
        assert_eq!(State::decode(&s.encode()), Some(s));
        assert_eq!(State::decode("bogus=1\n"), None);
        assert_eq!(State::decode("cmdline=a\\q\n"), None);
    }
}
