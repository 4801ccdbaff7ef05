//! DNS messages (RFC 1035), just enough for a stub resolver asking one `A`
//! question: build the query, check that a reply answers it, follow CNAMEs.
//!
//! `labels` is the one reader of wire-format names, also used for DHCP
//! option 119 (RFC 3397). A compression pointer must point strictly before
//! the start of the run of labels that holds it (not merely before the
//! pointer itself: `[2,'a','b',0xC0,12]` at offset 12 would cycle), so every
//! jump lowers that bound and decoding ends after at most one pass per
//! byte; the 255-octet name cap bounds the output.

use crate::prelude::*;

use crate::error::{Error, Result};
use core::net::Ipv4Addr;
use core::ops::Range;

type Field = Range<usize>;

const ID: Field = 0..2;
const FLAGS: Field = 2..4;
const QDCOUNT: Field = 4..6;
const ANCOUNT: Field = 6..8;
pub const HEADER_LEN: usize = 12;

const FLAG_QR: u16 = 0x8000;
const FLAG_TC: u16 = 0x0200;
const FLAG_RD: u16 = 0x0100;
const OPCODE_MASK: u16 = 0x7800;
const RCODE_MASK: u16 = 0x000f;

pub const TYPE_A: u16 = 1;
pub const TYPE_CNAME: u16 = 5;
pub const TYPE_AAAA: u16 = 28;
pub const CLASS_IN: u16 = 1;

pub const RCODE_NXDOMAIN: u8 = 3;

/// RFC 1035 2.3.4: names are at most 255 octets on the wire, labels 63.
const MAX_NAME: usize = 255;
const MAX_LABEL: usize = 63;
/// A reply we accept over UDP without EDNS is at most 512 bytes; allow some
/// slack for servers that ignore that, but bound the record walk anyway.
const MAX_RECORDS: usize = 64;
/// CNAME hops followed inside one answer.
const MAX_CNAME_HOPS: usize = 8;

/// A view over a DNS message whose 12-byte header is known to be present.
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    pub fn new_checked(buffer: T) -> Result<Self> {
        if buffer.as_ref().len() < HEADER_LEN {
            return Err(Error::truncated("dns header"));
        }
        Ok(Packet { buffer })
    }
    fn u16_at(&self, f: Field) -> u16 {
        let b = &self.buffer.as_ref()[f];
        u16::from_be_bytes([b[0], b[1]])
    }
    pub fn id(&self) -> u16 {
        self.u16_at(ID)
    }
    pub fn flags(&self) -> u16 {
        self.u16_at(FLAGS)
    }
    pub fn is_response(&self) -> bool {
        self.flags() & FLAG_QR != 0
    }
    pub fn truncated(&self) -> bool {
        self.flags() & FLAG_TC != 0
    }
    pub fn opcode(&self) -> u8 {
        ((self.flags() & OPCODE_MASK) >> 11) as u8
    }
    pub fn rcode(&self) -> u8 {
        (self.flags() & RCODE_MASK) as u8
    }
    pub fn qdcount(&self) -> u16 {
        self.u16_at(QDCOUNT)
    }
    pub fn ancount(&self) -> u16 {
        self.u16_at(ANCOUNT)
    }
    pub fn bytes(&self) -> &[u8] {
        self.buffer.as_ref()
    }
}

/// What a reply that really answers our question says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// A records of the name, after following any CNAME chain.
    Addrs(Vec<Ipv4Addr>),
    /// AAAA records of the name (a query for TYPE_AAAA).
    Addrs6(Vec<core::net::Ipv6Addr>),
    /// NXDOMAIN: the name does not exist (final).
    NoName,
    /// The name exists but has no A record (or the CNAME chain ends outside the answer).
    NoData,
    /// TC set: the answer did not fit; we do not speak DNS over TCP.
    Truncated,
    /// SERVFAIL, REFUSED and friends: worth asking another server.
    ServerError(u8),
}

/// Lower-cases and strips one trailing dot; checks label and name lengths.
fn canonical(name: &str) -> Result<String> {
    let n = name.strip_suffix('.').unwrap_or(name);
    if n.is_empty() || n.len() + 2 > MAX_NAME {
        return Err(Error::malformed("dns name length"));
    }
    for label in n.split('.') {
        if label.is_empty() || label.len() > MAX_LABEL {
            return Err(Error::malformed("dns label length"));
        }
        // Host names only (RFC 1123 letters, digits, hyphen; underscore tolerated).
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(Error::malformed("dns name character"));
        }
    }
    Ok(n.to_ascii_lowercase())
}

