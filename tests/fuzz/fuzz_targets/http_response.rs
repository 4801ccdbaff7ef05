//! A whole HTTP exchange against a hostile server: `fetch_once` over a fake
//! stream that returns the input in small reads. Never a panic, never a body
//! over the cap.
#![no_main]
use cloudseed::net::http::fetch_once;
use cloudseed::url::Url;
use libfuzzer_sys::fuzz_target;
use cloudseed::os::io::{Read, Result, Write};

struct Stream<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Stream<'_> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        let n = self.data.len().min(buf.len()).min(self.step);
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

impl Write for Stream<'_> {
    fn write(&mut self, buf: &[u8]) -> Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> Result<()> {
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&k, rest)) = data.split_first() else {
        return;
    };
    let url = Url::parse("http://10.0.0.1:8080/seed/user-data?token=x").unwrap();
    let cap = 4096;
    let s = Stream {
        data: rest,
        step: 1 + (k as usize % 64),
    };
    if let Ok(r) = fetch_once(s, &url, cap) {
        assert!(r.body.len() <= cap);
    }
});
