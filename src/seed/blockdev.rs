//! Enumerates candidate block devices from `/sys/class/block`.

use crate::paths::Paths;
use std::path::PathBuf;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Kernel name, e.g. "vdb", "sr0", "sda1".
    pub name: String,
    /// Device node to open, e.g. "/dev/vdb".
    pub node: PathBuf,
}

/// Whole disks and partitions worth probing, sorted by name.
pub fn candidates(paths: &Paths) -> Vec<Candidate> {
    let _ = paths;
    Vec::new()
}
