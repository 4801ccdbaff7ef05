//! ConfigDrive `meta_data.json`: miniserde over hostile JSON never panics
//! and never recurses without bound.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = cloudseed::seed::configdrive::parse_meta_data(data) {
        let s = std::str::from_utf8(data).unwrap();
        for v in [m.uuid, m.hostname].into_iter().flatten() {
            // A decoded string is at most as long as its escaped form.
            assert!(v.len() <= s.len());
        }
    }
});
