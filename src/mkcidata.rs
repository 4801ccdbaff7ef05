//! `cloudseed mkcidata`: writes a FAT image labelled `cidata`, like `cloud-localds`.
//! [`build`] makes the image in memory (pure): FAT12, or FAT16 when the data
//! need more than 4084 clusters, laid out as mkfs.vfat would, the label in
//! both the boot sector and the root directory (so every blkid and
//! cloud-init version sees it), each file under its VFAT long name with a
//! unique 8.3 alias. [`write_image`] then writes it through a temporary file
//! renamed into place.

use crate::error::{Error, Result};
use crate::os::fs::{self, File, OpenOptions};
use crate::os::io::Write;
use crate::os::path::{Path, PathBuf};
use crate::os::process;
use crate::prelude::*;
use crate::seed::fat::dir;
use crate::seed::MAX_FILE_BYTES;

const LABEL: &str = "cidata";
const MIB: u64 = 1 << 20;
/// Attempts, doubling the size each time, should a size estimate fall short.
const ATTEMPTS: usize = 4;
const SECTOR: usize = 512;
const RESERVED: u32 = 1;
const FATS: u32 = 2;
const ROOT_ENTRIES: u32 = 512;
const ROOT_SECTORS: u32 = ROOT_ENTRIES * 32 / SECTOR as u32;
const MEDIA: u8 = 0xF8;
/// 1980-01-01 00:00, FAT's epoch: no clock, so images are reproducible.
const DATE: u16 = (1 << 5) | 1;
/// (FAT bits, sectors per cluster) in order of preference: FAT12 with
/// clusters up to 4 KiB, then FAT16.
const SHAPES: [(u32, u32); 11] = [
    (12, 1),
    (12, 2),
    (12, 4),
    (12, 8),
    (16, 1),
    (16, 2),
    (16, 4),
    (16, 8),
    (16, 16),
    (16, 32),
    (16, 64),
];

/// Writes `files` (name, bytes) into a fresh `cidata` FAT image at `out`,
/// through a temporary file in the same directory renamed into place.
pub fn write_image(out: &Path, files: &[(&str, &[u8])]) -> Result<()> {
    let image = build(files, LABEL)?;
    let tmp = temp_path(out)?;
    let result = write_temp(&tmp, &image).and_then(|()| {
        fs::rename(&tmp, out).map_err(|e| Error::io("rename", out.display(), e))?;
        sync_parent(out)
    });
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn temp_path(out: &Path) -> Result<PathBuf> {
    let name = out
        .file_name()
        .ok_or_else(|| Error::malformed(format!("output path {}", out.display())))?;
    let tmp = format!(".{}.{}.tmp", name.to_string_lossy(), process::id());
    Ok(out.with_file_name(tmp))
}

fn write_temp(tmp: &Path, image: &[u8]) -> Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(tmp)
        .map_err(|e| Error::io("create", tmp.display(), e))?;
    file.write_all(image)
        .map_err(|e| Error::io("write", tmp.display(), e))?;
    file.sync_all()
        .map_err(|e| Error::io("fsync", tmp.display(), e))
}

/// Content plus room for the FATs, the root directory and per-file slack,
/// rounded to whole MiB.
fn image_size(files: &[(&str, &[u8])]) -> u64 {
    let cluster = 4096u64;
    let content: u64 = files
        .iter()
        .map(|(_, d)| (d.len() as u64).div_ceil(cluster) * cluster + cluster)
        .sum();
    let want = content + content / 8 + 256 * 1024;
    want.div_ceil(MIB).max(1) * MIB
}

/// How a volume of `total` sectors is cut up.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct Geometry {
    total: u32,
    bits: u32,
    per_cluster: u32,
    fat_sectors: u32,
    clusters: u32,
}

impl Geometry {
    fn data_start(&self) -> u32 {
        RESERVED + FATS * self.fat_sectors + ROOT_SECTORS
    }
    fn cluster_bytes(&self) -> u64 {
        u64::from(self.per_cluster) * SECTOR as u64
    }
}

