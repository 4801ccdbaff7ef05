//! The pin parser and checker: `pin::parse` never panics, accepts only the
//! six knob names with a 64-digit hex value, and `pin::check` never panics
//! and fails whenever a pinned file is absent.
#![no_main]
use cloudseed::pin::{self, Subjects, Target};
use cloudseed::seed::Seed;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Each line is `name=value` (or a bare name), as after `cloudseed.`.
    let mut pins = Vec::new();
    for line in text.lines() {
        let (name, value) = match line.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (line, None),
        };
        if let Some(p) = pin::parse(name, value) {
            assert!(name == "sha256" || name.starts_with("sha256."));
            assert_eq!(value.map(str::len), Some(64));
            assert_eq!(p.target.name(), name);
            pins.push(p);
        }
    }
    let seed = Seed {
        meta_data: data.to_vec(),
        ..Seed::default()
    };
    for url_named in [false, true] {
        let s = Subjects {
            url_named,
            body: data.first().map(|_| &data[1..]),
            seed: Some(&seed),
        };
        let r = pin::check(&pins, &s);
        if pins.iter().any(|p| p.target == Target::VendorData) {
            assert!(r.is_err(), "vendor-data is absent");
        }
    }
});
