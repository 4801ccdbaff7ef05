//! DHCPv4 messages (RFC 2131 / 2132): a checked view over the BOOTP frame and
//! an owned `Message` with `parse`/`emit`. Options are read by an iterator
//! over a shrinking slice; an option with a length its type cannot have is
//! ignored, as smoltcp does, rather than failing the whole message.

use crate::prelude::*;

use crate::error::{Error, Result};
use core::net::Ipv4Addr;
use core::ops::Range;

type Field = Range<usize>;

const OP: usize = 0;
const HTYPE: usize = 1;
const HLEN: usize = 2;
const XID: Field = 4..8;
const SECS: Field = 8..10;
const FLAGS: Field = 10..12;
const CIADDR: Field = 12..16;
const YIADDR: Field = 16..20;
const SIADDR: Field = 20..24;
const GIADDR: Field = 24..28;
const CHADDR: Field = 28..34;
const SNAME: Field = 44..108;
const FILE: Field = 108..236;
const MAGIC: Field = 236..240;
const OPTIONS: usize = 240;

/// RFC 2131 section 3: "the first four octets of the 'options' field".
pub const MAGIC_COOKIE: [u8; 4] = [99, 130, 83, 99];
/// BOOTP relays and old servers drop anything shorter (RFC 1542 section 2.1).
pub const MIN_LEN: usize = 300;
pub const BROADCAST_FLAG: u16 = 0x8000;
pub const SERVER_PORT: u16 = 67;
pub const CLIENT_PORT: u16 = 68;

pub const OP_REQUEST: u8 = 1;
pub const OP_REPLY: u8 = 2;

