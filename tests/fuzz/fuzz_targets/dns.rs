//! DNS replies (spoofable UDP): never a panic, and an answer is only taken
//! for the question we asked. The query id is patched in so the fuzzer gets
//! past the id check.
#![no_main]
use cloudseed::wire::dns::{build_query, parse_response, Reply};
use libfuzzer_sys::fuzz_target;

const NAME: &str = "metadata.example.com";

fuzz_target!(|data: &[u8]| {
    let mut p = data.to_vec();
    let id: u16 = 0x4242;
    if p.len() >= 2 {
        p[..2].copy_from_slice(&id.to_be_bytes());
    }
    // Half the inputs get our exact question spliced in after the header.
    if p.len() >= 12 && p[2] & 1 == 1 {
        let q = build_query(id, NAME).expect("query builds");
        let mut spliced = p[..12].to_vec();
        spliced.extend_from_slice(&q[12..]);
        spliced.extend_from_slice(&p[12..]);
        p = spliced;
    }
    if let Ok(Reply::Addrs(a)) = parse_response(&p, id, NAME) {
        assert!(!a.is_empty());
    }
    let _ = parse_response(data, 7, "x");
});
