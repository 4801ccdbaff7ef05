//! Helpers shared by integration tests (`mod common;`): temp dirs, running
//! tools and cloudseed itself, and the report read as JSON (never by
//! substring).

// Each test crate uses its own subset of these.
#![allow(dead_code)]

use miniserde::json::{self, Value};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_cloudseed");

/// A fresh temporary directory, unique per process and call, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "cloudseed-test-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
    pub fn root(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Runs a tool (mkfs.vfat, mcopy, …) and panics with its stderr if it fails.
pub fn tool(cmd: &str, args: &[&str]) {
    tool_output(cmd, args);
}

/// `tool`, returning its stdout.
pub fn tool_output(cmd: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e} (is it installed? see the apt: line)"));
    assert!(
        out.status.success(),
        "{cmd} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs cloudseed with `args`; its exit code (-1 for a signal) and output.
pub fn cloudseed<I, S>(args: I) -> (i32, Output)
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out = Command::new(BIN).args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), out)
}

/// `run_dir/cloudseed/report.json`, parsed.
pub fn report(run_dir: &Path) -> Report {
    let p = run_dir.join("cloudseed/report.json");
    let text = fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let value: Value = json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    Report(value)
}

/// A parsed report. `get("devices.0.verdict")` walks objects by key and
/// arrays by index; a missing step panics with the whole report.
pub struct Report(pub Value);

impl Report {
    pub fn get(&self, path: &str) -> &Value {
        let mut v = &self.0;
        for step in path.split('.') {
            v = match v {
                Value::Object(m) => m.get(step),
                Value::Array(a) => step.parse::<usize>().ok().and_then(|i| a.get(i)),
                _ => None,
            }
            .unwrap_or_else(|| panic!("no {path} in the report: {}", self.text()));
        }
        v
    }
    /// A string field; panics if it is not one.
    pub fn str(&self, path: &str) -> &str {
        match self.get(path) {
            Value::String(s) => s,
            v => panic!("{path} is not a string: {}", json::to_string(v)),
        }
    }
    /// A number field as u64; panics if it is not one.
    pub fn u64(&self, path: &str) -> u64 {
        match self.get(path) {
            Value::Number(json::Number::U64(n)) => *n,
            v => panic!("{path} is not an unsigned number: {}", json::to_string(v)),
        }
    }
    pub fn is_null(&self, path: &str) -> bool {
        matches!(self.get(path), Value::Null)
    }
    /// An array field's length.
    pub fn len(&self, path: &str) -> usize {
        match self.get(path) {
            Value::Array(a) => a.len(),
            v => panic!("{path} is not an array: {}", json::to_string(v)),
        }
    }
    /// The strings of an array field.
    pub fn strs(&self, path: &str) -> Vec<String> {
        (0..self.len(path))
            .map(|i| self.str(&format!("{path}.{i}")).to_string())
            .collect()
    }
    pub fn text(&self) -> String {
        json::to_string(&self.0)
    }
}

/// Runs `script` with Debian's /usr/bin/python3 (the interpreter and PyYAML
/// cloud-init uses), feeds it `input` on stdin from a second thread (so a
/// large input cannot deadlock against its output), and returns its stdout
/// lines. Panics if python fails.
pub fn python_lines(script: &str, input: &str) -> Vec<String> {
    let mut child = Command::new("/usr/bin/python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("/usr/bin/python3 with python3-yaml is needed");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}
