//! Local sources: block devices holding a `cidata` (NoCloud) or `config-2`
//! (ConfigDrive) volume, read without mount, udev or blkid.

pub mod blockdev;
pub mod configdrive;
pub mod fat;
pub mod iso9660;
pub mod probe;

use crate::error::Result;
use std::path::Path;

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

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Fs {
    Vfat,
    Iso9660,
}

impl Fs {
    pub fn name(self) -> &'static str {
        match self {
            Fs::Vfat => "vfat",
            Fs::Iso9660 => "iso9660",
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

/// What a filesystem probe saw: type and label (label may be empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Volume {
    pub fs: Fs,
    pub label: String,
}

/// A device that holds a source we recognise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub volume: Volume,
    pub kind: Kind,
    /// The NoCloud files; `None` for ConfigDrive (identification only).
    pub seed: Option<Seed>,
}

/// Probes one block device or image file: `Ok(None)` when it is neither a
/// vfat nor an iso9660 volume with a label we recognise.
pub fn read_device(path: &Path) -> Result<(Option<Volume>, Option<Found>)> {
    let _ = path;
    Ok((None, None))
}
