//! rtnetlink messages (netlink(7), rtnetlink(7)): the few we send (link up,
//! MTU, address and route add/delete, dumps) and a parser for what comes back.
//! Netlink is host-endian; headers and attributes are 4-byte aligned.

use crate::prelude::*;

use crate::error::{Error, Result};
use crate::wire::netlink6;
use core::net::Ipv4Addr;

pub const NLMSG_HDR_LEN: usize = 16;
const NLA_HDR_LEN: usize = 4;

pub const NLMSG_NOOP: u16 = 1;
pub const NLMSG_ERROR: u16 = 2;
pub const NLMSG_DONE: u16 = 3;
pub const RTM_NEWLINK: u16 = 16;
pub const RTM_DELLINK: u16 = 17;
pub const RTM_GETLINK: u16 = 18;
pub const RTM_NEWADDR: u16 = 20;
pub const RTM_DELADDR: u16 = 21;
pub const RTM_GETADDR: u16 = 22;
pub const RTM_NEWROUTE: u16 = 24;
pub const RTM_DELROUTE: u16 = 25;
pub const RTM_GETROUTE: u16 = 26;

pub const NLM_F_REQUEST: u16 = 0x1;
pub const NLM_F_ACK: u16 = 0x4;
pub const NLM_F_REPLACE: u16 = 0x100;
pub const NLM_F_DUMP: u16 = 0x300;
pub const NLM_F_CREATE: u16 = 0x400;

/// `RTMGRP_LINK`: the multicast group for link changes (carrier events).
pub const RTMGRP_LINK: u32 = 1;

pub const IFF_UP: u32 = 0x1;
pub const IFF_LOOPBACK: u32 = 0x8;
pub const IFF_LOWER_UP: u32 = 0x1_0000;

const AF_UNSPEC: u8 = 0;
pub const AF_INET: u8 = 2;
const IFLA_ADDRESS: u16 = 1;
const IFLA_IFNAME: u16 = 3;
const IFLA_MTU: u16 = 4;
const IFLA_OPERSTATE: u16 = 16;
const IFLA_LINKINFO: u16 = 18;
const IFLA_INFO_KIND: u16 = 1;
const IFA_ADDRESS: u16 = 1;
const IFA_LOCAL: u16 = 2;
const IFA_BROADCAST: u16 = 4;
const RTA_DST: u16 = 1;
const RTA_OIF: u16 = 4;
const RTA_GATEWAY: u16 = 5;
const RTA_TABLE: u16 = 15;

pub const RT_TABLE_MAIN: u8 = 254;
/// `RTPROT_DHCP`: marks routes we add so `ip route` shows where they came from.
pub const RTPROT_DHCP: u8 = 16;
pub const RT_SCOPE_UNIVERSE: u8 = 0;
pub const RT_SCOPE_LINK: u8 = 253;
const RTN_UNICAST: u8 = 1;
/// `IFA_F_NOPREFIXROUTE` is not used: the kernel's prefix route is what
/// makes the subnet reachable, exactly as dhclient and klibc leave it.
pub const ARPHRD_ETHER: u16 = 1;

const fn align(n: usize) -> usize {
    (n + 3) & !3
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(at..at + 2)?.try_into().ok()?))
}
fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Iterates the messages of one datagram: `(type, flags, seq, payload)`.
pub struct Messages<'a> {
    rest: &'a [u8],
}

pub fn messages(buf: &[u8]) -> Messages<'_> {
    Messages { rest: buf }
}

pub struct RawMessage<'a> {
    pub kind: u16,
    pub flags: u16,
    pub seq: u32,
    pub payload: &'a [u8],
}

impl<'a> Iterator for Messages<'a> {
    type Item = Result<RawMessage<'a>>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let b = self.rest;
        let parsed = (|| {
            let len = usize::try_from(u32_at(b, 0)?).ok()?;
            if len < NLMSG_HDR_LEN || len > b.len() {
                return None;
            }
            let msg = RawMessage {
                kind: u16_at(b, 4)?,
                flags: u16_at(b, 6)?,
                seq: u32_at(b, 8)?,
                payload: &b[NLMSG_HDR_LEN..len],
            };
            Some((msg, align(len).min(b.len())))
        })();
        match parsed {
            Some((msg, next)) => {
                self.rest = &b[next..];
                Some(Ok(msg))
            }
            None => {
                self.rest = &[];
                Some(Err(Error::truncated("netlink message")))
            }
        }
    }
}