pub mod opt {
    pub const PAD: u8 = 0;
    pub const SUBNET_MASK: u8 = 1;
    pub const ROUTER: u8 = 3;
    pub const DNS: u8 = 6;
    pub const HOSTNAME: u8 = 12;
    pub const DOMAIN_NAME: u8 = 15;
    pub const MTU: u8 = 26;
    pub const BROADCAST: u8 = 28;
    pub const NTP: u8 = 42;
    pub const REQUESTED_IP: u8 = 50;
    pub const LEASE_TIME: u8 = 51;
    pub const OVERLOAD: u8 = 52;
    pub const MESSAGE_TYPE: u8 = 53;
    pub const SERVER_ID: u8 = 54;
    pub const PARAM_REQUEST: u8 = 55;
    pub const MESSAGE: u8 = 56;
    pub const MAX_SIZE: u8 = 57;
    pub const CLIENT_ID: u8 = 61;
    pub const BOOTFILE: u8 = 67;
    pub const DOMAIN_SEARCH: u8 = 119;
    pub const CLASSLESS_ROUTES: u8 = 121;
    pub const END: u8 = 255;
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum MessageType {
    Discover,
    Offer,
    Request,
    Decline,
    Ack,
    Nak,
    Release,
    Inform,
}

impl MessageType {
    fn from_u8(v: u8) -> Option<Self> {
        Some(match v {
            1 => Self::Discover,
            2 => Self::Offer,
            3 => Self::Request,
            4 => Self::Decline,
            5 => Self::Ack,
            6 => Self::Nak,
            7 => Self::Release,
            8 => Self::Inform,
            _ => return None,
        })
    }
    fn to_u8(self) -> u8 {
        match self {
            Self::Discover => 1,
            Self::Offer => 2,
            Self::Request => 3,
            Self::Decline => 4,
            Self::Ack => 5,
            Self::Nak => 6,
            Self::Release => 7,
            Self::Inform => 8,
        }
    }
}

/// A checked view: after `new_checked` every fixed field is in bounds.
pub struct Packet<T: AsRef<[u8]>> {
    buf: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    pub fn new_checked(buf: T) -> Result<Self> {
        let b = buf.as_ref();
        if b.len() < OPTIONS {
            return Err(Error::truncated("dhcp message"));
        }
        if b[MAGIC] != MAGIC_COOKIE {
            return Err(Error::malformed("dhcp magic cookie"));
        }
        Ok(Packet { buf })
    }
    fn b(&self) -> &[u8] {
        self.buf.as_ref()
    }
    fn ip(&self, f: Field) -> Ipv4Addr {
        let b = &self.b()[f];
        Ipv4Addr::new(b[0], b[1], b[2], b[3])
    }
    pub fn op(&self) -> u8 {
        self.b()[OP]
    }
    pub fn htype(&self) -> u8 {
        self.b()[HTYPE]
    }
    pub fn hlen(&self) -> u8 {
        self.b()[HLEN]
    }
    pub fn xid(&self) -> u32 {
        let b = &self.b()[XID];
        u32::from_be_bytes([b[0], b[1], b[2], b[3]])
    }
    pub fn secs(&self) -> u16 {
        let b = &self.b()[SECS];
        u16::from_be_bytes([b[0], b[1]])
    }
    pub fn flags(&self) -> u16 {
        let b = &self.b()[FLAGS];
        u16::from_be_bytes([b[0], b[1]])
    }
    pub fn ciaddr(&self) -> Ipv4Addr {
        self.ip(CIADDR)
    }
    pub fn yiaddr(&self) -> Ipv4Addr {
        self.ip(YIADDR)
    }
    pub fn siaddr(&self) -> Ipv4Addr {
        self.ip(SIADDR)
    }
    pub fn giaddr(&self) -> Ipv4Addr {
        self.ip(GIADDR)
    }
    pub fn chaddr(&self) -> [u8; 6] {
        let mut m = [0u8; 6];
        m.copy_from_slice(&self.b()[CHADDR]);
        m
    }
    /// The boot file name field, up to its first NUL.
    pub fn file(&self) -> &[u8] {
        let f = &self.b()[FILE];
        let end = f.iter().position(|&c| c == 0).unwrap_or(f.len());
        &f[..end]
    }
    pub fn options(&self) -> OptionIter<'_> {
        OptionIter {
            rest: &self.b()[OPTIONS..],
        }
    }
    /// The `file` and `sname` fields as option areas (option 52 says so).
    pub fn file_options(&self) -> OptionIter<'_> {
        OptionIter {
            rest: &self.b()[FILE],
        }
    }
    pub fn sname_options(&self) -> OptionIter<'_> {
        OptionIter {
            rest: &self.b()[SNAME],
        }
    }
}

/// Iterates `(code, value)` over an options area; stops at END, skips PAD,
/// and yields `Err(code)` once (then stops) when an option runs past the area.
pub struct OptionIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for OptionIter<'a> {
    type Item = core::result::Result<(u8, &'a [u8]), u8>;
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (&code, tail) = self.rest.split_first()?;
            match code {
                opt::PAD => self.rest = tail,
                opt::END => {
                    self.rest = &[];
                    return None;
                }
                _ => {
                    let Some((&len, tail)) = tail.split_first() else {
                        self.rest = &[];
                        return Some(Err(code));
                    };
                    let len = usize::from(len);
                    if tail.len() < len {
                        self.rest = &[];
                        return Some(Err(code));
                    }
                    let (value, tail) = tail.split_at(len);
                    self.rest = tail;
                    return Some(Ok((code, value)));
                }
            }
        }
    }
}

/// One classless static route (RFC 3442); a zero gateway means on-link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub dst: Ipv4Addr,
    pub prefix: u8,
    pub gateway: Ipv4Addr,
}

