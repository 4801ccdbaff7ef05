//! FAT32 from small inputs. Like the kernel, cloudseed takes a volume as
//! FAT32 by its boot-sector fields alone (16-bit FAT size 0, 32-bit one
//! set), whatever its cluster count, so a tiny `mkfs.vfat -F 32` volume is
//! FAT32 and a few KiB of input reach every FAT32 path: the 32-bit FAT,
//! the root directory's cluster chain, the high cluster halves. The input
//! is the start of a 1 MiB disk whose other bytes are zero; the seeds
//! (tests/fuzz/seeds/fat32/, made by its make.sh) are real tiny FAT32
//! volumes cut after their last non-zero byte.
#![no_main]
use cloudseed::seed::{read_image, MAX_FILE_BYTES};
use libfuzzer_sys::fuzz_target;
#[path = "shared/mod.rs"]
mod shared;
use cloudseed::os::io::{self, Read, Seek, SeekFrom};

const DISK_BYTES: u64 = 1 << 20;

/// `head`, then zeros up to `DISK_BYTES`.
struct Zeroed<'a> {
    head: &'a [u8],
    pos: u64,
}

impl Read for Zeroed<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = DISK_BYTES.saturating_sub(self.pos);
        let n = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        // pos < DISK_BYTES here whenever n > 0: it fits usize
        let at = usize::try_from(self.pos).unwrap_or(usize::MAX);
        let from_head = self.head.get(at..).unwrap_or(&[]);
        let k = n.min(from_head.len());
        buf[..k].copy_from_slice(&from_head[..k]);
        buf[k..n].fill(0);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for Zeroed<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let at = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => DISK_BYTES.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = at.ok_or(io::ErrorKind::InvalidInput)?;
        Ok(self.pos)
    }
}

fuzz_target!(|data: &[u8]| {
    let disk = Zeroed { head: data, pos: 0 };
    if let Ok((vol, found)) = read_image(disk) {
        shared::check_volume(vol, found, MAX_FILE_BYTES.min(DISK_BYTES));
    }
});
