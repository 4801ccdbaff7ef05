//! DHCPv6 messages (RFC 8415 sections 8 and 21): a checked view over the
//! client/server header and an owned `Message` with `parse`/`emit`. Options
//! are `(code: u16, len: u16)` TLVs read by an iterator over a shrinking
//! slice; an option with a length its type cannot have is ignored.

use crate::prelude::*;

use crate::error::{Error, Result};
use core::net::Ipv6Addr;

pub const CLIENT_PORT: u16 = 546;
pub const SERVER_PORT: u16 = 547;
/// ff02::1:2, All_DHCP_Relay_Agents_and_Servers (RFC 8415 7.1).
pub const ALL_SERVERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 1, 2);
const HEADER_LEN: usize = 4;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum MessageType {
    Solicit = 1,
    Advertise = 2,
    Request = 3,
    Reply = 7,
    Release = 8,
    InformationRequest = 11,
}

impl MessageType {
    fn from_u8(v: u8) -> Option<Self> {
        Some(match v {
            1 => Self::Solicit,
            2 => Self::Advertise,
            3 => Self::Request,
            7 => Self::Reply,
            8 => Self::Release,
            11 => Self::InformationRequest,
            _ => return None,
        })
    }
}

pub mod opt {
    pub const CLIENTID: u16 = 1;
    pub const SERVERID: u16 = 2;
    pub const IA_NA: u16 = 3;
    pub const IAADDR: u16 = 5;
    pub const ORO: u16 = 6;
    pub const PREFERENCE: u16 = 7;
    pub const ELAPSED_TIME: u16 = 8;
    pub const STATUS_CODE: u16 = 13;
    pub const RAPID_COMMIT: u16 = 14;
    pub const DNS_SERVERS: u16 = 23;
    pub const DOMAIN_LIST: u16 = 24;
    pub const INFORMATION_REFRESH_TIME: u16 = 32;
    pub const SOL_MAX_RT: u16 = 82;
    pub const INF_MAX_RT: u16 = 83;
}

/// RFC 8415 21.13 status codes we act on.
pub mod status {
    pub const SUCCESS: u16 = 0;
    pub const NO_ADDRS_AVAIL: u16 = 2;
}

/// DUID-LL (RFC 8415 11.4): type 3, hardware type 1 (Ethernet), the MAC.
/// Stable across boots without storage, which an initramfs has none of.
pub fn duid_ll(mac: &[u8; 6]) -> Vec<u8> {
    let mut d = vec![0, 3, 0, 1];
    d.extend_from_slice(mac);
    d
}

/// A checked view: after `new_checked` the header is in bounds.
pub struct Packet<T: AsRef<[u8]>> {
    buf: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    pub fn new_checked(buf: T) -> Result<Self> {
        if buf.as_ref().len() < HEADER_LEN {
            return Err(Error::truncated("dhcpv6 message"));
        }
        Ok(Packet { buf })
    }
    pub fn msg_type(&self) -> u8 {
        self.buf.as_ref()[0]
    }
    /// The 24-bit transaction id.
    pub fn xid(&self) -> u32 {
        let b = self.buf.as_ref();
        u32::from_be_bytes([0, b[1], b[2], b[3]])
    }
    pub fn options(&self) -> OptionIter<'_> {
        OptionIter {
            rest: &self.buf.as_ref()[HEADER_LEN..],
        }
    }
}

/// `(code, value)` over an options area; one error (then stop) when an
/// option runs past the buffer.
pub struct OptionIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for OptionIter<'a> {
    type Item = Result<(u16, &'a [u8])>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let (value, tail) = match *self.rest {
            [c0, c1, l0, l1, ref tail @ ..] => {
                let len = usize::from(u16::from_be_bytes([l0, l1]));
                if tail.len() < len {
                    self.rest = &[];
                    return Some(Err(Error::truncated("dhcpv6 option")));
                }
                let (v, t) = tail.split_at(len);
                ((u16::from_be_bytes([c0, c1]), v), t)
            }
            _ => {
                self.rest = &[];
                return Some(Err(Error::truncated("dhcpv6 option header")));
            }
        };
        self.rest = tail;
        Some(Ok(value))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub code: u16,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IaAddr {
    pub addr: Ipv6Addr,
    pub preferred_s: u32,
    pub valid_s: u32,
}

/// An identity association for non-temporary addresses (RFC 8415 21.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IaNa {
    pub iaid: u32,
    pub t1: u32,
    pub t2: u32,
    pub addrs: Vec<IaAddr>,
    pub status: Option<Status>,
}

/// The options we read or write, typed. Unknown options are dropped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub client_id: Option<Vec<u8>>,
    pub server_id: Option<Vec<u8>>,
    pub ia_na: Vec<IaNa>,
    pub elapsed: Option<u16>,
    pub oro: Vec<u16>,
    pub rapid_commit: bool,
    pub preference: Option<u8>,
    pub status: Option<Status>,
    pub dns: Vec<Ipv6Addr>,
    pub domains: Vec<String>,
    pub info_refresh_s: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub kind: MessageType,
    pub xid: u32,
    pub options: Options,
}

