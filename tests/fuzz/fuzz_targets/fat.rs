//! FAT volumes through the same entry the agent uses for a device: whatever
//! the bytes, src/seed/fat/ ends in a result, never a panic (libFuzzer's
//! hook aborts on any) or a hang.
#![no_main]
use cloudseed::seed::{read_image_bytes, MAX_FILE_BYTES};
use libfuzzer_sys::fuzz_target;
#[path = "shared/mod.rs"]
mod shared;

fuzz_target!(|data: &[u8]| {
    if let Ok((vol, found)) = read_image_bytes(data) {
        // Nothing is invented: an image holds its files' bytes.
        shared::check_volume(vol, found, MAX_FILE_BYTES.min(data.len() as u64));
    }
});
