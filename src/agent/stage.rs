//! The state between the two phases: phase 1 (`run --stage`) leaves what it
//! chose in `RUN/cloudseed/stage/` (mode 0700, on the same tmpfs as the
//! hand-off, seed files already in their final modes) and `state.json`;
//! phase 2 (`handoff`) reads it, identifies, renames the seed files into
//! place and completes `report.json`.

use super::{finish, ms_since, parse_cmdline, Gathered, Job};
use crate::handoff;
use crate::identify::Filesystem;
use crate::plan::{self, Action, Chosen};
use crate::report::Report;
use crate::seed::Seed;
use crate::sys;
use crate::time::Instant;
use miniserde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

const STATE: &str = "state.json";
const BODY: &str = "cloud-config-url";
const FORMAT: u32 = 1;

#[derive(Serialize, Deserialize, Debug, Default)]
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

#[derive(Serialize, Deserialize, Debug, Default)]
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
    let _ = std::fs::remove_dir_all(&dir);
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
        ..<State as Default>::default()
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
        let json = miniserde::json::to_string(&state);
        handoff::write_atomic(&dir, STATE, json.as_bytes(), 0o600)
    })();
    report.phase("stage", ms_since(t));
    match res {
        Ok(_) => g.plan.exit,
        Err(e) => {
            report.error(format!("stage: {e}"));
            let _ = std::fs::remove_dir_all(&dir);
            plan::failure(&g.cmd)
        }
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
    let text = std::fs::read_to_string(&p).map_err(|e| {
        format!(
            "no staged state at {} ({e}): did `cloudseed run --stage` run?",
            p.display()
        )
    })?;
    let s: State = miniserde::json::from_str(&text)
        .map_err(|_| format!("{}: not a cloudseed state", p.display()))?;
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
    let _ = std::fs::remove_dir_all(&dir);
    report.phase("handoff-total", ms_since(start));
    report.exit_code = code;
    complete_report(job, &report);
    code
}

fn chosen(dir: &Path, s: &State) -> std::io::Result<Chosen> {
    let read = |name: &str| std::fs::read(dir.join(name));
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
    let merged = std::fs::read_to_string(&path)
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
