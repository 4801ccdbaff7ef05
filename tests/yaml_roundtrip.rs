//! Whatever bytes a network-config holds, the cloud.cfg we render must parse
//! back (with PyYAML, the parser cloud-init uses) to the same string.
//! apt: python3-yaml

use cloudseed::handoff::{render_cloud_cfg, Datasource, Plan};
use cloudseed::seed::Seed;

mod common;

fn cases() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = [
        &b"version: 2\n"[..],
        b"version: 2",
        b"a\n\n\n",
        b"\n\nleading blank lines\n",
        b"  indented first line\nx\n",
        b"tabs\tinside\n\tleading tab\n",
        b"trailing spaces   \n   \n",
        b"a\r\nwindows\r\n",
        b"# just a comment\n",
        b"---\n...\n",
        b"\"quotes\" and 'single' and \\ backslash\n",
        b"ctl \x01\x07\x1b\x7f end",
        "unicode é ü 日本 \u{85} \u{2028} \u{2029} \u{feff} 😀\n".as_bytes(),
        b"",
        b" ",
        b"\n",
        b"\t",
        b"key: |\n  nested block\n",
        b"- list\n- items\n",
    ]
    .iter()
    .map(|b| b.to_vec())
    .collect();
    // Seeded xorshift: printable-heavy random strings, deterministic.
    let mut x: u64 = 0x9e3779b97f4a7c15;
    let alphabet = b" \t\n\r:-#'\"\\|>{}[]&*!%@`,?abcXYZ019\x00\x0b\x7f";
    for n in 0..300 {
        let mut s = Vec::new();
        for _ in 0..(n % 40) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            s.push(alphabet[(x % alphabet.len() as u64) as usize]);
        }
        v.push(s);
    }
    v
}

#[test]
fn network_config_survives_pyyaml() {
    let cases = cases();
    let mut docs = Vec::new();
    for nc in &cases {
        let plan = Plan {
            origin: "test\nwith newline".into(),
            datasource: Some(Datasource::NoCloud),
            seed: Some(Seed {
                network_config: Some(nc.clone()),
                ..Seed::default()
            }),
            system_config: None,
        };
        docs.push(render_cloud_cfg(&plan).text);
    }
    // One python process reads every document (hex-framed) and prints the
    // parsed network-config back as hex, or ERR.
    let script = r#"
import sys, yaml
for line in sys.stdin:
    doc = bytes.fromhex(line.strip()).decode()
    try:
        d = yaml.safe_load(doc)
        nc = d["datasource"]["NoCloud"].get("network-config")
        assert d["datasource_list"] == ["NoCloud", "None"]
        assert d["datasource"]["NoCloud"]["seedfrom"] == "file:///run/cloud-init/seed/nocloud/"
        print("NONE" if nc is None else nc.encode().hex() + "|")
    except Exception as e:
        print("ERR " + repr(e).replace("\n", " "))
"#;
    let mut input = String::new();
    for d in &docs {
        input.push_str(&cloudseed::sha256::to_hex(d));
        input.push('\n');
    }
    let lines = common::python_lines(script, &input);
    assert_eq!(lines.len(), cases.len());
    let mut bad = Vec::new();
    for ((nc, line), doc) in cases.iter().zip(&lines).zip(&docs) {
        let want = match std::str::from_utf8(nc) {
            Ok(_) => format!("{}|", cloudseed::sha256::to_hex(nc)),
            Err(_) => "NONE".into(),
        };
        if *line != want {
            bad.push(format!(
                "{:?} -> {line}\n{}",
                String::from_utf8_lossy(nc),
                String::from_utf8_lossy(doc)
            ));
        }
    }
    assert!(
        bad.is_empty(),
        "{} of {} differ:\n{}",
        bad.len(),
        cases.len(),
        bad.join("\n---\n")
    );
}