/// The options we read or write, typed. Unknown options are dropped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub message_type: Option<MessageType>,
    pub server_id: Option<Ipv4Addr>,
    pub requested_ip: Option<Ipv4Addr>,
    pub subnet_mask: Option<Ipv4Addr>,
    pub routers: Vec<Ipv4Addr>,
    pub dns: Vec<Ipv4Addr>,
    pub hostname: Option<String>,
    pub domain_name: Option<String>,
    pub mtu: Option<u16>,
    pub broadcast: Option<Ipv4Addr>,
    pub ntp: Vec<Ipv4Addr>,
    pub lease_time: Option<u32>,
    pub message: Option<String>,
    pub max_size: Option<u16>,
    pub client_id: Option<Vec<u8>>,
    pub param_request: Vec<u8>,
    pub bootfile: Option<String>,
    pub domain_search: Vec<String>,
    /// `None` when absent; RFC 3442 makes it override option 3 when present.
    pub classless_routes: Option<Vec<Route>>,
}

/// A whole DHCP message, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub op: u8,
    pub xid: u32,
    pub secs: u16,
    pub flags: u16,
    pub ciaddr: Ipv4Addr,
    pub yiaddr: Ipv4Addr,
    pub siaddr: Ipv4Addr,
    pub giaddr: Ipv4Addr,
    pub chaddr: [u8; 6],
    pub file: String,
    pub options: Options,
    /// Options dropped or cut short while parsing, one line each.
    pub warnings: Vec<String>,
}

impl Default for Message {
    fn default() -> Self {
        let zero = Ipv4Addr::UNSPECIFIED;
        Message {
            op: OP_REQUEST,
            xid: 0,
            secs: 0,
            flags: 0,
            ciaddr: zero,
            yiaddr: zero,
            siaddr: zero,
            giaddr: zero,
            chaddr: [0; 6],
            file: String::new(),
            options: Options::default(),
            warnings: Vec::new(),
        }
    }
}

/// Pure entry point for fuzzing: parses one DHCP message (the UDP payload).
pub fn parse(bytes: &[u8]) -> Result<Message> {
    Message::parse(&Packet::new_checked(bytes)?)
}

fn ipv4_list(v: &[u8]) -> Option<Vec<Ipv4Addr>> {
    if v.is_empty() || v.len() % 4 != 0 {
        return None;
    }
    Some(
        v.chunks_exact(4)
            .map(|c| Ipv4Addr::new(c[0], c[1], c[2], c[3]))
            .collect(),
    )
}

fn ipv4_one(v: &[u8]) -> Option<Ipv4Addr> {
    match v {
        [a, b, c, d] => Some(Ipv4Addr::new(*a, *b, *c, *d)),
        _ => None,
    }
}

/// Text options: NUL-terminated by some servers; non-UTF-8 is replaced.
fn text(v: &[u8]) -> Option<String> {
    let end = v.iter().position(|&c| c == 0).unwrap_or(v.len());
    let s = String::from_utf8_lossy(&v[..end]).into_owned();
    (!s.is_empty()).then_some(s)
}

/// RFC 3442: `width, significant octets of the destination, router`; at
/// least one route (the option's minimum length is 5).
pub fn parse_classless_routes(mut v: &[u8]) -> Option<Vec<Route>> {
    if v.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    while let Some((&width, tail)) = v.split_first() {
        if width > 32 {
            return None;
        }
        let n = usize::from(width).div_ceil(8);
        let need = n.checked_add(4)?;
        if tail.len() < need {
            return None;
        }
        let mut dst = [0u8; 4];
        dst[..n].copy_from_slice(&tail[..n]);
        let gw = &tail[n..need];
        out.push(Route {
            dst: Ipv4Addr::from(dst),
            prefix: width,
            gateway: Ipv4Addr::new(gw[0], gw[1], gw[2], gw[3]),
        });
        v = &tail[need..];
    }
    Some(out)
}

/// RFC 3397: a list of DNS names, read by the one DNS name reader
/// (`dns::labels`): compression pointers only strictly backwards into the
/// option itself, so a hostile option cannot loop.
pub fn parse_domain_search(v: &[u8]) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    while pos < v.len() {
        let (labels, next) = crate::wire::dns::labels(v, pos).ok()?;
        let labels: Vec<_> = labels.iter().map(|l| String::from_utf8_lossy(l)).collect();
        out.push(labels.join("."));
        pos = next;
    }
    Some(out)
}

