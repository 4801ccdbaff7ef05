//! What cloudseed derives from a cmdline URL besides the URL itself: the
//! `Authorization` header python-requests would send for `user:pass@`
//! (percent-decoding, latin-1, base64) and the NoCloud seed URLs both
//! cloud-init generations build from `s=` (`seeded_url_v22`,
//! `seed_base_portable`). Never a panic; the header is well-formed base64
//! of at most the credentials' length; a base without `%s` is concatenated.
#![no_main]
use cloudseed::url::{seed_base_portable, seeded_url, seeded_url_v22, Url};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let (base, name) = s.split_once('\0').unwrap_or((&s, "meta-data"));
    for candidate in [base.to_string(), format!("http://{base}@h/")] {
        let Ok(u) = Url::parse(&candidate) else {
            continue;
        };
        if let Some(auth) = u.basic_auth() {
            let b64 = auth.strip_prefix("Basic ").expect("a Basic header");
            assert_eq!(b64.len() % 4, 0, "{auth}");
            assert!(b64
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"+/=".contains(&c)));
            // latin-1 bytes of user ":" password, never more than the text
            assert!(b64.len() / 4 * 3 <= candidate.len() + 3);
        }
    }
    match seeded_url_v22(base, name) {
        Some(url) if !base.contains("%s") => assert_eq!(url, format!("{base}{name}")),
        Some(url) => assert!(url.contains(name)),
        None => assert!(base.contains("%s")),
    }
    let _ = seeded_url(base, name);
    let _ = seed_base_portable(base);
});
