//! Kernel command line plus a DMI serial: `cmdline::parse` never panics, and
//! what it extracts is consistent with the text it was given.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // First NUL splits the cmdline from the DMI product_serial.
    let (line, serial) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    };
    let line = String::from_utf8_lossy(line);
    let serial = serial.map(String::from_utf8_lossy);
    let dmi = |key: &str| -> Option<String> { (key.len() < 32).then(|| format!("dmi-{key}")) };
    let c = cloudseed::cmdline::parse(&line, serial.as_deref(), &dmi);
    if let Some(u) = &c.cloud_config_url {
        // The URL is a token of the line: no whitespace, and it is in the text.
        assert!(!u.contains(char::is_whitespace));
        assert!(line.contains(u.as_str()));
        let _ = cloudseed::url::redact(u);
    }
    if let Some(n) = &c.nocloud {
        assert!(["cmdline", "dmi", "dmi+cmdline"].contains(&n.origin));
        if let Some(s) = n.seedfrom() {
            let _ = cloudseed::url::Url::parse(s).map(|u| u.to_string());
        }
    }
    // vlan=/bond=: names fit the kernel's, VLAN ids are valid 802.1Q ids.
    for v in &c.net.vlans {
        assert!((1..=4094).contains(&v.id) && v.name.len() <= 15 && v.phys.len() <= 15);
    }
    for b in &c.net.bonds {
        assert!(b.mode <= 6 && !b.slaves.is_empty() && b.name.len() <= 15);
    }
    if c.knobs.disable || c.knobs.required || c.knobs.debug {
        assert!(line.contains("cloudseed."));
    }
    let _ = c.ip.iter().map(|a| a.wants_network()).count();
    let _ = c.keeps_network();
});