/// Option 52 (RFC 2132 section 9.3): which BOOTP fields hold more options.
pub const OVERLOAD_FILE: u8 = 1;
pub const OVERLOAD_SNAME: u8 = 2;

/// Collects the options of one area into `merged`, concatenating repeated
/// codes (RFC 3396, as ISC dhcpd and dhclient do, across areas too). An
/// option that runs past its area is dropped with a warning.
fn collect(
    iter: OptionIter<'_>,
    area: &str,
    merged: &mut Vec<(u8, Vec<u8>)>,
    warn: &mut Vec<String>,
) {
    for item in iter {
        match item {
            Ok((code, value)) => match merged.iter_mut().find(|(c, _)| *c == code) {
                Some((_, v)) => v.extend_from_slice(value),
                None => merged.push((code, value.to_vec())),
            },
            Err(code) => warn.push(format!(
                "dhcp: option {code} runs past the end of the {area} field: dropped"
            )),
        }
    }
}

/// The options of a message in RFC 2131 order: the options field, then
/// `file`, then `sname` when option 52 says they are overloaded. Returns
/// the merged options and the overload value.
fn gather<T: AsRef<[u8]>>(p: &Packet<T>, warn: &mut Vec<String>) -> (Vec<(u8, Vec<u8>)>, u8) {
    let mut merged = Vec::new();
    collect(p.options(), "options", &mut merged, warn);
    let overload = match merged.iter().find(|(c, _)| *c == opt::OVERLOAD) {
        Some((_, v)) if matches!(v[..], [1..=3]) => v[0],
        Some(_) => {
            warn.push("dhcp: option 52 (overload) is invalid: ignored".into());
            0
        }
        None => 0,
    };
    if overload & OVERLOAD_FILE != 0 {
        collect(p.file_options(), "file", &mut merged, warn);
    }
    if overload & OVERLOAD_SNAME != 0 {
        collect(p.sname_options(), "sname", &mut merged, warn);
    }
    (merged, overload)
}

/// Whether an option we use has a value its type allows; one that does not
/// is dropped, and the caller warns.
fn usable(code: u8, v: &[u8], o: &Options) -> bool {
    match code {
        opt::SUBNET_MASK
        | opt::BROADCAST
        | opt::REQUESTED_IP
        | opt::SERVER_ID
        | opt::LEASE_TIME => v.len() == 4,
        opt::ROUTER | opt::DNS | opt::NTP => ipv4_list(v).is_some(),
        opt::MTU => o.mtu.is_some(),
        opt::MAX_SIZE => v.len() == 2,
        opt::MESSAGE_TYPE => o.message_type.is_some(),
        opt::CLASSLESS_ROUTES => o.classless_routes.is_some(),
        opt::DOMAIN_SEARCH => v.is_empty() || !o.domain_search.is_empty(),
        _ => true,
    }
}

