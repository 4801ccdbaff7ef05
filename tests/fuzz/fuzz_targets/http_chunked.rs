//! Chunked bodies: never a panic, never more than the cap, and decoding in
//! two pieces (split where the first byte says) equals decoding at once.
#![no_main]
use cloudseed::net::http::{decode_chunked, ChunkedDecoder};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&k, body)) = data.split_first() else {
        return;
    };
    let cap = 64 + (k as usize) * 4;
    let whole = decode_chunked(body, cap);
    if let Ok(out) = &whole {
        assert!(out.len() <= cap);
    }
    let cut = (k as usize * 7) % (body.len() + 1);
    let mut d = ChunkedDecoder::new(cap);
    let mut out = Vec::new();
    let pieces = d.feed(&body[..cut], &mut out).and_then(|n| {
        if n < cut {
            return Ok(());
        }
        d.feed(&body[cut..], &mut out).map(|_| ())
    });
    assert!(out.len() <= cap);
    match (&whole, pieces) {
        (Ok(w), Ok(())) if d.is_done() => assert_eq!(w, &out),
        (Ok(_), Ok(())) => panic!("whole decode finished, pieces did not"),
        (Ok(_), Err(e)) => panic!("pieces failed where whole succeeded: {e}"),
        _ => {}
    }
});
