//! Hand-made volumes: the kernel's BPB rules, vfat's directory rules, and
//! hostile images that must end in an error (never a panic, a hang or a
//! wrong seed).

use super::dir::{self, Entry};
use super::*;
use crate::mkcidata;
use crate::seed::read_image_bytes;

fn seed_image() -> Vec<u8> {
    mkcidata::build(
        &[
            ("meta-data", b"instance-id: t\n"),
            ("user-data", &[b'u'; 3000]),
        ],
        "cidata",
    )
    .unwrap()
}

fn put16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_le_bytes());
}

fn put32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

/// The short entry named `alias` (11 bytes) in an image, by offset.
fn entry_at(img: &[u8], alias: &[u8; 11]) -> usize {
    img.windows(11)
        .position(|w| w == alias)
        .expect("short entry")
}

/// Long-name slots for `name` (then the caller adds the short entry).
fn lfn(name: &str, alias: &[u8; 11]) -> Vec<[u8; 32]> {
    let units: Vec<u16> = name.encode_utf16().collect();
    let count = units.len().div_ceil(13);
    (1..=count)
        .rev()
        .map(|n| {
            let mut s = [0u8; 32];
            s[0] = n as u8 | if n == count { 0x40 } else { 0 };
            s[11] = dir::ATTR_LFN;
            s[13] = dir::checksum(alias);
            let mut k = (n - 1) * 13;
            for r in dir::LFN_UNITS {
                for at in r.step_by(2) {
                    let u = match units.get(k) {
                        Some(&u) => u,
                        None if k == units.len() => 0,
                        None => 0xFFFF,
                    };
                    s[at..at + 2].copy_from_slice(&u.to_le_bytes());
                    k += 1;
                }
            }
            s
        })
        .collect()
}

fn short(alias: &[u8; 11], attr: u8, case: u8, cluster: u32, size: u32) -> [u8; 32] {
    let mut s = [0u8; 32];
    s[..11].copy_from_slice(alias);
    s[11] = attr;
    s[12] = case;
    put16(&mut s, 20, (cluster >> 16) as u16);
    put16(&mut s, 26, cluster as u16);
    put32(&mut s, 28, size);
    s
}

/// A tiny FAT32 volume (as small as `mkfs.vfat -F 32` allows and smaller):
/// 512-byte sectors and clusters, 2 reserved sectors, one FAT sector, the
/// root directory in cluster 2, `files` (long name, bytes) from cluster 3.
fn fat32_image(label: &[u8; 11], files: &[(&str, &[u8])]) -> Vec<u8> {
    let clusters = 40u32;
    let total = 3 + clusters;
    let mut img = vec![0u8; total as usize * 512];
    img[0] = 0xEB;
    put16(&mut img, 11, 512);
    img[13] = 1;
    put16(&mut img, 14, 2);
    img[16] = 1;
    img[21] = 0xF8;
    put32(&mut img, 32, total);
    put32(&mut img, 36, 1);
    put32(&mut img, 44, 2);
    img[66] = 0x29;
    put32(&mut img, 67, 0x1234_5678);
    img[71..82].copy_from_slice(label);
    img[82..90].copy_from_slice(b"FAT32   ");
    img[510] = 0x55;
    img[511] = 0xAA;
    let fat = 1024;
    put32(&mut img, fat, 0x0FFF_FFF8);
    put32(&mut img, fat + 4, 0x0FFF_FFFF);
    put32(&mut img, fat + 8, 0x0FFF_FFFF); // root: one cluster
    let mut slots = vec![short(label, dir::ATTR_VOLUME, 0, 0, 0)];
    let mut next = 3u32;
    for (i, (name, data)) in files.iter().enumerate() {
        let mut alias = *b"FILE~1     ";
        alias[5] = b'1' + i as u8;
        slots.extend(lfn(name, &alias));
        let n = data.len().div_ceil(512) as u32;
        let start = if n == 0 { 0 } else { next };
        slots.push(short(&alias, 0x20, 0, start, data.len() as u32));
        for c in next..next + n {
            let link = if c + 1 == next + n {
                0x0FFF_FFFF
            } else {
                c + 1
            };
            put32(&mut img, fat + 4 * c as usize, link);
            let at = (3 + c as usize - 2) * 512;
            let chunk = &data[(c - next) as usize * 512..];
            let len = chunk.len().min(512);
            img[at..at + len].copy_from_slice(&chunk[..len]);
        }
        next += n;
    }
    let root = 3 * 512;
    for (i, s) in slots.iter().enumerate() {
        img[root + i * 32..root + i * 32 + 32].copy_from_slice(s);
    }
    img
}

