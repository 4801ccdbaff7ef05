//! Local sources end to end: volumes made by real tools, read back byte for
//! byte through `read_device`, and hostile images that must end in `Err`,
//! never a panic or a hang.
//!
//! apt: dosfstools mtools genisoimage xorriso gzip util-linux
//! (mkfs.vfat, mcopy, mmd, mdir, mtype, genisoimage, xorriso, gzip, blkid,
//! losetup, mount). The loop-device and mount cases need root, as in CI.

use cloudseed::os::io::Cursor;
use cloudseed::seed::fat::{list_dir, read_path};
use cloudseed::seed::iso9660::IsoFs;
use cloudseed::seed::{read_image_bytes, Found, Fs, Kind, Seed, Volume};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

// ---------------------------------------------------------------- helpers

mod common;
use common::{tool as run, tool_output as output, TempDir};

/// `seed::read_device` for a std path (the library's paths are bytes).
fn read_device(p: impl AsRef<Path>) -> cloudseed::error::Result<(Option<Volume>, Option<Found>)> {
    let p = p.as_ref().as_os_str().as_encoded_bytes();
    cloudseed::seed::read_device(cloudseed::os::path::Path::new(p))
}

/// `mkcidata::write_image` for a std path.
fn write_image(p: &Path, files: &[(&str, &[u8])]) -> cloudseed::error::Result<()> {
    let p = p.as_os_str().as_encoded_bytes();
    cloudseed::mkcidata::write_image(cloudseed::os::path::Path::new(p), files)
}

/// xorshift64*: deterministic bytes and mutations without a crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn gzip(data: &[u8], dir: &TempDir) -> Vec<u8> {
    let p = dir.path("gz-input");
    fs::write(&p, data).unwrap();
    output("gzip", &["-9", "-n", "-c", p.to_str().unwrap()])
}

/// A seed with files from 0 bytes to over 1 MiB, binary gzip user-data and
/// optional vendor-data / network-config.
fn seed_files(dir: &TempDir, big: bool, vendor: bool, network: bool) -> Seed {
    let mut rng = Rng(0x5eed);
    let user_data = if big {
        rng.bytes(1_200_000 + 123)
    } else {
        gzip(
            b"#cloud-config\nhostname: seeded\nruncmd: [[touch, /x]]\n",
            dir,
        )
    };
    Seed {
        meta_data: if big {
            Vec::new()
        } else {
            b"instance-id: iid-local01\nlocal-hostname: seeded\n".to_vec()
        },
        user_data,
        vendor_data: vendor.then(|| b"#cloud-config\npackages: [htop]\n".to_vec()),
        network_config: network.then(|| {
            b"version: 2\nethernets:\n  id0:\n    match: {name: \"e*\"}\n    dhcp4: true\n".to_vec()
        }),
    }
}

/// Writes the seed files into `src` and returns their paths.
fn stage(dir: &TempDir, src: &str, seed: &Seed) -> Vec<String> {
    let d = dir.path(src);
    fs::create_dir_all(&d).unwrap();
    let mut files = vec![
        ("meta-data", &seed.meta_data),
        ("user-data", &seed.user_data),
    ];
    if let Some(v) = &seed.vendor_data {
        files.push(("vendor-data", v));
    }
    if let Some(n) = &seed.network_config {
        files.push(("network-config", n));
    }
    files
        .into_iter()
        .map(|(name, data)| {
            let p = d.join(name);
            fs::write(&p, data).unwrap();
            p.to_str().unwrap().to_string()
        })
        .collect()
}

fn make_fat(dir: &TempDir, name: &str, mkfs: &[&str], kib: u32, seed: &Seed) -> PathBuf {
    let img = dir.path(name);
    let img_s = img.to_str().unwrap();
    let mut args: Vec<&str> = mkfs.to_vec();
    let kib = kib.to_string();
    args.extend(["-C", img_s, &kib]);
    run("mkfs.vfat", &args);
    let files = stage(dir, &format!("{name}.src"), seed);
    let mut args = vec!["-i", img_s];
    args.extend(files.iter().map(String::as_str));
    args.push("::/");
    run("mcopy", &args);
    img
}

fn make_iso(dir: &TempDir, name: &str, tool: &str, opts: &[&str], seed: &Seed) -> PathBuf {
    let img = dir.path(name);
    let src = format!("{name}.src");
    stage(dir, &src, seed);
    let (img_s, src_s) = (
        img.to_str().unwrap().to_string(),
        dir.path(&src).to_str().unwrap().to_string(),
    );
    let mut args: Vec<&str> = if tool == "xorriso" {
        vec!["-as", "mkisofs"]
    } else {
        vec![]
    };
    args.extend(["-quiet", "-o", &img_s]);
    args.extend(opts);
    args.push(&src_s);
    run(tool, &args);
    img
}

/// The probed UUID, checked for blkid's shape ("XXXX-XXXX" for vfat, the
/// "YYYY-MM-DD-HH-MM-SS-cc" date for iso9660).
fn blkid_uuid(v: &Option<Volume>) -> String {
    let v = v.as_ref().expect("a volume");
    let shape: &[usize] = match v.fs {
        Fs::Vfat => &[4, 4],
        Fs::Iso9660 => &[4, 2, 2, 2, 2, 2, 2],
        _ => return v.uuid.clone(),
    };
    let parts: Vec<&str> = v.uuid.split('-').collect();
    let ok = parts.len() == shape.len()
        && parts.iter().zip(shape).all(|(p, &n)| {
            p.len() == n
                && p.bytes()
                    .all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(&c))
        });
    assert!(ok, "{:?} uuid {:?} is not as blkid prints it", v.fs, v.uuid);
    v.uuid.clone()
}

