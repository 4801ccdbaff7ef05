//! HTTP response heads: never a panic, `len` within the input, and feeding a
//! prefix never claims a complete head longer than that prefix.
#![no_main]
use cloudseed::net::http::{parse_head, MAX_HEAD};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match parse_head(data) {
        Ok(Some(h)) => {
            assert!(h.len <= data.len() && h.len <= MAX_HEAD + 4);
            // httparse takes any three digits ("011" too); the client only acts on 2xx/3xx.
            assert!(h.status < 1000);
            // The same head with trailing body bytes parses the same way.
            let mut more = data[..h.len].to_vec();
            more.extend_from_slice(b"body");
            let again = parse_head(&more).unwrap().unwrap();
            assert_eq!(again, h);
        }
        Ok(None) => assert!(data.len() < MAX_HEAD + 4),
        Err(_) => {}
    }
});