impl Options {
    fn parse(merged: &[(u8, Vec<u8>)], warn: &mut Vec<String>) -> Options {
        let mut o = Options::default();
        for (code, v) in merged {
            let v = v.as_slice();
            match *code {
                opt::MESSAGE_TYPE => {
                    o.message_type = v.first().and_then(|&t| MessageType::from_u8(t))
                }
                opt::SERVER_ID => o.server_id = ipv4_one(v),
                opt::REQUESTED_IP => o.requested_ip = ipv4_one(v),
                opt::SUBNET_MASK => o.subnet_mask = ipv4_one(v),
                opt::ROUTER => o.routers = ipv4_list(v).unwrap_or_default(),
                opt::DNS => o.dns = ipv4_list(v).unwrap_or_default(),
                opt::NTP => o.ntp = ipv4_list(v).unwrap_or_default(),
                opt::HOSTNAME => o.hostname = text(v),
                opt::DOMAIN_NAME => o.domain_name = text(v),
                opt::MESSAGE => o.message = text(v),
                opt::BOOTFILE => o.bootfile = text(v),
                opt::BROADCAST => o.broadcast = ipv4_one(v),
                opt::MTU => {
                    // RFC 2132 section 5.1: at least 68.
                    if let [a, b] = v {
                        let m = u16::from_be_bytes([*a, *b]);
                        o.mtu = (m >= 68).then_some(m);
                    }
                }
                opt::MAX_SIZE => {
                    if let [a, b] = v {
                        o.max_size = Some(u16::from_be_bytes([*a, *b]));
                    }
                }
                opt::LEASE_TIME => {
                    if let [a, b, c, d] = v {
                        o.lease_time = Some(u32::from_be_bytes([*a, *b, *c, *d]));
                    }
                }
                opt::CLIENT_ID => o.client_id = (!v.is_empty()).then(|| v.to_vec()),
                opt::PARAM_REQUEST => o.param_request = v.to_vec(),
                opt::DOMAIN_SEARCH => o.domain_search = parse_domain_search(v).unwrap_or_default(),
                opt::CLASSLESS_ROUTES => o.classless_routes = parse_classless_routes(v),
                _ => {}
            }
        }

        for (code, v) in merged {
            if !usable(*code, v, &o) {
                warn.push(format!(
                    "dhcp: option {code} ({} bytes) is malformed: dropped",
                    v.len()
                ));
            }
            let texts = [opt::HOSTNAME, opt::DOMAIN_NAME, opt::MESSAGE, opt::BOOTFILE];
            if texts.contains(code) && v.iter().skip_while(|&&c| c != 0).any(|&c| c != 0) {
                warn.push(format!("dhcp: option {code} is cut at its first NUL"));
            }
        }
        o
    }

    /// Appends the options in a fixed order (message type first, as RFC 2131
    /// does not require but every client does), then END.
    fn emit(&self, out: &mut Vec<u8>) {
        fn put(out: &mut Vec<u8>, code: u8, v: &[u8]) {
            // Values longer than 255 are split (RFC 3396); ours never are.
            for chunk in v.chunks(255) {
                out.push(code);
                out.push(chunk.len() as u8);
                out.extend_from_slice(chunk);
            }
        }
        if let Some(t) = self.message_type {
            put(out, opt::MESSAGE_TYPE, &[t.to_u8()]);
        }
        if let Some(id) = &self.client_id {
            put(out, opt::CLIENT_ID, id);
        }
        if let Some(ip) = self.requested_ip {
            put(out, opt::REQUESTED_IP, &ip.octets());
        }
        if let Some(ip) = self.server_id {
            put(out, opt::SERVER_ID, &ip.octets());
        }
        if let Some(m) = self.max_size {
            put(out, opt::MAX_SIZE, &m.to_be_bytes());
        }
        if let Some(h) = &self.hostname {
            put(out, opt::HOSTNAME, h.as_bytes());
        }
        if !self.param_request.is_empty() {
            put(out, opt::PARAM_REQUEST, &self.param_request);
        }
        // Server-side options, so that round trips of replies are exact.
        if let Some(l) = self.lease_time {
            put(out, opt::LEASE_TIME, &l.to_be_bytes());
        }
        if let Some(m) = self.subnet_mask {
            put(out, opt::SUBNET_MASK, &m.octets());
        }
        let list = |v: &[Ipv4Addr]| v.iter().flat_map(|a| a.octets()).collect::<Vec<u8>>();
        if !self.routers.is_empty() {
            put(out, opt::ROUTER, &list(&self.routers));
        }
        if !self.dns.is_empty() {
            put(out, opt::DNS, &list(&self.dns));
        }
        if let Some(b) = self.broadcast {
            put(out, opt::BROADCAST, &b.octets());
        }
        if let Some(d) = &self.domain_name {
            put(out, opt::DOMAIN_NAME, d.as_bytes());
        }
        if let Some(m) = self.mtu {
            put(out, opt::MTU, &m.to_be_bytes());
        }
        if let Some(routes) = &self.classless_routes {
            let mut v = Vec::new();
            for r in routes {
                let n = usize::from(r.prefix.min(32)).div_ceil(8);
                v.push(r.prefix);
                v.extend_from_slice(&r.dst.octets()[..n]);
                v.extend_from_slice(&r.gateway.octets());
            }
            put(out, opt::CLASSLESS_ROUTES, &v);
        }
        if !self.ntp.is_empty() {
            put(out, opt::NTP, &list(&self.ntp));
        }
        if !self.domain_search.is_empty() {
            // RFC 3397 without compression: each name as length-prefixed labels.
            let mut v = Vec::new();
            for name in &self.domain_search {
                for label in name.split('.').filter(|l| !l.is_empty()) {
                    let l = &label.as_bytes()[..label.len().min(63)];
                    v.push(l.len() as u8);
                    v.extend_from_slice(l);
                }
                v.push(0);
            }
            put(out, opt::DOMAIN_SEARCH, &v);
        }
        if let Some(f) = &self.bootfile {
            put(out, opt::BOOTFILE, f.as_bytes());
        }
        if let Some(m) = &self.message {
            put(out, opt::MESSAGE, m.as_bytes());
        }
        out.push(opt::END);
    }
}