/// A standard query, recursion desired, for the A record of `name`.
pub fn build_query(id: u16, name: &str) -> Result<Vec<u8>> {
    build_query_for(id, name, TYPE_A)
}

/// The same for record type `qtype` (TYPE_A or TYPE_AAAA).
pub fn build_query_for(id: u16, name: &str, qtype: u16) -> Result<Vec<u8>> {
    let name = canonical(name)?;
    let mut q = Vec::with_capacity(HEADER_LEN + name.len() + 6);
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&FLAG_RD.to_be_bytes());
    q.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]); // QD=1, AN=NS=AR=0
    for label in name.split('.') {
        // canonical() bounded each label to 63 bytes, so the cast is exact.
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.push(0);
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&CLASS_IN.to_be_bytes());
    Ok(q)
}

/// Reads the (possibly compressed) name at `pos` of `msg` (a whole DNS
/// message, or a whole DHCP option 119 value): its labels as raw bytes, and
/// the offset just after the name in the uncompressed stream. Pointers go
/// strictly backwards from the start of the current run of labels; the name
/// is at most 255 octets on the wire (RFC 1035 2.3.4).
pub fn labels(msg: &[u8], pos: usize) -> Result<(Vec<&[u8]>, usize)> {
    let mut out: Vec<&[u8]> = Vec::new();
    let mut wire = 1; // the root label
    let mut at = pos;
    // Where the current run of labels started: a pointer must go before it.
    let mut run_start = pos;
    // Where parsing resumes once the name ends: set by the first pointer.
    let mut resume = None;
    loop {
        let len = *msg.get(at).ok_or_else(|| Error::truncated("dns name"))?;
        match len & 0xc0 {
            0x00 if len == 0 => return Ok((out, resume.unwrap_or(at + 1))),
            0x00 => {
                let start = at + 1;
                let end = start + len as usize;
                let label = msg
                    .get(start..end)
                    .ok_or_else(|| Error::truncated("dns label"))?;
                wire += 1 + label.len();
                if wire > MAX_NAME {
                    return Err(Error::limit("dns name longer than 255"));
                }
                out.push(label);
                at = end;
            }
            0xc0 => {
                let lo = *msg
                    .get(at + 1)
                    .ok_or_else(|| Error::truncated("dns pointer"))?;
                let target = (((len & 0x3f) as usize) << 8) | lo as usize;
                // Strictly before this run: every jump lowers `run_start`.
                if target >= run_start {
                    return Err(Error::malformed("dns forward compression pointer"));
                }
                resume.get_or_insert(at + 2);
                run_start = target;
                at = target;
            }
            _ => return Err(Error::malformed("dns label type")),
        }
    }
}

/// The name at `pos`, lower-cased with dots, and the offset after it.
fn read_name(msg: &[u8], pos: usize) -> Result<(String, usize)> {
    let (labels, end) = labels(msg, pos)?;
    let mut name = String::new();
    for label in labels {
        if !name.is_empty() {
            name.push('.');
        }
        // Non-ASCII bytes cannot match a host name we asked for;
        // map them to '?' so the comparison simply fails.
        name.extend(label.iter().map(|&b| {
            if b.is_ascii_graphic() && b != b'.' {
                b.to_ascii_lowercase() as char
            } else {
                '?'
            }
        }));
    }
    Ok((name, end))
}

fn u16_at(msg: &[u8], pos: usize) -> Result<u16> {
    let b = msg
        .get(pos..pos + 2)
        .ok_or_else(|| Error::truncated("dns field"))?;
    Ok(u16::from_be_bytes([b[0], b[1]]))
}

/// One resource record of the answer section, the parts we use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub name: String,
    pub rtype: u16,
    pub class: u16,
    pub data: RecordData,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordData {
    A(Ipv4Addr),
    Aaaa(core::net::Ipv6Addr),
    Cname(String),
    Other,
}

/// Iterator over the answer records; stops (with an error) at the first
/// malformed one.
struct Records<'a> {
    msg: &'a [u8],
    pos: usize,
    left: usize,
}

