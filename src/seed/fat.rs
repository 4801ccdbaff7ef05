//! FAT12/16/32 through the `fatfs` crate, fenced: the disk is read-only, every
//! byte read counts against a budget (a cyclic cluster chain cannot spin
//! forever), and the one `catch_unwind` here turns a fatfs panic on a corrupt
//! image into `Error::Panicked` so the boot goes on.

use super::probe::{label_text, FatBoot};
use super::{
    configdrive, Found, Fs, Kind, Seed, Volume, MAX_DIR_ENTRIES, MAX_FILE_BYTES, SEED_FILES,
};
use crate::error::{Error, Result};
use crate::prelude::*;
use std::cell::Cell;
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

/// Worst honest case: four 16 MiB files in 512-byte clusters, each cluster
/// costing one small buffered FAT read besides its data; twice that is plenty.
const READ_BUDGET: u64 = 16 * MAX_FILE_BYTES;
/// Small, because fatfs seeks before nearly every read and a seek empties it.
const BUFFER_BYTES: usize = 512;

/// Reads one FAT volume: its label and, for `cidata`, the seed files.
pub fn read_volume<R: Read + Seek>(disk: R, boot: &FatBoot) -> Result<(Volume, Option<Found>)> {
    let disk = ReadOnly(BufReader::with_capacity(
        BUFFER_BYTES,
        Budget {
            inner: disk,
            left: READ_BUDGET,
        },
    ));
    quiet_panics_in_fence();
    IN_FENCE.with(|f| f.set(true));
    let result = catch_unwind(AssertUnwindSafe(|| read_fenced(disk, boot)));
    IN_FENCE.with(|f| f.set(false));
    result.unwrap_or_else(|payload| {
        let at = PANIC_AT.with(|p| p.take()).unwrap_or_default();
        Err(Error::panicked(format!(
            "fatfs on a corrupt fat volume: {}{at}",
            crate::error::panic_text(&*payload)
        )))
    })
}

thread_local! {
    /// Set while this thread runs fatfs inside the fence.
    static IN_FENCE: Cell<bool> = const { Cell::new(false) };
    /// Where the fenced panic happened, for the error message.
    static PANIC_AT: Cell<Option<String>> = const { Cell::new(None) };
}

/// A panic inside the fence is an expected, reported error, so the default
/// hook's message and backtrace would only clutter the boot console. Installed
/// once; panics outside the fence (any thread) still reach the previous hook.
fn quiet_panics_in_fence() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // With panic = "abort" (release builds) nothing is caught here:
            // the probe helper's hook (src/scan.rs) reports it, then it aborts.
            if IN_FENCE.with(|f| f.get()) && cfg!(panic = "unwind") {
                let at = info.location().map(|l| {
                    format!(
                        " at {}:{}",
                        l.file().rsplit("/src/").next().unwrap_or(""),
                        l.line()
                    )
                });
                PANIC_AT.with(|p| p.set(at));
            } else {
                previous(info);
            }
        }));
    });
}

fn read_fenced<T: fatfs::ReadWriteSeek>(
    disk: T,
    boot: &FatBoot,
) -> Result<(Volume, Option<Found>)> {
    let fs = fatfs::FileSystem::new(disk, fatfs::FsOptions::new()).map_err(fat_err)?;
    let root_label = fs
        .read_volume_label_from_root_dir_as_bytes()
        .map_err(fat_err)?
        .and_then(|raw| label_text(&raw));
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
        Some(Kind::NoCloud) => Some(Found {
            volume: volume.clone(),
            kind: Kind::NoCloud,
            seed: Some(read_seed(&fs)?),
        }),
        Some(Kind::ConfigDrive) => {
            configdrive::note_meta_data(Fs::Vfat, read_config_meta(&fs));
            Some(Found {
                volume: volume.clone(),
                kind: Kind::ConfigDrive,
                seed: None,
            })
        }
    };
    Ok((volume, found))
}

