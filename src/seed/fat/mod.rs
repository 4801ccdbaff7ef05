//! FAT12/16/32, read-only and bounds-checked, as the Linux vfat driver that
//! cloud-init mounts the volume with reads it: the BPB validated and the FAT
//! type decided as fs/fat/inode.c does, cluster chains walked one checked
//! step at a time (no loops, no cluster outside the volume), directories
//! looked up as fs/fat/dir.c does ([`dir`]). Every length comes from the
//! image, so each one is checked before use; a hostile image ends in an
//! error, never a panic or a hang. The root-directory label is found as
//! blkid finds it.

pub mod dir;

use super::probe::{label_text, FatBoot};
use super::{
    configdrive, Found, Fs, Kind, Seed, Volume, MAX_DIR_ENTRIES, MAX_FILE_BYTES, SEED_FILES,
};
use crate::error::{Error, Result};
use crate::os::io::{Read, Seek, SeekFrom};
use crate::prelude::*;
use core::ops::Range;

/// The most directory bytes read for one directory (entries of 32 bytes).
pub const MAX_DIR_BYTES: u64 = MAX_DIR_ENTRIES as u64 * 32;

// BIOS parameter block fields: the shared ones are the probe's; FAT32's
// root cluster (at 44, in the part FAT32 moves FAT12/16's extended boot
// record from) only the reader needs.
use super::probe::{
    BPB_BYTES_PER_SECTOR, BPB_FATS, BPB_FAT_SIZE16, BPB_FAT_SIZE32, BPB_MEDIA, BPB_RESERVED,
    BPB_ROOT_ENTRIES, BPB_SECTORS_PER_CLUSTER, BPB_TOTAL16, BPB_TOTAL32,
};
const BPB_ROOT_CLUSTER: Range<usize> = 44..48;

/// The kernel's largest cluster counts (MAX_FAT12/16/32 in fs/fat/fat.h).
const MAX_FAT12: u64 = 0xFF4;
const MAX_FAT16: u64 = 0xFFF4;
const MAX_FAT32: u64 = 0x0FFF_FFF6;

/// Where the root directory lives.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Root {
    /// FAT12/16: a fixed area of `bytes` at byte `offset`.
    Fixed { offset: u64, bytes: u64 },
    /// FAT32: a cluster chain from this cluster.
    Chain(u32),
}

/// A FAT volume's geometry from its boot sector, in bytes and clusters.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// 12, 16 or 32.
    pub bits: u8,
    pub cluster_bytes: u64,
    /// Byte offset of the first FAT, the one the kernel reads.
    pub fat_offset: u64,
    pub fat_bytes: u64,
    pub root: Root,
    /// Byte offset of cluster 2.
    pub data_offset: u64,
    /// One past the highest valid cluster number (the kernel's max_cluster).
    pub max_cluster: u32,
}

fn le16(b: &[u8], r: Range<usize>) -> u64 {
    u64::from(u16::from_le_bytes([b[r.start], b[r.start + 1]]))
}

fn le32(b: &[u8], r: Range<usize>) -> u64 {
    u64::from(u32::from_le_bytes([
        b[r.start],
        b[r.start + 1],
        b[r.start + 2],
        b[r.start + 3],
    ]))
}

