use super::*;

fn facts() -> Facts {
    Facts {
        arch: "x86_64".into(),
        virt: Some("kvm".into()),
        dmi: vec![("sys_vendor".into(), "QEMU\n".into())],
        ..Facts::default()
    }
}

fn fs(dev: &str, t: &str, label: &str, uuid: &str) -> Filesystem {
    Filesystem {
        device: dev.into(),
        fstype: t.into(),
        label: label.into(),
        uuid: uuid.into(),
    }
}

fn list(d: &Decision) -> Option<Vec<&str>> {
    match d {
        Decision::Enabled {
            datasource_list, ..
        } => Some(datasource_list.iter().map(|s| s.as_str()).collect()),
        _ => None,
    }
}

#[test]
fn cidata_and_config2_with_the_default_list() {
    let mut f = facts();
    f.filesystems = vec![
        fs("/dev/vdb", "vfat", "cidata", "1234-5678"),
        fs("/dev/vdc", "iso9660", "config-2", ""),
    ];
    assert_eq!(
        list(&identify(&f)),
        Some(vec!["ConfigDrive", "NoCloud", "None"])
    );
}

#[test]
fn no_source_disables() {
    let f = facts();
    assert!(
        matches!(identify(&f), Decision::Disabled { .. }),
        "{:?}",
        identify(&f)
    );
}

#[test]
fn named_datasource_is_taken_as_is() {
    let mut f = facts();
    f.cmdline = "root=/dev/vda1 ci.ds=OpenStack".into();
    f.filesystems = vec![fs("/dev/vdc", "iso9660", "config-2", "")];
    assert_eq!(list(&identify(&f)), Some(vec!["OpenStack", "None"]));
}

#[test]
fn ds_maas_differs_between_versions() {
    // 25.1.4+ read `ds=` as the datasource name; 22.4.2 does not.
    let mut f = facts();
    f.cmdline = "ds=MAAS".into();
    f.filesystems = vec![fs("/dev/vdb", "vfat", "cidata", "")];
    assert!(matches!(identify(&f), Decision::Unknown { .. }));
    f.cloud_init_version = Some("25.1.4".into());
    assert_eq!(list(&identify(&f)), Some(vec!["MAAS", "None"]));
}

#[test]
fn image_list_leaves_out_nocloud() {
    let mut f = facts();
    f.filesystems = vec![fs("/dev/vdb", "vfat", "cidata", "")];
    f.config.cloud_cfg_d = vec![(
        "90_dpkg.cfg".into(),
        "datasource_list: [ Ec2, None ]\n".into(),
    )];
    assert_eq!(list(&identify(&f)), Some(vec!["Ec2", "None"]));
}

#[test]
fn disabled_by_substring() {
    let mut f = facts();
    f.cmdline = "xcloud-init=disabledy".into();
    assert!(matches!(identify(&f), Decision::Disabled { .. }));
    assert_eq!(
        identify_as(&f, Dialect::V22),
        Ok(Outcome::Disabled("no datasource found".into()))
    );
}

#[test]
fn ibm_config2_on_xen() {
    let mut f = facts();
    f.virt = Some("xen".into());
    f.filesystems = vec![fs("/dev/xvdh", "vfat", "config-2", "9796-932E")];
    assert_eq!(list(&identify(&f)), Some(vec!["IBMCloud", "None"]));
    // unknown virtualization: the IBM check could go either way
    f.virt = None;
    assert!(matches!(identify(&f), Decision::Unknown { .. }));
}

#[test]
fn blind_device_matters_only_when_a_label_decides() {
    let mut f = facts();
    f.filesystems = vec![
        fs("/dev/vdb", "vfat", "cidata", ""),
        fs("/dev/vdc", "", "", ""),
    ];
    // ConfigDrive could be on vdc
    assert!(matches!(identify(&f), Decision::Unknown { .. }));
    f.config.cloud_cfg = Some("datasource_list: [ NoCloud, Ec2 ]\n".into());
    assert_eq!(list(&identify(&f)), Some(vec!["NoCloud", "None"]));
}

#[test]
fn cc_list_on_the_cmdline() {
    let mut f = facts();
    f.cmdline = "cc: { 'datasource_list': [ 'NoCloud', 'None' ] } end_cc".into();
    assert_eq!(list(&identify(&f)), Some(vec!["NoCloud", "None"]));
}

#[test]
fn nocloud_reads_the_reverse_sorted_first_valid_cidata() {
    let a = fs("/dev/vdb", "vfat", "cidata", "");
    let b = fs("/dev/vdc", "iso9660", "CIDATA", "");
    let c = fs("/dev/vdd", "ext4", "cidata", "");
    let d = fs("/dev/sr0", "iso9660", "config-2", "");
    // vdd is not vfat/iso9660; vdc sorts before vdb in reverse
    assert_eq!(
        nocloud_volume(&[(&a, true), (&b, true), (&c, true), (&d, true)]),
        Some(1)
    );
    // an invalid seed is skipped
    assert_eq!(nocloud_volume(&[(&a, true), (&b, false)]), Some(0));
    assert_eq!(nocloud_volume(&[(&d, true)]), None);
    let mut cfg = ImageConfig::default();
    assert!(!nocloud_label_configured(&cfg));
    cfg.cloud_cfg_d.push((
        "99.cfg".into(),
        "datasource:\n  NoCloud:\n    fs_label: seed\n".into(),
    ));
    assert!(nocloud_label_configured(&cfg));
}
