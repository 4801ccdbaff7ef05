//! `cloudseed mkcidata`: writes a FAT image labelled `cidata`, like `cloud-localds`.

use crate::error::{Error, Result};
use std::path::Path;

/// Placeholder until the FAT writer lands.
pub fn write_image(out: &Path, files: &[(&str, &[u8])]) -> Result<()> {
    let _ = (out, files);
    Err(Error::unsupported("mkcidata not built yet"))
}