impl Message {
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> Result<Message> {
        if p.htype() != 1 || p.hlen() != 6 {
            return Err(Error::malformed("dhcp hardware type"));
        }
        let mut warnings = Vec::new();
        let (merged, overload) = gather(p, &mut warnings);
        let options = Options::parse(&merged, &mut warnings);
        // An overloaded `file` holds options, not a boot file name.
        let file = if overload & OVERLOAD_FILE != 0 {
            String::new()
        } else {
            String::from_utf8_lossy(p.file()).into_owned()
        };
        Ok(Message {
            op: p.op(),
            xid: p.xid(),
            secs: p.secs(),
            flags: p.flags(),
            ciaddr: p.ciaddr(),
            yiaddr: p.yiaddr(),
            siaddr: p.siaddr(),
            giaddr: p.giaddr(),
            chaddr: p.chaddr(),
            file,
            options,
            warnings,
        })
    }

    /// The UDP payload, padded with zeros to `MIN_LEN`.
    pub fn emit(&self) -> Vec<u8> {
        let mut out = vec![0u8; OPTIONS];
        out[OP] = self.op;
        out[HTYPE] = 1;
        out[HLEN] = 6;
        out[XID].copy_from_slice(&self.xid.to_be_bytes());
        out[SECS].copy_from_slice(&self.secs.to_be_bytes());
        out[FLAGS].copy_from_slice(&self.flags.to_be_bytes());
        out[CIADDR].copy_from_slice(&self.ciaddr.octets());
        out[YIADDR].copy_from_slice(&self.yiaddr.octets());
        out[SIADDR].copy_from_slice(&self.siaddr.octets());
        out[GIADDR].copy_from_slice(&self.giaddr.octets());
        out[CHADDR].copy_from_slice(&self.chaddr);
        let file = self.file.as_bytes();
        let n = file.len().min(FILE.len() - 1);
        out[FILE.start..FILE.start + n].copy_from_slice(&file[..n]);
        out[MAGIC].copy_from_slice(&MAGIC_COOKIE);
        self.options.emit(&mut out);
        if out.len() < MIN_LEN {
            out.resize(MIN_LEN, 0);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classless_routes() {
        // RFC 3442 examples: 0/0 via 10.0.0.1, 10.17/16 via 10.0.0.2, 192.168.1.0/24 on-link
        let v = [
            0, 10, 0, 0, 1, 16, 10, 17, 10, 0, 0, 2, 24, 192, 168, 1, 0, 0, 0, 0,
        ];
        let r = parse_classless_routes(&v).unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].prefix, 0);
        assert_eq!(r[0].gateway, Ipv4Addr::new(10, 0, 0, 1));
        assert_eq!(r[1].dst, Ipv4Addr::new(10, 17, 0, 0));
        assert_eq!(r[2].dst, Ipv4Addr::new(192, 168, 1, 0));
        assert_eq!(r[2].gateway, Ipv4Addr::UNSPECIFIED);
        assert!(parse_classless_routes(&[33, 0, 0, 0, 0, 0]).is_none());
        assert!(parse_classless_routes(&[24, 10, 0]).is_none());
    }

