//! A small ISO 9660 reader, generic over `Read + Seek`: just enough to list a
//! directory and read files byte-exact, with the name precedence of the Linux
//! kernel mount (Rock Ridge, else Joliet, else plain names). Every offset and
//! length from the image is checked against the image size and our caps before
//! it is used, so a hostile image ends in an error, never a panic or a hang.

use crate::prelude::*;

use super::{MAX_DEPTH, MAX_DIR_ENTRIES, MAX_FILE_BYTES};
use crate::error::{Error, Result};
use crate::os::io::{Read, Seek, SeekFrom};
use core::ops::Range;

/// Volume descriptors are 2048-byte sectors from sector 16, whatever the block size.
const VD_SECTOR: u64 = 2048;
const VD_START: u64 = 16 * VD_SECTOR;
/// A real disc has a handful of descriptors; stop looking after this many.
const MAX_DESCRIPTORS: u64 = 32;
/// A directory record is at most 255 bytes, so this bounds a directory's extent.
const MAX_DIR_BYTES: u64 = MAX_DIR_ENTRIES as u64 * 256;
/// Rock Ridge continuation areas followed per record, and NM bytes kept.
const MAX_CE_HOPS: usize = 8;
const MAX_NAME_BYTES: usize = 1024;

// Volume descriptor fields (ECMA-119 8.4).
const VD_TYPE: usize = 0;
const VD_MAGIC: Range<usize> = 1..6;
const VD_VOLUME_ID: Range<usize> = 40..72;
const VD_ESCAPES: Range<usize> = 88..120;
const VD_BLOCK_SIZE: Range<usize> = 128..130;
const VD_ROOT: Range<usize> = 156..190;
const VD_PRIMARY: u8 = 1;
const VD_SUPPLEMENTARY: u8 = 2;
const VD_TERMINATOR: u8 = 255;

// Directory record fields (ECMA-119 9.1).
const DR_LEN: usize = 0;
const DR_EXTENT: Range<usize> = 2..6;
const DR_DATA_LEN: Range<usize> = 10..14;
const DR_FLAGS: usize = 25;
const DR_UNIT_SIZE: usize = 26;
const DR_GAP: usize = 27;
const DR_NAME_LEN: usize = 32;
const DR_NAME: usize = 33;
const FLAG_DIR: u8 = 0x02;
const FLAG_MULTI_EXTENT: u8 = 0x80;

/// One directory record, checked: `name` and `system_use` lie inside it.
#[derive(Clone, Copy, Debug)]
struct Record<'a> {
    extent: u32,
    data_len: u32,
    flags: u8,
    interleaved: bool,
    name: &'a [u8],
    system_use: &'a [u8],
}

impl<'a> Record<'a> {
    fn parse(buf: &'a [u8]) -> Result<Record<'a>> {
        let len =
            *buf.get(DR_LEN)
                .ok_or_else(|| Error::truncated("iso9660 directory record"))? as usize;
        if len <= DR_NAME || len > buf.len() {
            return Err(Error::malformed("iso9660 directory record length"));
        }
        let rec = &buf[..len];
        let name_len = rec[DR_NAME_LEN] as usize;
        let name_end = DR_NAME + name_len;
        if name_end > len {
            return Err(Error::malformed("iso9660 directory record name length"));
        }
        // A pad byte follows an even-length name so the system use area is aligned.
        let su_start = (name_end + (name_len + 1) % 2).min(len);
        Ok(Record {
            extent: le32(&rec[DR_EXTENT]),
            data_len: le32(&rec[DR_DATA_LEN]),
            flags: rec[DR_FLAGS],
            interleaved: rec[DR_UNIT_SIZE] != 0 || rec[DR_GAP] != 0,
            name: &rec[DR_NAME..name_end],
            system_use: &rec[su_start..],
        })
    }

    /// "." and ".." are stored as the single bytes 0 and 1.
    fn is_dot(&self) -> bool {
        self.name == [0] || self.name == [1]
    }
}

fn le32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

/// Which directory tree we read and how its names are spelled.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Names {
    RockRidge,
    Joliet,
    Plain,
}

