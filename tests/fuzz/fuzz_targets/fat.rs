//! FAT volumes through the same entry the agent uses for a device: whatever
//! the bytes, src/seed/fat/ ends in a result, never a panic (libFuzzer's
//! hook aborts on any) or a hang.
#![no_main]
use cloudseed::seed::{read_image_bytes, Kind, MAX_FILE_BYTES};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((vol, found)) = read_image_bytes(data) {
        if let Some(f) = found {
            let v = vol.expect("a found source has a volume");
            // The label shown is the root-directory one when present; the
            // kind may come from the boot-sector copy (blkid LABEL_FATBOOT).
            if let Some(k) = Kind::from_label(&v.label) {
                assert_eq!(k, f.kind);
            }
            if let Some(s) = f.seed {
                for file in [
                    Some(&s.meta_data),
                    Some(&s.user_data),
                    s.vendor_data.as_ref(),
                    s.network_config.as_ref(),
                ]
                .into_iter()
                .flatten()
                {
                    assert!(file.len() as u64 <= MAX_FILE_BYTES);
                    // Nothing is invented: an image holds its files' bytes.
                    assert!(file.len() <= data.len());
                }
            }
        }
    }
});
