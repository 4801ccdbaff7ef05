//! Tells a FAT12/16/32 or ISO 9660 volume from anything else by its first
//! 34 KiB, like blkid but for only the two filesystems cloud-init accepts.

use crate::prelude::*;

use super::iso9660;
use crate::error::{Error, Result};
use crate::os::io::{Read, Seek, SeekFrom};
use core::ops::Range;

/// The boot sector plus the first ISO 9660 volume descriptor (sector 16 of 2 KiB).
const PROBE_BYTES: u64 = 32 * 1024 + 2048;
const ISO_VD: Range<usize> = 32 * 1024..32 * 1024 + 2048;

// BIOS parameter block fields (src/seed/fat/ reads them too).
const BS_JUMP: usize = 0;
pub(super) const BPB_BYTES_PER_SECTOR: Range<usize> = 11..13;
pub(super) const BPB_SECTORS_PER_CLUSTER: usize = 13;
pub(super) const BPB_RESERVED: Range<usize> = 14..16;
pub(super) const BPB_FATS: usize = 16;
pub(super) const BPB_ROOT_ENTRIES: Range<usize> = 17..19;
pub(super) const BPB_TOTAL16: Range<usize> = 19..21;
pub(super) const BPB_MEDIA: usize = 21;
pub(super) const BPB_FAT_SIZE16: Range<usize> = 22..24;
pub(super) const BPB_TOTAL32: Range<usize> = 32..36;
pub(super) const BPB_FAT_SIZE32: Range<usize> = 36..40;
// The extended boot signature and label sit at different places in FAT32.
const EBPB16_SIG: usize = 38;
const EBPB16_LABEL: Range<usize> = 43..54;
const EBPB16_SERIAL: Range<usize> = 39..43;
const EBPB32_SERIAL: Range<usize> = 67..71;
// ISO 9660 primary volume descriptor: 17-byte dates (16 digits + zone).
const PVD_CREATED: Range<usize> = 813..830;
const PVD_MODIFIED: Range<usize> = 830..847;
const EBPB32_SIG: usize = 66;
const EBPB32_LABEL: Range<usize> = 71..82;
const BS_SIGNATURE: Range<usize> = 510..512;

/// What the boot sector of a FAT volume says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FatBoot {
    pub fat32: bool,
    /// The boot-sector label (blkid's `LABEL_FATBOOT`), trailing spaces trimmed;
    /// `None` when absent or the mkfs default "NO NAME".
    pub label: Option<String>,
    /// The volume serial as blkid prints it ("9796-932E"); "" when the
    /// extended boot signature is missing.
    pub uuid: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Probe {
    /// with blkid's UUID (from the modification, else creation, date)
    Iso9660 {
        uuid: String,
    },
    Fat(FatBoot),
    Unknown,
}

/// Reads the first 34 KiB (less if the image is smaller) and classifies them.
pub fn probe<R: Read + Seek>(disk: &mut R) -> Result<Probe> {
    disk.seek(SeekFrom::Start(0))
        .map_err(|e| Error::io("seek", "volume", e))?;
    let mut head = Vec::new();
    disk.take(PROBE_BYTES)
        .read_to_end(&mut head)
        .map_err(|e| Error::io("read", "volume", e))?;
    Ok(probe_bytes(&head))
}

/// Pure classification of the first bytes of a volume. ISO 9660 is checked
/// first: a hybrid ISO carries an MBR, never a valid FAT boot sector, but a
/// FAT volume could by chance hold "CD001" in its data.
pub fn probe_bytes(head: &[u8]) -> Probe {
    if let Some(vd) = head.get(ISO_VD) {
        if iso9660::is_iso9660(vd) {
            return Probe::Iso9660 { uuid: iso_uuid(vd) };
        }
    }
    match fat_boot(head) {
        Some(b) => Probe::Fat(b),
        None => Probe::Unknown,
    }
}

fn le16(b: &[u8], r: Range<usize>) -> u32 {
    u32::from(u16::from_le_bytes([b[r.start], b[r.start + 1]]))
}

fn le32(b: &[u8], r: Range<usize>) -> u32 {
    u32::from_le_bytes([b[r.start], b[r.start + 1], b[r.start + 2], b[r.start + 3]])
}

