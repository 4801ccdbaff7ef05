//! The hand-off to cloud-init (INTEROP.md sections 1–4): a pure renderer of
//! `cloud.cfg` from typed data, and an atomic writer of the seed, `cloud.cfg`
//! and `.ds-identify.result`, in that order.

use crate::prelude::*;

use crate::error::{Error, Result};
use crate::os::fs;
use crate::os::io::Write;
use crate::os::path::{Path, PathBuf};
use crate::paths::Paths;
use crate::report::{FileEntry, Report};
use crate::seed::Seed;

/// Which datasource `cloud.cfg` names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Datasource {
    /// NoCloud reading our copy of the seed through `seedfrom`.
    NoCloud,
    /// ConfigDrive: identification only, cloud-init reads the drive itself.
    ConfigDrive,
}

/// Everything the hand-off writes, decided by the agent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Where the data came from, for the header comment (no secrets, one line).
    pub origin: String,
    pub datasource: Option<Datasource>,
    /// Files for `seed/nocloud/` (with `Datasource::NoCloud`).
    pub seed: Option<Seed>,
    /// A `cloud-config-url` body (starts with `#cloud-config`).
    pub system_config: Option<Vec<u8>>,
}

/// Rendered `cloud.cfg` plus what the renderer had to give up on.
#[derive(Debug, PartialEq, Eq)]
pub struct Rendered {
    pub text: Vec<u8>,
    pub warnings: Vec<String>,
}

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// One printable line for a YAML comment.
fn comment_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .take(200)
        .collect()
}

/// Renders `cloud.cfg` with the datasource's own list (`[ NoCloud, None ]`,
/// `[ ConfigDrive, None ]`). Pure: same plan, same bytes.
pub fn render_cloud_cfg(plan: &Plan) -> Rendered {
    render_listed(plan, None)
}

/// `datasource_list: [ A, B ]` as ds-identify writes it.
fn list_line(list: &[String]) -> String {
    format!("datasource_list: [ {} ]\n", list.join(", "))
}

/// Renders `cloud.cfg` naming `list` (ds-identify's decision) instead of the
/// datasource's own list; with no datasource, `list` alone is appended to
/// the `cloud-config-url` body.
pub fn render_listed(plan: &Plan, list: Option<&[String]>) -> Rendered {
    let own = |name: &str| list_line(&[name.to_string(), "None".to_string()]);
    let mut warnings = Vec::new();
    let mut keys = String::new();
    match plan.datasource {
        Some(Datasource::NoCloud) => {
            keys.push_str(&list.map_or_else(|| own("NoCloud"), list_line));
            keys.push_str("datasource:\n  NoCloud:\n");
            keys.push_str(&format!("    seedfrom: {}\n", Paths::seedfrom_url()));
            // Inline meta-data/user-data make cloud-init honour the inline
            // network-config; seedfrom then replaces them with the files.
            keys.push_str("    meta-data: {}\n    user-data: \"\"\n");
            if let Some(nc) = plan.seed.as_ref().and_then(|s| s.network_config.as_ref()) {
                match yaml_string(nc, 6) {
                    Some(v) => keys.push_str(&format!("    network-config: {v}")),
                    None => warnings.push(
                        "network-config is not valid UTF-8: written to the seed only, not inline"
                            .into(),
                    ),
                }
            }
        }
        Some(Datasource::ConfigDrive) => {
            keys.push_str(&list.map_or_else(|| own("ConfigDrive"), list_line))
        }
        None => keys.push_str(&list.map(list_line).unwrap_or_default()),
    }
    let header = format!("# cloudseed {VERSION}: {}\n", comment_safe(&plan.origin));
    let mut text = Vec::new();
    match &plan.system_config {
        Some(body) => {
            text.extend_from_slice(body);
            if !body.is_empty() && !body.ends_with(b"\n") {
                text.push(b'\n');
            }
            if !keys.is_empty() {
                match appendable(body) {
                    Ok(()) => {
                        text.extend_from_slice(header.as_bytes());
                        text.extend_from_slice(keys.as_bytes());
                    }
                    Err(why) => {
                        warnings.push(format!(
                            "cloud-config-url content {why}: it wins, the local seed is unreferenced"
                        ));
                    }
                }
            }
        }
        None => {
            text.extend_from_slice(header.as_bytes());
            text.extend_from_slice(keys.as_bytes());
        }
    }
    Rendered { text, warnings }
}