    #[test]
    fn domain_search_with_pointers() {
        // RFC 3397 section 4: eng.apple.com. and marketing.apple.com.
        let mut v = vec![3];
        v.extend_from_slice(b"eng");
        v.push(5);
        v.extend_from_slice(b"apple");
        v.push(3);
        v.extend_from_slice(b"com");
        v.push(0);
        v.push(9);
        v.extend_from_slice(b"marketing");
        v.extend_from_slice(&[0xc0, 4]);
        assert_eq!(
            parse_domain_search(&v).unwrap(),
            vec!["eng.apple.com", "marketing.apple.com"]
        );
        // forward or self pointers are refused
        assert!(parse_domain_search(&[0xc0, 0]).is_none());
        assert!(parse_domain_search(&[1, b'a', 0xc0, 5, 0]).is_none());
    }

    #[test]
    fn truncated_and_garbage_never_panic() {
        assert!(parse(&[]).is_err());
        assert!(parse(&[0u8; 239]).is_err());
        let mut b = vec![0u8; 240];
        assert!(parse(&b).is_err(), "no cookie");
        b[1] = 1;
        b[2] = 6;
        b[236..240].copy_from_slice(&MAGIC_COOKIE);
        assert!(parse(&b).is_ok());
        b.extend_from_slice(&[53, 5, 1]);
        let m = parse(&b).unwrap();
        assert_eq!(
            m.warnings,
            ["dhcp: option 53 runs past the end of the options field: dropped"]
        );
        // every truncation and every single-byte value at every position
        let m = Message {
            op: OP_REPLY,
            options: Options {
                message_type: Some(MessageType::Ack),
                dns: vec![Ipv4Addr::LOCALHOST],
                classless_routes: Some(vec![Route {
                    dst: Ipv4Addr::UNSPECIFIED,
                    prefix: 0,
                    gateway: Ipv4Addr::LOCALHOST,
                }]),
                ..Options::default()
            },
            ..Message::default()
        }
        .emit();
        for n in 0..m.len() {
            let _ = parse(&m[..n]);
        }
        for i in 0..m.len() {
            for v in [0u8, 1, 4, 0x3f, 0xc0, 0xff] {
                let mut x = m.clone();
                x[i] = v;
                let _ = parse(&x);
            }
        }
    }

    #[test]
    fn wrong_length_options_are_ignored() {
        let mut b = Message::default().emit();
        b.truncate(240);
        b.extend_from_slice(&[54, 3, 1, 2, 3, 51, 4, 0, 0, 1, 0, 26, 2, 0, 10]);
        b.extend_from_slice(&[12, 4, b'h', 0, b'x', 0, 15, 2, b'd', 0, 255]);
        let m = parse(&b).unwrap();
        assert_eq!(
            m.warnings,
            [
                "dhcp: option 54 (3 bytes) is malformed: dropped",
                "dhcp: option 26 (2 bytes) is malformed: dropped",
                "dhcp: option 12 is cut at its first NUL",
            ]
        );
        assert_eq!(m.options.hostname.as_deref(), Some("h"));
        assert_eq!(
            m.options.domain_name.as_deref(),
            Some("d"),
            "a final NUL is fine"
        );
        assert_eq!(m.options.server_id, None);
        assert_eq!(m.options.lease_time, Some(256));
        assert_eq!(m.options.mtu, None, "mtu below 68");
    }