/// A file or directory as listed, with every extent of a multi-extent file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    /// Plain ISO names compare case-insensitively, like the kernel's `map=normal`.
    pub folded: bool,
    pub is_dir: bool,
    interleaved: bool,
    extents: Vec<(u32, u32)>,
}

impl Entry {
    pub fn matches(&self, want: &str) -> bool {
        if self.folded {
            self.name.eq_ignore_ascii_case(want)
        } else {
            self.name == want
        }
    }

    /// Total size over all extents; u32 lengths times MAX_DIR_ENTRIES cannot overflow u64.
    pub fn size(&self) -> u64 {
        self.extents.iter().map(|&(_, len)| u64::from(len)).sum()
    }
}

/// An opened ISO 9660 volume.
pub struct IsoFs<R> {
    disk: R,
    image_size: u64,
    block_size: u64,
    pub volume_id: String,
    pub names: Names,
    root: Entry,
    /// Bytes to skip at the start of every system use area (Rock Ridge `SP`).
    su_skip: usize,
}

/// True when the 2048-byte sector at 32 KiB starts a volume descriptor.
pub fn is_iso9660(sector16: &[u8]) -> bool {
    sector16.len() > VD_MAGIC.end && &sector16[VD_MAGIC] == b"CD001"
}

impl<R: Read + Seek> IsoFs<R> {
    /// Reads the volume descriptors and picks the directory tree to use.
    pub fn open(mut disk: R) -> Result<IsoFs<R>> {
        let image_size = disk
            .seek(SeekFrom::End(0))
            .map_err(|e| Error::io("seek", "iso9660 image", e))?;
        let mut pvd: Option<(String, u64, Vec<u8>)> = None;
        let mut joliet_root: Option<Vec<u8>> = None;
        for i in 0..MAX_DESCRIPTORS {
            let vd = read_exact_at(&mut disk, image_size, VD_START + i * VD_SECTOR, VD_SECTOR)?;
            if &vd[VD_MAGIC] != b"CD001" {
                return Err(Error::malformed("iso9660 volume descriptor magic"));
            }
            match vd[VD_TYPE] {
                VD_PRIMARY if pvd.is_none() => {
                    let block = u64::from(u16::from_le_bytes([
                        vd[VD_BLOCK_SIZE.start],
                        vd[VD_BLOCK_SIZE.start + 1],
                    ]));
                    if !matches!(block, 512 | 1024 | 2048) {
                        return Err(Error::malformed("iso9660 logical block size"));
                    }
                    let label = String::from_utf8_lossy(&vd[VD_VOLUME_ID])
                        .trim_end_matches([' ', '\0'])
                        .to_string();
                    pvd = Some((label, block, vd[VD_ROOT].to_vec()));
                }
                VD_SUPPLEMENTARY if joliet_root.is_none() && is_joliet(&vd[VD_ESCAPES]) => {
                    joliet_root = Some(vd[VD_ROOT].to_vec());
                }
                VD_TERMINATOR => break,
                _ => {}
            }
        }
        let (volume_id, block_size, pvd_root) =
            pvd.ok_or_else(|| Error::malformed("iso9660 without a primary volume descriptor"))?;
        let mut fs = IsoFs {
            disk,
            image_size,
            block_size,
            volume_id,
            names: Names::Plain,
            root: root_entry(&pvd_root)?,
            su_skip: 0,
        };
        // Like the kernel: Rock Ridge (an SP entry in the root's "." record) wins
        // over Joliet, and Joliet over plain names.
        if let Some(skip) = fs.rock_ridge_skip()? {
            fs.names = Names::RockRidge;
            fs.su_skip = skip;
        } else if let Some(root) = joliet_root {
            fs.names = Names::Joliet;
            fs.root = root_entry(&root)?;
        }
        Ok(fs)
    }

