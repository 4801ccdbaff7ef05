//! IPv4 headers (RFC 791), only as much as DHCP over a packet socket needs:
//! a checked view and the emitter for a header without options.

use crate::error::{Error, Result};
use core::net::Ipv4Addr;
use core::ops::Range;

type Field = Range<usize>;

const VER_IHL: usize = 0;
const LENGTH: Field = 2..4;
const FLG_OFF: Field = 6..8;
const TTL: usize = 8;
const PROTOCOL: usize = 9;
const CHECKSUM: Field = 10..12;
const SRC: Field = 12..16;
const DST: Field = 16..20;
pub const HEADER_LEN: usize = 20;
pub const PROTO_UDP: u8 = 17;

/// RFC 1071 one's-complement sum of 16-bit words, folded.
pub fn checksum(chunks: &[&[u8]]) -> u16 {
    let mut sum: u32 = 0;
    for data in chunks {
        let mut words = data.chunks_exact(2);
        for w in &mut words {
            sum += u32::from(u16::from_be_bytes([w[0], w[1]]));
        }
        if let [last] = words.remainder() {
            sum += u32::from(u16::from_be_bytes([*last, 0]));
        }
        // fold early so very long inputs cannot overflow
        sum = (sum & 0xffff) + (sum >> 16);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

pub struct Packet<T: AsRef<[u8]>> {
    buf: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Checks version, header and total lengths and the header checksum.
    pub fn new_checked(buf: T) -> Result<Self> {
        let b = buf.as_ref();
        if b.len() < HEADER_LEN {
            return Err(Error::truncated("ipv4 header"));
        }
        if b[VER_IHL] >> 4 != 4 {
            return Err(Error::malformed("ipv4 version"));
        }
        let p = Packet { buf };
        let hl = p.header_len();
        let total = usize::from(p.total_len());
        if hl < HEADER_LEN || total < hl || total > p.buf.as_ref().len() {
            return Err(Error::truncated("ipv4 packet"));
        }
        if checksum(&[&p.buf.as_ref()[..hl]]) != 0 {
            return Err(Error::malformed("ipv4 header checksum"));
        }
        Ok(p)
    }
    fn b(&self) -> &[u8] {
        self.buf.as_ref()
    }
    pub fn header_len(&self) -> usize {
        usize::from(self.b()[VER_IHL] & 0x0f) * 4
    }
    pub fn total_len(&self) -> u16 {
        u16::from_be_bytes([self.b()[LENGTH.start], self.b()[LENGTH.start + 1]])
    }
    /// More-fragments set or a non-zero offset: we do not reassemble.
    pub fn is_fragment(&self) -> bool {
        let v = u16::from_be_bytes([self.b()[FLG_OFF.start], self.b()[FLG_OFF.start + 1]]);
        v & 0x3fff != 0
    }
    pub fn protocol(&self) -> u8 {
        self.b()[PROTOCOL]
    }
    pub fn src(&self) -> Ipv4Addr {
        let s = &self.b()[SRC];
        Ipv4Addr::new(s[0], s[1], s[2], s[3])
    }
    pub fn dst(&self) -> Ipv4Addr {
        let s = &self.b()[DST];
        Ipv4Addr::new(s[0], s[1], s[2], s[3])
    }
    pub fn payload(&self) -> &[u8] {
        &self.b()[self.header_len()..usize::from(self.total_len())]
    }
}

/// Writes a 20-byte header for `payload_len` bytes of `protocol` in front
/// of `out` (which must hold at least `HEADER_LEN` bytes).
pub fn emit(
    out: &mut [u8],
    src: Ipv4Addr,
    dst: Ipv4Addr,
    protocol: u8,
    payload_len: usize,
) -> Result<()> {
    let total = u16::try_from(HEADER_LEN + payload_len).map_err(|_| Error::limit("ipv4 packet"))?;
    let h = out
        .get_mut(..HEADER_LEN)
        .ok_or_else(|| Error::truncated("ipv4 buffer"))?;
    h.fill(0);
    h[VER_IHL] = 0x45;
    h[LENGTH].copy_from_slice(&total.to_be_bytes());
    // DF is off: a DHCP message this small never fragments anyway.
    h[TTL] = 64;
    h[PROTOCOL] = protocol;
    h[SRC].copy_from_slice(&src.octets());
    h[DST].copy_from_slice(&dst.octets());
    let c = checksum(&[h]);
    h[CHECKSUM].copy_from_slice(&c.to_be_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    #[test]
    fn rfc1071_example_and_roundtrip() {
        // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2.
        assert_eq!(
            checksum(&[&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]]),
            !0xddf2
        );
        let mut b = vec![0u8; 28];
        emit(
            &mut b,
            Ipv4Addr::UNSPECIFIED,
            Ipv4Addr::BROADCAST,
            PROTO_UDP,
            8,
        )
        .unwrap();
        let p = Packet::new_checked(&b[..]).unwrap();
        assert_eq!(
            (p.protocol(), p.dst(), p.payload().len()),
            (PROTO_UDP, Ipv4Addr::BROADCAST, 8)
        );
        assert!(!p.is_fragment());
        b[12] ^= 1;
        assert!(Packet::new_checked(&b[..]).is_err(), "bad checksum");
        assert!(Packet::new_checked(&b[..19]).is_err());
    }
}