impl Iterator for Records<'_> {
    type Item = Result<Record>;
    fn next(&mut self) -> Option<Result<Record>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let r = self.parse_one();
        if r.is_err() {
            self.left = 0;
        }
        Some(r)
    }
}

impl Records<'_> {
    fn parse_one(&mut self) -> Result<Record> {
        let msg = self.msg;
        let (name, p) = read_name(msg, self.pos)?;
        let rtype = u16_at(msg, p)?;
        let class = u16_at(msg, p + 2)?;
        // p + 4..p + 8 is the TTL, which a one-shot stub has no use for.
        let rdlen = u16_at(msg, p + 8)? as usize;
        let rd_start = p + 10;
        let rd_end = rd_start
            .checked_add(rdlen)
            .filter(|&e| e <= msg.len())
            .ok_or_else(|| Error::truncated("dns rdata"))?;
        let data = match (rtype, class) {
            (TYPE_A, CLASS_IN) => {
                let b = &msg[rd_start..rd_end];
                if b.len() != 4 {
                    return Err(Error::malformed("dns a record length"));
                }
                RecordData::A(Ipv4Addr::new(b[0], b[1], b[2], b[3]))
            }
            (TYPE_AAAA, CLASS_IN) => {
                let b: [u8; 16] = msg[rd_start..rd_end]
                    .try_into()
                    .map_err(|_| Error::malformed("dns aaaa record length"))?;
                RecordData::Aaaa(b.into())
            }
            (TYPE_CNAME, CLASS_IN) => {
                let (target, end) = read_name(msg, rd_start)?;
                if end != rd_end {
                    return Err(Error::malformed("dns cname length"));
                }
                RecordData::Cname(target)
            }
            _ => RecordData::Other,
        };
        self.pos = rd_end;
        Ok(Record {
            name,
            rtype,
            class,
            data,
        })
    }
}

/// Checks that `bytes` is the reply to our query `id` for the A record of
/// `name`, and says what it answers. An `Err` means "not a reply to us or
/// unusable": the caller drops it and keeps waiting (it may be spoofed).
pub fn parse_response(bytes: &[u8], id: u16, name: &str) -> Result<Reply> {
    parse_response_for(bytes, id, name, TYPE_A)
}

/// The same for a query of record type `qtype`.
pub fn parse_response_for(bytes: &[u8], id: u16, name: &str, qtype: u16) -> Result<Reply> {
    let want = canonical(name)?;
    let p = Packet::new_checked(bytes)?;
    if p.id() != id {
        return Err(Error::malformed("dns reply id mismatch"));
    }
    if !p.is_response() || p.opcode() != 0 {
        return Err(Error::malformed("dns reply: not a standard response"));
    }
    if p.truncated() {
        return Ok(Reply::Truncated);
    }
    // The question must be echoed exactly (RFC 5452 section 9.1).
    if p.qdcount() != 1 {
        return Err(Error::malformed("dns reply question count"));
    }
    let (qname, pos) = read_name(bytes, HEADER_LEN)?;
    if qname != want || u16_at(bytes, pos)? != qtype || u16_at(bytes, pos + 2)? != CLASS_IN {
        return Err(Error::malformed("dns reply to another question"));
    }
    match p.rcode() {
        0 => {}
        RCODE_NXDOMAIN => return Ok(Reply::NoName),
        rc => return Ok(Reply::ServerError(rc)),
    }
    let count = p.ancount() as usize;
    if count > MAX_RECORDS {
        return Err(Error::limit("dns answer count"));
    }
    let records = Records {
        msg: bytes,
        pos: pos + 4,
        left: count,
    }
    .collect::<Result<Vec<_>>>()?;
    Ok(follow(&records, &want))
}