fn cidata32() -> Vec<u8> {
    fat32_image(
        b"cidata     ",
        &[
            ("meta-data", b"instance-id: 32\n"),
            ("user-data", &[b'x'; 1500]),
            ("network-config", b"version: 2\n"),
        ],
    )
}

// ------------------------------------------------------------ the BPB

#[test]
fn fat_type_as_the_kernel_decides() {
    // FAT32 by its fields alone, at 40 clusters.
    let l = Layout::parse(&cidata32()).unwrap();
    assert_eq!((l.bits, l.max_cluster), (32, 42));
    assert_eq!(l.root, Root::Chain(2));
    // FAT12 up to 4084 clusters, FAT16 from 4085, in the same shape.
    let mut b = seed_image()[..512].to_vec();
    b[13] = 1;
    put16(&mut b, 22, 16); // room for 4096 FAT16 entries
    let data_start = 1 + 2 * 16 + 32;
    for (clusters, bits) in [(4084u16, 12), (4085, 16), (1, 12)] {
        put16(&mut b, 19, data_start + clusters);
        assert_eq!(Layout::parse(&b).unwrap().bits, bits, "{clusters}");
    }
}

#[test]
fn bpb_checks_follow_the_kernel() {
    let good = seed_image()[..512].to_vec();
    assert!(Layout::parse(&good).is_ok());
    type Patch = fn(&mut [u8]);
    let cases: [(&str, Patch); 10] = [
        ("no reserved sectors", |b| put16(b, 14, 0)),
        ("no fats", |b| b[16] = 0),
        ("media byte", |b| b[21] = 0x12),
        ("bytes per sector", |b| put16(b, 11, 256)),
        ("bytes per sector", |b| put16(b, 11, 8192)),
        ("bytes per sector", |b| put16(b, 11, 1536)),
        ("sectors per cluster", |b| b[13] = 3),
        ("no fat sectors", |b| {
            put16(b, 22, 0);
            put32(b, 36, 0)
        }),
        ("root directory entries", |b| put16(b, 17, 17)),
        ("data area past the end", |b| put16(b, 19, 10)),
    ];
    for (want, patch) in cases {
        let mut b = good.clone();
        patch(&mut b);
        let e = Layout::parse(&b).unwrap_err().to_string();
        assert!(e.contains(want), "{want}: {e}");
    }
    let mut b = good.clone();
    b[13] = 0;
    assert!(Layout::parse(&b).is_err(), "0 sectors per cluster");
    assert!(Layout::parse(&good[..511]).is_err());
    // FAT16 over 65524 clusters is refused, a FAT too small limits them.
    let mut b = good.clone();
    b[13] = 1;
    put16(&mut b, 19, 0);
    put32(&mut b, 32, 70_000 + 600);
    put16(&mut b, 22, 300);
    assert!(Layout::parse(&b)
        .unwrap_err()
        .to_string()
        .contains("too many clusters"));
    put16(&mut b, 22, 100); // 100 sectors: 25,600 entries
    assert_eq!(Layout::parse(&b).unwrap().max_cluster, 25_600);
}

// ------------------------------------------------------- directory rules

#[test]
fn long_names_and_their_fallback() {
    let alias = *b"USER-D~1   ";
    let mut d: Vec<[u8; 32]> = lfn("user-data", &alias);
    d.push(short(&alias, 0x20, 0, 5, 1));
    let flat = |d: &[[u8; 32]]| d.concat();
    let e = dir::lookup(&flat(&d), "USER-DATA", false).unwrap();
    assert_eq!(e.long.as_deref(), Some("user-data"));
    assert!(dir::lookup(&flat(&d), "user-d~1", false).is_some());
    // A wrong checksum: only the 8.3 name is left, as with the kernel.
    let mut bad = d.clone();
    bad[0][13] ^= 1;
    let e = dir::entries(&flat(&bad));
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].name(), "USER-D~1");
    assert!(dir::lookup(&flat(&bad), "user-data", false).is_none());
    // Slots out of order, or an orphan middle slot: ignored, entry kept.
    let alias2 = *b"NETWOR~1   ";
    let mut two = lfn("network-config", &alias2);
    assert_eq!(two.len(), 2);
    two.swap(0, 1);
    two.push(short(&alias2, 0x20, 0, 6, 1));
    let e = dir::entries(&flat(&two));
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].long, None);
    // A long name cut short by the end of the directory.
    let cut = lfn("network-config", &alias2);
    assert!(dir::entries(&flat(&cut[..1])).is_empty());
}