/// The first shape whose cluster count gives it its own FAT type under
/// the kernel's rule (FAT12 below 4085 clusters, FAT16 below 65525) and
/// whose clusters hold `need(cluster bytes)` clusters.
fn geometry(total: u32, need: impl Fn(u64) -> u64) -> Option<Geometry> {
    SHAPES.iter().find_map(|&(bits, per_cluster)| {
        let avail = total.checked_sub(RESERVED + ROOT_SECTORS)?;
        let estimate = u64::from(avail / per_cluster) + 2;
        let fat_sectors = (estimate * u64::from(bits)).div_ceil(8 * SECTOR as u64) as u32;
        let g = Geometry {
            total,
            bits,
            per_cluster,
            fat_sectors,
            clusters: 0,
        };
        let clusters = total.checked_sub(g.data_start())? / per_cluster;
        let fits_type = match bits {
            12 => clusters <= 4084,
            _ => (4085..=65524).contains(&clusters),
        };
        let g = Geometry { clusters, ..g };
        (fits_type && need(g.cluster_bytes()) <= u64::from(clusters)).then_some(g)
    })
}

/// A FAT image labelled `label` holding `files` in its root directory.
pub fn build(files: &[(&str, &[u8])], label: &str) -> Result<Vec<u8>> {
    for (name, data) in files {
        if data.len() as u64 > MAX_FILE_BYTES {
            return Err(Error::limit(format!(
                "{name} is over {MAX_FILE_BYTES} bytes, which cloudseed would not read"
            )));
        }
    }
    let label = label_field(label)?;
    let root = root_directory(files, &label)?;
    let need = |cluster: u64| -> u64 {
        files
            .iter()
            .map(|(_, d)| (d.len() as u64).div_ceil(cluster))
            .sum()
    };
    let mut size = image_size(files);
    for _ in 0..ATTEMPTS {
        let total =
            u32::try_from(size / SECTOR as u64).map_err(|_| Error::limit("mkcidata image size"))?;
        if let Some(g) = geometry(total, need) {
            return Ok(lay_out(g, files, &label, root));
        }
        size *= 2;
    }
    Err(Error::limit("mkcidata could not size the image"))
}

/// The 11-byte label field: printable ASCII without lower-case trouble
/// for blkid, space padded.
fn label_field(label: &str) -> Result<[u8; 11]> {
    let ok = !label.is_empty()
        && label.len() <= 11
        && label
            .bytes()
            .all(|c| c.is_ascii_graphic() && !b"\"*+,./:;<=>?[\\]|".contains(&c) || c == b' ');
    if !ok {
        return Err(Error::malformed(format!("fat label {label:?}")));
    }
    let mut field = [b' '; 11];
    field[..label.len()].copy_from_slice(label.as_bytes());
    Ok(field)
}

/// A short entry (label, or file with its first cluster filled in later).
fn short_slot(name: &[u8; 11], attr: u8, size: u32) -> [u8; 32] {
    let mut e = [0u8; 32];
    e[dir::NAME].copy_from_slice(name);
    e[dir::ATTR] = attr;
    if attr != dir::ATTR_VOLUME {
        for at in [16, 18, 24] {
            // creation, access and modification dates
            e[at..at + 2].copy_from_slice(&DATE.to_le_bytes());
        }
    }
    e[dir::SIZE].copy_from_slice(&size.to_le_bytes());
    e
}

/// The root directory: the label entry, then per file its long-name slots
/// and short entry; the first clusters are patched in by `lay_out`.
/// Returns the slots and, per file, the index of its short entry.
struct RootDir {
    slots: Vec<[u8; 32]>,
    short_at: Vec<usize>,
}

