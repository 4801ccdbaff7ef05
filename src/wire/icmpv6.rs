//! ICMPv6 router discovery (RFC 4861 sections 4.1 and 4.2): a Router
//! Solicitation to emit and a checked view over a Router Advertisement with
//! the options a host needs: prefix information, MTU, and RDNSS and DNSSL
//! (RFC 8106). The kernel fills in the checksum of a raw ICMPv6 socket
//! (RFC 3542 section 3.1), so `emit` leaves it zero.

use crate::prelude::*;

use crate::error::{Error, Result};
use core::net::Ipv6Addr;
use core::ops::Range;

type Field = Range<usize>;

pub const TYPE_RS: u8 = 133;
pub const TYPE_RA: u8 = 134;
/// RFC 4861 6.1.2: an RA whose IP hop limit is not 255 came through a router
/// and MUST be dropped; the shell checks the hop limit it received.
pub const HOP_LIMIT: u8 = 255;
/// ff02::2, all routers.
pub const ALL_ROUTERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 2);

const TYPE: usize = 0;
const CODE: usize = 1;
const CUR_HOP_LIMIT: usize = 4;
const FLAGS: usize = 5;
const ROUTER_LIFETIME: Field = 6..8;
const REACHABLE: Field = 8..12;
const RETRANS: Field = 12..16;
const RA_OPTIONS: usize = 16;

const FLAG_MANAGED: u8 = 0x80;
const FLAG_OTHER: u8 = 0x40;

pub mod opt {
    pub const SOURCE_LL: u8 = 1;
    pub const PREFIX_INFO: u8 = 3;
    pub const MTU: u8 = 5;
    pub const RDNSS: u8 = 25;
    pub const DNSSL: u8 = 31;
}

const PREFIX_FLAG_ONLINK: u8 = 0x80;
const PREFIX_FLAG_AUTO: u8 = 0x40;

fn u16_at(b: &[u8], f: Field) -> u16 {
    u16::from_be_bytes([b[f.start], b[f.start + 1]])
}
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}
fn ipv6_at(b: &[u8], at: usize) -> Ipv6Addr {
    let mut a = [0u8; 16];
    a.copy_from_slice(&b[at..at + 16]);
    Ipv6Addr::from(a)
}

/// A Router Solicitation with our link-layer address (RFC 4861 4.1); the
/// option is omitted when the source is the unspecified address, which the
/// shell never uses (it sends from the link-local address).
pub fn emit_rs(mac: &[u8; 6]) -> Vec<u8> {
    let mut p = vec![TYPE_RS, 0, 0, 0, 0, 0, 0, 0];
    p.extend_from_slice(&[opt::SOURCE_LL, 1]);
    p.extend_from_slice(mac);
    p
}

const NEXT_HEADER_ICMPV6: u8 = 58;

