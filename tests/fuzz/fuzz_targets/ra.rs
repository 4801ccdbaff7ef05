//! Router advertisements: the parser never panics, every prefix length it
//! reports is a byte, and router discovery takes any RA from the link. The
//! same bytes as a whole IPv6 packet from the AF_PACKET socket: the
//! ICMPv6 unwrapping never panics and only hands on the packet's payload.
#![no_main]
use cloudseed::ndisc::Discovery;
use cloudseed::time::Instant;
use cloudseed::wire::icmpv6;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(ra) = icmpv6::parse_ra(data) {
        for p in &ra.prefixes {
            let _ = p.contains(p.prefix);
        }
        let _ = cloudseed::ndisc::dhcp_mode(&ra);
    }
    let mut d = Discovery::new([2, 0, 0, 0, 0, 1], Instant::from_millis(0));
    let _ = d.poll(Instant::from_millis(0));
    let took = d.handle("fe80::1".parse().unwrap(), 255, data).is_some();
    assert_eq!(took, icmpv6::parse_ra(data).is_ok());
    if let Some((_, hop, body)) = icmpv6::ipv6_icmp(data) {
        assert_eq!(hop, data[7]);
        let len = usize::from(u16::from_be_bytes([data[4], data[5]]));
        assert_eq!(body, &data[40..40 + len]);
    }
});