impl Layout {
    /// The BPB of a boot sector, checked as `fat_read_bpb` and
    /// `fat_fill_super` check it. FAT32 is a volume whose 16-bit FAT size
    /// is 0 and 32-bit one is not, whatever its size; otherwise FAT12 below
    /// 4085 clusters, else FAT16.
    pub fn parse(b: &[u8]) -> Result<Layout> {
        let bad = |what: &str| Err(Error::malformed(format!("fat boot sector: {what}")));
        if b.len() < 512 {
            return Err(Error::truncated("fat boot sector"));
        }
        let sector = le16(b, BPB_BYTES_PER_SECTOR);
        let per_cluster = u64::from(b[BPB_SECTORS_PER_CLUSTER]);
        let reserved = le16(b, BPB_RESERVED);
        let fats = u64::from(b[BPB_FATS]);
        let media = b[BPB_MEDIA];
        if reserved == 0 {
            return bad("no reserved sectors");
        }
        if fats == 0 {
            return bad("no fats");
        }
        if !(media == 0xF0 || media >= 0xF8) {
            return bad("media byte");
        }
        if !sector.is_power_of_two() || !(512..=4096).contains(&sector) {
            return bad("bytes per sector");
        }
        if !per_cluster.is_power_of_two() {
            return bad("sectors per cluster");
        }
        let (fat16, fat32) = (le16(b, BPB_FAT_SIZE16), le32(b, BPB_FAT_SIZE32));
        if fat16 == 0 && fat32 == 0 {
            return bad("no fat sectors");
        }
        let is_fat32 = fat16 == 0;
        let fat_sectors = if is_fat32 { fat32 } else { fat16 };
        let root_entries = le16(b, BPB_ROOT_ENTRIES);
        if root_entries % (sector / 32) != 0 {
            return bad("root directory entries");
        }
        // No overflow: 65535 + 255 * (2^32 - 1) + 65535 * 32 / 512 < 2^41.
        let root_start = reserved + fats * fat_sectors;
        let data_start = root_start + root_entries * 32 / sector;
        let total = match le16(b, BPB_TOTAL16) {
            0 => le32(b, BPB_TOTAL32),
            n => n,
        };
        if data_start > total {
            return bad("data area past the end of the volume");
        }
        let clusters = (total - data_start) / per_cluster;
        let bits: u8 = match (is_fat32, clusters > MAX_FAT12) {
            (true, _) => 32,
            (false, true) => 16,
            (false, false) => 12,
        };
        // A FAT too small for the clusters limits them (calc_fat_clusters).
        let fat_clusters = fat_sectors * (sector * 8 / u64::from(bits));
        let clusters = clusters.min(fat_clusters.saturating_sub(2));
        let max = match bits {
            12 => MAX_FAT12,
            16 => MAX_FAT16,
            _ => MAX_FAT32,
        };
        if clusters > max {
            return bad("too many clusters");
        }
        let root = if is_fat32 {
            Root::Chain(le32(b, BPB_ROOT_CLUSTER) as u32)
        } else {
            Root::Fixed {
                offset: root_start * sector,
                bytes: root_entries * 32,
            }
        };
        Ok(Layout {
            bits,
            cluster_bytes: per_cluster * sector,
            fat_offset: reserved * sector,
            fat_bytes: fat_sectors * sector,
            root,
            data_offset: data_start * sector,
            // clusters <= MAX_FAT32, so this fits.
            max_cluster: (clusters + 2) as u32,
        })
    }

    /// Whether `n` names a data cluster of this volume.
    fn valid(&self, n: u32) -> bool {
        (2..self.max_cluster).contains(&n)
    }

    /// Byte offset of data cluster `n` (valid, so no overflow: < 2^41 + 2^28 * 2^19).
    fn cluster_offset(&self, n: u32) -> u64 {
        self.data_offset + u64::from(n - 2) * self.cluster_bytes
    }
}

/// What a FAT entry says follows a cluster.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Next {
    Cluster(u32),
    End,
}

/// A FAT volume being read: the disk, its layout, and one cached FAT sector.
struct FatFs<R> {
    disk: R,
    layout: Layout,
    fat_cache: Option<(u64, Vec<u8>)>,
}

/// Reads `buf.len()` bytes at `offset`: the only way this module reads.
fn read_at<R: Read + Seek>(disk: &mut R, offset: u64, buf: &mut [u8]) -> Result<()> {
    let io = |op: &'static str, e: crate::os::io::Error| {
        if e.kind() == crate::os::io::ErrorKind::UnexpectedEof {
            Error::truncated("fat volume")
        } else {
            Error::io(op, "fat volume", e)
        }
    };
    disk.seek(SeekFrom::Start(offset))
        .map_err(|e| io("seek", e))?;
    disk.read_exact(buf).map_err(|e| io("read", e))
}

/// The FAT sector size used for the cache: small, one device block.
const FAT_BLOCK: u64 = 512;

impl<R: Read + Seek> FatFs<R> {
    /// Byte `at` of the first FAT (`at < fat_bytes`).
    fn fat_byte(&mut self, at: u64) -> Result<u8> {
        let (block, i) = (at / FAT_BLOCK, (at % FAT_BLOCK) as usize);
        if let Some((b, buf)) = &self.fat_cache {
            if *b == block {
                return Ok(buf[i]);
            }
        }
        let mut buf = vec![0u8; FAT_BLOCK as usize];
        let offset = self.layout.fat_offset + block * FAT_BLOCK;
        read_at(&mut self.disk, offset, &mut buf)?;
        let byte = buf[i];
        self.fat_cache = Some((block, buf));
        Ok(byte)
    }