fn u32_of(v: &[u8]) -> u32 {
    u32::from_be_bytes([v[0], v[1], v[2], v[3]])
}
fn ipv6_of(v: &[u8]) -> Ipv6Addr {
    let mut a = [0u8; 16];
    a.copy_from_slice(&v[..16]);
    Ipv6Addr::from(a)
}

fn parse_status(v: &[u8]) -> Option<Status> {
    let (code, msg) = v.split_first_chunk::<2>()?;
    Some(Status {
        code: u16::from_be_bytes(*code),
        message: String::from_utf8_lossy(msg).into_owned(),
    })
}

/// IA_NA: IAID, T1, T2, then its own options (IAADDR, status).
fn parse_ia_na(v: &[u8]) -> Result<Option<IaNa>> {
    let Some((head, inner)) = v.split_first_chunk::<12>() else {
        return Ok(None);
    };
    let mut ia = IaNa {
        iaid: u32_of(&head[0..4]),
        t1: u32_of(&head[4..8]),
        t2: u32_of(&head[8..12]),
        addrs: Vec::new(),
        status: None,
    };
    for o in (OptionIter { rest: inner }) {
        match o? {
            // IAADDR: address, preferred, valid, then options we skip
            // (a status inside one address is advisory).
            (opt::IAADDR, a) if a.len() >= 24 => ia.addrs.push(IaAddr {
                addr: ipv6_of(a),
                preferred_s: u32_of(&a[16..20]),
                valid_s: u32_of(&a[20..24]),
            }),
            (opt::STATUS_CODE, s) => ia.status = parse_status(s),
            _ => {}
        }
    }
    Ok(Some(ia))
}

/// Pure entry point for fuzzing: parses one client/server message (the UDP
/// payload). Relay messages are not for a client and fail as unknown.
pub fn parse(bytes: &[u8]) -> Result<Message> {
    let p = Packet::new_checked(bytes)?;
    let kind = MessageType::from_u8(p.msg_type()).ok_or_else(|| Error::malformed("dhcpv6 type"))?;
    let mut o = Options::default();
    for opt in p.options() {
        let (code, v) = opt?;
        match (code, v.len()) {
            (opt::CLIENTID, 1..=130) => o.client_id = Some(v.to_vec()),
            (opt::SERVERID, 1..=130) => o.server_id = Some(v.to_vec()),
            (opt::IA_NA, _) => o.ia_na.extend(parse_ia_na(v)?),
            (opt::ELAPSED_TIME, 2) => o.elapsed = Some(u16::from_be_bytes([v[0], v[1]])),
            (opt::ORO, n) if n % 2 == 0 => {
                o.oro = v
                    .chunks_exact(2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]]))
                    .collect()
            }
            (opt::RAPID_COMMIT, 0) => o.rapid_commit = true,
            (opt::PREFERENCE, 1) => o.preference = Some(v[0]),
            (opt::STATUS_CODE, _) => o.status = parse_status(v),
            (opt::DNS_SERVERS, n) if n % 16 == 0 => {
                o.dns = v.chunks_exact(16).map(ipv6_of).collect()
            }
            (opt::DOMAIN_LIST, _) => {
                // RFC 8415 10: uncompressed RFC 1035 names (one reader for
                // every name list: DHCPv4 option 119's).
                o.domains = crate::wire::dhcpv4::parse_domain_search(v)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect()
            }
            (opt::INFORMATION_REFRESH_TIME, 4) => o.info_refresh_s = Some(u32_of(v)),
            _ => {}
        }
    }
    Ok(Message {
        kind,
        xid: p.xid(),
        options: o,
    })
}

fn put(out: &mut Vec<u8>, code: u16, value: &[u8]) {
    out.extend_from_slice(&code.to_be_bytes());
    // Every value we emit is far below 64 KiB (DUIDs, IAs, name lists of a lease).
    out.extend_from_slice(&(value.len().min(usize::from(u16::MAX)) as u16).to_be_bytes());
    out.extend_from_slice(value);
}

fn emit_status(s: &Status) -> Vec<u8> {
    let mut v = s.code.to_be_bytes().to_vec();
    v.extend_from_slice(s.message.as_bytes());
    v
}

fn emit_ia_na(ia: &IaNa) -> Vec<u8> {
    let mut v = Vec::with_capacity(40);
    for n in [ia.iaid, ia.t1, ia.t2] {
        v.extend_from_slice(&n.to_be_bytes());
    }
    for a in &ia.addrs {
        let mut av = a.addr.octets().to_vec();
        av.extend_from_slice(&a.preferred_s.to_be_bytes());
        av.extend_from_slice(&a.valid_s.to_be_bytes());
        put(&mut v, opt::IAADDR, &av);
    }
    if let Some(s) = &ia.status {
        put(&mut v, opt::STATUS_CODE, &emit_status(s));
    }
    v
}