    pub fn root(&self) -> Entry {
        self.root.clone()
    }

    /// Looks a path up from the root, refusing directory loops and deep paths.
    pub fn find(&mut self, path: &[&str]) -> Result<Option<Entry>> {
        if path.len() > MAX_DEPTH {
            return Err(Error::limit("iso9660 path deeper than the depth cap"));
        }
        let mut dir = self.root.clone();
        let mut visited = vec![dir.extents.first().map_or(0, |e| e.0)];
        for (i, want) in path.iter().enumerate() {
            let Some(next) = self.read_dir(&dir)?.into_iter().find(|e| e.matches(want)) else {
                return Ok(None);
            };
            if i + 1 == path.len() {
                return Ok(Some(next));
            }
            if !next.is_dir {
                return Ok(None);
            }
            let extent = next.extents.first().map_or(0, |e| e.0);
            if visited.contains(&extent) {
                return Err(Error::malformed("iso9660 directory loop"));
            }
            visited.push(extent);
            dir = next;
        }
        Ok(Some(dir))
    }

    /// Lists a directory, joining multi-extent files into one entry.
    pub fn read_dir(&mut self, dir: &Entry) -> Result<Vec<Entry>> {
        if !dir.is_dir || dir.extents.len() != 1 {
            return Err(Error::malformed("iso9660 directory record"));
        }
        let (lba, len) = dir.extents[0];
        if u64::from(len) > MAX_DIR_BYTES {
            return Err(Error::limit(
                "iso9660 directory larger than the entry cap allows",
            ));
        }
        let start = self.extent_offset(lba)?;
        let data = read_exact_at(&mut self.disk, self.image_size, start, u64::from(len))?;
        let block = self.block_size as usize;
        let mut out: Vec<Entry> = Vec::new();
        let mut pending: Option<Entry> = None;
        let mut records = 0usize;
        for sector in data.chunks(block) {
            // Records never cross a block; a zero length byte pads to the next one.
            let mut pos = 0;
            while pos < sector.len() && sector[pos] != 0 {
                let rec = Record::parse(&sector[pos..])?;
                pos += sector[pos] as usize;
                records += 1;
                if records > MAX_DIR_ENTRIES {
                    return Err(Error::limit("iso9660 directory with too many entries"));
                }
                if rec.is_dot() {
                    continue;
                }
                let multi = rec.flags & FLAG_MULTI_EXTENT != 0;
                if let Some(p) = pending.as_mut() {
                    // Later records of a multi-extent file only add their extent.
                    p.extents.push((rec.extent, rec.data_len));
                    p.interleaved |= rec.interleaved;
                } else {
                    let (name, folded, hidden) = self.record_name(&rec)?;
                    if hidden {
                        continue;
                    }
                    pending = Some(Entry {
                        name,
                        folded,
                        is_dir: rec.flags & FLAG_DIR != 0,
                        interleaved: rec.interleaved,
                        extents: vec![(rec.extent, rec.data_len)],
                    });
                }
                if !multi {
                    out.extend(pending.take());
                }
            }
        }
        if pending.is_some() {
            return Err(Error::malformed(
                "iso9660 multi-extent file without its last extent",
            ));
        }
        if out.iter().any(|e| e.is_dir && e.extents.len() != 1) {
            return Err(Error::malformed("iso9660 multi-extent directory"));
        }
        Ok(out)
    }

    /// Reads a file byte-exact, after checking its size and every extent.
    pub fn read_file(&mut self, entry: &Entry) -> Result<Vec<u8>> {
        if entry.is_dir {
            return Err(Error::malformed(
                "iso9660 directory where a file was expected",
            ));
        }
        if entry.interleaved {
            return Err(Error::unsupported("interleaved iso9660 file"));
        }
        let size = entry.size();
        if size > MAX_FILE_BYTES {
            return Err(Error::limit(format!("iso9660 file {} bytes", size)));
        }
        let mut out: Vec<u8> = Vec::new();
        for &(lba, len) in &entry.extents {
            let start = self.extent_offset(lba)?;
            let chunk = read_exact_at(&mut self.disk, self.image_size, start, u64::from(len))?;
            // The usual single extent is returned as read: no second copy.
            if out.is_empty() {
                out = chunk;
            } else {
                out.extend_from_slice(&chunk);
            }
        }
        Ok(out)
    }

