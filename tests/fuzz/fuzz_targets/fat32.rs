//! FAT32, structure-aware. fatfs takes a volume as FAT32 only from 65,525
//! clusters (about 33 MB), far above any fuzz input, so the input does not
//! hold the image: a real `mkfs.vfat -F 32` image of 40 MiB with a cidata
//! seed is the template (sparse on disk, read once), and the input is XORed
//! onto its boot sector, FSInfo sector, the head of the first FAT, and the
//! clusters of the root directory and the files after it. An empty input is
//! the valid template. As in the `fat` target, a fatfs panic must come back
//! as `Err(Panicked)`, never escape.
//!
//! The template is `$CLOUDSEED_FAT32_TEMPLATE` (tests/fuzz/run.sh makes it),
//! else made here once with mkfs.vfat and mcopy.
#![no_main]
use cloudseed::seed::{read_image, Kind, MAX_FILE_BYTES};
use libfuzzer_sys::fuzz_target;
use std::io::{self, Read, Seek, SeekFrom};
use std::process::Command;
use std::sync::OnceLock;

/// (offset, length) of each region the input is XORed onto, in input order.
struct Template {
    image: Vec<u8>,
    regions: Vec<(usize, usize)>,
}

fn make_template() -> Vec<u8> {
    if let Some(p) = std::env::var_os("CLOUDSEED_FAT32_TEMPLATE") {
        return std::fs::read(p).expect("CLOUDSEED_FAT32_TEMPLATE");
    }
    let dir = std::env::temp_dir().join(format!("cloudseed-fuzz-fat32-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let img = dir.join("fat32.img");
    let _ = std::fs::remove_file(&img);
    let run = |cmd: &str, args: &[&str]| {
        let ok = Command::new(cmd).args(args).status().map(|s| s.success());
        assert!(
            matches!(ok, Ok(true)),
            "{cmd} {args:?} (apt: dosfstools mtools)"
        );
    };
    let img_s = img.to_str().unwrap();
    run(
        "mkfs.vfat",
        &["-F", "32", "-s", "1", "-n", "CIDATA", "-C", img_s, "40960"],
    );
    for (name, body) in [
        ("meta-data", "instance-id: fuzz32\n"),
        ("user-data", "#cloud-config\nhostname: fuzz32\n"),
        ("network-config", "version: 2\n"),
    ] {
        let p = dir.join(name);
        std::fs::write(&p, body).unwrap();
        run("mcopy", &["-i", img_s, p.to_str().unwrap(), "::/"]);
    }
    let image = std::fs::read(&img).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    image
}

fn template() -> &'static Template {
    static T: OnceLock<Template> = OnceLock::new();
    T.get_or_init(|| {
        let image = make_template();
        let u16_at = |o: usize| u16::from_le_bytes([image[o], image[o + 1]]) as usize;
        let u32_at = |o: usize| {
            u32::from_le_bytes([image[o], image[o + 1], image[o + 2], image[o + 3]]) as usize
        };
        let bps = u16_at(11);
        let per_cluster = image[13] as usize;
        let reserved = u16_at(14);
        let fats = image[16] as usize;
        let fat_sectors = u32_at(36);
        let root_cluster = u32_at(44);
        let fsinfo = u16_at(48);
        assert_eq!(&image[82..87], b"FAT32", "the template must be FAT32");
        let data = (reserved + fats * fat_sectors) * bps;
        // fatfs decides the type by the cluster count, not the label.
        let clusters = (u32_at(32) * bps - data) / (per_cluster * bps);
        assert!(
            clusters >= 65_525,
            "{clusters} clusters: fatfs would not take it as FAT32"
        );
        let root = data + (root_cluster - 2) * per_cluster * bps;
        Template {
            regions: vec![
                (0, bps),
                (fsinfo * bps, bps),
                (reserved * bps, 4096),
                (root, 8192),
            ],
            image,
        }
    })
}

/// The template with the patches over it, as a seekable disk.
struct Overlay<'a> {
    base: &'a [u8],
    patches: &'a [(usize, Vec<u8>)],
    pos: u64,
}

impl Read for Overlay<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let start = (self.pos as usize).min(self.base.len());
        let n = buf.len().min(self.base.len() - start);
        buf[..n].copy_from_slice(&self.base[start..start + n]);
        for (off, p) in self.patches {
            let lo = start.max(*off);
            let hi = (start + n).min(off + p.len());
            for i in lo..hi {
                buf[i - start] = p[i - off];
            }
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for Overlay<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let len = self.base.len() as i128;
        let at = match to {
            SeekFrom::Start(n) => n as i128,
            SeekFrom::End(d) => len + d as i128,
            SeekFrom::Current(d) => self.pos as i128 + d as i128,
        };
        if at < 0 {
            return Err(io::ErrorKind::InvalidInput.into());
        }
        self.pos = at as u64;
        Ok(self.pos)
    }
}

fuzz_target!(|data: &[u8]| {
    let t = template();
    let mut rest = data;
    let mut patches = Vec::new();
    for &(off, len) in &t.regions {
        if rest.is_empty() {
            break;
        }
        let take = len.min(rest.len());
        let bytes: Vec<u8> = t.image[off..off + take]
            .iter()
            .zip(&rest[..take])
            .map(|(a, b)| a ^ b)
            .collect();
        patches.push((off, bytes));
        rest = &rest[take..];
    }
    let disk = Overlay {
        base: &t.image,
        patches: &patches,
        pos: 0,
    };
    let r = read_image(disk);
    if data.iter().all(|&b| b == 0) {
        // The untouched template is a good cidata FAT32 volume.
        let (_, found) = r.expect("the template reads");
        let seed = found.and_then(|f| f.seed).expect("a NoCloud seed");
        assert_eq!(seed.meta_data, b"instance-id: fuzz32\n");
    } else if let Ok((vol, Some(f))) = r {
        let v = vol.expect("a found source has a volume");
        if let Some(k) = Kind::from_label(&v.label) {
            assert_eq!(k, f.kind);
        }
        if let Some(s) = f.seed {
            for file in [
                Some(&s.meta_data),
                Some(&s.user_data),
                s.vendor_data.as_ref(),
            ]
            .into_iter()
            .flatten()
            {
                assert!(file.len() as u64 <= MAX_FILE_BYTES);
            }
        }
    }
});