    /// The FAT entry of cluster `n`, as fat12/16/32_ent_get read it.
    fn next(&mut self, n: u32) -> Result<Next> {
        if !self.layout.valid(n) {
            return Err(Error::malformed(format!("fat cluster {n} out of range")));
        }
        let n64 = u64::from(n);
        let (at, len) = match self.layout.bits {
            12 => (n64 + n64 / 2, 2),
            16 => (n64 * 2, 2),
            _ => (n64 * 4, 4),
        };
        if at + len > self.layout.fat_bytes {
            return Err(Error::malformed("fat entry past the end of the fat"));
        }
        let mut raw = 0u32;
        for i in 0..len {
            raw |= u32::from(self.fat_byte(at + i)?) << (8 * i);
        }
        // Values from the "bad cluster" mark up end a chain (BAD_FAT12 and on).
        let (value, bad) = match self.layout.bits {
            12 if n % 2 == 1 => (raw >> 4, 0xFF7),
            12 => (raw & 0xFFF, 0xFF7),
            16 => (raw, 0xFFF7),
            _ => (raw & 0x0FFF_FFFF, 0x0FFF_FFF7),
        };
        match value {
            0 => Err(Error::malformed(
                "fat cluster chain runs into a free cluster",
            )),
            v if v >= bad => Ok(Next::End),
            v => Ok(Next::Cluster(v)),
        }
    }

    /// The clusters of a chain from `start`: exactly `want` of them when
    /// given (a file), else up to its end but at most `cap` (a directory).
    /// A cluster seen twice is a loop: refused, as is any cluster outside
    /// the volume and a chain shorter than its file.
    fn chain(&mut self, start: u32, want: Option<u64>, cap: u64) -> Result<Vec<u32>> {
        if !self.layout.valid(start) {
            return Err(Error::malformed(format!(
                "fat first cluster {start} out of range"
            )));
        }
        let limit = want.unwrap_or(cap);
        let mut chain = vec![start];
        let mut at = start;
        while (chain.len() as u64) < limit {
            match self.next(at)? {
                Next::Cluster(c) if self.layout.valid(c) => {
                    at = c;
                    chain.push(c);
                }
                Next::Cluster(c) => {
                    return Err(Error::malformed(format!("fat cluster {c} out of range")))
                }
                Next::End if want.is_some() => {
                    return Err(Error::truncated("fat cluster chain shorter than its file"))
                }
                Next::End => break,
            }
            // Checked now and then, so a loop is named as one before any cap.
            if chain.len().is_power_of_two() {
                no_loop(&chain)?;
            }
        }
        no_loop(&chain)?;
        if want.is_none() && self.next(at)? != Next::End {
            return Err(Error::limit(format!(
                "fat directory over {MAX_DIR_BYTES} bytes"
            )));
        }
        Ok(chain)
    }

    /// `bytes` bytes from the clusters of `chain`, contiguous runs read at once.
    fn read_chain(&mut self, chain: &[u32], bytes: u64) -> Result<Vec<u8>> {
        let mut out = vec![0u8; bytes as usize];
        let cluster = self.layout.cluster_bytes;
        let mut done = 0u64;
        let mut i = 0;
        while done < bytes && i < chain.len() {
            let mut run = 1;
            while i + run < chain.len() && chain[i + run] == chain[i] + run as u32 {
                run += 1;
            }
            let n = (run as u64 * cluster).min(bytes - done);
            let offset = self.layout.cluster_offset(chain[i]);
            read_at(
                &mut self.disk,
                offset,
                &mut out[done as usize..(done + n) as usize],
            )?;
            done += n;
            i += run;
        }
        Ok(out)
    }

    fn root_dir(&mut self) -> Result<Vec<u8>> {
        match self.layout.root {
            Root::Fixed { offset, bytes } => {
                if bytes > MAX_DIR_BYTES {
                    return Err(Error::limit(format!(
                        "fat root directory over {MAX_DIR_BYTES} bytes"
                    )));
                }
                let mut buf = vec![0u8; bytes as usize];
                read_at(&mut self.disk, offset, &mut buf)?;
                Ok(buf)
            }
            Root::Chain(start) => self.dir_chain(start),
        }
    }

    fn dir_chain(&mut self, start: u32) -> Result<Vec<u8>> {
        let cap = MAX_DIR_BYTES.div_ceil(self.layout.cluster_bytes);
        let chain = self.chain(start, None, cap)?;
        // At most MAX_DIR_BYTES, or one cluster when clusters are larger.
        let bytes = chain.len() as u64 * self.layout.cluster_bytes;
        self.read_chain(&chain, bytes)
    }

    /// The first cluster of an entry (the high half only counts on FAT32).
    fn first_cluster(&self, e: &dir::Entry) -> u32 {
        let hi = if self.layout.bits == 32 {
            u32::from(e.cluster_hi) << 16
        } else {
            0
        };
        hi | u32::from(e.cluster_lo)
    }

    /// The directory at `path` below `dir` (`None`: a name is missing).
    fn dir_at(&mut self, dir: &[u8], path: &[&str]) -> Result<Option<Vec<u8>>> {
        let mut dir = dir.to_vec();
        for name in path {
            let Some(e) = dir::lookup(&dir, name, true) else {
                return Ok(None);
            };
            let start = self.first_cluster(&e);
            dir = self.dir_chain(start)?;
        }
        Ok(Some(dir))
    }