fn root_directory(files: &[(&str, &[u8])], label: &[u8; 11]) -> Result<RootDir> {
    let mut slots = vec![short_slot(label, dir::ATTR_VOLUME, 0)];
    let mut short_at = Vec::new();
    let mut aliases: Vec<[u8; 11]> = Vec::new();
    for (i, (name, data)) in files.iter().enumerate() {
        let units: Vec<u16> = name.encode_utf16().collect();
        let bad = name.is_empty()
            || units.len() > 255
            || matches!(*name, "." | "..")
            || name.ends_with(['.', ' '])
            || name
                .chars()
                .any(|c| c < ' ' || "\"*/:<>?\\|\u{7f}".contains(c));
        if bad {
            return Err(Error::malformed(format!("fat file name {name:?}")));
        }
        if files[..i]
            .iter()
            .any(|(other, _)| other.eq_ignore_ascii_case(name))
        {
            return Err(Error::malformed(format!("duplicate file name {name:?}")));
        }
        let alias = short_alias(name, &aliases);
        aliases.push(alias);
        let sum = dir::checksum(&alias);
        let count = units.len().div_ceil(13);
        for n in (1..=count).rev() {
            let mut s = [0u8; 32];
            s[dir::LFN_ORDER] = n as u8 | if n == count { dir::LFN_LAST } else { 0 };
            s[dir::ATTR] = dir::ATTR_LFN;
            s[dir::LFN_CHECKSUM] = sum;
            // After the name: one 0x0000, then 0xFFFF padding.
            let unit = |k: usize| match units.get(k) {
                Some(&u) => u,
                None if k == units.len() => 0,
                None => 0xFFFF,
            };
            let mut k = (n - 1) * 13;
            for r in dir::LFN_UNITS {
                for at in r.step_by(2) {
                    s[at..at + 2].copy_from_slice(&unit(k).to_le_bytes());
                    k += 1;
                }
            }
            slots.push(s);
        }
        short_at.push(slots.len());
        // data.len() <= MAX_FILE_BYTES, checked by `build`.
        slots.push(short_slot(&alias, 0x20, data.len() as u32));
    }
    if slots.len() > ROOT_ENTRIES as usize {
        return Err(Error::limit("too many files for the root directory"));
    }
    Ok(RootDir { slots, short_at })
}

/// The 8.3 alias Windows and Linux would give a long name: upper case,
/// characters 8.3 cannot hold as '_', base cut to 6 + "~N" (N from 1 up,
/// unused among `taken`) whenever the name does not fit as it is.
fn short_alias(name: &str, taken: &[[u8; 11]]) -> [u8; 11] {
    let clean = |s: &str| -> (Vec<u8>, bool) {
        let mut lossy = false;
        let mut out = Vec::new();
        for c in s.chars() {
            match c {
                ' ' | '.' => lossy = true,
                c if c.is_ascii_alphanumeric() || "!#$%&'()-@^_`{}~".contains(c) => {
                    out.push(c.to_ascii_uppercase() as u8)
                }
                _ => {
                    lossy = true;
                    out.push(b'_');
                }
            }
        }
        (out, lossy)
    };
    let stripped = name.trim_start_matches('.');
    let (base, ext) = match stripped.rfind('.') {
        Some(dot) if dot > 0 => (&stripped[..dot], &stripped[dot + 1..]),
        _ => (stripped, ""),
    };
    let (base, lossy_base) = clean(base);
    let (ext, lossy_ext) = clean(ext);
    let lossy = lossy_base
        || lossy_ext
        || stripped.len() != name.len()
        || base.len() > 8
        || ext.len() > 3
        || base.is_empty();
    let mut field = [b' '; 11];
    for (f, c) in field[8..].iter_mut().zip(&ext) {
        *f = *c;
    }
    if !lossy {
        field[..base.len()].copy_from_slice(&base);
        if !taken.contains(&field) {
            return field;
        }
    }
    for n in 1u32.. {
        let tail = format!("~{n}");
        let keep = base
            .len()
            .min(8 - tail.len())
            .max(if base.is_empty() { 0 } else { 1 });
        let mut f = field;
        f[..8].fill(b' ');
        let mut at = 0;
        for &c in base.iter().take(keep) {
            f[at] = c;
            at += 1;
        }
        for c in tail.bytes() {
            f[at] = c;
            at += 1;
        }
        if !taken.contains(&f) {
            return f;
        }
    }
    unreachable!("u32 tails run out only after 4 billion aliases")
}

