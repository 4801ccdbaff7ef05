//! The helper-process pipe format (src/seed/record.rs): whatever the bytes,
//! `decode` answers "need more", one record, or an error, never a panic;
//! it never claims more bytes than it was given; and a record it accepts
//! encodes back to bytes that decode to the same result.
#![no_main]
use cloudseed::seed::record::{decode, encode, encode_fatal};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The agent's loop: decode records from the front until it needs more.
    let mut buf = data;
    while let Ok(Some(d)) = decode(buf) {
        assert!(d.used >= 5 && d.used <= buf.len());
        let mut again = Vec::new();
        match (&d.probe, d.last) {
            (Err(e), true) => encode_fatal(e, &mut again),
            (p, _) => encode(p, &mut again),
        }
        let back = decode(&again)
            .expect("re-encoded record decodes")
            .expect("whole");
        assert_eq!(back.probe, d.probe);
        assert_eq!((back.used, back.last), (again.len(), d.last));
        buf = &buf[d.used..];
    }
});