/// Whether a `cloud-config-url` body can take appended keys: `Ok`, or why
/// not (`"defines datasource keys"` when it sets its own).
pub fn body_appendable(body: &[u8]) -> core::result::Result<(), &'static str> {
    appendable(body)
}

/// Whether top-level block keys can be appended to this YAML document:
/// it must be a block mapping that defines neither `datasource_list` nor
/// `datasource` (cloud-init merges per file, so a second definition in the
/// same file would silently replace the URL's).
fn appendable(body: &[u8]) -> core::result::Result<(), &'static str> {
    let text = core::str::from_utf8(body).map_err(|_| "is not UTF-8")?;
    // Appending needs a line break; added to an unterminated block scalar it
    // would become part of the value.
    if !body.ends_with(b"\n")
        && text
            .lines()
            .last()
            .is_some_and(|l| l.starts_with([' ', '\t']))
    {
        return Err("ends inside an indented block without a newline");
    }
    let mut first = true;
    for line in text.lines() {
        let t = line.trim_end();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if t.starts_with("...") || (t.starts_with("---") && !first) {
            return Err("has several YAML documents");
        }
        let flow = |s: &str| s.starts_with('{') || s.starts_with('[');
        if first && (flow(t) || t.strip_prefix("---").is_some_and(|r| flow(r.trim_start()))) {
            return Err("is a flow collection");
        }
        if t.starts_with('?') {
            return Err("uses complex keys");
        }
        first = false;
        if line.starts_with([' ', '\t', '-']) {
            continue;
        }
        let key = t
            .split(':')
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches(['"', '\'']);
        if key == "datasource_list" || key == "datasource" {
            return Err("defines datasource keys");
        }
    }
    Ok(())
}

/// Characters PyYAML and cloud-init read back unchanged in a literal block:
/// printable, no CR or Unicode line separators (they would be folded into
/// `\n`), no byte-order mark.
fn block_safe(c: char) -> bool {
    matches!(c, '\t' | '\n' | ' '..='~')
        || (c >= '\u{a0}'
            && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
            && c != '\u{fffe}'
            && c != '\u{ffff}')
}

