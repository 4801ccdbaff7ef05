//! The cloud.cfg writer over arbitrary network-config and cloud-config-url
//! bytes: no panic, and the structural invariants the hand-off relies on.
//! (tests/yaml_roundtrip.rs replays this target's corpus through PyYAML.)
#![no_main]
use cloudseed::handoff::{render_cloud_cfg, Datasource, Plan};
use cloudseed::seed::Seed;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Byte 0 picks the plan shape; the rest splits at the first NUL into
    // network-config and the cloud-config-url body.
    let Some((&k, rest)) = data.split_first() else {
        return;
    };
    let (nc, sc) = match rest.iter().position(|&b| b == 0) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let datasource = match k % 3 {
        0 => Some(Datasource::NoCloud),
        1 => Some(Datasource::ConfigDrive),
        _ => None,
    };
    let plan = Plan {
        origin: String::from_utf8_lossy(&rest[..rest.len().min(64)]).into_owned(),
        datasource: datasource.clone(),
        seed: Some(Seed {
            network_config: (k & 4 == 0).then(|| nc.to_vec()),
            ..Seed::default()
        }),
        system_config: if k & 8 == 0 {
            None
        } else {
            sc.map(<[u8]>::to_vec)
        },
    };
    let r = render_cloud_cfg(&plan);
    let again = render_cloud_cfg(&plan);
    assert_eq!(r, again, "render is pure");
    let text = &r.text;
    match &plan.system_config {
        // The URL's content comes first, byte for byte.
        Some(body) => assert!(text.starts_with(body)),
        None => {
            let s = std::str::from_utf8(text).expect("our own cloud.cfg is UTF-8");
            // Exactly one header comment line, first.
            let first = s.lines().next().unwrap();
            assert!(first.starts_with("# cloudseed "));
            assert!(s.ends_with('\n'));
            match datasource {
                Some(Datasource::NoCloud) => {
                    assert_eq!(s.matches("\ndatasource_list: ").count(), 1);
                    assert!(s.contains("\n    seedfrom: file:///run/cloud-init/seed/nocloud/\n"));
                    // Every line after the header is a top-level key or indented.
                    for l in s.lines().skip(1) {
                        assert!(
                            l.is_empty()
                                || l.starts_with(' ')
                                || l.starts_with("datasource_list: ")
                                || l == "datasource:",
                            "stray line {l:?}"
                        );
                    }
                }
                Some(Datasource::ConfigDrive) => {
                    assert!(s.ends_with("datasource_list: [ ConfigDrive, None ]\n"))
                }
                None => assert_eq!(s.lines().count(), 1),
            }
        }
    }
    let unreferenced = r
        .warnings
        .iter()
        .any(|w| w.contains("the local seed is unreferenced"));
    if unreferenced {
        // The URL's content alone, newline-terminated.
        let body = plan.system_config.as_ref().unwrap();
        assert!(text == body || (text.len() == body.len() + 1 && text.ends_with(b"\n")));
    }
});