/// The seed files from the root directory; FAT names compare case-insensitively.
fn read_seed<T: fatfs::ReadWriteSeek>(fs: &fatfs::FileSystem<T>) -> Result<Seed> {
    let mut files: [Option<Vec<u8>>; 4] = Default::default();
    for (n, entry) in fs.root_dir().iter().enumerate() {
        if n >= MAX_DIR_ENTRIES {
            return Err(Error::limit("fat root directory with too many entries"));
        }
        let entry = entry.map_err(fat_err)?;
        if !entry.is_file() {
            continue;
        }
        let name = entry.file_name();
        let Some(i) = SEED_FILES.iter().position(|f| name.eq_ignore_ascii_case(f)) else {
            continue;
        };
        if files[i].is_none() {
            files[i] = Some(read_file(entry.len(), entry.to_file())?);
        }
    }
    Seed::from_files(files)
}

fn read_file(size: u64, file: impl Read) -> Result<Vec<u8>> {
    if size > MAX_FILE_BYTES {
        return Err(Error::limit(format!("fat file {size} bytes")));
    }
    let mut buf = Vec::with_capacity(size as usize);
    file.take(size).read_to_end(&mut buf).map_err(fat_err)?;
    if buf.len() as u64 != size {
        return Err(Error::truncated(
            "fat file shorter than its directory entry",
        ));
    }
    Ok(buf)
}

fn read_config_meta<T: fatfs::ReadWriteSeek>(fs: &fatfs::FileSystem<T>) -> Result<Vec<u8>> {
    let dir = fs
        .root_dir()
        .open_dir(configdrive::META_DIR)
        .map_err(fat_err)?;
    let entry = dir
        .iter()
        .take(MAX_DIR_ENTRIES)
        .filter_map(|e| e.ok())
        .find(|e| e.is_file() && e.file_name().eq_ignore_ascii_case(configdrive::META_FILE))
        .ok_or_else(|| Error::malformed("config-2 volume without meta_data.json"))?;
    if entry.len() > configdrive::MAX_META_BYTES {
        return Err(Error::limit("config-2 meta_data.json"));
    }
    read_file(entry.len(), entry.to_file())
}

/// Budget and device errors keep their meaning; anything else fatfs says is
/// about the volume's structure.
fn fat_err(e: io::Error) -> Error {
    if e.get_ref().is_some_and(|inner| inner.is::<BudgetSpent>()) {
        Error::limit("fat volume needs more reads than any honest one (cyclic cluster chain?)")
    } else if e.raw_os_error().is_some() {
        Error::io("read", "fat volume", e)
    } else if e.kind() == io::ErrorKind::UnexpectedEof {
        Error::truncated("fat volume")
    } else {
        Error::malformed(format!("fat volume: {e}"))
    }
}

#[derive(Debug)]
struct BudgetSpent;

impl std::fmt::Display for BudgetSpent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("read budget spent")
    }
}

impl std::error::Error for BudgetSpent {}

/// Counts bytes read from the device and fails once the budget is spent.
struct Budget<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Budget<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Err(io::Error::other(BudgetSpent));
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

impl<R: Seek> Seek for Budget<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// fatfs wants a writable disk; we hand it one whose writes always fail.
struct ReadOnly<R>(R);

impl<R: Read> Read for ReadOnly<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl<R: Seek> Seek for ReadOnly<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.0.seek(pos)
    }
}

impl<R> Write for ReadOnly<R> {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "volume opened read-only",
        ))
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_stops_reads() {
        let mut b = Budget {
            inner: io::Cursor::new(vec![0u8; 100]),
            left: 10,
        };
        let mut buf = [0u8; 64];
        assert_eq!(b.read(&mut buf).unwrap(), 10);
        let e = b.read(&mut buf).unwrap_err();
        assert!(matches!(fat_err(e), Error::Limit { .. }));
    }

    #[test]
    fn writes_fail() {
        let mut d = ReadOnly(io::Cursor::new(vec![0u8; 4]));
        assert!(d.write(b"x").is_err());
    }
}