    fn extent_offset(&self, lba: u32) -> Result<u64> {
        u64::from(lba)
            .checked_mul(self.block_size)
            .ok_or_else(|| Error::malformed("iso9660 extent offset"))
    }

    /// The SP entry's skip count when the root's "." record announces SUSP.
    fn rock_ridge_skip(&mut self) -> Result<Option<usize>> {
        let (lba, len) = self.root.extents[0];
        let start = self.extent_offset(lba)?;
        let first = read_exact_at(
            &mut self.disk,
            self.image_size,
            start,
            u64::from(len).min(self.block_size),
        )?;
        let rec = Record::parse(&first)?;
        let su = rec.system_use;
        if su.len() >= 7 && &su[0..2] == b"SP" && su[4] == 0xBE && su[5] == 0xEF {
            return Ok(Some(su[6] as usize));
        }
        Ok(None)
    }

    /// (name, compare case-insensitively, hidden) for one record.
    fn record_name(&mut self, rec: &Record) -> Result<(String, bool, bool)> {
        match self.names {
            Names::RockRidge => match self.rock_ridge_name(rec.system_use)? {
                RockName {
                    relocated: true, ..
                } => Ok((String::new(), false, true)),
                RockName { name: Some(n), .. } => Ok((n, false, false)),
                RockName { name: None, .. } => Ok((plain_name(rec.name), true, false)),
            },
            Names::Joliet => Ok((joliet_name(rec.name), false, false)),
            Names::Plain => Ok((plain_name(rec.name), true, false)),
        }
    }

    /// Walks SUSP entries, following `CE` continuation areas a bounded number of times.
    fn rock_ridge_name(&mut self, system_use: &[u8]) -> Result<RockName> {
        let mut out = RockName::default();
        let mut name = Vec::new();
        let mut area = system_use.get(self.su_skip..).unwrap_or(&[]).to_vec();
        for _ in 0..=MAX_CE_HOPS {
            let mut next: Option<(u64, u64)> = None;
            let mut rest = &area[..];
            while rest.len() >= 4 {
                let len = rest[2] as usize;
                if len < 4 || len > rest.len() {
                    break; // A damaged entry ends the area, as in the kernel.
                }
                let (sig, body) = (&rest[0..2], &rest[4..len]);
                match sig {
                    // NM flags: 1 = continues in the next NM, 2 = ".", 4 = "..".
                    b"NM"
                        if !body.is_empty()
                            && body[0] & 0x06 == 0
                            && name.len() + body.len() <= MAX_NAME_BYTES =>
                    {
                        name.extend_from_slice(&body[1..]);
                    }
                    b"RE" => out.relocated = true,
                    b"CE" if body.len() >= 20 => {
                        let lba = le32(&body[0..4]);
                        let offset = u64::from(le32(&body[8..12]));
                        let ce_len = u64::from(le32(&body[16..20]));
                        let at = self
                            .extent_offset(lba)?
                            .checked_add(offset)
                            .ok_or_else(|| Error::malformed("rock ridge continuation offset"))?;
                        next = Some((at, ce_len));
                    }
                    b"ST" => break,
                    _ => {}
                }
                rest = &rest[len..];
            }
            match next {
                Some((at, len)) if len <= self.block_size => {
                    area = read_exact_at(&mut self.disk, self.image_size, at, len)?;
                }
                Some(_) => return Err(Error::malformed("rock ridge continuation length")),
                None => break,
            }
        }
        if !name.is_empty() {
            out.name = Some(String::from_utf8_lossy(&name).into_owned());
        }
        Ok(out)
    }
}