/// Places the files in consecutive clusters and writes every structure.
fn lay_out(g: Geometry, files: &[(&str, &[u8])], label: &[u8; 11], mut root: RootDir) -> Vec<u8> {
    let mut img = vec![0u8; g.total as usize * SECTOR];
    boot_sector(&mut img[..SECTOR], g, label, volume_id(files));
    let mut fat = vec![0u8; g.fat_sectors as usize * SECTOR];
    let end = if g.bits == 12 { 0xFFF } else { 0xFFFF };
    set_fat(&mut fat, g.bits, 0, 0xFF00 | u32::from(MEDIA));
    set_fat(&mut fat, g.bits, 1, end);
    let data = g.data_start() as usize * SECTOR;
    let cluster = g.cluster_bytes() as usize;
    let mut next = 2u32;
    for ((_, bytes), &at) in files.iter().zip(&root.short_at) {
        if bytes.is_empty() {
            continue;
        }
        let count = bytes.len().div_ceil(cluster) as u32;
        for c in next..next + count {
            let link = if c + 1 == next + count { end } else { c + 1 };
            set_fat(&mut fat, g.bits, c, link);
        }
        let start = data + (next as usize - 2) * cluster;
        img[start..start + bytes.len()].copy_from_slice(bytes);
        root.slots[at][dir::CLUSTER_LO].copy_from_slice(&(next as u16).to_le_bytes());
        next += count;
    }
    for copy in 0..FATS as usize {
        let at = (RESERVED as usize + copy * g.fat_sectors as usize) * SECTOR;
        img[at..at + fat.len()].copy_from_slice(&fat);
    }
    let root_at = (RESERVED + FATS * g.fat_sectors) as usize * SECTOR;
    for (i, s) in root.slots.iter().enumerate() {
        img[root_at + i * 32..root_at + i * 32 + 32].copy_from_slice(s);
    }
    img
}

/// Sets FAT entry `n` (12 or 16 bits) to `value`.
fn set_fat(fat: &mut [u8], bits: u32, n: u32, value: u32) {
    let n = n as usize;
    if bits == 16 {
        fat[n * 2..n * 2 + 2].copy_from_slice(&(value as u16).to_le_bytes());
        return;
    }
    let at = n + n / 2;
    let old = u16::from_le_bytes([fat[at], fat[at + 1]]);
    let v = (value & 0xFFF) as u16;
    let new = if n % 2 == 0 {
        (old & 0xF000) | v
    } else {
        (old & 0x000F) | (v << 4)
    };
    fat[at..at + 2].copy_from_slice(&new.to_le_bytes());
}

/// A volume id from the content keeps images reproducible.
fn volume_id(files: &[(&str, &[u8])]) -> u32 {
    let mut all = Vec::new();
    for (name, data) in files {
        all.extend_from_slice(name.as_bytes());
        all.push(0);
        all.extend_from_slice(data);
    }
    let d = crate::sha256::digest(&all);
    u32::from_le_bytes([d[0], d[1], d[2], d[3]])
}

/// The boot sector of a FAT12/16 volume with an extended boot record.
fn boot_sector(b: &mut [u8], g: Geometry, label: &[u8; 11], id: u32) {
    let put16 = |b: &mut [u8], at: usize, v: u32| {
        b[at..at + 2].copy_from_slice(&(v as u16).to_le_bytes());
    };
    // A jump over the BPB to a halt loop: the volume is not bootable.
    b[..3].copy_from_slice(&[0xEB, 0x3C, 0x90]);
    b[3..11].copy_from_slice(b"MSWIN4.1");
    put16(b, 11, SECTOR as u32);
    b[13] = g.per_cluster as u8;
    put16(b, 14, RESERVED);
    b[16] = FATS as u8;
    put16(b, 17, ROOT_ENTRIES);
    if g.total < 0x10000 {
        put16(b, 19, g.total);
    } else {
        b[32..36].copy_from_slice(&g.total.to_le_bytes());
    }
    b[21] = MEDIA;
    put16(b, 22, g.fat_sectors);
    put16(b, 24, 32); // sectors per track
    put16(b, 26, 64); // heads
    b[36] = 0x80; // drive number
    b[38] = 0x29; // extended boot signature
    b[39..43].copy_from_slice(&id.to_le_bytes());
    b[43..54].copy_from_slice(label);
    b[54..62].copy_from_slice(if g.bits == 12 {
        b"FAT12   "
    } else {
        b"FAT16   "
    });
    b[62..64].copy_from_slice(&[0xEB, 0xFE]);
    b[510..512].copy_from_slice(&[0x55, 0xAA]);
}