fn expect_nocloud(img: &Path, label: &str, fs_: Fs, seed: &Seed) {
    let (volume, found) = read_device(img).unwrap_or_else(|e| panic!("{}: {e}", img.display()));
    let want = Volume {
        fs: fs_,
        label: label.into(),
        uuid: blkid_uuid(&volume),
    };
    assert_eq!(volume.as_ref(), Some(&want));
    let found = found.expect("cidata volume not found");
    assert_eq!(found.kind, Kind::NoCloud);
    assert_eq!(found.volume, want);
    let got = found.seed.expect("no seed");
    // Compare piecewise so a failure does not print a megabyte.
    assert!(got.meta_data == seed.meta_data, "meta-data differs");
    assert!(
        got.user_data == seed.user_data,
        "user-data differs ({} vs {} bytes)",
        got.user_data.len(),
        seed.user_data.len()
    );
    assert_eq!(got.vendor_data, seed.vendor_data);
    assert_eq!(got.network_config, seed.network_config);
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn find_all(hay: &[u8], needle: &[u8]) -> Vec<usize> {
    hay.windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect()
}

/// Any outcome but a wrong seed: Err, nothing found, or exactly the original.
fn never_wrong(data: &[u8], seed: &Seed) {
    if let Ok((
        _,
        Some(Found {
            seed: Some(got), ..
        }),
    )) = read_image_bytes(data)
    {
        assert!(got == *seed, "a damaged image produced a different seed");
    }
}

// ------------------------------------------------------------ FAT volumes

/// How a round-trip volume is made.
enum Maker {
    /// mkfs.vfat with these options and size (KiB), files added by mcopy.
    Fat { kib: u32 },
    /// genisoimage or xorriso with these options.
    Iso { tool: &'static str },
}

/// A volume made by a real tool that must read back byte for byte.
struct RoundTrip {
    name: &'static str,
    maker: Maker,
    opts: &'static [&'static str],
    label: &'static str,
    /// seed_files(big, vendor-data, network-config)
    files: (bool, bool, bool),
    /// Bytes the image must contain (proof the tool did what the case says).
    holds: Option<&'static [u8]>,
}

const ROUND_TRIPS: &[RoundTrip] = &[
    RoundTrip {
        name: "fat12",
        maker: Maker::Fat { kib: 2048 },
        opts: &["-n", "cidata"],
        label: "cidata",
        files: (false, true, true),
        holds: Some(b"FAT12   "),
    },
    RoundTrip {
        name: "fat16-big-and-empty-files",
        maker: Maker::Fat { kib: 20_000 },
        opts: &["-F", "16", "-n", "cidata"],
        label: "cidata",
        files: (true, false, true),
        holds: Some(b"FAT16   "),
    },
    RoundTrip {
        // 34 MB in 512-byte clusters: over the 65,525 clusters of FAT32.
        name: "fat32",
        maker: Maker::Fat { kib: 34_000 },
        opts: &["-F", "32", "-s", "1", "-n", "cidata"],
        label: "cidata",
        files: (true, true, false),
        holds: Some(b"FAT32   "),
    },
    RoundTrip {
        name: "fat12-4k-sectors",
        maker: Maker::Fat { kib: 4096 },
        opts: &["-S", "4096", "-n", "cidata"],
        label: "cidata",
        files: (false, true, false),
        holds: Some(b"FAT12   "),
    },
    RoundTrip {
        name: "fat-uppercase-label",
        maker: Maker::Fat { kib: 1440 },
        opts: &["-n", "CIDATA"],
        label: "CIDATA",
        files: (false, false, false),
        holds: None,
    },
    RoundTrip {
        name: "iso-joliet-and-rock-ridge",
        maker: Maker::Iso {
            tool: "genisoimage",
        },
        opts: &["-V", "cidata", "-joliet", "-rock"],
        label: "cidata",
        files: (false, true, true),
        holds: None,
    },
    RoundTrip {
        name: "iso-joliet-only",
        maker: Maker::Iso {
            tool: "genisoimage",
        },
        opts: &["-V", "cidata", "-joliet"],
        label: "cidata",
        files: (true, false, true),
        holds: None,
    },
    RoundTrip {
        name: "iso-rock-ridge-only",
        maker: Maker::Iso {
            tool: "genisoimage",
        },
        opts: &["-V", "cidata", "-rock"],
        label: "cidata",
        files: (true, true, false),
        holds: None,
    },
    RoundTrip {
        // Plain ISO 9660 names cannot hold "user-data" without relaxed
        // names; the kernel maps "USER-DATA.;1" to "user-data", and so do we.
        name: "iso-plain-names-upper",
        maker: Maker::Iso {
            tool: "genisoimage",
        },
        opts: &["-V", "CIDATA", "-l", "-relaxed-filenames"],
        label: "CIDATA",
        files: (false, true, true),
        holds: Some(b"USER-DATA.;1"),
    },
    RoundTrip {
        name: "iso-plain-names-lower",
        maker: Maker::Iso {
            tool: "genisoimage",
        },
        opts: &[
            "-V",
            "cidata",
            "-l",
            "-relaxed-filenames",
            "-allow-lowercase",
        ],
        label: "cidata",
        files: (false, true, true),
        holds: None,
    },
    RoundTrip {
        name: "iso-xorriso",
        maker: Maker::Iso { tool: "xorriso" },
        opts: &["-V", "cidata", "-J", "-R"],
        label: "cidata",
        files: (true, true, true),
        holds: None,
    },
];

/// Every volume in `ROUND_TRIPS`, made by its tool and read back.
#[test]
fn volumes_round_trip() {
    for case in ROUND_TRIPS {
        let dir = TempDir::new(case.name);
        let (big, vendor, network) = case.files;
        let seed = seed_files(&dir, big, vendor, network);
        let (img, fs_) = match case.maker {
            Maker::Fat { kib } => (
                make_fat(&dir, &format!("{}.img", case.name), case.opts, kib, &seed),
                Fs::Vfat,
            ),
            Maker::Iso { tool } => (
                make_iso(&dir, &format!("{}.iso", case.name), tool, case.opts, &seed),
                Fs::Iso9660,
            ),
        };
        if let Some(bytes) = case.holds {
            let data = fs::read(&img).unwrap();
            assert!(find(&data, bytes).is_some(), "{}: no {bytes:?}", case.name);
        }
        expect_nocloud(&img, case.label, fs_, &seed);
    }
}

/// mkfs.vfat writes the label twice; mark the root-directory entry deleted
/// (0xE5) so only the boot sector says `cidata` (blkid's LABEL_FATBOOT).
#[test]
fn fat_label_only_in_boot_sector() {
    let dir = TempDir::new("fatboot");
    let seed = seed_files(&dir, false, true, false);
    let img = make_fat(&dir, "boot.img", &["-n", "cidata"], 2048, &seed);
    let mut data = fs::read(&img).unwrap();
    let hits = find_all(&data, b"cidata     \x08");
    assert_eq!(hits.len(), 1, "one root-directory label entry expected");
    data[hits[0]] = 0xE5;
    fs::write(&img, &data).unwrap();
    let blkid = Command::new("blkid")
        .args(["-p", "-o", "export", img.to_str().unwrap()])
        .output()
        .unwrap();
    let blkid = String::from_utf8_lossy(&blkid.stdout);
    assert!(
        blkid.contains("LABEL_FATBOOT=cidata"),
        "blkid sees: {blkid}"
    );
    expect_nocloud(&img, "cidata", Fs::Vfat, &seed);
}

/// The other way round: boot sector says NO NAME, the root directory cidata.
#[test]
fn fat_label_only_in_root_directory() {
    let dir = TempDir::new("fatroot");
    let seed = seed_files(&dir, false, false, true);
    let img = make_fat(&dir, "root.img", &["-n", "cidata"], 2048, &seed);
    let mut data = fs::read(&img).unwrap();
    assert_eq!(&data[43..54], b"cidata     ");
    data[43..54].copy_from_slice(b"NO NAME    ");
    fs::write(&img, &data).unwrap();
    expect_nocloud(&img, "cidata", Fs::Vfat, &seed);
}

#[test]
fn fat_without_user_data_is_an_error() {
    let dir = TempDir::new("fatnoud");
    let img = dir.path("noud.img");
    run(
        "mkfs.vfat",
        &["-n", "cidata", "-C", img.to_str().unwrap(), "1440"],
    );
    let md = dir.path("meta-data");
    fs::write(&md, b"instance-id: x\n").unwrap();
    run(
        "mcopy",
        &["-i", img.to_str().unwrap(), md.to_str().unwrap(), "::/"],
    );
    let err = read_device(&img).unwrap_err().to_string();
    assert_eq!(err, "malformed cidata volume has no user-data");
}

#[test]
fn fat_other_label_is_seen_not_found() {
    let dir = TempDir::new("fatdata");
    let seed = seed_files(&dir, false, false, false);
    let img = make_fat(&dir, "data.img", &["-n", "data"], 1440, &seed);
    let (volume, found) = read_device(&img).unwrap();
    assert_eq!(
        volume,
        Some(Volume {
            fs: Fs::Vfat,
            label: "data".into(),
            uuid: blkid_uuid(&volume),
        })
    );
    assert_eq!(found, None);
}

#[test]
fn fat_config_drive_is_identified() {
    let dir = TempDir::new("fatcfg2");
    let img = dir.path("cfg2.img");
    let img_s = img.to_str().unwrap();
    run("mkfs.vfat", &["-n", "config-2", "-C", img_s, "1440"]);
    let meta = dir.path("meta_data.json");
    fs::write(
        &meta,
        br#"{"uuid": "0d8e3b7f-6b0e-4a5c-9a71-1a1c6e4c2d10", "hostname": "vm1"}"#,
    )
    .unwrap();
    run("mmd", &["-i", img_s, "::/openstack", "::/openstack/latest"]);
    run(
        "mcopy",
        &["-i", img_s, meta.to_str().unwrap(), "::/openstack/latest/"],
    );
    let (volume, found) = read_device(&img).unwrap();
    let want = Volume {
        fs: Fs::Vfat,
        label: "config-2".into(),
        uuid: blkid_uuid(&volume),
    };
    assert_eq!(volume, Some(want.clone()));
    assert_eq!(
        found,
        Some(Found {
            volume: want,
            kind: Kind::ConfigDrive,
            seed: None
        })
    );
}

/// A tiny FAT32 volume made by mkfs.vfat (1 MiB, 1984 clusters: the kernel
/// and fsck.fat take it as FAT32 by its BPB fields; mtools refuses FAT32
/// under 65,525 clusters, so it cannot write into it). The directories and
/// files come from mtools all the same: `populate` fills a 34 MB FAT32
/// made with the same reserved sectors and cluster size, and its used
/// clusters and FAT entries are copied over. fsck.fat then checks the result.
fn tiny_fat32(dir: &TempDir, name: &str, label: &str, populate: impl Fn(&str)) -> PathBuf {
    let big = dir.path(&format!("{name}.big"));
    let tiny = dir.path(name);
    for (img, kib) in [(&big, "34000"), (&tiny, "1024")] {
        let img_s = img.to_str().unwrap();
        run(
            "mkfs.vfat",
            &["-F", "32", "-s", "1", "-n", label, "-C", img_s, kib],
        );
    }
    populate(big.to_str().unwrap());
    let b = fs::read(&big).unwrap();
    let mut t = fs::read(&tiny).unwrap();
    let u16_at = |d: &[u8], o: usize| u16::from_le_bytes([d[o], d[o + 1]]) as usize;
    let u32_at = |d: &[u8], o: usize| u32::from_le_bytes(d[o..o + 4].try_into().unwrap()) as usize;
    let (reserved, fats) = (u16_at(&t, 14), t[16] as usize);
    assert_eq!(
        (u16_at(&b, 14), b[16] as usize, b[13], t[13]),
        (reserved, fats, 1, 1)
    );
    let (b_fat, t_fat) = (u32_at(&b, 36), u32_at(&t, 36));
    let fat = reserved * 512;
    let used = (2..65536)
        .rev()
        .find(|&c| u32_at(&b, fat + 4 * c) != 0)
        .unwrap();
    let total = match u16_at(&t, 19) {
        0 => u32_at(&t, 32),
        n => n,
    };
    let t_clusters = total - reserved - fats * t_fat;
    assert!(used < t_clusters, "{used} clusters do not fit");
    for f in 0..fats {
        let at = fat + f * t_fat * 512;
        t[at..at + 4 * (used + 1)].copy_from_slice(&b[fat..fat + 4 * (used + 1)]);
    }
    let (b_data, t_data) = (
        (reserved + fats * b_fat) * 512,
        (reserved + fats * t_fat) * 512,
    );
    let n = (used - 1) * 512;
    t[t_data..t_data + n].copy_from_slice(&b[b_data..b_data + n]);
    // FSInfo: free clusters and the next free one.
    let fsinfo = u16_at(&t, 48) * 512;
    t[fsinfo + 488..fsinfo + 492]
        .copy_from_slice(&((t_clusters - (used - 1)) as u32).to_le_bytes());
    t[fsinfo + 492..fsinfo + 496].copy_from_slice(&((used + 1) as u32).to_le_bytes());
    fs::write(&tiny, &t).unwrap();
    let fsck = Command::new("fsck.fat")
        .args(["-n", tiny.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        fsck.status.success(),
        "fsck.fat: {}",
        String::from_utf8_lossy(&fsck.stdout)
    );
    let blkid = String::from_utf8(output(
        "blkid",
        &["-p", "-o", "export", tiny.to_str().unwrap()],
    ))
    .unwrap();
    assert!(
        blkid.contains("VERSION=FAT32") && blkid.contains("TYPE=vfat"),
        "{blkid}"
    );
    tiny
}

#[test]
fn fat32_tiny_round_trip() {
    let dir = TempDir::new("fat32tiny");
    let seed = seed_files(&dir, false, true, true);
    let files = stage(&dir, "src", &seed);
    let img = tiny_fat32(&dir, "t.img", "cidata", |big| {
        let mut args = vec!["-i", big];
        args.extend(files.iter().map(String::as_str));
        args.push("::/");
        run("mcopy", &args);
    });
    assert_eq!(fs::metadata(&img).unwrap().len(), 1 << 20);
    expect_nocloud(&img, "cidata", Fs::Vfat, &seed);
}

/// Names as mtools writes them (long names, lower-case and mixed-case 8.3
/// names with NT case flags, sub-directories as config-2 has them), on
/// FAT12, FAT16, FAT32 and tiny FAT32: every name reads as `mdir -b` lists
/// it, and every file reads back byte for byte, under any case.
#[test]
fn fat_names_and_paths_match_mtools() {
    let dir = TempDir::new("fatnames");
    let src = dir.path("src");
    let latest = src.join("openstack/latest");
    fs::create_dir_all(&latest).unwrap();
    let names = [
        "lower.txt",
        "Mixed.Txt",
        "UPPER.TXT",
        "abc",
        "with space.txt",
        "LONGNAMEFILE.json",
        "a-name-of-exactly-26-chars",
        "\u{fc}n\u{ef}code-long-name.txt",
    ];
    let mut want: Vec<(String, Vec<u8>)> = Vec::new();
    for (i, n) in names.iter().enumerate() {
        let body = format!("{n} {i}\n").repeat(i * 300 + 1).into_bytes();
        fs::write(src.join(n), &body).unwrap();
        want.push((n.to_string(), body));
    }
    fs::write(latest.join("meta_data.json"), CONFIG2_META).unwrap();
    let populate = |img: &str| {
        let mut args = vec!["-s", "-i", img];
        let paths: Vec<String> = fs::read_dir(&src)
            .unwrap()
            .map(|e| e.unwrap().path().to_str().unwrap().to_string())
            .collect();
        args.extend(paths.iter().map(String::as_str));
        args.push("::/");
        run("mcopy", &args);
    };
    let mut images = Vec::new();
    for (name, opts, kib) in [
        ("f12.img", &["-n", "config-2"][..], "2048"),
        ("f16.img", &["-F", "16", "-n", "config-2"][..], "20000"),
        (
            "f32.img",
            &["-F", "32", "-s", "1", "-n", "config-2"][..],
            "34000",
        ),
    ] {
        let img = dir.path(name);
        let mut args = opts.to_vec();
        args.extend(["-C", img.to_str().unwrap(), kib]);
        run("mkfs.vfat", &args);
        populate(img.to_str().unwrap());
        images.push((img.clone(), img));
    }
    // mtools cannot read the tiny FAT32: its big twin has the same entries.
    let tiny = tiny_fat32(&dir, "tiny.img", "config-2", populate);
    images.push((tiny, dir.path("tiny.img.big")));
    for (img, twin) in &images {
        let open = || Cursor::new(fs::read(img).unwrap());
        let listing =
            String::from_utf8(output("mdir", &["-b", "-i", twin.to_str().unwrap(), "::/"]))
                .unwrap();
        let mut theirs: Vec<String> = listing
            .lines()
            .map(|l| {
                l.trim_start_matches("::/")
                    .trim_end_matches('/')
                    .to_string()
            })
            .collect();
        let mut ours: Vec<String> = list_dir(open(), &[])
            .unwrap()
            .unwrap()
            .iter()
            .map(|e| e.name())
            .collect();
        theirs.sort();
        ours.sort();
        assert_eq!(ours, theirs, "{}", img.display());
        for (name, body) in &want {
            for n in [
                name.clone(),
                name.to_ascii_uppercase(),
                name.to_ascii_lowercase(),
            ] {
                let got = read_path(open(), &[&n]).unwrap();
                assert!(got.as_ref() == Some(body), "{}: {n}", img.display());
            }
        }
        let meta = read_path(open(), &["OpenStack", "LATEST", "Meta_Data.JSON"]).unwrap();
        assert_eq!(meta.as_deref(), Some(CONFIG2_META), "{}", img.display());
        assert_eq!(read_path(open(), &["openstack", "nope"]).unwrap(), None);
        assert_eq!(read_path(open(), &["lower.txt", "x"]).unwrap(), None);
        let (_, found) = read_device(img).unwrap();
        assert_eq!(found.unwrap().kind, Kind::ConfigDrive);
    }
}

// ------------------------------------------------------------ ISO volumes

/// A 200-character Rock Ridge name does not fit beside the other RR fields
/// in a 255-byte record, so the tools spill NM into a continuation area (CE).
#[test]
fn iso_rock_ridge_long_names() {
    let dir = TempDir::new("isolong");
    let seed = seed_files(&dir, false, false, false);
    let long = format!("{}-{}.txt", "n".repeat(150), "m".repeat(45));
    for tool in ["genisoimage", "xorriso"] {
        let name = format!("{tool}.iso");
        let src = dir.path(&format!("{name}.src"));
        fs::create_dir_all(&src).unwrap();
        fs::write(src.join(&long), b"long name\n").unwrap();
        let img = make_iso(&dir, &name, tool, &["-V", "cidata", "-R"], &seed);
        let data = fs::read(&img).unwrap();
        let mut iso = IsoFs::open(Cursor::new(data)).unwrap();
        let entry = iso
            .find(&[&long])
            .unwrap()
            .unwrap_or_else(|| panic!("{tool}: long name not found"));
        assert_eq!(iso.read_file(&entry).unwrap(), b"long name\n");
        assert!(
            iso.find(&[&long.to_uppercase()]).unwrap().is_none(),
            "rock ridge names are exact"
        );
    }
}

#[test]
fn iso_other_label_and_config_drive() {
    let dir = TempDir::new("isolabels");
    let seed = seed_files(&dir, false, false, false);
    let img = make_iso(
        &dir,
        "data.iso",
        "genisoimage",
        &["-V", "data", "-J", "-R"],
        &seed,
    );
    let got = read_device(&img).unwrap();
    assert_eq!(
        got,
        (
            Some(Volume {
                fs: Fs::Iso9660,
                label: "data".into(),
                uuid: blkid_uuid(&got.0),
            }),
            None
        )
    );

    let img = config2_iso(&dir);
    let (volume, found) = read_device(&img).unwrap();
    let want = Volume {
        fs: Fs::Iso9660,
        label: "config-2".into(),
        uuid: blkid_uuid(&volume),
    };
    assert_eq!(volume, Some(want.clone()));
    assert_eq!(
        found,
        Some(Found {
            volume: want,
            kind: Kind::ConfigDrive,
            seed: None
        })
    );
    let mut iso = IsoFs::open(Cursor::new(fs::read(&img).unwrap())).unwrap();
    let entry = iso
        .find(&["openstack", "latest", "meta_data.json"])
        .unwrap()
        .expect("meta_data.json");
    assert_eq!(iso.read_file(&entry).unwrap(), CONFIG2_META);
}

const CONFIG2_META: &[u8] =
    br#"{"uuid": "7f0c0b9e-5a6b-4c3d-8e2f-1a2b3c4d5e6f", "hostname": "vm2"}"#;

/// A plain-named config-2 ISO (so records are easy to find and patch).
fn config2_iso(dir: &TempDir) -> PathBuf {
    let src = dir.path("cfg2.src/openstack/latest");
    fs::create_dir_all(&src).unwrap();
    fs::write(src.join("meta_data.json"), CONFIG2_META).unwrap();
    let img = dir.path("cfg2.iso");
    run(
        "genisoimage",
        &[
            "-quiet",
            "-V",
            "config-2",
            "-l",
            "-relaxed-filenames",
            "-allow-lowercase",
            "-o",
            img.to_str().unwrap(),
            dir.path("cfg2.src").to_str().unwrap(),
        ],
    );
    img
}

// ------------------------------------------------------ ISO record patching

/// Offset of the directory record whose name is `name` (plain ISO names).
fn record_at(data: &[u8], name: &[u8]) -> usize {
    let hits: Vec<usize> = find_all(data, name)
        .into_iter()
        .filter(|&p| p >= 33 && data[p - 1] as usize == name.len())
        .map(|p| p - 33)
        .collect();
    assert_eq!(hits.len(), 1, "record {:?}", String::from_utf8_lossy(name));
    hits[0]
}

fn both32(v: u32) -> [u8; 8] {
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&v.to_le_bytes());
    b[4..].copy_from_slice(&v.to_be_bytes());
    b
}

fn set_extent(data: &mut [u8], rec: usize, lba: u32) {
    data[rec + 2..rec + 10].copy_from_slice(&both32(lba));
}

fn set_len(data: &mut [u8], rec: usize, len: u32) {
    data[rec + 10..rec + 18].copy_from_slice(&both32(len));
}

fn lba_of(data: &[u8], rec: usize) -> u32 {
    u32::from_le_bytes(data[rec + 2..rec + 6].try_into().unwrap())
}

/// No tool makes a multi-extent file without writing 4 GiB, so split a real
/// file's contiguous extent into three records flagged 0x80, 0x80, 0.
#[test]
fn iso_multi_extent_file() {
    let dir = TempDir::new("isomulti");
    let mut seed = seed_files(&dir, false, false, false);
    seed.user_data = Rng(7).bytes(5000);
    let img = make_iso(
        &dir,
        "m.iso",
        "genisoimage",
        &[
            "-V",
            "cidata",
            "-l",
            "-relaxed-filenames",
            "-allow-lowercase",
        ],
        &seed,
    );
    let mut data = fs::read(&img).unwrap();
    let rec = record_at(&data, b"user-data.;1");
    let len = data[rec] as usize;
    let original = data[rec..rec + len].to_vec();
    let lba = lba_of(&data, rec);
    // Append two more records after the last one in this directory sector.
    let sector_start = rec - rec % 2048;
    let mut end = sector_start;
    while data[end] != 0 {
        end += data[end] as usize;
    }
    let parts = [
        (lba, 2048u32, 0x80u8),
        (lba + 1, 2048, 0x80),
        (lba + 2, 5000 - 4096, 0),
    ];
    let mut recs = Vec::new();
    for (l, n, flags) in parts {
        let mut r = original.clone();
        r[2..10].copy_from_slice(&both32(l));
        r[10..18].copy_from_slice(&both32(n));
        r[25] = flags;
        recs.push(r);
    }
    // The first part replaces the original; the others go at the end.
    data[rec..rec + len].copy_from_slice(&recs[0]);
    data[end..end + len].copy_from_slice(&recs[1]);
    data[end + len..end + 2 * len].copy_from_slice(&recs[2]);
    // The parts of a multi-extent file must be adjacent records; user-data
    // sorts last, so appending after it keeps them so.
    assert_eq!(rec + len, end, "user-data should be the last record");
    fs::write(&img, &data).unwrap();
    expect_nocloud(&img, "cidata", Fs::Iso9660, &seed);

    // Without its last part the chain is malformed, not silently short.
    data[end + len..end + 2 * len].fill(0);
    assert!(read_image_bytes(&data).is_err());
}

#[test]
fn iso_directory_loops_are_refused() {
    let dir = TempDir::new("isoloop");
    let clean = fs::read(config2_iso(&dir)).unwrap();
    let os = record_at(&clean, b"openstack");
    let latest = record_at(&clean, b"latest");
    let pvd_root_lba =
        u32::from_le_bytes(clean[32768 + 156 + 2..32768 + 156 + 6].try_into().unwrap());
    // "openstack" pointing back at the root, and "latest" at its parent.
    let mut to_root = clean.clone();
    set_extent(&mut to_root, os, pvd_root_lba);
    let mut to_parent = clean.clone();
    set_extent(&mut to_parent, latest, lba_of(&clean, os));
    let cases = [
        (to_root, &["openstack", "openstack", "x"][..]),
        (to_parent, &["openstack", "latest", "latest", "x"][..]),
    ];
    for (data, path) in cases {
        let mut iso = IsoFs::open(Cursor::new(data.clone())).unwrap();
        let err = iso.find(path).unwrap_err().to_string();
        assert_eq!(err, "malformed iso9660 directory loop");
        // The device read still identifies the drive; only the log line is lost.
        let (_, found) = read_image_bytes(&data).unwrap();
        assert_eq!(found.unwrap().kind, Kind::ConfigDrive);
    }
}

#[test]
fn iso_absurd_sizes_and_extents() {
    let dir = TempDir::new("isoabsurd");
    let seed = seed_files(&dir, false, false, false);
    let img = make_iso(
        &dir,
        "a.iso",
        "genisoimage",
        &[
            "-V",
            "cidata",
            "-l",
            "-relaxed-filenames",
            "-allow-lowercase",
        ],
        &seed,
    );
    let clean = fs::read(&img).unwrap();
    let rec = record_at(&clean, b"user-data.;1");

    let mut huge = clean.clone();
    set_len(&mut huge, rec, u32::MAX);
    assert!(read_image_bytes(&huge)
        .unwrap_err()
        .to_string()
        .starts_with("over limit"));

    let mut past = clean.clone();
    set_extent(&mut past, rec, 0x00ff_ffff);
    assert!(read_image_bytes(&past)
        .unwrap_err()
        .to_string()
        .starts_with("truncated"));

    let mut far = clean.clone();
    set_extent(&mut far, rec, u32::MAX);
    assert!(read_image_bytes(&far).is_err());

    // A root directory claiming 4 GiB.
    let mut root = clean.clone();
    root[32768 + 156 + 10..32768 + 156 + 18].copy_from_slice(&both32(u32::MAX));
    assert!(read_image_bytes(&root).is_err());
}

// -------------------------------------------------------- hostile images

#[test]
fn truncated_images_never_yield_a_wrong_seed() {
    let dir = TempDir::new("trunc");
    let seed = seed_files(&dir, false, true, true);
    let fat = fs::read(make_fat(&dir, "t.img", &["-n", "cidata"], 1440, &seed)).unwrap();
    let iso = fs::read(make_iso(
        &dir,
        "t.iso",
        "genisoimage",
        &["-V", "cidata", "-J", "-R"],
        &seed,
    ))
    .unwrap();
    for data in [&fat, &iso] {
        let mut cut = 0;
        while cut < data.len() {
            never_wrong(&data[..cut], &seed);
            cut += if cut < 64 * 1024 { 509 } else { 8191 };
        }
        never_wrong(data, &seed);
        assert!(read_image_bytes(data).unwrap().1.is_some());
    }
}

#[test]
fn random_bytes_with_a_cidata_label() {
    let dir = TempDir::new("random");
    let seed = seed_files(&dir, false, false, false);
    let fat = fs::read(make_fat(&dir, "r.img", &["-n", "cidata"], 1440, &seed)).unwrap();
    let mut rng = Rng(42);
    for round in 0..20 {
        // A real boot sector over random bytes: the FATs and directories are noise.
        let mut data = rng.bytes(fat.len());
        data[..512].copy_from_slice(&fat[..512]);
        assert!(
            read_image_bytes(&data).is_err() || read_image_bytes(&data).unwrap().1.is_none(),
            "round {round}"
        );
        // A primary volume descriptor saying cidata over random bytes.
        let mut data = rng.bytes(400 * 1024);
        data[32768] = 1;
        data[32769..32774].copy_from_slice(b"CD001");
        data[32768 + 40..32768 + 72].copy_from_slice(b"cidata                          ");
        data[32768 + 128..32768 + 130].copy_from_slice(&2048u16.to_le_bytes());
        assert!(read_image_bytes(&data).is_err(), "round {round}");
    }
}

#[test]
fn fat_absurd_size_and_bad_clusters_are_errors() {
    let dir = TempDir::new("fatbad");
    let seed = seed_files(&dir, false, false, false);
    let clean = fs::read(make_fat(&dir, "p.img", &["-n", "cidata"], 1440, &seed)).unwrap();
    // The short-name entry of user-data: "USER-D~1   " then attributes.
    let entry = find(&clean, b"USER-D~1   ").expect("short name entry");

    let mut huge = clean.clone();
    huge[entry + 28..entry + 32].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(read_image_bytes(&huge)
        .unwrap_err()
        .to_string()
        .starts_with("over limit"));

    // First cluster 1 is reserved (fatfs once panicked on `cluster - 2`).
    let mut reserved = clean.clone();
    reserved[entry + 26..entry + 28].copy_from_slice(&1u16.to_le_bytes());
    let err = read_image_bytes(&reserved).unwrap_err().to_string();
    assert_eq!(err, "malformed fat first cluster 1 out of range");

    // A file whose cluster chain points at itself: a loop, refused.
    let mut cyclic = clean.clone();
    let first = u16::from_le_bytes([clean[entry + 26], clean[entry + 27]]) as usize;
    set_fat12(&mut cyclic, 512, first, first as u16);
    cyclic[entry + 28..entry + 32].copy_from_slice(&(1u32 << 20).to_le_bytes());
    let err = read_image_bytes(&cyclic).unwrap_err().to_string();
    assert_eq!(err, "malformed fat cluster chain loop");
}

/// Sets FAT12 entry `n` (FAT at byte `fat`) to `val`.
fn set_fat12(data: &mut [u8], fat: usize, n: usize, val: u16) {
    let off = fat + n * 3 / 2;
    let pair = u16::from_le_bytes([data[off], data[off + 1]]);
    let new = if n % 2 == 0 {
        (pair & 0xF000) | val
    } else {
        (pair & 0x000F) | (val << 4)
    };
    data[off..off + 2].copy_from_slice(&new.to_le_bytes());
}

/// A FAT32 root directory whose cluster chain loops and holds only deleted
/// entries (fatfs searched it for the label until a read budget stopped it):
/// the chain walk refuses the loop.
#[test]
fn fat32_cyclic_root_directory_is_refused() {
    let dir = TempDir::new("fatcycle");
    let img = dir.path("c.img");
    run(
        "mkfs.vfat",
        &[
            "-F",
            "32",
            "-s",
            "1",
            "-n",
            "cidata",
            "-C",
            img.to_str().unwrap(),
            "34000",
        ],
    );
    let mut data = fs::read(&img).unwrap();
    let reserved = u16::from_le_bytes([data[14], data[15]]) as usize;
    let fats = data[16] as usize;
    let fat_sectors = u32::from_le_bytes(data[36..40].try_into().unwrap()) as usize;
    let root_cluster = u32::from_le_bytes(data[44..48].try_into().unwrap()) as usize;
    assert_eq!(root_cluster, 2);
    let root = (reserved + fats * fat_sectors) * 512;
    for e in data[root..root + 512].chunks_mut(32) {
        e[0] = 0xE5;
        e[11] = 0x20;
    }
    for f in 0..fats {
        let at = (reserved + f * fat_sectors) * 512 + 4 * root_cluster;
        data[at..at + 4].copy_from_slice(&(root_cluster as u32).to_le_bytes());
    }
    let err = read_image_bytes(&data).unwrap_err().to_string();
    assert_eq!(err, "malformed fat cluster chain loop");
}

#[test]
fn mutations_never_panic() {
    let dir = TempDir::new("mutate");
    let seed = seed_files(&dir, false, true, true);
    let fat = fs::read(make_fat(&dir, "m.img", &["-n", "cidata"], 1440, &seed)).unwrap();
    let iso = fs::read(make_iso(
        &dir,
        "m.iso",
        "genisoimage",
        &["-V", "cidata", "-J", "-R"],
        &seed,
    ))
    .unwrap();
    let mut rng = Rng(0xdead_beef);
    // Aim most mutations at the metadata: boot sector, first FAT sector and
    // root directory of the FAT image; the PVD and root directory of the ISO.
    let u16_at = |d: &[u8], at: usize| u16::from_le_bytes([d[at], d[at + 1]]) as usize;
    let fat_root = (u16_at(&fat, 14) + fat[16] as usize * u16_at(&fat, 22)) * 512;
    let fat_hot = vec![0..512, 512..1024, fat_root..fat_root + 512];
    let iso_root =
        u32::from_le_bytes(iso[32768 + 158..32768 + 162].try_into().unwrap()) as usize * 2048;
    let iso_hot = vec![32768..34816, iso_root..iso_root + 2048];
    for (data, hot) in [(fat, fat_hot), (iso, iso_hot)] {
        let mut buf = data.clone();
        let (mut errors, mut found, mut panics) = (0, 0, 0);
        for _ in 0..2000 {
            buf.copy_from_slice(&data);
            for _ in 0..1 + rng.below(8) {
                let range = &hot[rng.below(hot.len())];
                let at = if rng.below(4) == 0 {
                    rng.below(data.len())
                } else {
                    range.start + rng.below(range.len())
                };
                buf[at] = rng.next() as u8;
            }
            // A panic would fail this test: nothing catches it any more.
            match read_image_bytes(&buf) {
                Err(e) => {
                    errors += 1;
                    panics += usize::from(e.to_string().starts_with("internal panic"));
                }
                Ok((_, Some(_))) => found += 1,
                Ok(_) => {}
            }
        }
        // The mutations must bite, and most must still leave a readable seed.
        eprintln!("mutations: {errors} errors ({panics} contained panics), {found} found");
        assert!(
            errors > 100 && found > 500,
            "errors {errors}, found {found}"
        );
    }
}

// ------------------------------------------------------------ block devices

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// The same image through a real loop block device (root only: CI is root).
#[test]
fn loop_block_device() {
    if !is_root() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run this test as root"
        );
        eprintln!("NOTE loop_block_device needs root; not run");
        return;
    }
    let dir = TempDir::new("loopdev");
    let seed = seed_files(&dir, true, true, true);
    let img = make_iso(
        &dir,
        "l.iso",
        "genisoimage",
        &["-V", "cidata", "-J", "-R"],
        &seed,
    );
    let dev = String::from_utf8(output(
        "losetup",
        &["-f", "--show", "-r", img.to_str().unwrap()],
    ))
    .unwrap();
    let dev = dev.trim().to_string();
    struct Detach(String);
    impl Drop for Detach {
        fn drop(&mut self) {
            let _ = Command::new("losetup").args(["-d", &self.0]).status();
        }
    }
    let _guard = Detach(dev.clone());
    expect_nocloud(Path::new(&dev), "cidata", Fs::Iso9660, &seed);
}

