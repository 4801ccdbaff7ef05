//! rtnetlink for IPv6 addresses and routes: the `ifaddrmsg`/`rtmsg` views
//! of family AF_INET6 and the requests that dump, add and delete them, on
//! the same framing as `wire::netlink` (which hands these messages here).

use crate::prelude::*;

use crate::error::{Error, Result};
use crate::wire::netlink::{
    attrs, Builder, NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_REPLACE, NLM_F_REQUEST, RTM_DELADDR,
    RTM_DELROUTE, RTM_GETADDR, RTM_GETROUTE, RTM_NEWADDR, RTM_NEWROUTE,
};
use core::net::Ipv6Addr;

pub const AF_INET6: u8 = 10;
const IFA_ADDRESS: u16 = 1;
const IFA_FLAGS: u16 = 8;
const RTA_DST: u16 = 1;
const RTA_OIF: u16 = 4;
const RTA_GATEWAY: u16 = 5;
const RTA_TABLE: u16 = 15;
/// `RTMGRP_IPV6_IFADDR | RTMGRP_IPV6_ROUTE`: the groups that say an address
/// or a route appeared (the kernel's SLAAC, its RA default route).
pub const RTMGRP_IPV6: u32 = 0x100 | 0x400;

pub const IFA_F_NODAD: u32 = 0x02;
pub const IFA_F_DADFAILED: u32 = 0x08;
pub const IFA_F_TENTATIVE: u32 = 0x40;
pub const RT_SCOPE_UNIVERSE: u8 = 0;
pub const RT_SCOPE_LINK: u8 = 253;
/// Routes the kernel learnt from an RA.
pub const RTPROT_RA: u8 = 9;
const RTPROT_BOOT: u8 = 3;

/// `RTM_NEWADDR` of family AF_INET6.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Addr6 {
    pub index: u32,
    pub prefix: u8,
    pub scope: u8,
    /// `IFA_FLAGS` when sent, else the 8-bit `ifa_flags`.
    pub flags: u32,
    pub address: Ipv6Addr,
}

impl Addr6 {
    /// Global and usable: not tentative, DAD not failed.
    pub fn is_usable_global(&self) -> bool {
        self.scope == RT_SCOPE_UNIVERSE && self.flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED) == 0
    }
    pub fn is_usable_link_local(&self) -> bool {
        self.scope == RT_SCOPE_LINK && self.flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED) == 0
    }
}

/// `RTM_NEWROUTE` of family AF_INET6.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route6 {
    pub table: u32,
    pub protocol: u8,
    pub dst: Ipv6Addr,
    pub dst_len: u8,
    pub gateway: Option<Ipv6Addr>,
    pub oif: Option<u32>,
}

fn ipv6(v: &[u8]) -> Option<Ipv6Addr> {
    let a: [u8; 16] = v.try_into().ok()?;
    Some(Ipv6Addr::from(a))
}
fn u32_of(v: &[u8]) -> Option<u32> {
    Some(u32::from_ne_bytes(v.get(..4)?.try_into().ok()?))
}

/// The payload of an `RTM_NEWADDR`; `None` for another family.
pub fn parse_addr(p: &[u8]) -> Result<Option<Addr6>> {
    let h = p.get(..8).ok_or_else(|| Error::truncated("ifaddrmsg"))?;
    if h[0] != AF_INET6 {
        return Ok(None);
    }
    let mut flags = u32::from(h[2]);
    let mut address = None;
    for (kind, v) in attrs(&p[8..]) {
        match kind {
            IFA_ADDRESS => address = ipv6(v),
            IFA_FLAGS => flags = u32_of(v).unwrap_or(flags),
            _ => {}
        }
    }
    Ok(address.map(|address| Addr6 {
        index: u32::from_ne_bytes([h[4], h[5], h[6], h[7]]),
        prefix: h[1],
        scope: h[3],
        flags,
        address,
    }))
}

/// The payload of an `RTM_NEWROUTE`; `None` for another family.
pub fn parse_route(p: &[u8]) -> Result<Option<Route6>> {
    let h = p.get(..12).ok_or_else(|| Error::truncated("rtmsg"))?;
    if h[0] != AF_INET6 {
        return Ok(None);
    }
    let mut r = Route6 {
        table: u32::from(h[4]),
        protocol: h[5],
        dst: Ipv6Addr::UNSPECIFIED,
        dst_len: h[1],
        gateway: None,
        oif: None,
    };
    for (kind, v) in attrs(&p[12..]) {
        match kind {
            RTA_DST => r.dst = ipv6(v).unwrap_or(r.dst),
            RTA_GATEWAY => r.gateway = ipv6(v),
            RTA_OIF => r.oif = u32_of(v),
            RTA_TABLE => r.table = u32_of(v).unwrap_or(r.table),
            _ => {}
        }
    }
    Ok(Some(r))
}