/// RFC 1035 labels for the domain list; labels over 63 bytes are cut.
fn emit_names(names: &[String]) -> Vec<u8> {
    let mut v = Vec::new();
    for n in names {
        for l in n.split('.').filter(|l| !l.is_empty()) {
            let l = &l.as_bytes()[..l.len().min(63)];
            v.push(l.len() as u8);
            v.extend_from_slice(l);
        }
        v.push(0);
    }
    v
}

impl Message {
    /// Options in a fixed order: client id, server id, IA_NA, elapsed time,
    /// ORO, rapid commit, then the server-side ones (for tests and fuzzing).
    pub fn emit(&self) -> Vec<u8> {
        let mut out = vec![self.kind as u8];
        out.extend_from_slice(&self.xid.to_be_bytes()[1..]);
        let o = &self.options;
        if let Some(id) = &o.client_id {
            put(&mut out, opt::CLIENTID, id);
        }
        if let Some(id) = &o.server_id {
            put(&mut out, opt::SERVERID, id);
        }
        for ia in &o.ia_na {
            put(&mut out, opt::IA_NA, &emit_ia_na(ia));
        }
        if let Some(e) = o.elapsed {
            put(&mut out, opt::ELAPSED_TIME, &e.to_be_bytes());
        }
        if !o.oro.is_empty() {
            let v: Vec<u8> = o.oro.iter().flat_map(|c| c.to_be_bytes()).collect();
            put(&mut out, opt::ORO, &v);
        }
        if o.rapid_commit {
            put(&mut out, opt::RAPID_COMMIT, &[]);
        }
        if let Some(p) = o.preference {
            put(&mut out, opt::PREFERENCE, &[p]);
        }
        if let Some(s) = &o.status {
            put(&mut out, opt::STATUS_CODE, &emit_status(s));
        }
        if !o.dns.is_empty() {
            let v: Vec<u8> = o.dns.iter().flat_map(|a| a.octets()).collect();
            put(&mut out, opt::DNS_SERVERS, &v);
        }
        if !o.domains.is_empty() {
            put(&mut out, opt::DOMAIN_LIST, &emit_names(&o.domains));
        }
        if let Some(t) = o.info_refresh_s {
            put(&mut out, opt::INFORMATION_REFRESH_TIME, &t.to_be_bytes());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Ipv6Addr {
        s.parse().unwrap()
    }

    fn reply() -> Message {
        Message {
            kind: MessageType::Reply,
            xid: 0x00ab_cdef,
            options: Options {
                client_id: Some(duid_ll(&[0x52, 0x54, 0, 0x12, 0x34, 0x56])),
                server_id: Some(vec![0, 1, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
                ia_na: vec![IaNa {
                    iaid: 0x0012_3456,
                    t1: 1800,
                    t2: 2880,
                    addrs: vec![IaAddr {
                        addr: a("fd00::1:10"),
                        preferred_s: 3600,
                        valid_s: 7200,
                    }],
                    status: Some(Status {
                        code: 0,
                        message: "ok".into(),
                    }),
                }],
                rapid_commit: true,
                preference: Some(255),
                dns: vec![a("fd00::2"), a("fd00::3")],
                domains: vec!["example.test".into(), "test".into()],
                info_refresh_s: Some(86400),
                ..Options::default()
            },
        }
    }

    #[test]
    fn round_trip() {
        let m = reply();
        let b = m.emit();
        assert_eq!(&b[..4], &[7, 0xab, 0xcd, 0xef]);
        assert_eq!(parse(&b).unwrap(), m);
    }

    #[test]
    fn wrong_lengths_are_ignored_truncation_fails() {
        let mut b = reply().emit();
        // elapsed time with length 3 and a DNS list not a multiple of 16
        b.extend_from_slice(&[0, 8, 0, 3, 1, 2, 3, 0, 23, 0, 4, 1, 2, 3, 4]);
        let m = parse(&b).unwrap();
        assert_eq!(m.options.elapsed, None);
        assert_eq!(m.options.dns.len(), 2);
        // an option running past the end
        b.extend_from_slice(&[0, 1, 0, 9, 1]);
        assert!(parse(&b).is_err());
        for n in 0..b.len() {
            let _ = parse(&b[..n]);
        }
        assert!(parse(&[12, 0, 0, 0]).is_err(), "relay-forw is not for us");
    }

    #[test]
    fn duid() {
        assert_eq!(
            duid_ll(&[0x52, 0x54, 0, 0x12, 0x34, 0x56]),
            [0, 3, 0, 1, 0x52, 0x54, 0, 0x12, 0x34, 0x56]
        );
    }
}