/// Iterates `(type, value)` over route attributes; the nested/byte-order
/// bits of the type are masked off. Stops at the first malformed one.
pub struct Attrs<'a> {
    rest: &'a [u8],
}

pub fn attrs(buf: &[u8]) -> Attrs<'_> {
    Attrs { rest: buf }
}

impl<'a> Iterator for Attrs<'a> {
    type Item = (u16, &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        let b = self.rest;
        let len = usize::from(u16_at(b, 0)?);
        let kind = u16_at(b, 2)? & 0x3fff;
        if len < NLA_HDR_LEN || len > b.len() {
            self.rest = &[];
            return None;
        }
        self.rest = &b[align(len).min(b.len())..];
        Some((kind, &b[NLA_HDR_LEN..len]))
    }
}

fn ipv4(v: &[u8]) -> Option<Ipv4Addr> {
    let a: [u8; 4] = v.try_into().ok()?;
    Some(Ipv4Addr::from(a))
}

/// `RTM_NEWLINK`/`RTM_DELLINK`: one interface.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Link {
    pub index: u32,
    pub name: String,
    /// `ARPHRD_*`.
    pub link_type: u16,
    /// `IFF_*`.
    pub flags: u32,
    pub mac: Option<[u8; 6]>,
    pub mtu: Option<u32>,
    /// `IFLA_INFO_KIND` (bridge, bond, veth, vlan, tun, dummy …), if any.
    pub kind: Option<String>,
    pub operstate: Option<u8>,
}

impl Link {
    pub fn is_up(&self) -> bool {
        self.flags & IFF_UP != 0
    }
    /// Carrier: `IFF_LOWER_UP`.
    pub fn has_carrier(&self) -> bool {
        self.flags & IFF_LOWER_UP != 0
    }
}

/// `RTM_NEWADDR`: an IPv4 address (other families are skipped).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Addr {
    pub index: u32,
    pub prefix: u8,
    pub scope: u8,
    pub address: Ipv4Addr,
}

/// `RTM_NEWROUTE`: an IPv4 route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteEntry {
    pub table: u32,
    pub dst: Ipv4Addr,
    pub dst_len: u8,
    pub gateway: Option<Ipv4Addr>,
    pub oif: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    NewLink(Link),
    DelLink(Link),
    NewAddr(Addr),
    NewRoute(RouteEntry),
    /// IPv6 addresses and routes (`wire::netlink6`).
    NewAddr6(crate::wire::netlink6::Addr6),
    NewRoute6(crate::wire::netlink6::Route6),
    /// `NLMSG_ERROR`: 0 is an ACK, otherwise a negative errno.
    Error(i32),
    Done,
    /// Anything else, or an address/route of another family.
    Other(u16),
}

fn parse_link(p: &[u8]) -> Result<Link> {
    let bad = || Error::truncated("ifinfomsg");
    let mut l = Link {
        link_type: u16_at(p, 2).ok_or_else(bad)?,
        index: u32_at(p, 4).ok_or_else(bad)?,
        flags: u32_at(p, 8).ok_or_else(bad)?,
        ..Link::default()
    };
    for (kind, v) in attrs(p.get(16..).ok_or_else(bad)?) {
        match kind {
            IFLA_IFNAME => {
                let end = v.iter().position(|&c| c == 0).unwrap_or(v.len());
                l.name = String::from_utf8_lossy(&v[..end]).into_owned();
            }
            IFLA_ADDRESS => l.mac = v.try_into().ok(),
            IFLA_MTU => l.mtu = u32_at(v, 0),
            IFLA_OPERSTATE => l.operstate = v.first().copied(),
            IFLA_LINKINFO => {
                for (k, kv) in attrs(v) {
                    if k == IFLA_INFO_KIND {
                        let end = kv.iter().position(|&c| c == 0).unwrap_or(kv.len());
                        l.kind = Some(String::from_utf8_lossy(&kv[..end]).into_owned());
                    }
                }
            }
            _ => {}
        }
    }
    Ok(l)
}

