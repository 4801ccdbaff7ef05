//! Local sources: block devices holding a `cidata` (NoCloud) or `config-2`
//! (ConfigDrive) volume, read without mount, udev or blkid.

use crate::prelude::*;

pub mod blockdev;
pub mod configdrive;
pub mod fat;
pub mod iso9660;
pub mod probe;
pub mod record;

use crate::error::{Error, Result};
use crate::os::io::{Read, Seek};
use crate::os::path::Path;

/// Caps that keep a hostile image from exhausting memory or time.
pub const MAX_FILE_BYTES: u64 = 16 << 20;
pub const MAX_DIR_ENTRIES: usize = 4096;
pub const MAX_DEPTH: usize = 8;

/// The four NoCloud files, byte for byte as the source had them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Seed {
    pub meta_data: Vec<u8>,
    pub user_data: Vec<u8>,
    pub vendor_data: Option<Vec<u8>>,
    pub network_config: Option<Vec<u8>>,
}

/// What a device holds, named as blkid's TYPE. Only vfat and iso9660 can
/// be seeds; the others are recognised so that ds-identify's label and
/// UUID checks see every device as blkid shows it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Fs {
    Vfat,
    Iso9660,
    Ext2,
    Ext3,
    Ext4,
    Jbd,
    Xfs,
    Btrfs,
    Swap,
    Lvm2,
    Luks,
    /// Something cloudseed cannot name (blkid might give it a label).
    Unknown,
}

impl Fs {
    /// Every variant, in the order of its byte in the probe record.
    pub const ALL: [Fs; 12] = [
        Fs::Vfat,
        Fs::Iso9660,
        Fs::Ext2,
        Fs::Ext3,
        Fs::Ext4,
        Fs::Jbd,
        Fs::Xfs,
        Fs::Btrfs,
        Fs::Swap,
        Fs::Lvm2,
        Fs::Luks,
        Fs::Unknown,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Fs::Vfat => "vfat",
            Fs::Iso9660 => "iso9660",
            Fs::Ext2 => "ext2",
            Fs::Ext3 => "ext3",
            Fs::Ext4 => "ext4",
            Fs::Jbd => "jbd",
            Fs::Xfs => "xfs",
            Fs::Btrfs => "btrfs",
            Fs::Swap => "swap",
            Fs::Lvm2 => "LVM2_member",
            Fs::Luks => "crypto_LUKS",
            Fs::Unknown => "unknown",
        }
    }
    /// blkid's TYPE ("" when cloudseed cannot name it).
    pub fn blkid_type(self) -> &'static str {
        match self {
            Fs::Unknown => "",
            f => f.name(),
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Label `cidata`/`CIDATA`.
    NoCloud,
    /// Label `config-2`/`CONFIG-2`.
    ConfigDrive,
}

impl Kind {
    /// Exactly the spellings cloud-init accepts.
    pub fn from_label(label: &str) -> Option<Kind> {
        match label {
            "cidata" | "CIDATA" => Some(Kind::NoCloud),
            "config-2" | "CONFIG-2" => Some(Kind::ConfigDrive),
            _ => None,
        }
    }
}

/// What a filesystem probe saw: type, label and UUID as blkid prints them
/// (label and UUID may be empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Volume {
    pub fs: Fs,
    pub label: String,
    pub uuid: String,
}

/// A device that holds a source we recognise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub volume: Volume,
    pub kind: Kind,
    /// The NoCloud files; `None` for ConfigDrive (identification only).
    pub seed: Option<Seed>,
}

/// Probes one block device or image file: the first element is what the probe
/// saw (any vfat/iso9660 volume, whatever its label), the second is set when
/// the label is one cloud-init looks for. Opened read-only and non-blocking so
/// an empty CD drive answers at once; an empty drive is no error.
pub fn read_device(path: &Path) -> Result<(Option<Volume>, Option<Found>)> {
    use rustix::fs::{Mode, OFlags};
    let shown = path.display();
    let no_medium = |e: &crate::os::io::Error| {
        e.raw_os_error() == Some(rustix::io::Errno::NOMEDIUM.raw_os_error())
    };
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let fd = match rustix::fs::open(path.as_bytes(), flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(e) if e == rustix::io::Errno::NOMEDIUM => return Ok((None, None)),
        Err(e) => return Err(Error::io("open", &shown, e)),
    };
    match read_volume(crate::os::fs::File::from(fd)) {
        Err(Error::Io { source, .. }) if no_medium(&source) => Ok((None, None)),
        // The generic reader names the volume vaguely; name the device.
        Err(Error::Io { op, source, .. }) => Err(Error::io(op, shown, source)),
        other => other,
    }
}