/// fsync the directory so the rename itself survives a crash.
fn sync_parent(out: &Path) -> Result<()> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(parent)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io("fsync", parent.display(), e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::{read_image_bytes, Fs, Kind};

    #[test]
    fn small_seeds_get_one_mib() {
        assert_eq!(
            image_size(&[("meta-data", b""), ("user-data", b"#cloud-config\n")]),
            MIB
        );
        assert!(image_size(&[("user-data", &vec![0u8; 3 << 20])]) >= 4 * MIB);
    }

    fn read_back(img: &[u8]) -> crate::seed::Seed {
        let (v, found) = read_image_bytes(img).unwrap();
        let v = v.unwrap();
        assert_eq!((v.fs, v.label.as_str()), (Fs::Vfat, "cidata"));
        let found = found.unwrap();
        assert_eq!(found.kind, Kind::NoCloud);
        found.seed.unwrap()
    }

    #[test]
    fn round_trips_through_the_reader() {
        let ud = b"#cloud-config\nhostname: x\n".to_vec();
        let nc = vec![7u8; 5000];
        let img = build(
            &[
                ("meta-data", b"instance-id: a\n"),
                ("user-data", &ud),
                ("vendor-data", b""),
                ("network-config", &nc),
            ],
            "cidata",
        )
        .unwrap();
        assert_eq!(img.len() as u64, MIB);
        assert_eq!(&img[54..62], b"FAT12   ");
        let s = read_back(&img);
        assert_eq!(s.meta_data, b"instance-id: a\n");
        assert_eq!(s.user_data, ud);
        assert_eq!(s.vendor_data.as_deref(), Some(&b""[..]));
        assert_eq!(s.network_config, Some(nc));
        // The same input, the same bytes.
        assert_eq!(
            img,
            build(
                &[
                    ("meta-data", b"instance-id: a\n"),
                    ("user-data", &ud),
                    ("vendor-data", b""),
                    ("network-config", &vec![7u8; 5000]),
                ],
                "cidata"
            )
            .unwrap()
        );
    }

    #[test]
    fn big_files_get_fat16() {
        let ud: Vec<u8> = (0..MAX_FILE_BYTES as u32)
            .map(|i| (i % 251) as u8)
            .collect();
        let img = build(&[("meta-data", b""), ("user-data", &ud)], "cidata").unwrap();
        assert_eq!(&img[54..62], b"FAT16   ");
        let layout = crate::seed::fat::Layout::parse(&img).unwrap();
        assert_eq!(layout.bits, 16);
        assert_eq!(read_back(&img).user_data, ud);
    }

    #[test]
    fn every_size_gets_the_type_its_clusters_say() {
        for mib in [1u32, 2, 4, 8, 15, 16, 17, 24, 33, 64, 120] {
            let total = mib * 2048;
            let g = geometry(total, |_| 0).unwrap();
            let mut img = vec![0u8; 512];
            boot_sector(&mut img, g, b"cidata     ", 1);
            let l = crate::seed::fat::Layout::parse(&img).unwrap();
            assert_eq!(u32::from(l.bits), g.bits, "{mib} MiB");
            assert_eq!(l.max_cluster, g.clusters + 2, "{mib} MiB");
        }
    }

    #[test]
    fn aliases_are_unique_and_valid() {
        let mut taken = Vec::new();
        for (name, want) in [
            ("meta-data", "META-D~1   "),
            ("user-data", "USER-D~1   "),
            ("user-dat2", "USER-D~2   "),
            ("vendor-data", "VENDOR~1   "),
            ("network-config", "NETWOR~1   "),
            ("README.TXT", "README  TXT"),
            ("readme.txt", "README~1TXT"),
            ("a b.tar.gz", "ABTAR~1 GZ "),
            (".hidden", "HIDDEN~1   "),
        ] {
            let a = short_alias(name, &taken);
            assert_eq!(core::str::from_utf8(&a).unwrap(), want, "{name}");
            taken.push(a);
        }
    }

    #[test]
    fn refuses_what_it_cannot_write() {
        let big = vec![0u8; MAX_FILE_BYTES as usize + 1];
        let e = build(&[("user-data", &big)], "cidata").unwrap_err();
        assert!(e.to_string().starts_with("over limit"), "{e}");
        for bad in ["", "a/b", "..", "x\u{1}"] {
            assert!(build(&[(bad, b"")], "cidata").is_err(), "{bad:?}");
        }
        assert!(build(&[("a", b""), ("A", b"")], "cidata").is_err());
        assert!(build(&[], "much-too-long-label").is_err());
        let many: Vec<(String, &[u8])> =
            (0..300).map(|i| (format!("file-{i}"), &b""[..])).collect();
        let many: Vec<(&str, &[u8])> = many.iter().map(|(n, d)| (n.as_str(), *d)).collect();
        assert!(build(&many, "cidata")
            .unwrap_err()
            .to_string()
            .contains("root directory"));
    }
}