/// Follows the CNAME chain from `name` through `records` (in any order) to
/// its A records; bounded, so a CNAME cycle just ends in NoData.
pub fn follow(records: &[Record], name: &str) -> Reply {
    let mut current = name.to_string();
    for _ in 0..=MAX_CNAME_HOPS {
        let addrs: Vec<Ipv4Addr> = records
            .iter()
            .filter(|r| r.name == current)
            .filter_map(|r| match r.data {
                RecordData::A(a) => Some(a),
                _ => None,
            })
            .collect();
        if !addrs.is_empty() {
            return Reply::Addrs(addrs);
        }
        let addrs6: Vec<_> = records
            .iter()
            .filter(|r| r.name == current)
            .filter_map(|r| match r.data {
                RecordData::Aaaa(a) => Some(a),
                _ => None,
            })
            .collect();
        if !addrs6.is_empty() {
            return Reply::Addrs6(addrs6);
        }
        let next = records.iter().find_map(|r| match &r.data {
            RecordData::Cname(t) if r.name == current => Some(t.clone()),
            _ => None,
        });
        match next {
            Some(t) => current = t,
            None => return Reply::NoData,
        }
    }
    Reply::NoData
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reply to `build_query(id, qname)` with extra raw answer bytes.
    fn reply(id: u16, flags: u16, qname: &str, ancount: u16, answers: &[u8]) -> Vec<u8> {
        let mut m = build_query(id, qname).unwrap();
        m[2..4].copy_from_slice(&flags.to_be_bytes());
        m[6..8].copy_from_slice(&ancount.to_be_bytes());
        m.extend_from_slice(answers);
        m
    }

    /// RR header with a pointer owner name.
    fn rr(owner_ptr: u16, rtype: u16, rdata: &[u8]) -> Vec<u8> {
        let mut v = (0xc000 | owner_ptr).to_be_bytes().to_vec();
        v.extend_from_slice(&rtype.to_be_bytes());
        v.extend_from_slice(&CLASS_IN.to_be_bytes());
        v.extend_from_slice(&300u32.to_be_bytes());
        v.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        v.extend_from_slice(rdata);
        v
    }

    #[test]
    fn query_golden_bytes() {
        // Hand-checked against RFC 1035 4.1.1 / 4.1.2: id 0x1234, RD, one
        // question, "seed.example" A IN.
        let q = build_query(0x1234, "Seed.Example.").unwrap();
        let want: &[u8] = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\
            \x04seed\x07example\x00\x00\x01\x00\x01";
        assert_eq!(q, want);
    }

    #[test]
    fn query_rejects_bad_names() {
        assert!(build_query(1, "").is_err());
        assert!(build_query(1, "a..b").is_err());
        assert!(build_query(1, &"a".repeat(64)).is_err());
        assert!(build_query(1, &["abcdefghi"; 26].join(".")).is_err());
        assert!(build_query(1, "a b").is_err());
        assert!(build_query(1, &["a"; 126].join(".")).is_ok());
    }

    /// Real dnsmasq 2.90 replies, captured on loopback with `--local=/example.test/
    /// --host-record=seed.example.test,10.0.2.2 --cname=www.example.test,seed.example.test`,
    /// to `build_query(0xbeef, "www.example.test")` (CNAME, then A with a
    /// pointer into the CNAME's rdata) ...
    const DNSMASQ_CNAME_REPLY: &[u8] = b"\xbe\xef\x85\x80\x00\x01\x00\x02\x00\x00\x00\x00\
        \x03www\x07example\x04test\x00\x00\x01\x00\x01\
        \xc0\x0c\x00\x05\x00\x01\x00\x00\x00\x00\x00\x13\x04seed\x07example\x04test\x00\
        \xc0\x2e\x00\x01\x00\x01\x00\x00\x00\x00\x00\x04\x0a\x00\x02\x02";
    /// ... and to `build_query(0x1234, "nope.example.test")` (NXDOMAIN, authoritative).
    const DNSMASQ_NXDOMAIN_REPLY: &[u8] = b"\x12\x34\x81\x83\x00\x01\x00\x00\x00\x00\x00\x00\
        \x04nope\x07example\x04test\x00\x00\x01\x00\x01";

    #[test]
    fn dnsmasq_captures() {
        let r = DNSMASQ_CNAME_REPLY;
        assert_eq!(
            parse_response(r, 0xbeef, "www.example.test").unwrap(),
            Reply::Addrs(vec![Ipv4Addr::new(10, 0, 2, 2)])
        );
        // dnsmasq echoed our question byte for byte.
        let q = build_query(0xbeef, "www.example.test").unwrap();
        assert_eq!(&r[HEADER_LEN..q.len()], &q[HEADER_LEN..]);
        assert!(parse_response(r, 0xbeee, "www.example.test").is_err());
        assert!(parse_response(r, 0xbeef, "seed.example.test").is_err());
        for cut in 0..r.len() {
            assert!(parse_response(&r[..cut], 0xbeef, "www.example.test").is_err());
        }
        assert_eq!(
            parse_response(DNSMASQ_NXDOMAIN_REPLY, 0x1234, "nope.example.test").unwrap(),
            Reply::NoName
        );
        let p = Packet::new_checked(r).unwrap();
        assert!(p.is_response() && !p.truncated());
        assert_eq!((p.qdcount(), p.ancount(), p.rcode()), (1, 2, 0));
    }

    #[test]
    fn dnsmasq_capture_mutations_never_panic() {
        for i in 0..DNSMASQ_CNAME_REPLY.len() {
            for v in [0x00, 0x01, 0x3f, 0x40, 0x80, 0xc0, 0xff] {
                let mut m = DNSMASQ_CNAME_REPLY.to_vec();
                m[i] = v;
                let _ = parse_response(&m, 0xbeef, "www.example.test");
            }
        }
    }

    #[test]
    fn a_record_with_pointer() {
        let ans = rr(12, TYPE_A, &[10, 0, 2, 2]);
        let m = reply(7, 0x8180, "h.test", 1, &ans);
        assert_eq!(
            parse_response(&m, 7, "H.test").unwrap(),
            Reply::Addrs(vec![Ipv4Addr::new(10, 0, 2, 2)])
        );
    }

    #[test]
    fn cname_chain_in_any_order() {
        // www.test -> a.test -> 10.9.8.7; the A record comes first.
        let mut ans = Vec::new();
        let qlen = HEADER_LEN; // question name "www.test" starts at 12
        let mut a_name = b"\x01a".to_vec(); // "a" + pointer to "test" (offset 16)
        a_name.extend_from_slice(&(0xc000u16 | 16).to_be_bytes());
        // CNAME record www.test -> a.test: rdata holds its own name.
        let first_rr_at = 12 + 10 + 4; // header + "\x03www\x04test\x00" + qtype/qclass
        let cname = rr(qlen as u16, TYPE_CNAME, &a_name);
        // The A record's owner points at the CNAME's rdata ("a.test").
        let a_rdata_at = first_rr_at + 12;
        let a = rr(a_rdata_at as u16, TYPE_A, &[10, 9, 8, 7]);
        ans.extend_from_slice(&cname);
        ans.extend_from_slice(&a);
        let m = reply(9, 0x8180, "www.test", 2, &ans);
        assert_eq!(
            parse_response(&m, 9, "www.test").unwrap(),
            Reply::Addrs(vec![Ipv4Addr::new(10, 9, 8, 7)])
        );
        // A dangling CNAME is NoData, not an error.
        let m = reply(9, 0x8180, "www.test", 1, &cname);
        assert_eq!(parse_response(&m, 9, "www.test").unwrap(), Reply::NoData);
    }

    #[test]
    fn cname_cycle_ends() {
        let recs = vec![
            Record {
                name: "a".into(),
                rtype: TYPE_CNAME,
                class: CLASS_IN,
                data: RecordData::Cname("b".into()),
            },
            Record {
                name: "b".into(),
                rtype: TYPE_CNAME,
                class: CLASS_IN,
                data: RecordData::Cname("a".into()),
            },
        ];
        assert_eq!(follow(&recs, "a"), Reply::NoData);
    }

    #[test]
    fn rejects_foreign_replies() {
        let ans = rr(12, TYPE_A, &[1, 2, 3, 4]);
        let m = reply(7, 0x8180, "h.test", 1, &ans);
        assert!(parse_response(&m, 8, "h.test").is_err(), "id mismatch");
        assert!(parse_response(&m, 7, "other.test").is_err(), "question");
        let q = build_query(7, "h.test").unwrap();
        assert!(
            parse_response(&q, 7, "h.test").is_err(),
            "a query, not a reply"
        );
        let mut wrong_type = m.clone();
        wrong_type[12 + 8 + 1] = 28; // qtype AAAA
        assert!(parse_response(&wrong_type, 7, "h.test").is_err());
    }

    #[test]
    fn rcode_and_tc() {
        let m = reply(7, 0x8183, "h.test", 0, &[]);
        assert_eq!(parse_response(&m, 7, "h.test").unwrap(), Reply::NoName);
        let m = reply(7, 0x8182, "h.test", 0, &[]);
        assert_eq!(
            parse_response(&m, 7, "h.test").unwrap(),
            Reply::ServerError(2)
        );
        let m = reply(7, 0x8380, "h.test", 0, &[]);
        assert_eq!(parse_response(&m, 7, "h.test").unwrap(), Reply::Truncated);
    }

    #[test]
    fn pointers_only_backwards() {
        // Owner name pointer to itself, and one pointing forwards.
        let at = 12 + 8 + 4; // "\x01h\x04test\x00" = 8 bytes
        for target in [at as u16, at as u16 + 2] {
            let ans = rr(target, TYPE_A, &[1, 2, 3, 4]);
            let m = reply(7, 0x8180, "h.test", 1, &ans);
            assert!(parse_response(&m, 7, "h.test").is_err());
        }
        // Pointer chain that walks backwards many times still terminates.
        let mut m = reply(7, 0x8180, "h.test", 0, &[]);
        for _ in 0..40 {
            let here = m.len() as u16;
            m.extend_from_slice(&(0xc000 | (here - 2)).to_be_bytes());
        }
        // ... down to the qclass bytes, whose 0x00 reads as the root name.
        assert_eq!(
            read_name(&m, m.len() - 2).unwrap(),
            (String::new(), m.len())
        );
    }

    #[test]
    fn pointer_into_its_own_run_is_refused() {
        // [2,'a','b',0xC0,12] at offset 12: the pointer (at 15) points
        // backwards, but into the run it belongs to, which would cycle.
        let mut m = vec![0u8; 12];
        m.extend_from_slice(&[2, b'a', b'b', 0xc0, 12]);
        assert!(matches!(read_name(&m, 12), Err(Error::Malformed { .. })));
        // The same labels reached through a pointer from a later name are fine.
        let mut m = vec![0u8; 12];
        m.extend_from_slice(&[2, b'a', b'b', 0, 1, b'c', 0xc0, 12]);
        assert_eq!(read_name(&m, 16).unwrap(), ("c.ab".to_string(), 20));
        // A pointer to a pointer before it, which points into its own run.
        let mut m = vec![0u8; 12];
        m.extend_from_slice(&[1, b'x', 0xc0, 14, 0xc0, 12]);
        assert!(read_name(&m, 16).is_err());
        // 255 octets on the wire at most: 127 labels of one byte is 255.
        let mut m = vec![0u8; 12];
        for _ in 0..128 {
            m.extend_from_slice(&[1, b'a']);
        }
        m.push(0);
        assert!(matches!(read_name(&m, 12), Err(Error::Limit { .. })));
        m.truncate(m.len() - 3);
        m.push(0);
        assert_eq!(read_name(&m, 12).unwrap().0.len(), 127 * 2 - 1);
    }

    #[test]
    fn truncations_are_errors() {
        let ans = rr(12, TYPE_A, &[1, 2, 3, 4]);
        let m = reply(7, 0x8180, "h.test", 1, &ans);
        for cut in 0..m.len() {
            assert!(parse_response(&m[..cut], 7, "h.test").is_err(), "{cut}");
        }
        let mut bad_len = m.clone();
        let n = bad_len.len();
        bad_len[n - 5] = 5; // rdlength 5 for an A record
        assert!(parse_response(&bad_len, 7, "h.test").is_err());
        let mut many = m.clone();
        many[6..8].copy_from_slice(&1000u16.to_be_bytes());
        assert!(parse_response(&many, 7, "h.test").is_err());
    }

    #[test]
    fn garbage_never_panics() {
        // xorshift: deterministic pseudo-random packets, some with a valid prefix.
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        let base = reply(7, 0x8180, "h.test", 1, &rr(12, TYPE_A, &[1, 2, 3, 4]));
        for _ in 0..20_000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let len = (s % 80) as usize;
            let mut buf: Vec<u8> = (0..len)
                .map(|i| (s.rotate_left(i as u32 * 7) >> 3) as u8)
                .collect();
            if s & 1 == 0 && len > 0 {
                let k = len.min(base.len());
                buf[..k].copy_from_slice(&base[..k]);
                let i = (s >> 8) as usize % k;
                buf[i] = (s >> 16) as u8;
            }
            let _ = parse_response(&buf, 7, "h.test");
        }
    }
}
