//! URLs as the cmdline carries them: parsing never panics, and neither the
//! Display form nor `redact` ever shows a query string or credentials.
#![no_main]
use cloudseed::url::{redact, Url};
use libfuzzer_sys::fuzz_target;

const QUERY: &str = "tok=QSECRET7";
const PASS: &str = "PSECRET7";

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    if s.contains("SECRET7") {
        return;
    }
    if let Ok(u) = Url::parse(&s) {
        let _ = u.to_string();
        let _ = u.host_header();
        let _ = u.seed_file("meta-data");
        let _ = u.join_location(&s);
    }
    let _ = redact(&s);
    // The same text with a query and with credentials added: never shown.
    for candidate in [
        format!("{s}?{QUERY}"),
        format!("http://{s}?{QUERY}"),
        format!("http://user:{PASS}@{s}"),
    ] {
        if let Ok(u) = Url::parse(&candidate) {
            let shown = u.to_string();
            assert!(!shown.contains("SECRET7"), "{shown}");
            if let Ok(next) = u.seed_file("user-data") {
                assert!(!next.to_string().contains("SECRET7"));
            }
        }
        let r = redact(&candidate);
        assert!(!r.contains("SECRET7"), "{r}");
    }
});