/// What blkid would print for a device (TYPE, LABEL, UUID) from its first
/// [`probe::BLKID_BYTES`]: the facts identification needs from a device
/// whose full read failed in the probe helper (a parser panic there).
pub fn blkid_device(path: &Path) -> Result<probe::Blkid> {
    use rustix::fs::{Mode, OFlags};
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let fd = rustix::fs::open(path.as_bytes(), flags, Mode::empty())
        .map_err(|e| Error::io("open", path.display(), e))?;
    probe::blkid(&mut crate::os::fs::File::from(fd))
}

/// [`read_device`] over an in-memory image: the entry point for fuzzing.
pub fn read_image_bytes(data: &[u8]) -> Result<(Option<Volume>, Option<Found>)> {
    read_volume(crate::os::io::Cursor::new(data))
}

/// [`read_device`] over any image reader (the FAT32 fuzz target's sparse
/// template with mutated regions).
pub fn read_image<R: Read + Seek>(disk: R) -> Result<(Option<Volume>, Option<Found>)> {
    read_volume(disk)
}

/// The NoCloud file names, in the order of `Seed::from_files`.
pub(crate) const SEED_FILES: [&str; 4] =
    ["meta-data", "user-data", "vendor-data", "network-config"];

impl Seed {
    /// Builds a seed from the files found, in `SEED_FILES` order; cloud-init
    /// needs both meta-data and user-data (empty is fine).
    pub(crate) fn from_files(files: [Option<Vec<u8>>; 4]) -> Result<Seed> {
        let [meta_data, user_data, vendor_data, network_config] = files;
        Ok(Seed {
            meta_data: meta_data
                .ok_or_else(|| Error::malformed("cidata volume has no meta-data"))?,
            user_data: user_data
                .ok_or_else(|| Error::malformed("cidata volume has no user-data"))?,
            vendor_data,
            network_config,
        })
    }
}

fn read_volume<R: Read + Seek>(mut disk: R) -> Result<(Option<Volume>, Option<Found>)> {
    match probe::probe(&mut disk)? {
        probe::Probe::Unknown => {
            // Not a seed: what blkid would show, for ds-identify's checks.
            let volume = match probe::blkid(&mut disk)? {
                probe::Blkid::Fs {
                    fstype,
                    label,
                    uuid,
                } => Some(Volume {
                    fs: Fs::ALL
                        .into_iter()
                        .find(|f| f.name() == fstype)
                        .unwrap_or(Fs::Unknown),
                    label,
                    uuid,
                }),
                probe::Blkid::Nothing => None,
                probe::Blkid::Unknown => Some(Volume {
                    fs: Fs::Unknown,
                    label: String::new(),
                    uuid: String::new(),
                }),
            };
            Ok((volume, None))
        }
        probe::Probe::Fat(boot) => {
            use crate::os::io::SeekFrom;
            disk.seek(SeekFrom::Start(0))
                .map_err(|e| Error::io("seek", "volume", e))?;
            let (volume, found) = fat::read_volume(disk, &boot)?;
            Ok((Some(volume), found))
        }
        probe::Probe::Iso9660 { uuid } => {
            let (volume, found) = read_iso(disk, uuid)?;
            Ok((Some(volume), found))
        }
    }
}

fn read_iso<R: Read + Seek>(disk: R, uuid: String) -> Result<(Volume, Option<Found>)> {
    let mut iso = iso9660::IsoFs::open(disk)?;
    let volume = Volume {
        fs: Fs::Iso9660,
        label: iso.volume_id.clone(),
        uuid,
    };
    let found = match Kind::from_label(&volume.label) {
        None => None,
        Some(Kind::NoCloud) => {
            let root = iso.read_dir(&iso.root())?;
            let mut files: [Option<Vec<u8>>; 4] = Default::default();
            for (slot, name) in files.iter_mut().zip(SEED_FILES) {
                if let Some(entry) = root.iter().find(|e| !e.is_dir && e.matches(name)) {
                    *slot = Some(iso.read_file(entry)?);
                }
            }
            Some(Found {
                volume: volume.clone(),
                kind: Kind::NoCloud,
                seed: Some(Seed::from_files(files)?),
            })
        }
        Some(Kind::ConfigDrive) => {
            let path = ["openstack", "latest", configdrive::META_FILE];
            let meta = iso.find(&path).and_then(|e| match e {
                Some(e) if e.size() <= configdrive::MAX_META_BYTES => iso.read_file(&e),
                Some(_) => Err(Error::limit("config-2 meta_data.json")),
                None => Err(Error::malformed("config-2 volume without meta_data.json")),
            });
            configdrive::note_meta_data(Fs::Iso9660, meta);
            Some(Found {
                volume: volume.clone(),
                kind: Kind::ConfigDrive,
                seed: None,
            })
        }
    };
    Ok((volume, found))
}