/// A partition of a loop device (`loopNpM`) is found by the real sysfs scan
/// (no --device): the MBR is written here, the FAT made at its offset, the
/// partition added with partx (root only, as the test above).
#[test]
fn loop_partition_is_scanned() {
    if !is_root() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run this test as root"
        );
        eprintln!("NOTE loop_partition_is_scanned needs root; not run");
        return;
    }
    let dir = TempDir::new("looppart");
    let img = dir.path("disk.img");
    let mut mbr = vec![0u8; 20 << 20];
    // One FAT32-LBA partition (type 0x0c) from sector 2048 to the end.
    mbr[446 + 4] = 0x0c;
    mbr[446 + 8..446 + 12].copy_from_slice(&2048u32.to_le_bytes());
    mbr[446 + 12..446 + 16].copy_from_slice(&(40960u32 - 2048).to_le_bytes());
    mbr[510..512].copy_from_slice(&[0x55, 0xaa]);
    fs::write(&img, &mbr).unwrap();
    let img_s = img.to_str().unwrap();
    run(
        "mkfs.vfat",
        &["--offset", "2048", "-n", "cidata", img_s, "19456"],
    );
    let seed = seed_files(&dir, false, false, false);
    let files = stage(&dir, "src", &seed);
    let at = format!("{img_s}@@1M");
    let mut args = vec!["-i", at.as_str()];
    args.extend(files.iter().map(String::as_str));
    args.push("::/");
    run("mcopy", &args);
    let dev = String::from_utf8(output("losetup", &["-P", "-f", "--show", img_s])).unwrap();
    let dev = dev.trim().to_string();
    struct Detach(String);
    impl Drop for Detach {
        fn drop(&mut self) {
            let _ = Command::new("losetup").args(["-d", &self.0]).status();
        }
    }
    let _guard = Detach(dev.clone());
    // The kernel may have scanned the table already; partx adds it if not.
    let _ = Command::new("partx").args(["-a", &dev]).output();
    let part = format!("{dev}p1");
    assert!(Path::new(&part).exists(), "{part} did not appear");
    let run_dir = dir.path("run");
    let (code, out) = common::cloudseed([
        "--cmdline",
        "quiet",
        "--no-network",
        "--run-dir",
        run_dir.to_str().unwrap(),
    ]);
    let r = common::report(&run_dir);
    let entry = (0..r.len("devices")).find(|&i| r.str(&format!("devices.{i}.name")) == part);
    let Some(i) = entry else {
        panic!("{part} not scanned: {}", r.text());
    };
    assert_eq!(
        r.str(&format!("devices.{i}.verdict")),
        "nocloud",
        "{}",
        r.text()
    );
    // Other disks of the machine may hold a seed too; ours must be readable.
    assert!(code == 0, "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn missing_device_is_an_io_error() {
    let err = read_device(Path::new("/nonexistent/cloudseed-dev"))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("open /nonexistent/cloudseed-dev:"), "{err}");
}

