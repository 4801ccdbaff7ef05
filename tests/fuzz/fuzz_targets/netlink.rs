//! rtnetlink datagrams from the kernel: parsing never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = cloudseed::wire::netlink::parse(data);
    let _ = cloudseed::wire::ipv4::Packet::new_checked(data).map(|p| p.payload().len());
    let _ = cloudseed::wire::udp::Packet::new_checked(data).map(|p| p.payload().len());
});