/// Boot sector sanity checks in the spirit of blkid's vfat probe.
pub fn fat_boot(b: &[u8]) -> Option<FatBoot> {
    let b = b.get(..512)?;
    if !(b[BS_JUMP] == 0xEB || b[BS_JUMP] == 0xE9) || b[BS_SIGNATURE] != [0x55, 0xAA] {
        return None;
    }
    let bytes_per_sector = le16(b, BPB_BYTES_PER_SECTOR);
    let sectors_per_cluster = b[BPB_SECTORS_PER_CLUSTER];
    let media = b[BPB_MEDIA];
    if !bytes_per_sector.is_power_of_two()
        || !(512..=4096).contains(&bytes_per_sector)
        || !sectors_per_cluster.is_power_of_two()
        || le16(b, BPB_RESERVED) == 0
        || b[BPB_FATS] == 0
        || !(media == 0xF0 || media >= 0xF8)
    {
        return None;
    }
    let total = match le16(b, BPB_TOTAL16) {
        0 => le32(b, BPB_TOTAL32),
        n => n,
    };
    if total == 0 {
        return None;
    }
    // FAT32 has no fixed root directory and keeps its FAT size in the 32-bit field.
    let fat32 = le16(b, BPB_FAT_SIZE16) == 0;
    if fat32 && (le32(b, BPB_FAT_SIZE32) == 0 || le16(b, BPB_ROOT_ENTRIES) != 0) {
        return None;
    }
    if !fat32 && le16(b, BPB_ROOT_ENTRIES) == 0 {
        return None;
    }
    let (sig, label) = if fat32 {
        (EBPB32_SIG, EBPB32_LABEL)
    } else {
        (EBPB16_SIG, EBPB16_LABEL)
    };
    let label = if b[sig] == 0x29 {
        label_text(&b[label])
    } else {
        None
    };
    // blkid takes the serial with either extended boot signature
    let serial = if fat32 { EBPB32_SERIAL } else { EBPB16_SERIAL };
    let uuid = if b[sig] == 0x29 || b[sig] == 0x28 {
        let s = &b[serial];
        format!("{:02X}{:02X}-{:02X}{:02X}", s[3], s[2], s[1], s[0])
    } else {
        String::new()
    };
    Some(FatBoot { fat32, label, uuid })
}

/// blkid's ISO 9660 UUID: the modification date as
/// "YYYY-MM-DD-HH-MM-SS-cc", or the creation date when the modification
/// date is unset (all '0' digits and a zero zone); "" when both are unset.
pub fn iso_uuid(pvd: &[u8]) -> String {
    for r in [PVD_MODIFIED, PVD_CREATED] {
        let Some(d) = pvd.get(r) else {
            return String::new();
        };
        let digits = &d[..16];
        if digits.iter().all(|&c| c == b'0') && d[16] == 0 {
            continue;
        }
        let c = |i: usize| char::from(digits[i]);
        let mut s = String::new();
        for (i, _) in digits.iter().enumerate() {
            if [4, 6, 8, 10, 12, 14].contains(&i) {
                s.push('-');
            }
            s.push(c(i));
        }
        return s;
    }
    String::new()
}

/// An 11-byte FAT label without its space padding; "NO NAME" means none.
pub fn label_text(raw: &[u8]) -> Option<String> {
    let end = raw.iter().position(|&c| c == 0).unwrap_or(raw.len());
    // Bytes past ASCII are OEM code page; Latin-1 keeps them visible and harmless.
    let text: String = raw[..end].iter().map(|&c| char::from(c)).collect();
    let text = text.trim_end_matches(' ');
    if text.is_empty() || text == "NO NAME" {
        None
    } else {
        Some(text.to_string())
    }
}

/// How many bytes [`blkid_bytes`] wants: btrfs keeps its superblock at 64 KiB.
pub const BLKID_BYTES: u64 = 68 << 10;

/// What `blkid -o export` would say about a device, for the facts
/// ds-identify reads (TYPE, LABEL, UUID), from its first [`BLKID_BYTES`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Blkid {
    /// A filesystem (or volume format) blkid names, with its label and UUID
    /// as blkid prints them ("" when none).
    Fs {
        fstype: String,
        label: String,
        uuid: String,
    },
    /// Nothing blkid would give a TYPE, LABEL or UUID: a partition table
    /// (whole disk) or an all-zero start.
    Nothing,
    /// Something cloudseed does not know: blkid might report a label.
    Unknown,
}

fn fs(fstype: &str, label: String, uuid: String) -> Blkid {
    Blkid::Fs {
        fstype: fstype.into(),
        label,
        uuid,
    }
}

/// Bytes up to the first NUL as text (Latin-1 beyond ASCII), trailing
/// spaces kept as blkid keeps them, except where a format pads with them.
fn cstr(raw: &[u8]) -> String {
    let end = raw.iter().position(|&c| c == 0).unwrap_or(raw.len());
    raw[..end].iter().map(|&c| char::from(c)).collect()
}