#[test]
fn not_a_volume() {
    let dir = TempDir::new("notvol");
    let p = dir.path("zero.img");
    fs::write(&p, vec![0u8; 100_000]).unwrap();
    assert_eq!(read_device(&p).unwrap(), (None, None));
    fs::write(&p, b"").unwrap();
    assert_eq!(read_device(&p).unwrap(), (None, None));
}

// ------------------------------------------------------------------ mkcidata

fn mkcidata_seed(dir: &TempDir) -> Seed {
    seed_files(dir, false, true, true)
}

fn write_seed_image(out: &Path, seed: &Seed) {
    let mut files: Vec<(&str, &[u8])> = vec![
        ("meta-data", &seed.meta_data),
        ("user-data", &seed.user_data),
    ];
    if let Some(v) = &seed.vendor_data {
        files.push(("vendor-data", v));
    }
    if let Some(n) = &seed.network_config {
        files.push(("network-config", n));
    }
    write_image(out, &files).unwrap();
}

#[test]
fn mkcidata_round_trip_and_mtools() {
    let dir = TempDir::new("mkcidata");
    let seed = mkcidata_seed(&dir);
    let img = dir.path("seed.img");
    write_seed_image(&img, &seed);
    // Only the image is left behind, no temporary file.
    let names: Vec<_> = fs::read_dir(dir.root())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        names.iter().all(|n| !n.to_string_lossy().contains(".tmp")),
        "{names:?}"
    );
    let data = fs::read(&img).unwrap();
    assert_eq!(data.len(), 1 << 20);
    assert_eq!(&data[54..62], b"FAT12   ");
    assert_eq!(&data[43..54], b"cidata     ");
    expect_nocloud(&img, "cidata", Fs::Vfat, &seed);

    let img_s = img.to_str().unwrap();
    let listing = String::from_utf8(output("mdir", &["-i", img_s, "::/"])).unwrap();
    for name in ["meta-data", "user-data", "vendor-data", "network-config"] {
        assert!(
            listing.contains(name),
            "mdir does not list {name}: {listing}"
        );
    }
    assert!(listing.contains("Volume in drive : is cidata"), "{listing}");
    assert_eq!(
        output("mtype", &["-i", img_s, "::/user-data"]),
        seed.user_data
    );
    assert_eq!(
        Some(output("mtype", &["-i", img_s, "::/network-config"])),
        seed.network_config
    );
    let blkid = String::from_utf8(output("blkid", &["-p", "-o", "export", img_s])).unwrap();
    assert!(
        blkid.contains("\nLABEL=cidata\n") && blkid.contains("TYPE=vfat"),
        "{blkid}"
    );

    real_tools_agree(&dir, &img, &seed);

    // Rewriting replaces the image whole.
    let mut other = seed.clone();
    other.vendor_data = None;
    other.user_data = Rng(9).bytes(3 << 20);
    write_seed_image(&img, &other);
    expect_nocloud(&img, "cidata", Fs::Vfat, &other);
    real_tools_agree(&dir, &img, &other);

    // A file at the cap needs more clusters than FAT12 has: FAT16.
    other.user_data = Rng(10).bytes(16 << 20);
    other.meta_data.clear();
    write_seed_image(&img, &other);
    assert_eq!(&fs::read(&img).unwrap()[54..62], b"FAT16   ");
    expect_nocloud(&img, "cidata", Fs::Vfat, &other);
    real_tools_agree(&dir, &img, &other);
}

