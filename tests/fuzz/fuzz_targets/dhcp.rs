//! DHCP replies: the wire decoder never panics (options continued in `file`
//! and `sname` by option 52 included), re-emitting a decoded message decodes
//! to the same message (classless routes gathered from three areas included), and the client state machine survives any
//! sequence of replies (the xid and MAC are patched in so the fuzzer reaches
//! the OFFER/ACK/NAK logic instead of the xid filter).
#![no_main]
use cloudseed::dhcp::{Client, Config, Event};
use cloudseed::time::Instant;
use cloudseed::wire::dhcpv4;
use libfuzzer_sys::fuzz_target;
#[path = "shared/mod.rs"]
mod shared;
use shared::split;

const MAC: [u8; 6] = [0x52, 0x54, 0, 0x12, 0x34, 0x56];

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = dhcpv4::parse(data) {
        let again = dhcpv4::parse(&m.emit()).expect("emitted message parses");
        assert_eq!(again.xid, m.xid);
        assert_eq!(again.options.message_type, m.options.message_type);
        assert_eq!(again.options.classless_routes, m.options.classless_routes);
        assert!(again.warnings.is_empty(), "{:?}", again.warnings);
    }
    let mut c = Client::new(
        Config {
            mac: MAC,
            hostname: Some("node".into()),
        },
        Instant::from_millis(1000),
        0x1234_5678,
    );
    let mut now = Instant::from_millis(1000);
    // Packets separated by the 4-byte marker "PKT|".
    for pkt in split(data, b"PKT|") {
        if let Some(tx) = c.poll(now) {
            dhcpv4::parse(&tx.payload).expect("our own packet parses");
        }
        let mut p = pkt.to_vec();
        if p.len() >= 34 {
            p[4..8].copy_from_slice(&c.xid().to_be_bytes());
            p[28..34].copy_from_slice(&MAC);
        }
        if let Some(Event::Bound(lease)) = c.handle(now, &p) {
            assert!(lease.prefix <= 32);
            let _ = lease.routes();
            let _ = lease.netmask();
            let _ = c.release();
        }
        now = c
            .poll_at()
            .unwrap_or(now.add(std::time::Duration::from_secs(1)));
    }
});
