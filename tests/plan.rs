//! The planner as transcripts: facts in (command line, volumes, fetches,
//! ds-identify's decision), plan out. Pure: no files, no network, no root.

use cloudseed::cmdline::{self, Cmdline};
use cloudseed::handoff::{render_listed, Datasource};
use cloudseed::identify::Decision;
use cloudseed::plan::{
    self, classify, decide, network_left, Action, Fetched, Generator, Inputs, NetworkLeft, Plan,
};
use cloudseed::seed::{Found, Fs, Kind, Seed, Volume};
use cloudseed::sha256::{digest, to_hex};

fn cmd(text: &str) -> Cmdline {
    cmdline::parse(text, None, &|_| None)
}

fn seed(id: &str) -> Seed {
    Seed {
        meta_data: format!("instance-id: {id}\n").into_bytes(),
        user_data: b"#cloud-config\n".to_vec(),
        vendor_data: None,
        network_config: Some(b"version: 2\n".to_vec()),
    }
}

fn cidata(dev: &str, id: &str) -> (String, Found) {
    (
        dev.into(),
        Found {
            volume: Volume {
                fs: Fs::Vfat,
                label: "cidata".into(),
                uuid: "1234-ABCD".into(),
            },
            kind: Kind::NoCloud,
            seed: Some(seed(id)),
        },
    )
}

fn config2(dev: &str) -> (String, Found) {
    (
        dev.into(),
        Found {
            volume: Volume {
                fs: Fs::Iso9660,
                label: "config-2".into(),
                uuid: String::new(),
            },
            kind: Kind::ConfigDrive,
            seed: None,
        },
    )
}

fn enabled(list: &[&str]) -> Decision {
    Decision::Enabled {
        datasource_list: list.iter().map(|s| s.to_string()).collect(),
        reason: "test".into(),
    }
}

fn disabled() -> Decision {
    Decision::Disabled {
        reason: "notfound=disabled".into(),
    }
}

/// One boot: the command line, the volumes, what the network returned, and
/// the decision (None: phase 1, before the root mount).
fn boot(
    text: &str,
    volumes: &[(String, Found)],
    fetched: Fetched,
    decision: Option<&Decision>,
) -> Plan {
    let c = cmd(text);
    let ccu = classify(c.cloud_config_url.as_deref(), false);
    let seed_url = classify(c.nocloud.as_ref().and_then(|n| n.seedfrom()), false);
    decide(&Inputs {
        cmd: &c,
        cmdline: text,
        cloud_config_url: &ccu,
        seed_url: &seed_url,
        volumes,
        fetched: &fetched,
        decision,
    })
}

fn body(b: &str) -> Fetched {
    Fetched {
        cloud_config: Some(Ok(b.as_bytes().to_vec())),
        seed: None,
    }
}

/// The hand-off's cloud.cfg text, or the action when there is none.
fn cloud_cfg(p: &Plan) -> String {
    match &p.action {
        Action::HandOff {
            handoff,
            datasource_list,
        } => String::from_utf8(render_listed(handoff, datasource_list.as_deref()).text).unwrap(),
        other => panic!("no hand-off: {other:?}"),
    }
}

fn list_line(p: &Plan) -> Option<String> {
    cloud_cfg(p)
        .lines()
        .find(|l| l.starts_with("datasource_list:"))
        .map(str::to_string)
}

#[test]
fn one_cidata_volume_hands_off_identifications_list() {
    let p = boot(
        "quiet",
        &[cidata("/dev/vdb", "i-1")],
        Fetched::default(),
        Some(&enabled(&["NoCloud", "None"])),
    );
    assert_eq!(p.exit, 0);
    assert_eq!(list_line(&p).unwrap(), "datasource_list: [ NoCloud, None ]");
    let Action::HandOff { handoff, .. } = &p.action else {
        panic!()
    };
    assert_eq!(handoff.datasource, Some(Datasource::NoCloud));
    assert_eq!(
        handoff.seed.as_ref().unwrap().meta_data,
        b"instance-id: i-1\n"
    );
}

#[test]
fn configdrive_first_in_the_list_stays_first() {
    let p = boot(
        "quiet",
        &[cidata("/dev/vdb", "i-1"), config2("/dev/sr0")],
        Fetched::default(),
        Some(&enabled(&["ConfigDrive", "NoCloud", "None"])),
    );
    assert_eq!(
        list_line(&p).unwrap(),
        "datasource_list: [ ConfigDrive, NoCloud, None ]"
    );
}

#[test]
fn an_image_list_without_nocloud_makes_cloudseed_stand_aside() {
    let p = boot(
        "quiet",
        &[cidata("/dev/vdb", "i-1")],
        Fetched::default(),
        Some(&enabled(&["Ec2", "None"])),
    );
    assert_eq!(p.exit, 0);
    let Action::StandAside { reason } = &p.action else {
        panic!("{:?}", p.action)
    };
    assert!(
        reason.contains("[ Ec2, None ] leaves out NoCloud"),
        "{reason}"
    );
}

