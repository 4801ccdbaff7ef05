//! Pure sans-I/O router discovery for a host (RFC 4861 section 6.3.7).
//!
//! SLAAC itself is the kernel's: the shell turns on `accept_ra` and
//! `autoconf` for the link, the kernel forms the address and installs the
//! default route from the same RA, and the shell reads both back over
//! rtnetlink. What the kernel does not do for us is read RDNSS and DNSSL
//! (RFC 8106) or tell us the M and O flags; our raw ICMPv6 socket receives
//! a copy of every RA, and this module solicits and reads them.
//!
//! Deliberate gap: the first RS is not delayed by up to
//! MAX_RTR_SOLICITATION_DELAY (one host per link, a deadline to meet).

use crate::prelude::*;

use crate::cmdline::Mac;
use crate::dhcp6::Mode;
use crate::time::Instant;
use crate::wire::icmpv6::{self, RouterAdvert};
use core::net::Ipv6Addr;
use core::time::Duration;

/// RFC 4861 section 10 host constants.
pub const MAX_RTR_SOLICITATIONS: u32 = 3;
pub const RTR_SOLICITATION_INTERVAL: Duration = Duration::from_secs(4);

pub struct Discovery {
    mac: Mac,
    sent: u32,
    /// When the next RS is due, or when we conclude there is no router;
    /// `None` once an RA came or we gave up.
    next: Option<Instant>,
    ra: Option<RouterAdvert>,
}

impl Discovery {
    pub fn new(mac: Mac, now: Instant) -> Discovery {
        Discovery {
            mac,
            sent: 0,
            next: Some(now),
            ra: None,
        }
    }

    pub fn poll_at(&self) -> Option<Instant> {
        self.next
    }

    /// The RA that ended discovery, if any.
    pub fn router(&self) -> Option<&RouterAdvert> {
        self.ra.as_ref()
    }

    /// An RS to send to ff02::2 when one is due. After the last one and one
    /// more interval, discovery ends without a router.
    pub fn poll(&mut self, now: Instant) -> Option<Vec<u8>> {
        let due = self.next?;
        if now < due {
            return None;
        }
        if self.sent >= MAX_RTR_SOLICITATIONS {
            self.next = None;
            return None;
        }
        self.sent += 1;
        self.next = Some(now.add(RTR_SOLICITATION_INTERVAL));
        Some(icmpv6::emit_rs(&self.mac))
    }

    /// Feeds one ICMPv6 message with the source address and hop limit it
    /// arrived with. RFC 4861 6.1.2: an RA must come from a link-local
    /// address with hop limit 255 (so no router off the link forged it).
    pub fn handle(
        &mut self,
        src: Ipv6Addr,
        hop_limit: u8,
        payload: &[u8],
    ) -> Option<&RouterAdvert> {
        if hop_limit != icmpv6::HOP_LIMIT || !is_link_local(src) {
            return None;
        }
        let ra = icmpv6::parse_ra(payload).ok()?;
        self.next = None;
        self.ra = Some(ra);
        self.ra.as_ref()
    }
}

pub fn is_link_local(a: Ipv6Addr) -> bool {
    a.segments()[0] & 0xffc0 == 0xfe80
}

/// What `ip=auto6` does after an RA (RFC 4861 4.2 M and O flags): M asks
/// for addresses from DHCPv6, O for other configuration only.
pub fn dhcp_mode(ra: &RouterAdvert) -> Option<Mode> {
    if ra.managed {
        Some(Mode::Stateful)
    } else if ra.other {
        Some(Mode::Stateless)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: Mac = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
    fn t(ms: u64) -> Instant {
        Instant::from_millis(ms)
    }
    fn router() -> Ipv6Addr {
        "fe80::1".parse().unwrap()
    }

    #[test]
    fn solicits_three_times_then_gives_up() {
        let mut d = Discovery::new(MAC, t(0));
        assert_eq!(d.poll(t(0)).unwrap(), icmpv6::emit_rs(&MAC));
        assert_eq!(d.poll(t(0)), None);
        assert_eq!(d.poll_at(), Some(t(4000)));
        assert_eq!(d.poll(t(3999)), None);
        assert!(d.poll(t(4000)).is_some());
        assert!(d.poll(t(8000)).is_some());
        assert_eq!(d.poll_at(), Some(t(12000)));
        assert_eq!(d.poll(t(12000)), None);
        assert_eq!(d.poll_at(), None);
        assert!(d.router().is_none());
    }

    #[test]
    fn takes_an_ra_only_from_the_link() {
        let ra = crate::wire::icmpv6::tests::sample();
        let mut d = Discovery::new(MAC, t(0));
        d.poll(t(0)).unwrap();
        assert!(
            d.handle(router(), 64, &ra).is_none(),
            "forwarded: hop limit 64"
        );
        assert!(
            d.handle("fd00::1".parse().unwrap(), 255, &ra).is_none(),
            "not link-local"
        );
        assert!(d.handle(router(), 255, &ra[..10]).is_none());
        assert_eq!(d.poll_at(), Some(t(4000)));
        let got = d.handle(router(), 255, &ra).unwrap();
        assert_eq!(dhcp_mode(got), Some(Mode::Stateful));
        assert_eq!(d.poll_at(), None, "an RA ends soliciting");
        assert_eq!(d.poll(t(4000)), None);
    }

    #[test]
    fn flags_choose_the_dhcpv6_mode() {
        let mut ra = RouterAdvert::default();
        assert_eq!(dhcp_mode(&ra), None);
        ra.other = true;
        assert_eq!(dhcp_mode(&ra), Some(Mode::Stateless));
        ra.managed = true;
        assert_eq!(dhcp_mode(&ra), Some(Mode::Stateful));
        assert!(is_link_local("fe80::5054:ff:fe12:3456".parse().unwrap()));
        assert!(!is_link_local("fec0::1".parse().unwrap()));
    }
}
