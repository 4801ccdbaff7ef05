//! The ISO 9660 reader (plain, Rock Ridge, Joliet): through the device entry,
//! and by walking the whole tree with `IsoFs` (bounded by depth and entry
//! caps), so every directory record and SUSP area is parsed.
#![no_main]
use cloudseed::seed::iso9660::IsoFs;
use cloudseed::seed::{read_image_bytes, Kind, MAX_DEPTH, MAX_FILE_BYTES};
use libfuzzer_sys::fuzz_target;
use cloudseed::os::io::Cursor;

fuzz_target!(|data: &[u8]| {
    if let Ok((Some(v), Some(f))) = read_image_bytes(data) {
        assert_eq!(Kind::from_label(&v.label), Some(f.kind));
    }
    let Ok(mut fs) = IsoFs::open(Cursor::new(data)) else {
        return;
    };
    let mut stack = vec![(fs.root(), 0usize)];
    let mut budget = 256;
    while let Some((dir, depth)) = stack.pop() {
        let Ok(entries) = fs.read_dir(&dir) else {
            continue;
        };
        for e in entries {
            budget -= 1;
            if budget == 0 {
                return;
            }
            if e.is_dir {
                if depth < MAX_DEPTH {
                    stack.push((e, depth + 1));
                }
            } else if let Ok(bytes) = fs.read_file(&e) {
                assert!(bytes.len() as u64 <= MAX_FILE_BYTES);
                assert_eq!(bytes.len() as u64, e.size());
            }
        }
    }
    let _ = fs.find(&["openstack", "latest", "meta_data.json"]);
});