#[test]
fn short_names_with_nt_case_flags() {
    let d = [
        short(b"LATEST     ", dir::ATTR_DIR, dir::CASE_LOWER_BASE, 7, 0),
        short(b"META_DATJSO", 0x20, dir::CASE_LOWER_EXT, 8, 1),
        short(b"\x05BC        ", 0x20, 0, 9, 1),
    ]
    .concat();
    let names: Vec<String> = dir::entries(&d).iter().map(Entry::name).collect();
    assert_eq!(names, ["latest", "META_DAT.jso", "\u{e5}BC"]);
    assert!(dir::lookup(&d, "Latest", true).is_some());
    assert!(dir::lookup(&d, "latest", false).is_none(), "a directory");
}

#[test]
fn free_slots_are_skipped_to_the_end() {
    let mut d = vec![[0u8; 32]; 3];
    d[0][0] = dir::DELETED;
    d.push(short(b"LATE    TXT", 0x20, 0, 3, 1));
    let d = d.concat();
    assert_eq!(dir::entries(&d)[0].name(), "LATE.TXT");
    // blkid stops at the first zero slot.
    let mut root = vec![0u8; 64];
    root[32..43].copy_from_slice(b"cidata     ");
    root[32 + 11] = dir::ATTR_VOLUME;
    assert_eq!(dir::volume_label(&root), None);
    assert_eq!(dir::volume_label(&root[32..]), Some(*b"cidata     "));
}

// ------------------------------------------------------------ FAT32

#[test]
fn tiny_fat32_reads() {
    let (v, found) = read_image_bytes(&cidata32()).unwrap();
    let v = v.unwrap();
    assert_eq!(
        (v.fs, v.label.as_str(), v.uuid.as_str()),
        (Fs::Vfat, "cidata", "1234-5678")
    );
    let s = found.unwrap().seed.unwrap();
    assert_eq!(s.meta_data, b"instance-id: 32\n");
    assert_eq!(s.user_data, [b'x'; 1500]);
    assert_eq!(s.network_config.as_deref(), Some(&b"version: 2\n"[..]));
    assert_eq!(s.vendor_data, None);
}

#[test]
fn fat32_root_directory_that_never_ends() {
    let mut img = cidata32();
    put32(&mut img, 1024 + 8, 2); // the root cluster follows itself
    let e = read_image_bytes(&img).unwrap_err().to_string();
    assert_eq!(e, "malformed fat cluster chain loop");
    // A long chain without a loop: over the directory cap.
    let mut img = cidata32();
    let mut big = vec![0u8; 300 * 512];
    big[..img.len()].copy_from_slice(&img);
    put32(&mut big, 32, 303);
    put32(&mut big, 36, 3); // three FAT sectors: 384 entries
                            // Data moves two sectors on; rebuild the FAT: root chain 2 → 3 → … → 299.
    img = big;
    for c in 2..300u32 {
        put32(&mut img, 1024 + 4 * c as usize, c + 1);
    }
    let e = read_image_bytes(&img).unwrap_err().to_string();
    assert!(e.starts_with("over limit: fat directory"), "{e}");
}

// -------------------------------------------------------- hostile images