#[test]
fn configdrive_only_list_hands_off_identification_without_the_seed() {
    let p = boot(
        "quiet",
        &[cidata("/dev/vdb", "i-1"), config2("/dev/sr0")],
        Fetched::default(),
        Some(&enabled(&["ConfigDrive", "None"])),
    );
    let Action::HandOff { handoff, .. } = &p.action else {
        panic!("{:?}", p.action)
    };
    assert_eq!(handoff.datasource, Some(Datasource::ConfigDrive));
    assert_eq!(handoff.seed, None);
}

#[test]
fn two_cidata_volumes_hand_off_the_one_nocloud_reads_first() {
    // NoCloud sorts its devices in reverse: /dev/vdc before /dev/vdb.
    let p = boot(
        "quiet",
        &[cidata("/dev/vdb", "b"), cidata("/dev/vdc", "c")],
        Fetched::default(),
        Some(&enabled(&["NoCloud", "None"])),
    );
    let Action::HandOff { handoff, .. } = &p.action else {
        panic!()
    };
    assert_eq!(
        handoff.seed.as_ref().unwrap().meta_data,
        b"instance-id: c\n"
    );
    assert!(handoff.origin.ends_with("/dev/vdc"), "{}", handoff.origin);
    assert!(p
        .notes
        .iter()
        .any(|n| n.starts_with("/dev/vdb: nocloud also present")));
}

#[test]
fn identification_unknown_or_disabled_with_a_volume_stands_aside() {
    for d in [
        Decision::Unknown {
            reason: "needs /proc/1/environ".into(),
        },
        disabled(),
    ] {
        let p = boot(
            "quiet",
            &[cidata("/dev/vdb", "i")],
            Fetched::default(),
            Some(&d),
        );
        assert!(
            matches!(p.action, Action::StandAside { .. }),
            "{:?}",
            p.action
        );
    }
}

const URL: &str = "cloud-config-url=http://10.0.2.2/cc ip=dhcp";

#[test]
fn cloud_config_url_alone_gets_datasource_list_none_when_nothing_is_found() {
    let p = boot(
        URL,
        &[],
        body("#cloud-config\nhostname: h\n"),
        Some(&disabled()),
    );
    assert_eq!(p.exit, 0);
    let text = cloud_cfg(&p);
    assert!(text.starts_with("#cloud-config\nhostname: h\n"), "{text}");
    assert!(text.ends_with("datasource_list: [ None ]\n"), "{text}");
}

#[test]
fn cloud_config_url_alone_keeps_a_list_set_by_the_body_or_cc() {
    let own = "#cloud-config\ndatasource_list: [ MAAS ]\n";
    let p = boot(URL, &[], body(own), Some(&disabled()));
    assert_eq!(cloud_cfg(&p), own);
    let cc = format!("{URL} cc:{{'datasource_list': ['MAAS']}}end_cc");
    let p = boot(&cc, &[], body("#cloud-config\n"), Some(&disabled()));
    assert_eq!(list_line(&p), None);
}

#[test]
fn cloud_config_url_where_identification_finds_a_datasource_gets_its_list() {
    let p = boot(
        URL,
        &[],
        body("#cloud-config\n"),
        Some(&enabled(&["Ec2", "None"])),
    );
    assert_eq!(list_line(&p).unwrap(), "datasource_list: [ Ec2, None ]");
}

#[test]
fn cloud_config_url_that_cannot_take_a_list_stands_aside() {
    let p = boot(URL, &[], body("#cloud-config\n{a: 1}\n"), Some(&disabled()));
    assert!(
        matches!(p.action, Action::StandAside { .. }),
        "{:?}",
        p.action
    );
}

fn net_seed(s: Seed) -> Fetched {
    Fetched {
        cloud_config: None,
        seed: Some(Ok(s)),
    }
}

#[test]
fn a_network_config_pin_mismatch_refuses_everything() {
    let s = seed("n");
    let good = to_hex(&digest(b"version: 2\n"));
    let bad = to_hex(&digest(b"version: 1\n"));
    let base = "ds=nocloud-net;s=http://10.0.2.2/seed/";
    let p = boot(
        &format!("{base} cloudseed.sha256.network-config={good}"),
        &[],
        net_seed(s.clone()),
        Some(&enabled(&["NoCloud", "None"])),
    );
    assert!(matches!(p.action, Action::HandOff { .. }), "{:?}", p.action);
    // Phase 1 already refuses: nothing waits for identification.
    let p = boot(
        &format!("{base} cloudseed.sha256.network-config={bad}"),
        &[],
        net_seed(s.clone()),
        None,
    );
    assert_eq!(p.exit, plan::EXIT_SOURCE_FAILED);
    let Action::Refused { reason } = &p.action else {
        panic!("{:?}", p.action)
    };
    assert_eq!(
        reason,
        "network-config does not match cloudseed.sha256.network-config"
    );
    let p = boot(
        &format!("{base} cloudseed.sha256.network-config={bad} cloudseed.required"),
        &[],
        net_seed(s),
        None,
    );
    assert_eq!(p.exit, plan::EXIT_STOP_BOOT);
}