/// A 16-byte UUID as 8-4-4-4-12 lower-case hex; "" when all zero (blkid
/// does not print empty UUIDs).
fn uuid16(b: &[u8]) -> String {
    if b.iter().all(|&c| c == 0) {
        return String::new();
    }
    let mut s = String::new();
    for (i, c) in b.iter().enumerate() {
        if [4, 6, 8, 10].contains(&i) {
            s.push('-');
        }
        s.push_str(&format!("{c:02x}"));
    }
    s
}

/// Classifies the first bytes of a device as blkid would for TYPE, LABEL
/// and UUID: ISO 9660, FAT (boot-sector label: the root-directory label
/// needs [`crate::seed::read_device`]), ext2/3/4, XFS, btrfs, swap, LVM2 PV,
/// LUKS; a partition table or zeros is [`Blkid::Nothing`].
pub fn blkid_bytes(head: &[u8]) -> Blkid {
    match probe_bytes(head) {
        Probe::Iso9660 { uuid } => {
            let label = head
                .get(ISO_VD.start + 40..ISO_VD.start + 72)
                .map(|l| cstr(l).trim_end().to_string())
                .unwrap_or_default();
            return fs("iso9660", label, uuid);
        }
        Probe::Fat(b) => return fs("vfat", b.label.unwrap_or_default(), b.uuid),
        Probe::Unknown => {}
    }
    let at = |r: Range<usize>| head.get(r);
    // ext2/3/4: superblock at 1024, magic 0xEF53 at +56
    if at(1080..1082) == Some(&[0x53, 0xEF]) && head.len() >= 1160 {
        let sb = &head[1024..];
        let (compat, incompat, ro) = (le32(sb, 92..96), le32(sb, 96..100), le32(sb, 100..104));
        let fstype = if incompat & 0x8 != 0 {
            "jbd"
        } else if compat & 0x4 != 0 && incompat & !0x16 == 0 && ro & !0x7 == 0 {
            "ext3"
        } else if compat & 0x4 == 0 && incompat & !0x12 == 0 && ro & !0x7 == 0 {
            "ext2"
        } else {
            "ext4"
        };
        return fs(fstype, cstr(&sb[120..136]), uuid16(&sb[104..120]));
    }
    if at(0..4) == Some(b"XFSB") && head.len() >= 120 {
        return fs("xfs", cstr(&head[108..120]), uuid16(&head[32..48]));
    }
    if at(65600..65608) == Some(b"_BHRfS_M") && head.len() >= 65835 + 256 {
        return fs(
            "btrfs",
            cstr(&head[65835..65835 + 256]),
            uuid16(&head[65568..65584]),
        );
    }
    for page in [4096usize, 8192, 16384, 65536] {
        match at(page - 10..page) {
            Some(b"SWAPSPACE2") if head.len() >= 1068 => {
                return fs("swap", cstr(&head[1052..1068]), uuid16(&head[1036..1052]))
            }
            Some(b"SWAP-SPACE") => return fs("swap", String::new(), String::new()),
            _ => {}
        }
    }
    if at(0..6) == Some(b"LUKS\xba\xbe") && head.len() >= 208 {
        let v2 = head[6..8] == [0, 2];
        let label = if v2 {
            cstr(&head[24..72])
        } else {
            String::new()
        };
        return fs("crypto_LUKS", label, cstr(&head[168..208]));
    }
    for sector in [0usize, 512, 1024, 1536] {
        if at(sector..sector + 8) == Some(b"LABELONE")
            && at(sector + 24..sector + 32) == Some(b"LVM2 001")
        {
            let off = sector + le32(head, sector + 20..sector + 24) as usize;
            let id = head.get(off..off + 32).map(cstr).unwrap_or_default();
            let mut u = String::new();
            for (i, c) in id.chars().enumerate() {
                if [6, 10, 14, 18, 22, 26].contains(&i) {
                    u.push('-');
                }
                u.push(c);
            }
            return fs("LVM2_member", String::new(), u);
        }
    }
    if at(512..520) == Some(b"EFI PART") {
        return Blkid::Nothing;
    }
    if at(510..512) == Some(&[0x55, 0xAA]) {
        let entries = &head[446..510];
        let sane = entries.chunks(16).all(|e| e[0] == 0 || e[0] == 0x80);
        if sane && entries.chunks(16).any(|e| e[4] != 0) {
            return Blkid::Nothing;
        }
    }
    if head.iter().take(PROBE_BYTES as usize).all(|&c| c == 0) {
        return Blkid::Nothing;
    }
    Blkid::Unknown
}