    /// A reply with options in the options field, then `file`, then `sname`
    /// (option 52 = 3), option 121 split over all three (RFC 3396).
    fn overloaded() -> Vec<u8> {
        let mut b = Message {
            op: OP_REPLY,
            ..Message::default()
        }
        .emit();
        b.truncate(OPTIONS);
        // 121: 10.1.0.0/16 via 10.0.0.1 | 0/0 via 10.0.0.1, cut after 3 and 9 bytes
        let routes = [16, 10, 1, 10, 0, 0, 1, 0, 10, 0, 0, 1];
        b.extend_from_slice(&[53, 1, 5, 52, 1, 3, 121, 3]);
        b.extend_from_slice(&routes[..3]);
        b.push(opt::END);
        let mut file = vec![121, 6];
        file.extend_from_slice(&routes[3..9]);
        file.extend_from_slice(&[6, 4, 10, 0, 0, 53, opt::END]);
        b[FILE][..file.len()].copy_from_slice(&file);
        let mut sname = vec![121, 3];
        sname.extend_from_slice(&routes[9..]);
        sname.extend_from_slice(&[opt::PAD, 12, 2, b'h', b'1', opt::END]);
        b[SNAME][..sname.len()].copy_from_slice(&sname);
        b
    }

    #[test]
    fn overload_reads_file_then_sname_and_joins_split_options() {
        let m = parse(&overloaded()).unwrap();
        assert_eq!(m.warnings, Vec::<String>::new());
        assert_eq!(m.file, "", "an overloaded file is not a file name");
        let o = &m.options;
        assert_eq!(o.message_type, Some(MessageType::Ack));
        assert_eq!(o.dns, vec![Ipv4Addr::new(10, 0, 0, 53)]);
        assert_eq!(o.hostname.as_deref(), Some("h1"));
        let r = o.classless_routes.as_ref().unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].dst, r[0].prefix), (Ipv4Addr::new(10, 1, 0, 0), 16));
        assert_eq!((r[1].prefix, r[1].gateway), (0, Ipv4Addr::new(10, 0, 0, 1)));
        // emit puts it all in the options field; it reads back the same
        assert_eq!(parse(&m.emit()).unwrap().options, m.options);
    }

    #[test]
    fn overload_value_decides_which_fields_are_read() {
        let mut b = overloaded();
        b[OPTIONS + 5] = OVERLOAD_FILE;
        let m = parse(&b).unwrap();
        assert_eq!(m.options.hostname, None, "sname not read");
        assert!(m.options.classless_routes.is_none());
        assert_eq!(
            m.warnings,
            ["dhcp: option 121 (9 bytes) is malformed: dropped"]
        );
        // no overload: file is a (strange) file name, sname ignored
        b[OPTIONS + 5] = 9;
        let m = parse(&b).unwrap();
        assert!(m.options.dns.is_empty());
        assert_eq!(m.file.as_bytes()[0], 121);
        assert_eq!(
            m.warnings[0],
            "dhcp: option 52 (overload) is invalid: ignored"
        );
        // option 52 inside file itself does not count (RFC 2131 section 4.1)
        let mut b = overloaded();
        b[OPTIONS + 3] = opt::PAD;
        b[OPTIONS + 4] = opt::PAD;
        b[OPTIONS + 5] = opt::PAD;
        b[FILE.start + 10..FILE.start + 13].copy_from_slice(&[52, 1, 3]);
        assert!(parse(&b).unwrap().options.hostname.is_none());
    }

    #[test]
    fn option_cut_at_the_end_of_file_is_reported() {
        let mut b = overloaded();
        // a last option in file whose length runs past byte 128
        let at = FILE.end - 3;
        b[at..FILE.end].copy_from_slice(&[15, 9, b'x']);
        // and move END out of its way
        let end = FILE.start + 14;
        b[end] = opt::PAD;
        let m = parse(&b).unwrap();
        assert_eq!(
            m.warnings,
            ["dhcp: option 15 runs past the end of the file field: dropped"]
        );
        assert_eq!(m.options.domain_name, None);
        assert!(m.options.classless_routes.is_some(), "the rest is kept");
    }
}
