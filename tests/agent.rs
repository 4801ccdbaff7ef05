//! The `cloudseed run` contract seen from outside: exit codes, what is
//! written (and what is not), and the report. No root, no network.
//! apt: dosfstools mtools genisoimage

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

const BIN: &str = env!("CARGO_BIN_EXE_cloudseed");

type Tmp = common::TempDir;

/// Runs cloudseed with an empty fake /sys (no DMI, no block devices) unless
/// devices are given. Returns (exit code, stderr).
fn run(t: &Tmp, cmdline: &str, extra: &[&str]) -> (i32, String) {
    fs::create_dir_all(t.path("sys/class/block")).unwrap();
    let out = Command::new(BIN)
        .args(["--cmdline", cmdline, "--run-dir"])
        .arg(t.path("run"))
        .arg("--sys-dir")
        .arg(t.path("sys"))
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, d: &Path, out: &mut Vec<String>) {
        let Ok(rd) = fs::read_dir(d) else { return };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn report(t: &Tmp) -> common::Report {
    common::report(&t.path("run"))
}

#[test]
fn nothing_to_do_writes_only_the_report() {
    let t = Tmp::new("quiet");
    let (code, _) = run(&t, "quiet", &[]);
    assert_eq!(code, 0);
    assert_eq!(files(&t.path("run")), vec!["cloudseed/report.json"]);
    let r = report(&t);
    assert_eq!(r.u64("exit_code"), 0, "{}", r.text());
    assert!(r.is_null("source"), "{}", r.text());
}

#[test]
fn cloud_init_disabled_writes_nothing_for_cloud_init() {
    let t = Tmp::new("disabled");
    let img = minimal_seed(&t);
    let (code, _) = run(
        &t,
        "cloud-init=disabled",
        &["--device", img.to_str().unwrap()],
    );
    assert_eq!(code, 0);
    assert_eq!(files(&t.path("run")), vec!["cloudseed/report.json"]);
}

#[test]
fn https_and_file_sources_are_left_to_cloud_init() {
    for cmdline in [
        "cloud-config-url=https://maas.example/p?op=get_preseed&token=SECRET",
        "ds=nocloud;s=https://seed.example/s/?token=SECRET",
        "ds=nocloud;s=file:///var/lib/seed/",
    ] {
        let t = Tmp::new("https");
        let (code, stderr) = run(&t, cmdline, &[]);
        assert_eq!(code, 0, "{cmdline}");
        assert_eq!(
            files(&t.path("run")),
            vec!["cloudseed/report.json"],
            "{cmdline}"
        );
        assert!(stderr.contains("left to cloud-init"), "{stderr}");
        assert!(!stderr.contains("SECRET") && !report(&t).text().contains("SECRET"));
    }
}

#[test]
fn a_named_seed_that_is_not_fetched_keeps_the_volume_untouched() {
    // A seedfrom we wrote would override the cmdline's https seed, so nothing is written.
    let t = Tmp::new("https-and-volume");
    let img = minimal_seed(&t);
    let (code, _) = run(
        &t,
        "ds=nocloud-net;s=https://h/",
        &["--device", img.to_str().unwrap()],
    );
    assert_eq!(code, 0);
    assert_eq!(files(&t.path("run")), vec!["cloudseed/report.json"]);
}

#[test]
fn malformed_named_source_exits_1() {
    let t = Tmp::new("malformed");
    let (code, stderr) = run(&t, "cloud-config-url=http://:99999/x?token=SECRET", &[]);
    assert_eq!(code, 1, "{stderr}");
    let r = report(&t);
    let errors = r.strs("errors");
    assert!(errors[0].starts_with("cloud-config-url"), "{errors:?}");
    assert!(!r.text().contains("SECRET"));
}

#[test]
fn required_with_nothing_found_exits_3_to_stop_the_boot() {
    let t = Tmp::new("required");
    let (code, _) = run(&t, "cloudseed.required", &[]);
    assert_eq!(code, 3);
    assert_eq!(
        report(&t).strs("errors"),
        ["cloudseed.required: no source found"]
    );
    let t = Tmp::new("not-required");
    assert_eq!(run(&t, "cloudseed.required=0", &[]).0, 0);
}

#[test]
fn pin_with_nothing_to_verify_exits_1_and_writes_nothing() {
    let t = Tmp::new("pin");
    let pin = "cloudseed.sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let (code, _) = run(&t, pin, &[]);
    assert_eq!(code, 1);
    assert_eq!(files(&t.path("run")), vec!["cloudseed/report.json"]);
}

#[test]
fn usage_errors_exit_2() {
    let out = Command::new(BIN)
        .arg("--timeout")
        .arg("soon")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("--run-dir"));
    let out = Command::new(BIN).arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        concat!("cloudseed ", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn unreadable_run_dir_is_an_error_not_a_crash() {
    let t = Tmp::new("rundir");
    let img = minimal_seed(&t);
    // run dir is a regular file: nothing can be written below it
    fs::write(t.path("run"), b"").unwrap();
    let (code, stderr) = run(&t, "quiet", &["--device", img.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("hand-off"), "{stderr}");
}

/// A cidata FAT image with an instance-id and an empty #cloud-config.
fn minimal_seed(t: &Tmp) -> PathBuf {
    let img = t.path("seed.img");
    make_fat(
        &img,
        "cidata",
        &[
            ("meta-data", b"instance-id: x\n"),
            ("user-data", b"#cloud-config\n"),
        ],
    );
    img
}

/// A FAT12 image made by the real tools (mkfs.vfat + mcopy).
pub fn make_fat(img: &Path, label: &str, files: &[(&str, &[u8])]) {
    let _ = fs::remove_file(img);
    let ok = Command::new("mkfs.vfat")
        .args(["-n", label, "-C"])
        .arg(img)
        .arg("2048")
        .output()
        .expect("mkfs.vfat (dosfstools) is needed")
        .status
        .success();
    assert!(ok, "mkfs.vfat failed");
    let dir = img.with_extension("files");
    fs::create_dir_all(&dir).unwrap();
    for (name, data) in files {
        let p = dir.join(name);
        fs::write(&p, data).unwrap();
        let ok = Command::new("mcopy")
            .arg("-i")
            .arg(img)
            .arg(&p)
            .arg("::")
            .status()
            .expect("mcopy (mtools) is needed")
            .success();
        assert!(ok, "mcopy failed");
    }
}

fn seed_file(t: &Tmp, name: &str) -> Vec<u8> {
    fs::read(t.path("run/cloud-init/seed/nocloud").join(name)).unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut child = Command::new("gzip")
        .arg("-c")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(data).unwrap();
    child.wait_with_output().unwrap().stdout
}

#[test]
fn fat_seed_round_trips_byte_for_byte() {
    let t = Tmp::new("fat-roundtrip");
    let img = t.path("seed.img");
    let ud = gzip(b"#cloud-config\nhostname: fromgzip\n");
    let nc = b"version: 2\nethernets:\n  eth0:\n    addresses: [10.0.0.5/24]\n";
    make_fat(
        &img,
        "cidata",
        &[
            ("meta-data", b"instance-id: i-123\n"),
            ("user-data", &ud),
            ("network-config", nc),
        ],
    );
    let (code, stderr) = run(&t, "quiet", &["--device", img.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(seed_file(&t, "user-data"), ud);
    assert_eq!(seed_file(&t, "meta-data"), b"instance-id: i-123\n");
    assert_eq!(seed_file(&t, "network-config"), nc);
    assert!(!t.path("run/cloud-init/seed/nocloud/vendor-data").exists());
    let cfg = fs::read_to_string(t.path("run/cloud-init/cloud.cfg")).unwrap();
    assert!(cfg.contains("datasource_list: [ NoCloud, None ]"), "{cfg}");
    assert!(
        cfg.contains("seedfrom: file:///run/cloud-init/seed/nocloud/"),
        "{cfg}"
    );
    assert!(
        cfg.contains("    network-config: |2\n      version: 2\n"),
        "{cfg}"
    );
    assert_eq!(
        fs::read(t.path("run/cloud-init/.ds-identify.result")).unwrap(),
        b"0\n"
    );
    let r = report(&t);
    assert_eq!(r.str("devices.0.verdict"), "nocloud", "{}", r.text());
    let sizes: Vec<u64> = (0..r.len("files"))
        .map(|i| r.u64(&format!("files.{i}.size")))
        .collect();
    assert!(sizes.contains(&(ud.len() as u64)), "{}", r.text());
}

#[test]
fn iso_seed_round_trips_and_nocloud_order_picks_the_volume() {
    let t = Tmp::new("iso-roundtrip");
    let dir = t.path("iso");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("meta-data"), b"instance-id: iso-1\n").unwrap();
    fs::write(dir.join("user-data"), b"#cloud-config\nruncmd: [true]\n").unwrap();
    fs::write(dir.join("vendor-data"), b"#cloud-config\n{}\n").unwrap();
    // NoCloud reads cidata devices reverse-sorted: b.iso before a.img,
    // whatever order the scan met them in.
    let iso = t.path("b.iso");
    let ok = Command::new("genisoimage")
        .args(["-quiet", "-output"])
        .arg(&iso)
        .args(["-volid", "cidata", "-joliet", "-rock"])
        .arg(&dir)
        .status()
        .expect("genisoimage is needed")
        .success();
    assert!(ok);
    let other = t.path("a.img");
    make_fat(
        &other,
        "cidata",
        &[
            ("meta-data", b"instance-id: fat\n"),
            ("user-data", b"#cloud-config\n"),
        ],
    );
    let (code, stderr) = run(
        &t,
        "quiet",
        &[
            "--device",
            other.to_str().unwrap(),
            "--device",
            iso.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(seed_file(&t, "meta-data"), b"instance-id: iso-1\n");
    assert_eq!(seed_file(&t, "vendor-data"), b"#cloud-config\n{}\n");
    assert!(stderr.contains("also present, not used"), "{stderr}");
}

#[test]
fn config_drive_is_identified_only() {
    let t = Tmp::new("config2");
    let img = t.path("cd.img");
    make_fat(&img, "config-2", &[("placeholder", b"x")]);
    let (code, stderr) = run(&t, "quiet", &["--device", img.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let cfg = fs::read_to_string(t.path("run/cloud-init/cloud.cfg")).unwrap();
    assert!(
        cfg.ends_with("datasource_list: [ ConfigDrive, None ]\n"),
        "{cfg}"
    );
    assert!(!t.path("run/cloud-init/seed").exists());
}

#[test]
fn corrupt_volume_is_reported_and_skipped() {
    let t = Tmp::new("corrupt");
    let img = t.path("bad.img");
    make_fat(
        &img,
        "cidata",
        &[
            ("meta-data", b"instance-id: x\n"),
            ("user-data", b"#cloud-config\n"),
        ],
    );
    // Cut the image inside the FAT: the label is still there, the files are not.
    let data = fs::read(&img).unwrap();
    fs::write(&img, &data[..2048]).unwrap();
    let (code, _) = run(&t, "quiet", &["--device", img.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(files(&t.path("run")), vec!["cloudseed/report.json"]);
    let r = report(&t);
    assert!(
        r.str("devices.0.verdict").starts_with("error: "),
        "{}",
        r.text()
    );
}

/// Every volume kind the real tools make goes through `cloudseed --device IMG
/// --run-dir DIR` byte for byte (tests/volumes.rs covers the reader itself).
#[test]
fn every_volume_kind_round_trips_through_the_cli() {
    let t = Tmp::new("kinds");
    let src = t.path("src");
    fs::create_dir_all(&src).unwrap();
    // 1.2 MiB of binary user-data, an empty vendor-data, a network-config.
    let mut big = Vec::with_capacity(1_200_000);
    let mut x: u32 = 1;
    while big.len() < 1_200_000 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        big.push(x as u8);
    }
    let files: [(&str, &[u8]); 4] = [
        ("meta-data", b"instance-id: kinds\n"),
        ("user-data", &big),
        ("vendor-data", b""),
        ("network-config", b"version: 2\nethernets: {}\n"),
    ];
    for (n, d) in files {
        fs::write(src.join(n), d).unwrap();
    }
    let sh = |cmd: &str| {
        let ok = Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .status()
            .unwrap()
            .success();
        assert!(ok, "{cmd}");
    };
    let s = src.display();
    let cases: Vec<(&str, String)> = vec![
        (
            "fat16",
            format!("mkfs.vfat -F 16 -n cidata -C $IMG 20480 && mcopy -i $IMG {s}/* ::"),
        ),
        (
            "fat32",
            format!("mkfs.vfat -F 32 -s 1 -n cidata -C $IMG 34000 && mcopy -i $IMG {s}/* ::"),
        ),
        (
            "fat12-upper",
            format!("mkfs.vfat -n CIDATA -C $IMG 4096 && mcopy -i $IMG {s}/* ::"),
        ),
        (
            "iso-joliet-rock",
            format!("genisoimage -quiet -o $IMG -V cidata -joliet -rock {s}"),
        ),
        (
            "iso-joliet",
            format!("genisoimage -quiet -o $IMG -V cidata -joliet {s}"),
        ),
        (
            "iso-rock",
            format!("genisoimage -quiet -o $IMG -V cidata -rock {s}"),
        ),
        (
            "xorriso",
            format!("xorriso -as mkisofs -quiet -o $IMG -V cidata -J -R {s} 2>/dev/null"),
        ),
    ];
    for (name, make) in cases {
        let img = t.path(&format!("{name}.img"));
        let _ = fs::remove_file(&img);
        sh(&make.replace("$IMG", img.to_str().unwrap()));
        let run_dir = t.path("run");
        let _ = fs::remove_dir_all(&run_dir);
        let (code, stderr) = run(&t, "quiet", &["--device", img.to_str().unwrap()]);
        assert_eq!(code, 0, "{name}: {stderr}");
        for (n, d) in files {
            assert_eq!(seed_file(&t, n), d, "{name}: {n}");
        }
        assert_eq!(
            fs::read(t.path("run/cloud-init/.ds-identify.result")).unwrap(),
            b"0\n",
            "{name}"
        );
    }
    // The label only in the boot sector (a committed image made by mkfs.vfat,
    // root label entry deleted; tests/fixtures/volumes/README.md).
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/volumes/fat12-bootlabel.img"
    );
    let _ = fs::remove_dir_all(t.path("run"));
    let (code, stderr) = run(&t, "quiet", &["--device", fixture]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        t.path("run/cloud-init/seed/nocloud/user-data").exists(),
        "{stderr}"
    );
}

/// Runs `cloudseed ARGS` with the test's fake /sys and run dir appended.
fn run_args(t: &Tmp, args: &[&str]) -> (i32, String) {
    fs::create_dir_all(t.path("sys/class/block")).unwrap();
    let out = Command::new(BIN)
        .args(args)
        .arg("--run-dir")
        .arg(t.path("run"))
        .arg("--sys-dir")
        .arg(t.path("sys"))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn two_phases_stage_then_hand_off_by_renaming() {
    use std::os::unix::fs::PermissionsExt;
    let t = Tmp::new("phases");
    let img = t.path("seed.img");
    let nc = b"version: 2\nethernets: {}\n";
    make_fat(
        &img,
        "cidata",
        &[
            ("meta-data", b"instance-id: two-phase\n"),
            ("user-data", b"#cloud-config\nhostname: p\n"),
            ("network-config", nc),
        ],
    );
    let root = t.path("root");
    fs::create_dir_all(root.join("etc/cloud")).unwrap();
    // Phase 1: before the root mount. Nothing for cloud-init yet.
    let dev = img.to_str().unwrap();
    let (code, err) = run_args(
        &t,
        &[
            "run",
            "--stage",
            "--generator",
            "initramfs-tools",
            "--cmdline",
            "quiet",
            "--device",
            dev,
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        files(&t.path("run")),
        vec![
            "cloudseed/report.json",
            "cloudseed/stage/meta-data",
            "cloudseed/stage/network-config",
            "cloudseed/stage/state",
            "cloudseed/stage/user-data",
        ]
    );
    let mode = |p: &str| fs::metadata(t.path(p)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode("run/cloudseed/stage"), 0o700);
    // Phase 2: after it. The seed files are renamed in, the stage is gone.
    let (code, err) = run_args(&t, &["handoff", "--root", root.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        files(&t.path("run")),
        vec![
            "cloud-init/.ds-identify.result",
            "cloud-init/cloud.cfg",
            "cloud-init/seed/nocloud/meta-data",
            "cloud-init/seed/nocloud/network-config",
            "cloud-init/seed/nocloud/user-data",
            "cloudseed/report.json",
        ]
    );
    assert_eq!(seed_file(&t, "meta-data"), b"instance-id: two-phase\n");
    assert_eq!(seed_file(&t, "network-config"), nc);
    assert_eq!(mode("run/cloud-init/seed/nocloud/user-data"), 0o600);
    assert_eq!(mode("run/cloud-init/seed/nocloud/meta-data"), 0o644);
    let cfg = fs::read_to_string(t.path("run/cloud-init/cloud.cfg")).unwrap();
    assert!(
        cfg.contains("datasource_list: [ NoCloud, None ]\n"),
        "{cfg}"
    );
    assert!(cfg.contains("      version: 2\n"), "{cfg}");
    // One report: phase 1's devices, phase 2's files and identification.
    let r = report(&t);
    let phases: Vec<&str> = (0..r.len("phases"))
        .map(|i| r.str(&format!("phases.{i}.name")))
        .collect();
    assert!(
        phases.contains(&"stage") && phases.contains(&"handoff-total"),
        "{phases:?}"
    );
    assert!(
        r.str("identification")
            .starts_with("enabled: [ NoCloud, None ]"),
        "{}",
        r.text()
    );
    let files: Vec<&str> = (0..r.len("files"))
        .map(|i| r.str(&format!("files.{i}.path")))
        .collect();
    assert!(
        files.contains(&"cloud-init/seed/nocloud/user-data"),
        "{files:?}"
    );
    assert_eq!(r.str("devices.0.name"), dev);
    assert_eq!(r.u64("exit_code"), 0);
}

#[test]
fn hand_off_without_a_stage_is_an_error_and_writes_nothing_for_cloud_init() {
    let t = Tmp::new("nostage");
    let (code, _) = run_args(&t, &["handoff"]);
    assert_eq!(code, 1);
    assert_eq!(files(&t.path("run")), vec!["cloudseed/report.json"]);
    let r = report(&t);
    assert!(
        r.strs("errors")
            .iter()
            .any(|e| e.contains("did `cloudseed run --stage` run?")),
        "{}",
        r.text()
    );
}

#[test]
fn a_refused_stage_leaves_phase_2_nothing_to_do() {
    let t = Tmp::new("refused");
    let img = minimal_seed(&t);
    let pin = "cloudseed.sha256.user-data=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let dev = img.to_str().unwrap();
    let (code, _) = run_args(&t, &["run", "--stage", "--cmdline", pin, "--device", dev]);
    assert_eq!(code, 1);
    let (code, _) = run_args(&t, &["handoff"]);
    assert_eq!(code, 1, "phase 1's failure stays the job's exit code");
    assert_eq!(files(&t.path("run")), vec!["cloudseed/report.json"]);
    let r = report(&t);
    assert!(
        r.strs("errors")
            .iter()
            .any(|e| e.contains("user-data does not match cloudseed.sha256.user-data")),
        "{}",
        r.text()
    );
}

#[test]
fn required_subcommand_tells_the_hooks() {
    let code = |c: &str| {
        Command::new(BIN)
            .args(["required", "--cmdline", c])
            .status()
            .unwrap()
            .code()
    };
    assert_eq!(code("quiet cloudseed.required"), Some(3));
    assert_eq!(code("cloudseed.required cloudseed.required=0"), Some(0));
    assert_eq!(code("quiet"), Some(0));
}