/// fsck.fat finds nothing to fix, mcopy copies every file out byte for
/// byte, and blkid sees a vfat volume labelled cidata.
fn real_tools_agree(dir: &TempDir, img: &Path, seed: &Seed) {
    let img_s = img.to_str().unwrap();
    let fsck = Command::new("fsck.fat")
        .args(["-n", "-v", img_s])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&fsck.stdout);
    assert!(fsck.status.success(), "fsck.fat: {said}");
    // -n still reports what it would change, after the summary lines.
    let last = said.lines().last().unwrap_or("");
    assert!(last.contains(" files, "), "fsck.fat: {said}");
    assert!(
        !said.contains("Leaving filesystem unchanged"),
        "fsck.fat: {said}"
    );
    let out = dir.path("mcopy-out");
    let _ = fs::remove_dir_all(&out);
    fs::create_dir(&out).unwrap();
    run(
        "mcopy",
        &["-n", "-s", "-i", img_s, "::/", out.to_str().unwrap()],
    );
    let got = |name: &str| fs::read(out.join(name)).ok();
    assert!(got("meta-data").as_ref() == Some(&seed.meta_data));
    assert!(got("user-data").as_ref() == Some(&seed.user_data));
    assert_eq!(got("vendor-data"), seed.vendor_data);
    assert_eq!(got("network-config"), seed.network_config);
    let blkid = String::from_utf8(output("blkid", &["-p", "-o", "export", img_s])).unwrap();
    assert!(
        blkid.contains("\nLABEL=cidata\n")
            && blkid.contains("LABEL_FATBOOT=cidata")
            && blkid.contains("TYPE=vfat"),
        "{blkid}"
    );
}