fn parse_addr(p: &[u8]) -> Result<Option<Addr>> {
    let h = p.get(..8).ok_or_else(|| Error::truncated("ifaddrmsg"))?;
    if h[0] != AF_INET {
        return Ok(None);
    }
    let mut local = None;
    let mut address = None;
    for (kind, v) in attrs(&p[8..]) {
        match kind {
            IFA_LOCAL => local = ipv4(v),
            IFA_ADDRESS => address = ipv4(v),
            _ => {}
        }
    }
    // On point-to-point links IFA_ADDRESS is the peer; IFA_LOCAL is ours.
    Ok(local.or(address).map(|address| Addr {
        index: u32::from_ne_bytes([h[4], h[5], h[6], h[7]]),
        prefix: h[1],
        scope: h[3],
        address,
    }))
}

fn parse_route(p: &[u8]) -> Result<Option<RouteEntry>> {
    let h = p.get(..12).ok_or_else(|| Error::truncated("rtmsg"))?;
    if h[0] != AF_INET {
        return Ok(None);
    }
    let mut r = RouteEntry {
        table: u32::from(h[4]),
        dst: Ipv4Addr::UNSPECIFIED,
        dst_len: h[1],
        gateway: None,
        oif: None,
    };
    for (kind, v) in attrs(&p[12..]) {
        match kind {
            RTA_DST => r.dst = ipv4(v).unwrap_or(r.dst),
            RTA_GATEWAY => r.gateway = ipv4(v),
            RTA_OIF => r.oif = u32_at(v, 0),
            RTA_TABLE => r.table = u32_at(v, 0).unwrap_or(r.table),
            _ => {}
        }
    }
    Ok(Some(r))
}

/// Pure entry point for fuzzing: every message of one netlink datagram,
/// with its sequence number.
pub fn parse(buf: &[u8]) -> Result<Vec<(u32, Msg)>> {
    let mut out = Vec::new();
    for m in messages(buf) {
        let m = m?;
        let msg = match m.kind {
            RTM_NEWLINK => Msg::NewLink(parse_link(m.payload)?),
            RTM_DELLINK => Msg::DelLink(parse_link(m.payload)?),
            RTM_NEWADDR => match parse_addr(m.payload)? {
                Some(a) => Msg::NewAddr(a),
                None => netlink6::parse_addr(m.payload)?.map_or(Msg::Other(m.kind), Msg::NewAddr6),
            },
            RTM_NEWROUTE => match parse_route(m.payload)? {
                Some(r) => Msg::NewRoute(r),
                None => {
                    netlink6::parse_route(m.payload)?.map_or(Msg::Other(m.kind), Msg::NewRoute6)
                }
            },
            NLMSG_ERROR => {
                let e = u32_at(m.payload, 0).ok_or_else(|| Error::truncated("nlmsgerr"))?;
                Msg::Error(e as i32)
            }
            NLMSG_DONE => Msg::Done,
            k => Msg::Other(k),
        };
        out.push((m.seq, msg));
    }
    Ok(out)
}

/// Builds one request: header, fixed part, attributes; length set at the end.
pub struct Builder {
    buf: Vec<u8>,
}

impl Builder {
    pub fn new(kind: u16, flags: u16, seq: u32) -> Builder {
        let mut buf = vec![0u8; NLMSG_HDR_LEN];
        buf[4..6].copy_from_slice(&kind.to_ne_bytes());
        buf[6..8].copy_from_slice(&flags.to_ne_bytes());
        buf[8..12].copy_from_slice(&seq.to_ne_bytes());
        Builder { buf }
    }
    pub fn raw(mut self, bytes: &[u8]) -> Self {
        self.buf.extend_from_slice(bytes);
        self.buf.resize(align(self.buf.len()), 0);
        self
    }
    pub fn attr(self, kind: u16, value: &[u8]) -> Self {
        let len = (NLA_HDR_LEN + value.len()) as u16;
        let mut hdr = [0u8; 4];
        hdr[..2].copy_from_slice(&len.to_ne_bytes());
        hdr[2..].copy_from_slice(&kind.to_ne_bytes());
        let mut b = self.raw(&[]);
        b.buf.extend_from_slice(&hdr);
        b.raw(value)
    }
    pub fn finish(mut self) -> Vec<u8> {
        let len = self.buf.len() as u32;
        self.buf[..4].copy_from_slice(&len.to_ne_bytes());
        self.buf
    }
}