#[derive(Default)]
struct RockName {
    name: Option<String>,
    relocated: bool,
}

/// Joliet levels 1-3 are announced by the escape sequences %/@, %/C and %/E.
fn is_joliet(escapes: &[u8]) -> bool {
    escapes.len() >= 3
        && escapes[0] == b'%'
        && escapes[1] == b'/'
        && matches!(escapes[2], b'@' | b'C' | b'E')
}

fn root_entry(raw: &[u8]) -> Result<Entry> {
    let rec = Record::parse(raw)?;
    Ok(Entry {
        name: String::new(),
        folded: false,
        is_dir: true,
        interleaved: false,
        extents: vec![(rec.extent, rec.data_len)],
    })
}

/// Drops a ";1" version and trailing dots, as the kernel does for both forms.
fn strip_version(mut s: String) -> String {
    if s.len() > 2 && s.ends_with(";1") {
        s.truncate(s.len() - 2);
    }
    while s.len() >= 2 && s.ends_with('.') {
        s.pop();
    }
    s
}

fn joliet_name(raw: &[u8]) -> String {
    let units = raw
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]));
    let s: String = char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    strip_version(s)
}

fn plain_name(raw: &[u8]) -> String {
    let s: String = raw
        .iter()
        .map(|&b| char::from(b).to_ascii_lowercase())
        .collect();
    strip_version(s)
}

/// Seeks and reads `len` bytes at `offset`, after checking both against the
/// image size, so no allocation ever follows an untrusted length alone.
pub(crate) fn read_exact_at<R: Read + Seek>(
    disk: &mut R,
    image_size: u64,
    offset: u64,
    len: u64,
) -> Result<Vec<u8>> {
    let end = offset
        .checked_add(len)
        .ok_or_else(|| Error::malformed("iso9660 extent length"))?;
    if end > image_size {
        return Err(Error::truncated("iso9660 extent past the end of the image"));
    }
    if len > MAX_FILE_BYTES {
        return Err(Error::limit("iso9660 read larger than the file cap"));
    }
    disk.seek(SeekFrom::Start(offset))
        .map_err(|e| Error::io("seek", "iso9660 image", e))?;
    let mut buf = vec![0; len as usize];
    disk.read_exact(&mut buf)
        .map_err(|e| Error::io("read", "iso9660 image", e))?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_kernel() {
        assert_eq!(plain_name(b"USER_DAT.;1"), "user_dat");
        assert_eq!(plain_name(b"META-DATA;1"), "meta-data");
        let j: Vec<u8> = "user-data;1"
            .encode_utf16()
            .flat_map(|u| u.to_be_bytes())
            .collect();
        assert_eq!(joliet_name(&j), "user-data");
        assert!(is_joliet(b"%/E"));
        assert!(!is_joliet(b"%/X"));
    }

    #[test]
    fn record_lengths_are_checked() {
        assert!(Record::parse(&[]).is_err());
        let mut rec = [0u8; 40];
        rec[DR_LEN] = 40;
        rec[DR_NAME_LEN] = 10; // 33 + 10 > 40
        assert!(Record::parse(&rec).is_err());
        rec[DR_NAME_LEN] = 1;
        rec[DR_NAME] = b'A';
        let r = Record::parse(&rec).unwrap();
        assert_eq!(r.name, b"A");
        assert_eq!(r.system_use.len(), 40 - 34);
    }

    #[test]
    fn reads_past_the_end_are_refused_before_allocating() {
        let mut c = crate::os::io::Cursor::new(vec![0u8; 100]);
        assert!(matches!(
            read_exact_at(&mut c, 100, 1, u64::MAX),
            Err(Error::Malformed { .. })
        ));
        assert!(matches!(
            read_exact_at(&mut c, 100, 90, 20),
            Err(Error::Truncated { .. })
        ));
        assert_eq!(read_exact_at(&mut c, 100, 90, 10).unwrap().len(), 10);
    }
}
