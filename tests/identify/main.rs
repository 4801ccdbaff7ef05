//! cloud-init's own ds-identify unit tests as data (tests/identify/vectors.json,
//! made by gen_vectors.py from the real scripts): every case whose inputs
//! cloudseed can see gives each dialect exactly the real script's outcome.

use cloudseed::identify::{
    identify, identify_as, Decision, Dialect, Facts, Filesystem, ImageConfig, Outcome,
};
use miniserde::Deserialize;

#[derive(Deserialize)]
struct Vectors {
    upstream_commit: String,
    default_cloud_cfg: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    visible: bool,
    why: String,
    facts: VFacts,
    expect_v22: String,
    expect_v22_release: String,
    expect_v25: String,
    expect_upstream: String,
}

#[derive(Deserialize)]
struct VFacts {
    cmdline: String,
    dmi: Vec<Vec<String>>,
    virt: Option<String>,
    container: Option<String>,
    arch: String,
    filesystems: Vec<Filesystem>,
    cloud_cfg: Option<String>,
    default_cloud_cfg: bool,
    cloud_cfg_d: Vec<Vec<String>>,
    ds_identify_cfg: Option<String>,
    root_files: Vec<String>,
    hypervisor_uuid: Option<String>,
    virtio_ports: Vec<String>,
    cloud_info: Option<String>,
}

fn pair(v: &[String]) -> (String, String) {
    (v[0].clone(), v[1].clone())
}

fn facts(v: &VFacts, default_cfg: &str) -> Facts {
    Facts {
        cmdline: v.cmdline.clone(),
        dmi: v.dmi.iter().map(|p| pair(p)).collect(),
        virt: v.virt.clone(),
        container: v.container.clone(),
        arch: v.arch.clone(),
        filesystems: v.filesystems.clone(),
        config: ImageConfig {
            cloud_cfg: if v.default_cloud_cfg {
                Some(default_cfg.to_string())
            } else {
                v.cloud_cfg.clone()
            },
            cloud_cfg_d: v.cloud_cfg_d.iter().map(|p| pair(p)).collect(),
            ds_identify_cfg: v.ds_identify_cfg.clone(),
        },
        root_files: v.root_files.clone(),
        hypervisor_uuid: v.hypervisor_uuid.clone(),
        virtio_ports: v.virtio_ports.clone(),
        cloud_info: v.cloud_info.clone(),
        ..Facts::default()
    }
}

/// The generator's spelling of an outcome.
fn spell(a: &Result<Outcome, String>) -> String {
    match a {
        Ok(Outcome::List(l)) => format!("list:{}", l.join(",")),
        Ok(Outcome::Disabled(_)) => "disabled".into(),
        Ok(Outcome::NoList(_)) => "nolist".into(),
        Err(_) => "unknown".into(),
    }
}

fn load() -> Vectors {
    miniserde::json::from_str(include_str!("vectors.json")).expect("vectors.json parses")
}

#[test]
fn ds_identify_unit_test_vectors() {
    let v = load();
    assert_eq!(v.upstream_commit.len(), 40);
    let (mut agree, mut unknown, mut wrong) = (0, 0, Vec::new());
    let mut hidden = Vec::new();
    for c in &v.cases {
        let f = facts(&c.facts, &v.default_cloud_cfg);
        let want = [
            (Dialect::V22, &c.expect_v22),
            (Dialect::V22Release, &c.expect_v22_release),
            (Dialect::V25, &c.expect_v25),
            (Dialect::Upstream, &c.expect_upstream),
        ];
        for (d, exp) in want {
            let got = spell(&identify_as(&f, d));
            if !c.visible {
                hidden.push(format!(
                    "{} [{}]: want {exp}, cloudseed {got} ({})",
                    c.name,
                    d.name(),
                    c.why
                ));
            } else if &got == exp {
                agree += 1;
            } else if got == "unknown" {
                unknown += 1;
                wrong.push(format!(
                    "{} [{}]: want {exp}, cloudseed stands aside",
                    c.name,
                    d.name()
                ));
            } else {
                wrong.push(format!("{} [{}]: want {exp}, got {got}", c.name, d.name()));
            }
        }
        // identify() itself: the dialects' common answer, or stand aside
        if c.visible {
            let all_same = c.expect_v22 == c.expect_v25
                && c.expect_v22_release == c.expect_v25
                && c.expect_v25 == c.expect_upstream;
            let d = identify(&f);
            let ok = match (&d, all_same) {
                (Decision::Unknown { .. }, false) => true,
                (
                    Decision::Enabled {
                        datasource_list, ..
                    },
                    true,
                ) => format!("list:{}", datasource_list.join(",")) == *c.expect_upstream,
                (Decision::Disabled { .. }, _) => {
                    (all_same && c.expect_upstream == "disabled")
                        || f.cmdline.contains("cloud-init=disabled")
                }
                (Decision::Unknown { .. }, true) => c.expect_upstream == "nolist",
                _ => false,
            };
            if !ok {
                wrong.push(format!(
                    "{}: identify() said {d:?}; 22.4.2 {} (release {}), 25.1.4 {}, upstream {}",
                    c.name, c.expect_v22, c.expect_v22_release, c.expect_v25, c.expect_upstream
                ));
            }
        }
    }
    let visible = v.cases.iter().filter(|c| c.visible).count();
    eprintln!(
        "{} cases, {visible} visible: {agree} dialect runs agree, {unknown} stand aside, {} differ",
        v.cases.len(),
        wrong.len() - unknown
    );
    for h in &hidden {
        eprintln!("not visible: {h}");
    }
    assert!(
        wrong.is_empty(),
        "{} of {} visible dialect runs differ:\n{}",
        wrong.len(),
        visible * 4,
        wrong.join("\n")
    );
    assert!(visible >= 80, "only {visible} visible cases");
}
