//! ds-identify's decision over hostile facts: the cmdline and the image's
//! config files (NUL-separated: cmdline, cloud.cfg, cloud.cfg.d/90.cfg,
//! ds-identify.cfg, then label/uuid pairs) never make `identify` panic,
//! and what it decides is consistent with its inputs.
#![no_main]
use cloudseed::identify::{identify, identify_as, Decision, Dialect, Facts, Filesystem};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\0');
    let mut f = Facts {
        cmdline: parts.next().unwrap_or("").to_string(),
        arch: "x86_64".into(),
        virt: Some("kvm".into()),
        dmi: vec![("sys_vendor".into(), "QEMU\n".into())],
        ..Facts::default()
    };
    f.config.cloud_cfg = parts.next().map(String::from);
    if let Some(t) = parts.next() {
        f.config.cloud_cfg_d.push(("90.cfg".into(), t.to_string()));
    }
    f.config.ds_identify_cfg = parts.next().map(String::from);
    let rest: Vec<&str> = parts.collect();
    for (i, pair) in rest.chunks(2).enumerate().take(8) {
        f.filesystems.push(Filesystem {
            device: format!("/dev/vd{}", (b'b' + i as u8) as char),
            fstype: if i % 3 == 2 {
                String::new()
            } else {
                "vfat".into()
            },
            label: pair[0].to_string(),
            uuid: pair.get(1).unwrap_or(&"").to_string(),
        });
    }
    let decision = identify(&f);
    // an enabled decision ran every dialect and they agreed; otherwise some
    // may not have run (an early disable, an error, a disagreement): run
    // them all here (about twice the executions per second of always)
    if !matches!(decision, Decision::Enabled { .. }) {
        for d in Dialect::ALL {
            let _ = identify_as(&f, d);
        }
    }
    match decision {
        Decision::Enabled {
            datasource_list, ..
        } => {
            assert!(!datasource_list.is_empty());
            assert!(!f.cmdline.contains("cloud-init=disabled"));
            for n in &datasource_list {
                assert!(
                    n.bytes()
                        .all(|c| c.is_ascii_alphanumeric() || b"_-.".contains(&c)),
                    "{n:?}"
                );
            }
        }
        Decision::Disabled { .. } | Decision::Unknown { .. } => {}
    }
});