fn ifinfomsg(index: u32, flags: u32, change: u32) -> [u8; 16] {
    let mut h = [0u8; 16];
    h[0] = AF_UNSPEC;
    h[4..8].copy_from_slice(&index.to_ne_bytes());
    h[8..12].copy_from_slice(&flags.to_ne_bytes());
    h[12..16].copy_from_slice(&change.to_ne_bytes());
    h
}

/// `RTM_GETLINK` dump of every interface.
pub fn get_links(seq: u32) -> Vec<u8> {
    Builder::new(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, seq)
        .raw(&ifinfomsg(0, 0, 0))
        .finish()
}

/// `RTM_GETADDR` dump of IPv4 addresses.
pub fn get_addrs(seq: u32) -> Vec<u8> {
    Builder::new(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, seq)
        .raw(&[AF_INET, 0, 0, 0, 0, 0, 0, 0])
        .finish()
}

/// `RTM_GETROUTE` dump of IPv4 routes.
pub fn get_routes(seq: u32) -> Vec<u8> {
    Builder::new(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, seq)
        .raw(&[AF_INET, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        .finish()
}

/// `RTM_NEWLINK` setting or clearing `IFF_UP` (instead of `SIOCSIFFLAGS`),
/// and optionally the MTU.
pub fn set_link(seq: u32, index: u32, up: bool, mtu: Option<u32>) -> Vec<u8> {
    let b = Builder::new(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, seq).raw(&ifinfomsg(
        index,
        if up { IFF_UP } else { 0 },
        IFF_UP,
    ));
    match mtu {
        Some(m) => b.attr(IFLA_MTU, &m.to_ne_bytes()),
        None => b,
    }
    .finish()
}

/// Logical links (VLAN, bond): rtnetlink attributes from `<linux/if_link.h>`.
pub mod logical {
    use super::*;

    pub const NLM_F_EXCL: u16 = 0x200;
    const NLA_F_NESTED: u16 = 0x8000;
    const IFLA_LINK: u16 = 5;
    const IFLA_MASTER: u16 = 10;
    const IFLA_INFO_DATA: u16 = 2;
    const IFLA_VLAN_ID: u16 = 1;
    const IFLA_BOND_MODE: u16 = 1;
    const IFLA_BOND_MIIMON: u16 = 3;
    const IFLA_BOND_PRIMARY: u16 = 11;

    /// A bond's settings, as `IFLA_INFO_DATA` carries them.
    #[derive(Clone, Debug, Default, PartialEq, Eq)]
    pub struct BondData {
        pub mode: u8,
        pub miimon: Option<u32>,
        /// The primary slave's ifindex.
        pub primary: Option<u32>,
    }

    impl Builder {
        /// A nested attribute: `f` appends the inner ones; the length is
        /// patched once they are in.
        fn nest(self, kind: u16, f: impl FnOnce(Builder) -> Builder) -> Builder {
            let mut b = self.raw(&[]);
            let start = b.buf.len();
            b.buf.extend_from_slice(&[0, 0]);
            b.buf
                .extend_from_slice(&(kind | NLA_F_NESTED).to_ne_bytes());
            let mut b = f(b);
            let len = (b.buf.len() - start) as u16;
            b.buf[start..start + 2].copy_from_slice(&len.to_ne_bytes());
            b
        }
    }

    fn name_z(name: &str) -> Vec<u8> {
        let mut v = name.as_bytes().to_vec();
        v.push(0);
        v
    }

    fn new_link(seq: u32, name: &str) -> Builder {
        Builder::new(
            RTM_NEWLINK,
            NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
            seq,
        )
        .raw(&ifinfomsg(0, 0, 0))
        .attr(IFLA_IFNAME, &name_z(name))
    }

    /// `ip link add link <phys> name <name> type vlan id <id>`.
    pub fn new_vlan(seq: u32, name: &str, phys: u32, id: u16) -> Vec<u8> {
        new_link(seq, name)
            .attr(IFLA_LINK, &phys.to_ne_bytes())
            .nest(IFLA_LINKINFO, |b| {
                b.attr(IFLA_INFO_KIND, b"vlan")
                    .nest(IFLA_INFO_DATA, |b| b.attr(IFLA_VLAN_ID, &id.to_ne_bytes()))
            })
            .finish()
    }

    /// `ip link add <name> [mtu M] type bond mode … miimon … primary …`.
    pub fn new_bond(seq: u32, name: &str, mtu: Option<u32>, d: &BondData) -> Vec<u8> {
        bond_info(new_link(seq, name), mtu, d)
    }

    /// `ip link set <index> [mtu M] type bond mode …`: an existing, empty and
    /// down bond (the one the bonding module makes when it loads).
    pub fn change_bond(seq: u32, index: u32, mtu: Option<u32>, d: &BondData) -> Vec<u8> {
        let b =
            Builder::new(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, seq).raw(&ifinfomsg(index, 0, 0));
        bond_info(b, mtu, d)
    }

    fn bond_info(mut b: Builder, mtu: Option<u32>, d: &BondData) -> Vec<u8> {
        if let Some(m) = mtu {
            b = b.attr(IFLA_MTU, &m.to_ne_bytes());
        }
        b.nest(IFLA_LINKINFO, |b| {
            b.attr(IFLA_INFO_KIND, b"bond")
                .nest(IFLA_INFO_DATA, |mut b| {
                    b = b.attr(IFLA_BOND_MODE, &[d.mode]);
                    if let Some(m) = d.miimon {
                        b = b.attr(IFLA_BOND_MIIMON, &m.to_ne_bytes());
                    }
                    if let Some(p) = d.primary {
                        b = b.attr(IFLA_BOND_PRIMARY, &p.to_ne_bytes());
                    }
                    b
                })
        })
        .finish()
    }

    /// `ip link set <index> master <master>` (0 releases it).
    pub fn set_master(seq: u32, index: u32, master: u32) -> Vec<u8> {
        Builder::new(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, seq)
            .raw(&ifinfomsg(index, 0, 0))
            .attr(IFLA_MASTER, &master.to_ne_bytes())
            .finish()
    }

    /// `ip link del <index>`.
    pub fn del_link(seq: u32, index: u32) -> Vec<u8> {
        Builder::new(RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, seq)
            .raw(&ifinfomsg(index, 0, 0))
            .finish()
    }
}

/// `RTM_NEWADDR`/`RTM_DELADDR` for `address/prefix` with its broadcast.
pub fn addr(
    seq: u32,
    add: bool,
    index: u32,
    address: Ipv4Addr,
    prefix: u8,
    broadcast: Option<Ipv4Addr>,
) -> Vec<u8> {
    let (kind, flags) = if add {
        (
            RTM_NEWADDR,
            NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE,
        )
    } else {
        (RTM_DELADDR, NLM_F_REQUEST | NLM_F_ACK)
    };
    let mut h = [0u8; 8];
    h[0] = AF_INET;
    h[1] = prefix;
    h[3] = RT_SCOPE_UNIVERSE;
    h[4..8].copy_from_slice(&index.to_ne_bytes());
    let b = Builder::new(kind, flags, seq)
        .raw(&h)
        .attr(IFA_LOCAL, &address.octets())
        .attr(IFA_ADDRESS, &address.octets());
    match broadcast {
        Some(bc) => b.attr(IFA_BROADCAST, &bc.octets()),
        None => b,
    }
    .finish()
}

/// `RTM_NEWROUTE`/`RTM_DELROUTE` in the main table; a zero or absent gateway
/// makes an on-link (scope link) route.
pub fn route(
    seq: u32,
    add: bool,
    index: u32,
    dst: Ipv4Addr,
    dst_len: u8,
    gateway: Option<Ipv4Addr>,
) -> Vec<u8> {
    let (kind, flags) = if add {
        (
            RTM_NEWROUTE,
            NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE,
        )
    } else {
        (RTM_DELROUTE, NLM_F_REQUEST | NLM_F_ACK)
    };
    let gateway = gateway.filter(|g| !g.is_unspecified());
    let scope = if gateway.is_some() {
        RT_SCOPE_UNIVERSE
    } else {
        RT_SCOPE_LINK
    };
    route_msg(
        RouteMsg {
            kind,
            flags,
            seq,
            family: AF_INET,
            proto: RTPROT_DHCP,
            scope,
            index,
        },
        &dst.octets(),
        dst_len,
        gateway.map(|g| g.octets()).as_ref().map(|g| &g[..]),
    )
}

/// The fixed part of a route message, for [`route_msg`].
pub(crate) struct RouteMsg {
    pub kind: u16,
    pub flags: u16,
    pub seq: u32,
    pub family: u8,
    pub proto: u8,
    pub scope: u8,
    pub index: u32,
}

/// One route message in the main table, IPv4 or IPv6 (`dst` and `gateway`
/// are the family's address bytes); a zero `dst_len` sends no RTA_DST.
pub(crate) fn route_msg(m: RouteMsg, dst: &[u8], dst_len: u8, gateway: Option<&[u8]>) -> Vec<u8> {
    let h = [
        m.family,
        dst_len,
        0,
        0,
        RT_TABLE_MAIN,
        m.proto,
        m.scope,
        RTN_UNICAST,
        0,
        0,
        0,
        0,
    ];
    let mut b = Builder::new(m.kind, m.flags, m.seq).raw(&h);
    if dst_len > 0 {
        b = b.attr(RTA_DST, dst);
    }
    if let Some(g) = gateway {
        b = b.attr(RTA_GATEWAY, g);
    }
    b.attr(RTA_OIF, &m.index.to_ne_bytes()).finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A RTM_NEWLINK as the kernel sends it for a veth (trimmed to the
    /// attributes we read), built from the rtnetlink(7) layout by hand.
    fn newlink() -> Vec<u8> {
        let mut p = ifinfomsg(7, IFF_UP | IFF_LOWER_UP, 0).to_vec();
        p[2..4].copy_from_slice(&ARPHRD_ETHER.to_ne_bytes());
        Builder::new(RTM_NEWLINK, NLM_F_REQUEST, 9)
            .raw(&p)
            .attr(IFLA_IFNAME, b"veth0\0")
            .attr(IFLA_ADDRESS, &[2, 0, 0, 0, 0, 1])
            .attr(IFLA_MTU, &1500u32.to_ne_bytes())
            .attr(IFLA_LINKINFO | 0x8000, &{
                // nested: IFLA_INFO_KIND "veth"
                let mut n = vec![9, 0, 1, 0];
                n.extend_from_slice(b"veth\0\0\0\0");
                n
            })
            .finish()
    }

    #[test]
    fn parses_link_dump_and_done() {
        let mut buf = newlink();
        buf.extend(Builder::new(NLMSG_DONE, 2, 9).raw(&[0, 0, 0, 0]).finish());
        let msgs = parse(&buf).unwrap();
        assert_eq!(msgs.len(), 2);
        let (seq, Msg::NewLink(l)) = &msgs[0] else {
            panic!("{msgs:?}")
        };
        assert_eq!(*seq, 9);
        assert_eq!((l.index, l.name.as_str(), l.mtu), (7, "veth0", Some(1500)));
        assert_eq!(l.kind.as_deref(), Some("veth"));
        assert_eq!(l.mac, Some([2, 0, 0, 0, 0, 1]));
        assert!(l.is_up() && l.has_carrier());
        assert_eq!(msgs[1].1, Msg::Done);
    }

    #[test]
    fn parses_error_ack_addr_route() {
        let mut buf = Builder::new(NLMSG_ERROR, 0, 3)
            .raw(&(-17i32).to_ne_bytes())
            .raw(&[0; 16])
            .finish();
        let mut a = addr(4, true, 2, Ipv4Addr::new(10, 0, 0, 5), 24, None);
        a[4..6].copy_from_slice(&RTM_NEWADDR.to_ne_bytes());
        buf.extend(a);
        buf.extend(route(
            5,
            true,
            2,
            Ipv4Addr::UNSPECIFIED,
            0,
            Some(Ipv4Addr::new(10, 0, 0, 1)),
        ));
        let msgs = parse(&buf).unwrap();
        assert_eq!(msgs[0], (3, Msg::Error(-17)));
        assert_eq!(
            msgs[1].1,
            Msg::NewAddr(Addr {
                index: 2,
                prefix: 24,
                scope: 0,
                address: Ipv4Addr::new(10, 0, 0, 5)
            })
        );
        let Msg::NewRoute(r) = &msgs[2].1 else {
            panic!()
        };
        assert_eq!(
            (r.dst_len, r.gateway, r.oif, r.table),
            (0, Some(Ipv4Addr::new(10, 0, 0, 1)), Some(2), 254)
        );
    }

    #[test]
    fn set_link_bytes() {
        // nlmsghdr(16) + ifinfomsg(16) + IFLA_MTU(8) = 40
        let b = set_link(1, 3, true, Some(9000));
        assert_eq!(b.len(), 40);
        assert_eq!(u32_at(&b, 0), Some(40));
        assert_eq!(u16_at(&b, 4), Some(RTM_NEWLINK));
        assert_eq!(u32_at(&b, 20), Some(3));
        assert_eq!(
            (u32_at(&b, 24), u32_at(&b, 28)),
            (Some(IFF_UP), Some(IFF_UP))
        );
        assert_eq!(
            (u16_at(&b, 32), u16_at(&b, 34), u32_at(&b, 36)),
            (Some(8), Some(IFLA_MTU), Some(9000))
        );
    }

    #[test]
    fn hostile_bytes_never_panic() {
        let good = newlink();
        for n in 0..good.len() {
            let _ = parse(&good[..n]);
        }
        for i in 0..good.len() {
            for v in [0u8, 1, 3, 0x10, 0xff] {
                let mut x = good.clone();
                x[i] = v;
                let _ = parse(&x);
            }
        }
        assert!(parse(&[0xff; 3]).is_err());
    }
}

/// A real kernel reply (tests/fixtures/netlink/README.md).
#[cfg(test)]
mod kernel_capture {
    use super::*;

    const DUMP: &[u8] = include_bytes!("../../tests/fixtures/netlink/getlink-dump.bin");

    #[test]
    fn parses_getlink_dump() {
        let msgs = parse(DUMP).unwrap();
        assert!(msgs.iter().all(|(seq, _)| *seq == 7));
        assert_eq!(msgs.last().map(|m| &m.1), Some(&Msg::Done));
        let links: Vec<&Link> = msgs
            .iter()
            .filter_map(|(_, m)| match m {
                Msg::NewLink(l) => Some(l),
                _ => None,
            })
            .collect();
        assert_eq!(links.len(), 2);
        let lo = links[0];
        assert_eq!((lo.index, lo.name.as_str()), (1, "lo"));
        assert!(lo.flags & IFF_LOOPBACK != 0 && lo.is_up());
        let v = links[1];
        assert_eq!(v.name, "veth0");
        assert_eq!(v.kind.as_deref(), Some("veth"));
        assert_eq!(v.mac, Some([0x52, 0x54, 0, 0xab, 0xcd, 0xef]));
        assert_eq!((v.mtu, v.link_type), (Some(1400), ARPHRD_ETHER));
        assert!(!v.is_up() && !v.has_carrier());
        // every truncation parses or errs, never panics
        for n in (0..DUMP.len()).step_by(7) {
            let _ = parse(&DUMP[..n]);
        }
    }
}

/// Golden bytes for the logical-link requests, written out from
/// `<linux/netlink.h>`/`<linux/if_link.h>` (little-endian, as x86 and arm64
/// hosts are), independent of the Builder.
#[cfg(all(test, target_endian = "little"))]
mod logical_golden {
    use super::logical::*;
    use crate::prelude::*;

    fn hex(annotated: &str) -> Vec<u8> {
        annotated
            .lines()
            .flat_map(|l| l.split('#').next().unwrap().split_whitespace())
            .map(|t| u8::from_str_radix(t, 16).unwrap())
            .collect()
    }

    #[test]
    fn vlan_100_on_ifindex_2() {
        let want = hex("
            4c 00 00 00  10 00  05 06  07 00 00 00  00 00 00 00  # len 76, RTM_NEWLINK, REQUEST|ACK|EXCL|CREATE, seq 7, pid 0
            00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00  # ifinfomsg: AF_UNSPEC, index 0, flags 0, change 0
            0c 00 03 00  76 6c 61 6e 31 30 30 00                # IFLA_IFNAME \"vlan100\\0\"
            08 00 05 00  02 00 00 00                            # IFLA_LINK 2
            18 00 12 80                                         # IFLA_LINKINFO (nested), 24 bytes
            08 00 01 00  76 6c 61 6e                            #   IFLA_INFO_KIND \"vlan\"
            0c 00 02 80                                         #   IFLA_INFO_DATA (nested), 12 bytes
            06 00 01 00  64 00 00 00                            #     IFLA_VLAN_ID 100 (+2 pad)
        ");
        // a nest's length covers its inner attributes with their padding
        assert_eq!(new_vlan(7, "vlan100", 2, 100), want);
    }

    #[test]
    fn active_backup_bond_with_miimon_primary_and_mtu() {
        let d = BondData {
            mode: 1,
            miimon: Some(100),
            primary: Some(3),
        };
        let want = hex("
            5c 00 00 00  10 00  05 06  09 00 00 00  00 00 00 00  # len 92, RTM_NEWLINK, REQUEST|ACK|EXCL|CREATE, seq 9
            00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00  # ifinfomsg
            0a 00 03 00  62 6f 6e 64 30 00 00 00                # IFLA_IFNAME \"bond0\\0\" (+2 pad)
            08 00 04 00  28 23 00 00                            # IFLA_MTU 9000
            28 00 12 80                                         # IFLA_LINKINFO (nested), 40 bytes
            08 00 01 00  62 6f 6e 64                            #   IFLA_INFO_KIND \"bond\"
            1c 00 02 80                                         #   IFLA_INFO_DATA (nested), 28 bytes
            05 00 01 00  01 00 00 00                            #     IFLA_BOND_MODE 1 active-backup (+3 pad)
            08 00 03 00  64 00 00 00                            #     IFLA_BOND_MIIMON 100
            08 00 0b 00  03 00 00 00                            #     IFLA_BOND_PRIMARY ifindex 3
        ");
        assert_eq!(new_bond(9, "bond0", Some(9000), &d), want);
    }

    #[test]
    fn change_an_existing_bond() {
        let d = BondData {
            mode: 4,
            miimon: None,
            primary: None,
        };
        let want = hex("
            38 00 00 00  10 00  05 00  03 00 00 00  00 00 00 00  # len 56, RTM_NEWLINK, REQUEST|ACK (no CREATE), seq 3
            00 00 00 00  06 00 00 00  00 00 00 00  00 00 00 00  # ifinfomsg index 6
            18 00 12 80                                         # IFLA_LINKINFO (nested), 24 bytes
            08 00 01 00  62 6f 6e 64                            #   IFLA_INFO_KIND \"bond\"
            0c 00 02 80                                         #   IFLA_INFO_DATA (nested), 12 bytes
            05 00 01 00  04 00 00 00                            #     IFLA_BOND_MODE 4 802.3ad (+3 pad)
        ");
        assert_eq!(change_bond(3, 6, None, &d), want);
    }

    #[test]
    fn enslave_and_delete() {
        let want = hex("
            28 00 00 00  10 00  05 00  01 00 00 00  00 00 00 00  # len 40, RTM_NEWLINK, REQUEST|ACK, seq 1
            00 00 00 00  04 00 00 00  00 00 00 00  00 00 00 00  # ifinfomsg index 4
            08 00 0a 00  05 00 00 00                            # IFLA_MASTER 5
        ");
        assert_eq!(set_master(1, 4, 5), want);
        let want = hex("
            20 00 00 00  11 00  05 00  02 00 00 00  00 00 00 00  # len 32, RTM_DELLINK, REQUEST|ACK, seq 2
            00 00 00 00  05 00 00 00  00 00 00 00  00 00 00 00  # ifinfomsg index 5
        ");
        assert_eq!(del_link(2, 5), want);
    }
}