/// The ICMPv6 checksum (RFC 4443 2.3) over the pseudo-header and `body`;
/// over a body that carries a correct checksum it is 0.
pub fn checksum(src: Ipv6Addr, dst: Ipv6Addr, body: &[u8]) -> u16 {
    let mut sum: u64 = 0;
    let mut add = |b: &[u8]| {
        for c in b.chunks(2) {
            sum += u64::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
        }
    };
    add(&src.octets());
    add(&dst.octets());
    add(&(body.len() as u32).to_be_bytes());
    add(&[0, 0, 0, NEXT_HEADER_ICMPV6]);
    add(body);
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An IPv6 packet as an AF_PACKET socket hands it over: `(source, hop
/// limit, ICMPv6 message)` when it carries ICMPv6 directly (a router sends
/// RAs without extension headers) with a correct checksum.
pub fn ipv6_icmp(p: &[u8]) -> Option<(Ipv6Addr, u8, &[u8])> {
    if p.len() < 40 || p[0] >> 4 != 6 || p[6] != NEXT_HEADER_ICMPV6 {
        return None;
    }
    let len = usize::from(u16::from_be_bytes([p[4], p[5]]));
    let body = p.get(40..40 + len)?;
    let (src, dst) = (ipv6_at(p, 8), ipv6_at(p, 24));
    (checksum(src, dst, body) == 0).then_some((src, p[7], body))
}

/// A checked view: after `new_checked` the fixed RA header is in bounds and
/// type and code are right.
pub struct Packet<T: AsRef<[u8]>> {
    buf: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    pub fn new_checked(buf: T) -> Result<Self> {
        let b = buf.as_ref();
        if b.len() < RA_OPTIONS {
            return Err(Error::truncated("router advertisement"));
        }
        // RFC 4861 6.1.2: the code MUST be 0.
        if b[TYPE] != TYPE_RA || b[CODE] != 0 {
            return Err(Error::malformed("router advertisement type"));
        }
        Ok(Packet { buf })
    }
    fn b(&self) -> &[u8] {
        self.buf.as_ref()
    }
    pub fn cur_hop_limit(&self) -> u8 {
        self.b()[CUR_HOP_LIMIT]
    }
    pub fn managed(&self) -> bool {
        self.b()[FLAGS] & FLAG_MANAGED != 0
    }
    pub fn other(&self) -> bool {
        self.b()[FLAGS] & FLAG_OTHER != 0
    }
    pub fn router_lifetime(&self) -> u16 {
        u16_at(self.b(), ROUTER_LIFETIME)
    }
    pub fn reachable_ms(&self) -> u32 {
        u32_at(self.b(), REACHABLE.start)
    }
    pub fn retrans_ms(&self) -> u32 {
        u32_at(self.b(), RETRANS.start)
    }
    pub fn options(&self) -> OptionIter<'_> {
        OptionIter {
            rest: &self.b()[RA_OPTIONS..],
        }
    }
}

/// `(type, whole option)` over the TLVs, whose length counts 8-octet units.
/// RFC 4861 4.6: a zero length MUST make the whole packet be dropped, so the
/// iterator yields an error and stops; so does an option past the end.
pub struct OptionIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for OptionIter<'a> {
    type Item = Result<(u8, &'a [u8])>;
    fn next(&mut self) -> Option<Self::Item> {
        let [kind, units, ..] = *self.rest else {
            if self.rest.is_empty() {
                return None;
            }
            self.rest = &[];
            return Some(Err(Error::truncated("ra option")));
        };
        let len = usize::from(units) * 8;
        if len == 0 || len > self.rest.len() {
            self.rest = &[];
            return Some(Err(Error::malformed("ra option length")));
        }
        let (opt, tail) = self.rest.split_at(len);
        self.rest = tail;
        Some(Ok((kind, opt)))
    }
}

/// One prefix information option (RFC 4861 4.6.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prefix {
    pub prefix: Ipv6Addr,
    pub len: u8,
    pub on_link: bool,
    pub autonomous: bool,
    pub valid_s: u32,
    pub preferred_s: u32,
}

impl Prefix {
    /// True when `a` lies inside this prefix.
    pub fn contains(&self, a: Ipv6Addr) -> bool {
        let bits = u32::from(self.len.min(128));
        let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
        u128::from(a) & mask == u128::from(self.prefix) & mask
    }
}

/// What a router said, in the shape a host uses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RouterAdvert {
    pub managed: bool,
    pub other: bool,
    /// Zero: not a default router (RFC 4861 4.2).
    pub router_lifetime_s: u16,
    pub cur_hop_limit: u8,
    pub prefixes: Vec<Prefix>,
    pub mtu: Option<u32>,
    pub dns: Vec<Ipv6Addr>,
    pub search: Vec<String>,
    /// The router's link-layer address, when sent.
    pub source_ll: Option<[u8; 6]>,
}