#[test]
fn mkcidata_refuses_what_cloudseed_would_not_read() {
    let dir = TempDir::new("mkbig");
    let img = dir.path("big.img");
    let big = vec![0u8; (16 << 20) + 1];
    let err = write_image(&img, &[("meta-data", b""), ("user-data", &big)]).unwrap_err();
    assert!(err.to_string().starts_with("over limit"), "{err}");
    assert_eq!(fs::read_dir(dir.root()).unwrap().count(), 0);
}

/// The kernel's own vfat driver must read what mkcidata writes. Needs root
/// and a kernel with vfat (CI's Debian kernel has it as a module).
#[test]
fn mkcidata_image_mounts_with_kernel_vfat() {
    if !is_root() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run this test as root"
        );
        eprintln!("NOTE mkcidata_image_mounts_with_kernel_vfat needs root; not run");
        return;
    }
    let _ = Command::new("modprobe").arg("vfat").status();
    let has_vfat = fs::read_to_string("/proc/filesystems")
        .unwrap()
        .lines()
        .any(|l| l.trim_end().ends_with("\tvfat"));
    if !has_vfat {
        // The sandbox kernel here has no vfat and no modules; the Debian kernel
        // under QEMU mounts mkcidata's image in the boot fast tier instead
        // (tests/boot, scenario mkcidata-mount), which CI always runs.
        eprintln!("NOTE host kernel has no vfat driver; kernel mount is checked in tests/boot");
        return;
    }
    let dir = TempDir::new("mkmount");
    let seed = mkcidata_seed(&dir);
    let img = dir.path("seed.img");
    write_seed_image(&img, &seed);
    let mnt = dir.path("mnt");
    fs::create_dir(&mnt).unwrap();
    run(
        "mount",
        &[
            "-o",
            "loop,ro",
            "-t",
            "vfat",
            img.to_str().unwrap(),
            mnt.to_str().unwrap(),
        ],
    );
    struct Umount(PathBuf);
    impl Drop for Umount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _guard = Umount(mnt.clone());
    assert_eq!(fs::read(mnt.join("meta-data")).unwrap(), seed.meta_data);
    assert_eq!(fs::read(mnt.join("user-data")).unwrap(), seed.user_data);
    assert_eq!(
        fs::read(mnt.join("vendor-data")).unwrap(),
        seed.vendor_data.unwrap()
    );
    assert_eq!(
        fs::read(mnt.join("network-config")).unwrap(),
        seed.network_config.unwrap()
    );
    let label = output(
        "blkid",
        &["-o", "value", "-s", "LABEL", img.to_str().unwrap()],
    );
    assert_eq!(String::from_utf8_lossy(&label).trim(), "cidata");
}

