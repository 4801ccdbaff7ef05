//! DHCPv6 answers: the wire decoder never panics, re-emitting a decoded
//! message decodes to the same message, and the client state machine (both
//! modes) survives any sequence of answers (the transaction id and client
//! DUID are patched in so the fuzzer reaches the ADVERTISE/REPLY logic).
#![no_main]
use cloudseed::dhcp6::{Client, Event, Mode};
use cloudseed::time::Instant;
use cloudseed::wire::dhcpv6;
use libfuzzer_sys::fuzz_target;
#[path = "shared/mod.rs"]
mod shared;
use shared::split;

const MAC: [u8; 6] = [0x52, 0x54, 0, 0x12, 0x34, 0x56];

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = dhcpv6::parse(data) {
        let again = dhcpv6::parse(&m.emit()).expect("emitted message parses");
        assert_eq!((again.kind, again.xid), (m.kind, m.xid));
    }
    let mode = if data.first().is_some_and(|b| b & 1 == 1) {
        Mode::Stateless
    } else {
        Mode::Stateful
    };
    let mut c = Client::new(MAC, mode, Instant::from_millis(1000), 0x0012_3456);
    let mut now = Instant::from_millis(1000);
    // Packets separated by the 4-byte marker "PKT|".
    for pkt in split(data, b"PKT|") {
        if let Some(tx) = c.poll(now) {
            dhcpv6::parse(&tx).expect("our own packet parses");
        }
        let mut p = pkt.to_vec();
        if p.len() >= 18 {
            p[1..4].copy_from_slice(&c.xid().to_be_bytes()[1..]);
            p[4..18].copy_from_slice(&[0, 1, 0, 10, 0, 3, 0, 1, 0x52, 0x54, 0, 0x12, 0x34, 0x56]);
        }
        if let Some(Event::Bound(lease)) = c.handle(now, &p) {
            assert_eq!(lease.address.is_some(), mode == Mode::Stateful);
            if let Some(tx) = c.release(now) {
                dhcpv6::parse(&tx).expect("our release parses");
            }
        }
        now = c
            .poll_at()
            .unwrap_or(now.add(std::time::Duration::from_secs(1)));
    }
});