#[test]
fn hostile_chains_are_errors() {
    let clean = seed_image();
    let ud = entry_at(&clean, b"USER-D~1   ");
    let first = u16::from_le_bytes([clean[ud + 26], clean[ud + 27]]);
    assert!(read_image_bytes(&clean).is_ok());
    /// Sets FAT12 entry `n` of the first FAT (at 512) to `v`.
    fn set(img: &mut [u8], n: u16, v: u16) {
        let at = 512 + n as usize * 3 / 2;
        let old = u16::from_le_bytes([img[at], img[at + 1]]);
        let new = if n % 2 == 0 {
            (old & 0xF000) | v
        } else {
            (old & 0xF) | (v << 4)
        };
        put16(img, at, new);
    }
    type Patch = Box<dyn Fn(&mut Vec<u8>)>;
    let cases: Vec<(&str, Patch)> = vec![
        ("chain loop", Box::new(move |img| set(img, first, first))),
        ("out of range", Box::new(move |img| put16(img, ud + 26, 1))),
        (
            "out of range",
            Box::new(move |img| put16(img, ud + 26, 0xFF0)),
        ),
        ("out of range", Box::new(move |img| set(img, first, 0xFF0))),
        ("free cluster", Box::new(move |img| set(img, first, 0))),
        // The last cluster a file needs is checked too (cluster 1 is reserved).
        (
            "cluster 1 out of range",
            Box::new(move |img| {
                set(img, first, 1);
                put32(img, ud + 28, 1000); // two clusters: 1 is the last
            }),
        ),
        (
            "shorter than its file",
            Box::new(move |img| set(img, first + 1, 0xFFF)),
        ),
        (
            "over limit: fat file",
            Box::new(move |img| put32(img, ud + 28, u32::MAX)),
        ),
    ];
    for (want, patch) in cases {
        let mut img = clean.clone();
        patch(&mut img);
        let e = read_image_bytes(&img).unwrap_err().to_string();
        assert!(e.contains(want), "{want}: {e}");
    }
    // A loop two clusters long.
    let mut img = clean.clone();
    set(&mut img, first + 1, first);
    put32(&mut img, ud + 28, 40_000);
    let e = read_image_bytes(&img).unwrap_err().to_string();
    assert_eq!(e, "malformed fat cluster chain loop");
}

/// A cut image may still hold every file (they sit at its start), but it
/// never yields a seed other than the whole one.
#[test]
fn truncated_images_are_errors_or_whole() {
    for img in [seed_image(), cidata32()] {
        let whole = read_image_bytes(&img).unwrap().1.unwrap();
        let mut cut = 0;
        while cut < img.len() {
            if let Ok((_, Some(f))) = read_image_bytes(&img[..cut]) {
                assert!(f == whole, "cut at {cut}: a different seed");
            }
            cut += 97;
        }
    }
    let e = read_image_bytes(&cidata32()[..2000])
        .unwrap_err()
        .to_string();
    assert_eq!(e, "truncated fat volume");
}

#[test]
fn config_drive_paths() {
    // config-2 on FAT32: openstack/latest/meta_data.json, mixed case.
    let mut img = fat32_image(b"config-2   ", &[]);
    let root = 3 * 512;
    let os_alias = *b"OPENST~1   ";
    let mut slots = lfn("OpenStack", &os_alias);
    slots.push(short(&os_alias, dir::ATTR_DIR, 0, 3, 0));
    let at = root + 32;
    img[at..at + slots.len() * 32].copy_from_slice(&slots.concat());
    let latest = short(b"LATEST     ", dir::ATTR_DIR, dir::CASE_LOWER_BASE, 4, 0);
    img[4 * 512..4 * 512 + 32].copy_from_slice(&latest);
    let meta = br#"{"uuid": "u-32", "hostname": "h32"}"#;
    let m_alias = *b"META_D~1JSO";
    let mut slots = lfn("meta_data.json", &m_alias);
    slots.push(short(&m_alias, 0x20, 0, 5, meta.len() as u32));
    img[5 * 512..5 * 512 + slots.len() * 32].copy_from_slice(&slots.concat());
    img[6 * 512..6 * 512 + meta.len()].copy_from_slice(meta);
    for c in 3..=5 {
        put32(&mut img, 1024 + 4 * c, 0x0FFF_FFFF);
    }
    let mut fs = FatFs {
        disk: crate::os::io::Cursor::new(img.clone()),
        layout: Layout::parse(&img).unwrap(),
        fat_cache: None,
    };
    let root_dir = fs.root_dir().unwrap();
    assert_eq!(read_config_meta(&mut fs, &root_dir).unwrap(), meta);
    let (_, found) = read_image_bytes(&img).unwrap();
    assert_eq!(found.unwrap().kind, Kind::ConfigDrive);
    // "latest" pointing back at "openstack": a directory, but no file in it.
    put16(&mut img, 4 * 512 + 26, 3);
    fs.disk = crate::os::io::Cursor::new(img.clone());
    fs.fat_cache = None;
    let root_dir = fs.root_dir().unwrap();
    assert!(read_config_meta(&mut fs, &root_dir).is_err());
}