// ------------------------------------------------------ committed fixtures

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/volumes")
        .join(name)
}

/// The bytes make.sh puts in the fixtures: `seq 1 2000 | head -c 5000`.
fn fixture_user_data() -> Vec<u8> {
    let mut v: Vec<u8> = (1..=2000)
        .flat_map(|n| format!("{n}\n").into_bytes())
        .collect();
    v.truncate(5000);
    v
}

/// The image that made fatfs panic (first cluster 1): a plain error now.
#[test]
fn fixture_reserved_cluster_is_refused() {
    let err = read_device(fixture("fat12-cluster1.img"))
        .unwrap_err()
        .to_string();
    assert_eq!(err, "malformed fat first cluster 1 out of range");
}

#[test]
fn fixture_fat_boot_sector_label() {
    let seed = Seed {
        meta_data: b"instance-id: fixture\n".to_vec(),
        user_data: fixture_user_data(),
        ..Seed::default()
    };
    expect_nocloud(&fixture("fat12-bootlabel.img"), "cidata", Fs::Vfat, &seed);
}

#[test]
fn fixture_iso_multi_extent() {
    let seed = Seed {
        meta_data: b"instance-id: fixture\n".to_vec(),
        user_data: fixture_user_data(),
        ..Seed::default()
    };
    expect_nocloud(
        &fixture("iso-multi-extent.iso"),
        "cidata",
        Fs::Iso9660,
        &seed,
    );
}

