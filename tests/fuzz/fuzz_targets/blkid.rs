//! blkid's view of a device's first bytes never panics, and a filesystem it
//! names has the UUID shape blkid prints.
#![no_main]
use cloudseed::seed::probe::{blkid_bytes, Blkid};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Blkid::Fs { fstype, uuid, .. } = blkid_bytes(data) {
        assert!(!fstype.is_empty());
        assert!(uuid.len() <= 64);
    }
});