/// Parses one RA (the ICMPv6 message, without the IPv6 header). Options with
/// a wrong length for their type are skipped; a zero-length or overlong
/// option fails the whole packet, as RFC 4861 4.6 says.
pub fn parse_ra(bytes: &[u8]) -> Result<RouterAdvert> {
    let p = Packet::new_checked(bytes)?;
    let mut ra = RouterAdvert {
        managed: p.managed(),
        other: p.other(),
        router_lifetime_s: p.router_lifetime(),
        cur_hop_limit: p.cur_hop_limit(),
        ..RouterAdvert::default()
    };
    for o in p.options() {
        let (kind, o) = o?;
        match (kind, o.len()) {
            (opt::SOURCE_LL, 8) => {
                let mut m = [0u8; 6];
                m.copy_from_slice(&o[2..8]);
                ra.source_ll = Some(m);
            }
            (opt::PREFIX_INFO, 32) => ra.prefixes.push(Prefix {
                len: o[2],
                on_link: o[3] & PREFIX_FLAG_ONLINK != 0,
                autonomous: o[3] & PREFIX_FLAG_AUTO != 0,
                valid_s: u32_at(o, 4),
                preferred_s: u32_at(o, 8),
                prefix: ipv6_at(o, 16),
            }),
            (opt::MTU, 8) => ra.mtu = Some(u32_at(o, 4)),
            // RFC 8106 5.1: length 3 + 2 per address; a zero lifetime
            // withdraws the servers, so they are not used.
            (opt::RDNSS, n) if n >= 24 && (n - 8) % 16 == 0 && u32_at(o, 4) != 0 => ra
                .dns
                .extend(o[8..].chunks_exact(16).map(|c| ipv6_at(c, 0))),
            // RFC 8106 5.2: names as RFC 1035 labels, no compression,
            // zero-padded to the 8-octet boundary (the zeros read as empty
            // names, dropped). One name reader: DHCPv4 option 119's.
            (opt::DNSSL, n) if n >= 16 && u32_at(o, 4) != 0 => {
                let names = crate::wire::dhcpv4::parse_domain_search(&o[8..]);
                ra.search.extend(
                    names
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|s| !s.is_empty()),
                )
            }
            _ => {}
        }
    }
    Ok(ra)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An RA as radvd sends it with `AdvManagedFlag on; AdvOtherConfigFlag on`,
    /// prefix fd00:1::/64 (L, A), MTU 1400, RDNSS fd00:1::53 and DNSSL
    /// `example.test`, written out from RFC 4861 and RFC 8106 figures.
    pub fn sample() -> Vec<u8> {
        let mut p = vec![134, 0, 0, 0, 64, 0xc0, 0x07, 0x08]; // hop 64, M O, 1800 s
        p.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0]); // reachable, retrans
        p.extend_from_slice(&[3, 4, 64, 0xc0]); // prefix info: /64 L A
        p.extend_from_slice(&86400u32.to_be_bytes());
        p.extend_from_slice(&14400u32.to_be_bytes());
        p.extend_from_slice(&[0; 4]);
        p.extend_from_slice(&"fd00:1::".parse::<Ipv6Addr>().unwrap().octets());
        p.extend_from_slice(&[5, 1, 0, 0, 0, 0, 0x05, 0x78]); // MTU 1400
        p.extend_from_slice(&[25, 3, 0, 0, 0, 0, 0x02, 0x58]); // RDNSS 600 s
        p.extend_from_slice(&"fd00:1::53".parse::<Ipv6Addr>().unwrap().octets());
        p.extend_from_slice(&[31, 3, 0, 0, 0, 0, 0x02, 0x58]); // DNSSL 600 s
        p.extend_from_slice(b"\x07example\x04test\x00\x00\x00");
        p.extend_from_slice(&[1, 1, 0x52, 0x54, 0, 0xaa, 0xbb, 0xcc]); // source LL
        p
    }

    #[test]
    fn parses_every_option() {
        let ra = parse_ra(&sample()).unwrap();
        assert!(ra.managed && ra.other);
        assert_eq!((ra.router_lifetime_s, ra.cur_hop_limit), (1800, 64));
        assert_eq!(ra.mtu, Some(1400));
        assert_eq!(ra.dns, vec!["fd00:1::53".parse::<Ipv6Addr>().unwrap()]);
        assert_eq!(ra.search, vec!["example.test"]);
        assert_eq!(ra.source_ll, Some([0x52, 0x54, 0, 0xaa, 0xbb, 0xcc]));
        let p = &ra.prefixes[0];
        assert_eq!((p.len, p.on_link, p.autonomous), (64, true, true));
        assert_eq!((p.valid_s, p.preferred_s), (86400, 14400));
        assert!(p.contains("fd00:1::1234".parse().unwrap()));
        assert!(!p.contains("fd00:2::1".parse().unwrap()));
    }

    #[test]
    fn zero_lifetime_withdraws_dns() {
        let mut b = sample();
        // RDNSS lifetime at 16 + 32 + 8 + 4
        b[60..64].copy_from_slice(&[0; 4]);
        let ra = parse_ra(&b).unwrap();
        assert!(ra.dns.is_empty());
        assert_eq!(ra.search, vec!["example.test"]);
    }

    #[test]
    fn bad_lengths() {
        let b = sample();
        // zero-length option: the whole RA is dropped
        let mut z = b.clone();
        z[17] = 0;
        assert!(parse_ra(&z).is_err());
        // an option running past the end
        assert!(parse_ra(&b[..b.len() - 1]).is_err());
        // a prefix option of the wrong size is skipped, the rest stays
        let mut w = b[..16].to_vec();
        w.extend_from_slice(&[3, 1, 64, 0xc0, 0, 0, 0, 0]);
        w.extend_from_slice(&b[48..]);
        let ra = parse_ra(&w).unwrap();
        assert!(ra.prefixes.is_empty());
        assert_eq!(ra.mtu, Some(1400));
        // not an RA, or code not zero
        assert!(parse_ra(&emit_rs(&[0; 6])).is_err());
        let mut c = b.clone();
        c[1] = 1;
        assert!(parse_ra(&c).is_err());
        for n in 0..b.len() {
            let _ = parse_ra(&b[..n]);
        }
    }

    #[test]
    fn captured_advertisements() {
        let a = |s: &str| s.parse::<Ipv6Addr>().unwrap();
        let ra = parse_ra(include_bytes!("../../tests/fixtures/ra/radvd.bin")).unwrap();
        assert!(!ra.managed && ra.other);
        assert_eq!((ra.router_lifetime_s, ra.mtu), (30, Some(1400)));
        assert_eq!(ra.dns, vec![a("fd00::53"), a("fd00::54")]);
        assert_eq!(ra.search, vec!["example.test", "test"]);
        let p = &ra.prefixes[0];
        assert_eq!(
            (p.prefix, p.len, p.on_link, p.autonomous),
            (a("fd00::"), 64, true, true)
        );
        assert_eq!((p.valid_s, p.preferred_s), (86400, 14400));

        let ra = parse_ra(include_bytes!("../../tests/fixtures/ra/dnsmasq.bin")).unwrap();
        assert!(ra.managed && ra.other);
        assert_eq!(ra.router_lifetime_s, 1800);
        assert_eq!(ra.dns, vec![a("fd00::1")]);
        let p = &ra.prefixes[0];
        assert_eq!(
            (p.prefix, p.len, p.on_link, p.autonomous),
            (a("fd00::"), 64, true, false)
        );
        assert_eq!(ra.source_ll, Some([2, 0, 0, 0, 0, 1]));
    }

    /// radvd's RA inside the IPv6 header it came in: its checksum holds for
    /// its real source and destination and fails for any other.
    #[test]
    fn ipv6_header_and_checksum() {
        let a = |s: &str| s.parse::<Ipv6Addr>().unwrap();
        let body = include_bytes!("../../tests/fixtures/ra/radvd.bin");
        let src = a("fe80::ff:fe00:1");
        let dst = [a("fe80::5054:ff:fe12:3456"), a("ff02::1")]
            .into_iter()
            .find(|&d| checksum(src, d, body) == 0)
            .expect("the capture's checksum holds for src and one destination");
        let mut p = vec![0x60, 0, 0, 0, 0, body.len() as u8, 58, 255];
        p.extend_from_slice(&src.octets());
        p.extend_from_slice(&dst.octets());
        p.extend_from_slice(body);
        let (s, hop, b) = ipv6_icmp(&p).unwrap();
        assert_eq!((s, hop, b), (src, 255, &body[..]));
        let mut bad = p.clone();
        bad[60] ^= 1;
        assert!(ipv6_icmp(&bad).is_none(), "checksum");
        let mut udp = p.clone();
        udp[6] = 17;
        assert!(ipv6_icmp(&udp).is_none());
        for n in 0..p.len() {
            assert!(ipv6_icmp(&p[..n]).is_none());
        }
    }

    #[test]
    fn golden_rs() {
        assert_eq!(
            emit_rs(&[0x52, 0x54, 0, 0x12, 0x34, 0x56]),
            [133, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0x52, 0x54, 0, 0x12, 0x34, 0x56]
        );
    }
}
