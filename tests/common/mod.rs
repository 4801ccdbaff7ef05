//! Helpers shared by integration tests (`mod common;`).

use std::io::Write;
use std::process::{Command, Stdio};

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