/// A YAML scalar holding exactly `bytes` as a string, ending with a newline:
/// a literal block (indented by `indent` spaces) when it round-trips, else a
/// double-quoted string with escapes. `None` when `bytes` is not UTF-8 (YAML
/// cannot carry it as a string).
pub fn yaml_string(bytes: &[u8], indent: usize) -> Option<String> {
    let s = core::str::from_utf8(bytes).ok()?;
    if !s.is_empty()
        && s.chars().all(block_safe)
        && s.trim_end_matches('\n')
            .contains(|c: char| c != ' ' && c != '\n' && c != '\t')
    {
        let body = s.trim_end_matches('\n');
        let trailing = s.len() - body.len();
        // Chomping: strip for none, clip for one, keep for several newlines.
        let chomp = match trailing {
            0 => "-",
            1 => "",
            _ => "+",
        };
        let pad = " ".repeat(indent);
        // The indentation indicator is relative to the parent key's column.
        let mut out = format!("|{}{chomp}\n", indent.saturating_sub(4).max(1));
        for line in body.split('\n') {
            if line.is_empty() {
                out.push('\n');
            } else {
                out.push_str(&pad);
                out.push_str(line);
                out.push('\n');
            }
        }
        for _ in 1..trailing {
            out.push('\n');
        }
        return Some(out);
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{85}' => out.push_str("\\N"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            ' '..='~' => out.push(c),
            c if c < '\u{a0}' => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if block_safe(c) => out.push(c),
            c if (c as u32) <= 0xffff => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push_str("\"\n");
    Some(out)
}

/// Writes `data` to `dir/name` through a temp file in the same directory and
/// a rename, so a reader sees either nothing or the whole file.
pub fn write_atomic(dir: &Path, name: &str, data: &[u8], mode: u32) -> Result<PathBuf> {
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.cloudseed-tmp"));
    let _ = fs::remove_file(&tmp);
    let result = (|| {
        let mut f =
            fs::File::create_new(&tmp, mode).map_err(|e| Error::io("create", tmp.display(), e))?;
        f.write_all(data)
            .map_err(|e| Error::io("write", tmp.display(), e))?;
        // The umask may have narrowed the mode; set it exactly.
        f.set_mode(mode)
            .map_err(|e| Error::io("chmod", tmp.display(), e))?;
        f.sync_all()
            .map_err(|e| Error::io("fsync", tmp.display(), e))?;
        fs::rename(&tmp, &path).map_err(|e| Error::io("rename", path.display(), e))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map(|()| path)
}

/// Creates `dir` (and parents) with `mode` for the parts we create.
pub fn make_dir(dir: &Path, mode: u32) -> Result<()> {
    fs::create_dir_all_mode(dir, mode).map_err(|e| Error::io("mkdir", dir.display(), e))
}

/// Writes the hand-off: seed files, then `cloud.cfg`, then the ds-identify
/// result. On failure, removes what it wrote, so cloud-init finds `/run` as
/// it would have without us.
pub fn write(paths: &Paths, plan: &Plan, report: &mut Report) -> Result<()> {
    write_listed(paths, plan, None, None, report)
}

/// [`write`] naming `list` (see [`render_listed`]). With `staged`, the seed
/// files are already in that directory (same file system, final modes) and
/// are renamed into place instead of written.
pub fn write_listed(
    paths: &Paths,
    plan: &Plan,
    list: Option<&[String]>,
    staged: Option<&Path>,
    report: &mut Report,
) -> Result<()> {
    let rendered = render_listed(plan, list);
    for w in &rendered.warnings {
        report.warn(w.clone());
    }
    let mut written: Vec<PathBuf> = Vec::new();
    let result = write_all(paths, plan, &rendered, staged, report, &mut written);
    if result.is_err() {
        for p in written.iter().rev() {
            let _ = fs::remove_file(p);
        }
        report.files.clear();
    }
    result
}

fn write_all(
    paths: &Paths,
    plan: &Plan,
    rendered: &Rendered,
    staged: Option<&Path>,
    report: &mut Report,
    written: &mut Vec<PathBuf>,
) -> Result<()> {
    let ci = paths.cloud_init_dir();
    make_dir(&ci, 0o755)?;
    let mut put =
        |dir: &Path, name: &str, data: &[u8], mode: u32, report: &mut Report| -> Result<()> {
            let from_stage = staged.filter(|_| dir != ci.as_path()).map(|s| s.join(name));
            let p = match from_stage {
                Some(src) => {
                    let dst = dir.join(name);
                    fs::rename(&src, &dst).map_err(|e| Error::io("rename", dst.display(), e))?;
                    dst
                }
                None => write_atomic(dir, name, data, mode)?,
            };
            report.files.push(FileEntry {
                path: paths.relative_to_run(&p).display().to_string(),
                size: data.len() as u64,
                mode: format!("{mode:04o}"),
                sha256: crate::sha256::to_hex(&crate::sha256::digest(data)),
            });
            written.push(p);
            Ok(())
        };
    if let (Some(Datasource::NoCloud), Some(seed)) = (&plan.datasource, &plan.seed) {
        let dir = paths.nocloud_seed_dir();
        // The seed holds user-data (secrets): only root reads it.
        make_dir(&dir, 0o700)?;
        put(&dir, "meta-data", &seed.meta_data, 0o644, report)?;
        put(&dir, "user-data", &seed.user_data, 0o600, report)?;
        if let Some(v) = &seed.vendor_data {
            put(&dir, "vendor-data", v, 0o600, report)?;
        }
        if let Some(n) = &seed.network_config {
            put(&dir, "network-config", n, 0o600, report)?;
        }
    }
    // The URL body and an inlined network-config (Wi-Fi passphrases, say)
    // may be secret, as their 0600 seed copies are; cloud-init reads as root.
    let inlines_network_config = plan.datasource == Some(Datasource::NoCloud)
        && plan
            .seed
            .as_ref()
            .is_some_and(|s| s.network_config.is_some());
    let cfg_mode = if plan.system_config.is_some() || inlines_network_config {
        0o600
    } else {
        0o644
    };
    put(&ci, "cloud.cfg", &rendered.text, cfg_mode, report)?;
    // Last: without this file ds-identify rewrites cloud.cfg; with it, it
    // returns the cached result. `read` needs the trailing newline.
    put(&ci, ".ds-identify.result", b"0\n", 0o644, report)?;
    Ok(())
}

/// Writes the report (always; it is ours, not cloud-init's).
pub fn write_report(paths: &Paths, report: &Report) -> Result<()> {
    let dir = paths.report_dir();
    make_dir(&dir, 0o755)?;
    let mut json = report.to_json();
    json.push('\n');
    write_atomic(&dir, "report.json", json.as_bytes(), 0o644).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nocloud_plan(nc: Option<&[u8]>) -> Plan {
        Plan {
            origin: "cidata volume /dev/vdb (vfat)".into(),
            datasource: Some(Datasource::NoCloud),
            seed: Some(Seed {
                meta_data: b"instance-id: i-1\n".to_vec(),
                user_data: b"#cloud-config\n".to_vec(),
                vendor_data: None,
                network_config: nc.map(|b| b.to_vec()),
            }),
            system_config: None,
        }
    }

    #[test]
    fn nocloud_cfg_matches_interop_layout() {
        let r = render_cloud_cfg(&nocloud_plan(Some(
            b"version: 2\nethernets:\n  eth0:\n    dhcp4: true\n",
        )));
        let want = format!(
            "# cloudseed {VERSION}: cidata volume /dev/vdb (vfat)\n\
             datasource_list: [ NoCloud, None ]\n\
             datasource:\n  NoCloud:\n    seedfrom: file:///run/cloud-init/seed/nocloud/\n\
             \x20   meta-data: {{}}\n    user-data: \"\"\n    network-config: |2\n\
             \x20     version: 2\n      ethernets:\n        eth0:\n          dhcp4: true\n"
        );
        assert_eq!(String::from_utf8(r.text).unwrap(), want);
        assert!(r.warnings.is_empty());
    }

    #[test]
    fn no_network_config_key_without_one() {
        let r = render_cloud_cfg(&nocloud_plan(None));
        assert!(!String::from_utf8(r.text)
            .unwrap()
            .contains("network-config"));
    }

    #[test]
    fn configdrive_cfg() {
        let r = render_cloud_cfg(&Plan {
            origin: "config-2 volume /dev/sr0 (iso9660)".into(),
            datasource: Some(Datasource::ConfigDrive),
            ..Plan::default()
        });
        assert!(String::from_utf8(r.text)
            .unwrap()
            .ends_with("datasource_list: [ ConfigDrive, None ]\n"));
    }

    #[test]
    fn cloud_config_url_content_comes_first_and_keys_are_appended() {
        let mut p = nocloud_plan(None);
        p.system_config = Some(b"#cloud-config\nhostname: maas-node".to_vec());
        let t = String::from_utf8(render_cloud_cfg(&p).text).unwrap();
        assert!(t.starts_with("#cloud-config\nhostname: maas-node\n# cloudseed"));
        assert!(t.contains("datasource_list: [ NoCloud, None ]"));
    }

    /// The datasource keys were left out (the URL content defines its own).
    fn unreferenced(r: &Rendered) -> bool {
        r.warnings
            .iter()
            .any(|w| w.contains("the local seed is unreferenced"))
    }

    #[test]
    fn cloud_config_url_defining_datasource_wins() {
        for body in [
            &b"#cloud-config\ndatasource:\n  MAAS: {metadata_url: 'http://x/'}\n"[..],
            b"#cloud-config\n\"datasource_list\": [MAAS]\n",
            b"#cloud-config\n{datasource_list: [MAAS]}\n",
            b"#cloud-config\na: 1\n---\nb: 2\n",
        ] {
            let mut p = nocloud_plan(None);
            p.system_config = Some(body.to_vec());
            let r = render_cloud_cfg(&p);
            assert!(unreferenced(&r), "{}", String::from_utf8_lossy(body));
            assert_eq!(r.text, body);
        }
        // nested keys named datasource are fine
        let mut p = nocloud_plan(None);
        p.system_config = Some(b"#cloud-config\nfoo:\n  datasource: x\n".to_vec());
        assert!(!unreferenced(&render_cloud_cfg(&p)));
    }

    #[test]
    fn yaml_strings_choose_block_or_quotes() {
        assert_eq!(yaml_string(b"a\n", 6).unwrap(), "|2\n      a\n");
        assert_eq!(yaml_string(b"a", 6).unwrap(), "|2-\n      a\n");
        assert_eq!(yaml_string(b"a\n\n\n", 6).unwrap(), "|2+\n      a\n\n\n");
        assert_eq!(
            yaml_string(b"  lead\n\nx\n", 6).unwrap(),
            "|2\n        lead\n\n      x\n"
        );
        assert_eq!(yaml_string(b"", 6).unwrap(), "\"\"\n");
        assert_eq!(yaml_string(b"\n\n", 6).unwrap(), "\"\\n\\n\"\n");
        assert_eq!(yaml_string(b"a\r\nb", 6).unwrap(), "\"a\\r\\nb\"\n");
        assert_eq!(yaml_string(b"\x00\"\\", 6).unwrap(), "\"\\x00\\\"\\\\\"\n");
        assert_eq!(yaml_string("\u{2028}".as_bytes(), 6).unwrap(), "\"\\L\"\n");
        assert!(yaml_string(b"\xff", 6).is_none());
    }

    #[test]
    fn comment_is_one_printable_line() {
        assert_eq!(comment_safe("a\nb\u{1b}c"), "a?b?c");
    }

    fn tmpdir(tag: &str) -> PathBuf {
        let d = crate::os::path::test_dir(&format!("handoff-{tag}"));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn writes_files_with_modes_in_order() {
        let d = tmpdir("modes");
        let paths = Paths {
            run_dir: d.clone(),
            ..Paths::default()
        };
        let mut report = Report::new();
        let mut plan = nocloud_plan(Some(b"version: 2\n"));
        plan.seed.as_mut().unwrap().vendor_data = Some(vec![0x1f, 0x8b, 0]);
        write(&paths, &plan, &mut report).unwrap();
        let mode = |p: &str| fs::metadata(d.join(p)).unwrap().mode() & 0o7777;
        assert_eq!(mode("cloud-init/seed/nocloud/meta-data"), 0o644);
        assert_eq!(mode("cloud-init/seed/nocloud/user-data"), 0o600);
        assert_eq!(mode("cloud-init/seed/nocloud/vendor-data"), 0o600);
        assert_eq!(mode("cloud-init/seed/nocloud/network-config"), 0o600);
        assert_eq!(mode("cloud-init/seed/nocloud"), 0o700);
        // 0600: it inlines the network-config
        assert_eq!(mode("cloud-init/cloud.cfg"), 0o600);
        assert_eq!(
            fs::read(d.join("cloud-init/.ds-identify.result")).unwrap(),
            b"0\n"
        );
        assert_eq!(
            fs::read(d.join("cloud-init/seed/nocloud/vendor-data")).unwrap(),
            [0x1f, 0x8b, 0]
        );
        let names: Vec<_> = report.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(names.last(), Some(&"cloud-init/.ds-identify.result"));
        assert_eq!(names[names.len() - 2], "cloud-init/cloud.cfg");
        // no temp files left
        let leftovers: Vec<_> = fs::read_dir(d.join("cloud-init"))
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains("cloudseed-tmp"))
            .collect();
        assert!(leftovers.is_empty());
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn failure_removes_what_was_written() {
        let d = tmpdir("fail");
        let paths = Paths {
            run_dir: d.clone(),
            ..Paths::default()
        };
        // cloud.cfg cannot be created: a directory is in its place.
        fs::create_dir_all(d.join("cloud-init/.cloud.cfg.cloudseed-tmp/x")).unwrap();
        let mut report = Report::new();
        assert!(write(&paths, &nocloud_plan(None), &mut report).is_err());
        assert!(!d.join("cloud-init/seed/nocloud/user-data").exists());
        assert!(!d.join("cloud-init/.ds-identify.result").exists());
        assert!(report.files.is_empty());
        fs::remove_dir_all(&d).unwrap();
    }
}