/// [`blkid_bytes`] over the start of a device.
pub fn blkid<R: Read + Seek>(disk: &mut R) -> Result<Blkid> {
    disk.seek(SeekFrom::Start(0))
        .map_err(|e| Error::io("seek", "volume", e))?;
    let mut head = Vec::new();
    disk.take(BLKID_BYTES)
        .read_to_end(&mut head)
        .map_err(|e| Error::io("read", "volume", e))?;
    Ok(blkid_bytes(&head))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fat16_boot(label: &[u8; 11]) -> Vec<u8> {
        let mut b = vec![0u8; 512];
        b[0] = 0xEB;
        b[11..13].copy_from_slice(&512u16.to_le_bytes());
        b[13] = 4;
        b[14] = 1;
        b[16] = 2;
        b[17..19].copy_from_slice(&512u16.to_le_bytes());
        b[19..21].copy_from_slice(&20000u16.to_le_bytes());
        b[21] = 0xF8;
        b[22..24].copy_from_slice(&20u16.to_le_bytes());
        b[38] = 0x29;
        b[43..54].copy_from_slice(label);
        b[510] = 0x55;
        b[511] = 0xAA;
        b
    }

    #[test]
    fn fat_boot_sector_label() {
        let mut b = fat16_boot(b"cidata     ");
        b[39..43].copy_from_slice(&0x9796_932E_u32.to_le_bytes());
        assert_eq!(
            probe_bytes(&b),
            Probe::Fat(FatBoot {
                fat32: false,
                label: Some("cidata".into()),
                uuid: "9796-932E".into(),
            })
        );
        b[38] = 0;
        assert_eq!(fat_boot(&b).unwrap().uuid, "");
        assert_eq!(fat_boot(&fat16_boot(b"NO NAME    ")).unwrap().label, None);
    }

    #[test]
    fn insane_boot_sectors_are_not_fat() {
        let mut b = fat16_boot(b"cidata     ");
        b[13] = 3; // sectors per cluster not a power of two
        assert_eq!(probe_bytes(&b), Probe::Unknown);
        let mut b = fat16_boot(b"cidata     ");
        b[511] = 0;
        assert_eq!(probe_bytes(&b), Probe::Unknown);
        assert_eq!(probe_bytes(&[0xEB; 100]), Probe::Unknown);
    }

    #[test]
    fn blkid_views_of_other_filesystems() {
        let mut ext = vec![0u8; 4096];
        ext[1080..1082].copy_from_slice(&[0x53, 0xEF]);
        ext[1024 + 92] = 0x4; // has_journal
        ext[1024 + 96] = 0x40; // extents: ext4
        ext[1024 + 104..1024 + 120].copy_from_slice(&[0x11; 16]);
        ext[1024 + 120..1024 + 126].copy_from_slice(b"cidata");
        assert_eq!(
            blkid_bytes(&ext),
            Blkid::Fs {
                fstype: "ext4".into(),
                label: "cidata".into(),
                uuid: "11111111-1111-1111-1111-111111111111".into()
            }
        );
        let mut swap = vec![0u8; 4096];
        swap[4086..].copy_from_slice(b"SWAPSPACE2");
        swap[1052..1056].copy_from_slice(b"swp0");
        assert!(
            matches!(blkid_bytes(&swap), Blkid::Fs { fstype, label, .. } if fstype == "swap" && label == "swp0")
        );
        let mut gpt = vec![0u8; 4096];
        gpt[512..520].copy_from_slice(b"EFI PART");
        assert_eq!(blkid_bytes(&gpt), Blkid::Nothing);
        assert_eq!(blkid_bytes(&[0u8; 4096]), Blkid::Nothing);
        assert_eq!(blkid_bytes(&[0x5a; 4096]), Blkid::Unknown);
        // short or hostile input never panics
        for n in [0, 1, 511, 1081, 4095, 65601] {
            let _ = blkid_bytes(&vec![0xff; n]);
            let mut b = vec![0u8; n];
            if n > 1082 {
                b[1080..1082].copy_from_slice(&[0x53, 0xEF]);
            }
            let _ = blkid_bytes(&b);
        }
    }

    #[test]
    fn iso_magic_wins() {
        let mut head = vec![0u8; PROBE_BYTES as usize];
        head[..512].copy_from_slice(&fat16_boot(b"cidata     "));
        head[ISO_VD.start + 1..ISO_VD.start + 6].copy_from_slice(b"CD001");
        head[ISO_VD.start + 830..ISO_VD.start + 846].copy_from_slice(b"2026120121453300");
        assert_eq!(
            probe_bytes(&head),
            Probe::Iso9660 {
                uuid: "2026-12-01-21-45-33-00".into()
            }
        );
        // no modification date: the creation date
        head[ISO_VD.start + 830..ISO_VD.start + 846].copy_from_slice(b"0000000000000000");
        head[ISO_VD.start + 813..ISO_VD.start + 829].copy_from_slice(b"2020010203040506");
        assert_eq!(iso_uuid(&head[ISO_VD]), "2020-01-02-03-04-05-06");
    }
}