#[test]
fn every_file_can_be_pinned_and_an_absent_pinned_file_refuses() {
    let s = seed("n");
    let hex = |b: &[u8]| to_hex(&digest(b));
    let text = format!(
        "cloudseed.sha256.meta-data={} cloudseed.sha256.user-data={}",
        hex(&s.meta_data),
        hex(&s.user_data)
    );
    let p = boot(&text, &[cidata("/dev/vdb", "n")], Fetched::default(), None);
    assert!(matches!(p.action, Action::Pending(_)), "{:?}", p.action);
    let p = boot(
        &format!("cloudseed.sha256.vendor-data={}", hex(b"")),
        &[cidata("/dev/vdb", "n")],
        Fetched::default(),
        None,
    );
    assert!(matches!(p.action, Action::Refused { .. }), "{:?}", p.action);
    let p = boot(
        &format!(
            "{URL} cloudseed.sha256.cloud-config-url={}",
            hex(b"#cloud-config\n")
        ),
        &[],
        body("#cloud-config\n"),
        None,
    );
    assert!(matches!(p.action, Action::Pending(_)), "{:?}", p.action);
}

#[test]
fn nothing_found_under_required_stops_the_boot_and_disabled_does_nothing() {
    let p = boot("cloudseed.required", &[], Fetched::default(), None);
    assert_eq!(p.exit, plan::EXIT_STOP_BOOT);
    let p = boot("quiet", &[], Fetched::default(), None);
    assert_eq!(p.exit, plan::EXIT_OK);
    assert!(matches!(p.action, Action::Nothing { .. }));
    let p = boot(
        "cloud-init=disabled",
        &[cidata("/dev/vdb", "i")],
        Fetched::default(),
        Some(&enabled(&["NoCloud", "None"])),
    );
    assert!(matches!(p.action, Action::Nothing { .. }), "{:?}", p.action);
}

#[test]
fn a_failed_url_with_a_volume_still_hands_off_and_exits_1() {
    let p = boot(
        URL,
        &[cidata("/dev/vdb", "i")],
        Fetched {
            cloud_config: Some(Err("connection refused".into())),
            seed: None,
        },
        Some(&enabled(&["NoCloud", "None"])),
    );
    assert_eq!(p.exit, plan::EXIT_SOURCE_FAILED);
    assert!(matches!(p.action, Action::HandOff { .. }));
}

#[test]
fn the_network_left_behind_is_what_the_initramfs_alone_would_leave() {
    use Generator::*;
    let keep = NetworkLeft::Keep { write_conf: true };
    let keep_quiet = NetworkLeft::Keep { write_conf: false };
    let down = NetworkLeft::Teardown;
    let dracut = Dracut {
        network_module: false,
    };
    let dracut_net = Dracut {
        network_module: true,
    };
    for (text, generator, want) in [
        // initramfs-tools: configure_networking runs only for network roots.
        ("root=/dev/vda1 ip=dhcp", InitramfsTools, down),
        (
            "root=/dev/vda1 ip=::::host:BOOTIF BOOTIF=01-52-54-00-12-34-56",
            InitramfsTools,
            down,
        ),
        (
            "root=/dev/nfs nfsroot=10.0.2.2:/srv ip=dhcp",
            InitramfsTools,
            keep,
        ),
        ("boot=nfs", InitramfsTools, keep),
        ("boot=local root=/dev/nfs", InitramfsTools, down),
        (
            "root=squash:http://10.0.2.2/root.squashfs ip=::::h:BOOTIF",
            InitramfsTools,
            keep,
        ),
        (
            "root=/dev/sda1 iscsi_target_name=iqn.x",
            InitramfsTools,
            keep,
        ),
        // dracut: only with a network module asked for; its config stands.
        ("root=/dev/vda1 ip=dhcp", dracut, down),
        ("root=/dev/vda1 ip=dhcp", dracut_net, keep_quiet),
        ("root=/dev/vda1 rd.neednet=1", dracut_net, keep_quiet),
        ("root=nfs:10.0.2.2:/srv", dracut_net, keep_quiet),
        ("root=/dev/vda1", dracut_net, down),
        // The explicit override, and manual runs without --generator.
        (
            "root=/dev/vda1 cloudseed.network=keep",
            InitramfsTools,
            keep,
        ),
        (
            "root=/dev/nfs cloudseed.network=teardown",
            InitramfsTools,
            down,
        ),
        ("ip=dhcp", Unknown, keep),
        ("quiet", Unknown, down),
    ] {
        assert_eq!(
            network_left(&cmd(text), text, generator),
            want,
            "{text} {generator:?}"
        );
    }
}