    /// A file's bytes, at most `cap` of them.
    fn read_file(&mut self, e: &dir::Entry, cap: u64) -> Result<Vec<u8>> {
        let size = u64::from(e.size);
        if size > cap {
            return Err(Error::limit(format!("fat file {size} bytes")));
        }
        if size == 0 {
            return Ok(Vec::new());
        }
        let clusters = size.div_ceil(self.layout.cluster_bytes);
        let chain = self.chain(self.first_cluster(e), Some(clusters), clusters)?;
        self.read_chain(&chain, size)
    }
}

/// Refuses a chain that holds a cluster twice.
fn no_loop(chain: &[u32]) -> Result<()> {
    let mut sorted = chain.to_vec();
    crate::sort::sort(&mut sorted);
    if sorted.windows(2).any(|w| w[0] == w[1]) {
        return Err(Error::malformed("fat cluster chain loop"));
    }
    Ok(())
}

impl<R: Read + Seek> FatFs<R> {
    fn open(mut disk: R) -> Result<Self> {
        let mut sector = [0u8; 512];
        read_at(&mut disk, 0, &mut sector)?;
        Ok(FatFs {
            disk,
            layout: Layout::parse(&sector)?,
            fat_cache: None,
        })
    }
}

/// The entries of the directory at `path` (names as vfat looks them up;
/// `None` when a directory on the way is missing): for tests and tools.
pub fn list_dir<R: Read + Seek>(disk: R, path: &[&str]) -> Result<Option<Vec<dir::Entry>>> {
    let mut fs = FatFs::open(disk)?;
    let root = fs.root_dir()?;
    Ok(fs.dir_at(&root, path)?.map(|d| dir::entries(&d)))
}

/// The file at `path` (`None` when missing), at most [`MAX_FILE_BYTES`].
pub fn read_path<R: Read + Seek>(disk: R, path: &[&str]) -> Result<Option<Vec<u8>>> {
    let Some((name, dirs)) = path.split_last() else {
        return Ok(None);
    };
    let mut fs = FatFs::open(disk)?;
    let root = fs.root_dir()?;
    let Some(dir) = fs.dir_at(&root, dirs)? else {
        return Ok(None);
    };
    match dir::lookup(&dir, name, false) {
        Some(e) => fs.read_file(&e, MAX_FILE_BYTES).map(Some),
        None => Ok(None),
    }
}

/// Reads one FAT volume: its label and, for `cidata`, the seed files.
pub fn read_volume<R: Read + Seek>(disk: R, boot: &FatBoot) -> Result<(Volume, Option<Found>)> {
    let mut fs = FatFs::open(disk)?;
    let root = fs.root_dir()?;
    let root_label = dir::volume_label(&root).and_then(|raw| label_text(&raw));
    // blkid reports the root-directory label first; cloud-init matches either.
    let kind = root_label
        .as_deref()
        .and_then(Kind::from_label)
        .or_else(|| boot.label.as_deref().and_then(Kind::from_label));
    let volume = Volume {
        fs: Fs::Vfat,
        label: root_label
            .or_else(|| boot.label.clone())
            .unwrap_or_default(),
        uuid: boot.uuid.clone(),
    };
    let found = match kind {
        None => None,
        Some(Kind::NoCloud) => {
            let mut files: [Option<Vec<u8>>; 4] = Default::default();
            for (slot, name) in files.iter_mut().zip(SEED_FILES) {
                if let Some(e) = dir::lookup(&root, name, false) {
                    *slot = Some(fs.read_file(&e, MAX_FILE_BYTES)?);
                }
            }
            Some(Found {
                volume: volume.clone(),
                kind: Kind::NoCloud,
                seed: Some(Seed::from_files(files)?),
            })
        }
        Some(Kind::ConfigDrive) => {
            configdrive::note_meta_data(Fs::Vfat, read_config_meta(&mut fs, &root));
            Some(Found {
                volume: volume.clone(),
                kind: Kind::ConfigDrive,
                seed: None,
            })
        }
    };
    Ok((volume, found))
}

/// `openstack/latest/meta_data.json`, each name looked up as vfat does.
fn read_config_meta<R: Read + Seek>(fs: &mut FatFs<R>, root: &[u8]) -> Result<Vec<u8>> {
    let missing = || Error::malformed("config-2 volume without meta_data.json");
    let path: Vec<&str> = configdrive::META_DIR.split('/').collect();
    let dir = fs.dir_at(root, &path)?.ok_or_else(missing)?;
    let e = dir::lookup(&dir, configdrive::META_FILE, false).ok_or_else(missing)?;
    fs.read_file(&e, configdrive::MAX_META_BYTES)
        .map_err(|e| match e {
            Error::Limit { .. } => Error::limit("config-2 meta_data.json"),
            e => e,
        })
}

#[cfg(test)]
mod tests;