#[test]
fn fixture_iso_directory_loop() {
    let data = fs::read(fixture("iso-dir-loop.iso")).unwrap();
    let mut iso = IsoFs::open(Cursor::new(data)).unwrap();
    let err = iso.find(&["openstack", "openstack", "latest"]).unwrap_err();
    assert_eq!(err.to_string(), "malformed iso9660 directory loop");
    let (_, found) = read_device(fixture("iso-dir-loop.iso")).unwrap();
    assert_eq!(found.unwrap().kind, Kind::ConfigDrive);
}

// ------------------------------------------------------------------ logs

/// A default `mkfs.vfat` FAT16 volume (4 reserved sectors, which fatfs
/// used to remark on): no warning in the log, whatever the command.
#[test]
fn default_fat16_logs_no_warning() {
    let dir = TempDir::new("quietfat");
    let seed = seed_files(&dir, false, false, false);
    let img = make_fat(&dir, "f16.img", &["-n", "cidata"], 32768, &seed);
    assert_eq!(&fs::read(&img).unwrap()[54..59], b"FAT16");
    let img_s = img.to_str().unwrap();
    let (code, out) = common::cloudseed(["probe", img_s]);
    assert_eq!(code, 0);
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "probe stderr");
    let run_dir = dir.path("run");
    let run_s = run_dir.to_str().unwrap();
    let (code, out) = common::cloudseed([
        "--cmdline",
        "quiet",
        "--no-network",
        "--run-dir",
        run_s,
        "--device",
        img_s,
    ]);
    assert_eq!(code, 0);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.lines().all(|l| l.starts_with("cloudseed: info: ")),
        "{stderr}"
    );
    assert_eq!(common::report(&run_dir).str("devices.0.verdict"), "nocloud");
}

/// A FAT root directory full of broken long-name entries (fatfs logged a
/// warning for each, about 3,570 for one hostile image): the reader skips
/// them as vfat does, silently, and still finds the seed; one device stays
/// under `MAX_LINES_PER_DEVICE` lines even at debug level.
#[test]
fn hostile_fat_directory_stays_quiet() {
    use cloudseed::logger::MAX_LINES_PER_DEVICE;
    let dir = TempDir::new("loudfat");
    let seed = seed_files(&dir, false, false, false);
    let img = make_fat(&dir, "bad.img", &["-n", "cidata"], 32768, &seed);
    let mut d = fs::read(&img).unwrap();
    assert_eq!(&d[54..59], b"FAT16", "mkfs.vfat's default at 32 MiB");
    let u16_at = |d: &[u8], o: usize| u16::from_le_bytes([d[o], d[o + 1]]) as usize;
    let (bps, reserved, fats) = (u16_at(&d, 11), u16_at(&d, 14), d[16] as usize);
    let (entries, fat_sectors) = (u16_at(&d, 17), u16_at(&d, 22));
    let root = (reserved + fats * fat_sectors) * bps;
    // Entry 0 is the label, then long-name + short entry per seed file.
    let used = (1..entries).find(|i| d[root + i * 32] == 0).unwrap();
    for i in used..entries {
        let e = &mut d[root + i * 32..root + i * 32 + 32];
        e.fill(0);
        if i % 2 == 1 {
            // A long-name piece "2 of 2" whose checksum matches nothing.
            e[0] = 0x42;
            e[1..11].copy_from_slice(b"a\0b\0c\0d\0e\0");
            e[11] = 0x0f;
            e[13] = i as u8;
        } else {
            e[..11].copy_from_slice(format!("X{i:07}TXT").as_bytes());
            e[11] = 0x20;
        }
    }
    fs::write(&img, &d).unwrap();
    let img_s = img.to_str().unwrap();
    let run_dir = dir.path("run");
    let run_s = run_dir.to_str().unwrap();
    let (code, out) = common::cloudseed([
        "-v",
        "--cmdline",
        "quiet",
        "--no-network",
        "--run-dir",
        run_s,
        "--device",
        img_s,
    ]);
    assert_eq!(code, 0);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr
            .lines()
            .all(|l| l.starts_with("cloudseed: debug: ") || l.starts_with("cloudseed: info: ")),
        "{stderr}"
    );
    assert!(
        !stderr.contains("lfn") && !stderr.contains("checksum"),
        "{stderr}"
    );
    assert!(stderr.lines().count() < MAX_LINES_PER_DEVICE, "{stderr}");
    assert_eq!(common::report(&run_dir).str("devices.0.verdict"), "nocloud");
    // Without -v: info lines only.
    let (_, out) = common::cloudseed([
        "--cmdline",
        "quiet",
        "--no-network",
        "--run-dir",
        run_s,
        "--device",
        img_s,
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.lines().all(|l| l.starts_with("cloudseed: info: ")),
        "{stderr}"
    );
}
