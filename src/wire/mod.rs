//! Pure packet views and representations (smoltcp style): bounds are checked
//! once in `new_checked`, after which no accessor panics.

pub mod dhcpv4;
pub mod dhcpv6;
pub mod dns;
pub mod icmpv6;
pub mod ipv4;
pub mod netlink;
pub mod netlink6;
pub mod udp;
