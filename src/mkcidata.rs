//! `cloudseed mkcidata`: writes a FAT image labelled `cidata`, like `cloud-localds`.
//! The label goes into both the boot sector and the root directory (fatfs's
//! `format_volume` writes both), so every blkid and cloud-init version sees it.

use crate::error::{Error, Result};
use crate::prelude::*;
use crate::seed::MAX_FILE_BYTES;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

const LABEL: [u8; 11] = *b"cidata     ";
const MIB: u64 = 1 << 20;
/// Attempts, doubling the size each time, should a size estimate fall short.
const ATTEMPTS: usize = 4;

/// Writes `files` (name, bytes) into a fresh `cidata` FAT image at `out`,
/// through a temporary file in the same directory renamed into place.
pub fn write_image(out: &Path, files: &[(&str, &[u8])]) -> Result<()> {
    for (name, data) in files {
        if data.len() as u64 > MAX_FILE_BYTES {
            return Err(Error::limit(format!(
                "{name} is over {} bytes, which cloudseed would not read",
                MAX_FILE_BYTES
            )));
        }
    }
    let tmp = temp_path(out)?;
    let result = write_temp(&tmp, files).and_then(|()| {
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
    let tmp = format!(".{}.{}.tmp", name.to_string_lossy(), std::process::id());
    Ok(out.with_file_name(tmp))
}

fn write_temp(tmp: &Path, files: &[(&str, &[u8])]) -> Result<()> {
    let mut size = image_size(files);
    for attempt in 1..=ATTEMPTS {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(tmp)
            .map_err(|e| Error::io("create", tmp.display(), e))?;
        file.set_len(size)
            .map_err(|e| Error::io("truncate", tmp.display(), e))?;
        match format_and_fill(&mut file, files) {
            Ok(()) => {
                return file
                    .sync_all()
                    .map_err(|e| Error::io("fsync", tmp.display(), e))
            }
            // Only running out of room is worth another try with a bigger image.
            Err(e) if attempt < ATTEMPTS && e.to_string().contains("No space") => size *= 2,
            Err(e) => return Err(Error::io("write", tmp.display(), e)),
        }
    }
    Err(Error::limit("mkcidata could not size the image"))
}

/// Content plus room for the FATs, the root directory and per-file slack,
/// rounded to whole MiB; fatfs then picks FAT12 below 4 MiB.
fn image_size(files: &[(&str, &[u8])]) -> u64 {
    let cluster = 4096u64;
    let content: u64 = files
        .iter()
        .map(|(_, d)| (d.len() as u64).div_ceil(cluster) * cluster + cluster)
        .sum();
    let want = content + content / 8 + 256 * 1024;
    want.div_ceil(MIB).max(1) * MIB
}

fn format_and_fill(file: &mut File, files: &[(&str, &[u8])]) -> io::Result<()> {
    // A volume id from the content keeps images reproducible.
    let mut all = Vec::new();
    for (name, data) in files {
        all.extend_from_slice(name.as_bytes());
        all.push(0);
        all.extend_from_slice(data);
    }
    let d = crate::sha256::digest(&all);
    let volume_id = u32::from_le_bytes([d[0], d[1], d[2], d[3]]);
    let options = fatfs::FormatVolumeOptions::new()
        .volume_label(LABEL)
        .volume_id(volume_id);
    fatfs::format_volume(&mut *file, options)?;
    let fs = fatfs::FileSystem::new(&mut *file, fatfs::FsOptions::new())?;
    {
        let root = fs.root_dir();
        for (name, data) in files {
            let mut f = root.create_file(name)?;
            f.truncate()?;
            f.write_all(data)?;
            f.flush()?;
        }
    }
    fs.unmount()
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

    #[test]
    fn small_seeds_get_one_mib() {
        assert_eq!(
            image_size(&[("meta-data", b""), ("user-data", b"#cloud-config\n")]),
            MIB
        );
        assert!(image_size(&[("user-data", &vec![0u8; 3 << 20])]) >= 4 * MIB);
    }
}