pub fn get_addrs(seq: u32) -> Vec<u8> {
    Builder::new(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, seq)
        .raw(&[AF_INET6, 0, 0, 0, 0, 0, 0, 0])
        .finish()
}

pub fn get_routes(seq: u32) -> Vec<u8> {
    Builder::new(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, seq)
        .raw(&[AF_INET6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        .finish()
}

/// `RTM_NEWADDR`/`RTM_DELADDR` for `address/prefix`, added without DAD: an
/// address a DHCPv6 server or the command line gave is usable at once.
pub fn addr(seq: u32, add: bool, index: u32, address: Ipv6Addr, prefix: u8) -> Vec<u8> {
    let (kind, flags) = if add {
        (
            RTM_NEWADDR,
            NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE,
        )
    } else {
        (RTM_DELADDR, NLM_F_REQUEST | NLM_F_ACK)
    };
    let mut h = [
        AF_INET6,
        prefix,
        IFA_F_NODAD as u8,
        RT_SCOPE_UNIVERSE,
        0,
        0,
        0,
        0,
    ];
    h[4..8].copy_from_slice(&index.to_ne_bytes());
    Builder::new(kind, flags, seq)
        .raw(&h)
        .attr(IFA_ADDRESS, &address.octets())
        .finish()
}

/// `RTM_NEWROUTE`/`RTM_DELROUTE` in the main table. A delete names no
/// protocol, so it matches the kernel's RA routes too.
pub fn route(
    seq: u32,
    add: bool,
    index: u32,
    dst: Ipv6Addr,
    dst_len: u8,
    gateway: Option<Ipv6Addr>,
) -> Vec<u8> {
    let (kind, flags, proto) = if add {
        (
            RTM_NEWROUTE,
            NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE,
            RTPROT_BOOT,
        )
    } else {
        (RTM_DELROUTE, NLM_F_REQUEST | NLM_F_ACK, 0)
    };
    crate::wire::netlink::route_msg(
        crate::wire::netlink::RouteMsg {
            kind,
            flags,
            seq,
            family: AF_INET6,
            proto,
            scope: RT_SCOPE_UNIVERSE,
            index,
        },
        &dst.octets(),
        dst_len,
        gateway.map(|g| g.octets()).as_ref().map(|g| &g[..]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::netlink::{self, Msg};

    fn a(s: &str) -> Ipv6Addr {
        s.parse().unwrap()
    }

    /// An address request parses back as the kernel's dump would show it.
    #[test]
    fn addr_and_route_round_trip() {
        let mut m = addr(7, true, 3, a("fd00::10"), 64);
        // the kernel answers with RTM_NEWADDR: same layout
        assert_eq!(u16::from_ne_bytes([m[4], m[5]]), RTM_NEWADDR);
        m[16 + 2] = IFA_F_TENTATIVE as u8;
        let got = netlink::parse(&m).unwrap();
        let Msg::NewAddr6(x) = &got[0].1 else {
            panic!("{got:?}")
        };
        assert_eq!((x.index, x.prefix, x.address), (3, 64, a("fd00::10")));
        assert!(!x.is_usable_global(), "tentative");
        let r = route(8, true, 3, Ipv6Addr::UNSPECIFIED, 0, Some(a("fe80::1")));
        let got = netlink::parse(&r).unwrap();
        let Msg::NewRoute6(x) = &got[0].1 else {
            panic!("{got:?}")
        };
        assert_eq!(
            (x.dst_len, x.gateway, x.oif),
            (0, Some(a("fe80::1")), Some(3))
        );
        assert_eq!((x.table, x.protocol), (254, RTPROT_BOOT));
        // a delete carries no protocol
        assert_eq!(route(9, false, 3, a("fd00::"), 64, None)[16 + 5], 0);
    }

    #[test]
    fn hostile_bytes_never_panic() {
        let m = addr(7, true, 3, a("fd00::10"), 64);
        for n in 0..m.len() {
            let _ = parse_addr(&m[16..][..n.min(m.len() - 16)]);
            let _ = parse_route(&m[16..][..n.min(m.len() - 16)]);
        }
        assert!(parse_addr(&[2, 0, 0, 0, 0, 0, 0, 0]).unwrap().is_none());
    }
}
