//! ConfigDrive (`config-2`): identification only, the data stay for
//! cloud-init. We glance at `openstack/latest/meta_data.json` so the log can
//! say which instance the drive belongs to; failing to read it is no error.

use crate::prelude::*;

use super::Fs;
use crate::error::{Error, Result};
use miniserde::Deserialize;

pub const META_DIR: &str = "openstack/latest";
pub const META_FILE: &str = "meta_data.json";
/// Real meta_data.json files are a few KiB; more than this is not worth parsing.
pub const MAX_META_BYTES: u64 = 64 << 10;

/// The two fields worth a log line; miniserde ignores the rest.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct ConfigDriveMeta {
    pub uuid: Option<String>,
    pub hostname: Option<String>,
}

/// Parses meta_data.json (bounded; miniserde does not recurse, so deep nesting is harmless).
pub fn parse_meta_data(json: &[u8]) -> Result<ConfigDriveMeta> {
    if json.len() as u64 > MAX_META_BYTES {
        return Err(Error::limit("config-2 meta_data.json"));
    }
    let text = core::str::from_utf8(json)
        .map_err(|_| Error::malformed("config-2 meta_data.json is not utf-8"))?;
    miniserde::json::from_str(text).map_err(|_| Error::malformed("config-2 meta_data.json"))
}

/// Logs what the drive's meta data say, or why we could not tell.
pub fn note_meta_data(fs: Fs, json: Result<Vec<u8>>) {
    match json.and_then(|j| parse_meta_data(&j)) {
        Ok(m) => log::info!(
            "config-2 {} volume: uuid {}, hostname {}",
            fs.name(),
            m.uuid.as_deref().unwrap_or("-"),
            m.hostname.as_deref().unwrap_or("-")
        ),
        Err(e) => log::debug!(
            "config-2 {} volume: no usable meta_data.json: {e}",
            fs.name()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_two_fields() {
        let m = parse_meta_data(br#"{"uuid":"83679162-1378-4288-a2d4-70e13ec132aa","hostname":"test.novalocal","meta":{"a":[1,2]}}"#).unwrap();
        assert_eq!(
            m.uuid.as_deref(),
            Some("83679162-1378-4288-a2d4-70e13ec132aa")
        );
        assert_eq!(m.hostname.as_deref(), Some("test.novalocal"));
        assert_eq!(
            parse_meta_data(b"{}").unwrap(),
            <ConfigDriveMeta as Default>::default()
        );
    }

    #[test]
    fn rejects_bad_input() {
        assert!(parse_meta_data(b"{\"uuid\":").is_err());
        assert!(parse_meta_data(&[0xff, 0xfe]).is_err());
        assert!(parse_meta_data(&vec![b' '; MAX_META_BYTES as usize + 1]).is_err());
        let deep = "[".repeat(60_000);
        assert!(parse_meta_data(deep.as_bytes()).is_err());
    }
}
