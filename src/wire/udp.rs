//! UDP datagrams (RFC 768): a checked view and an emitter with the IPv4
//! pseudo-header checksum.

use crate::prelude::*;

use crate::error::{Error, Result};
use crate::wire::ipv4::{checksum, PROTO_UDP};
use core::net::Ipv4Addr;

pub const HEADER_LEN: usize = 8;

pub struct Packet<T: AsRef<[u8]>> {
    buf: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    pub fn new_checked(buf: T) -> Result<Self> {
        let b = buf.as_ref();
        if b.len() < HEADER_LEN {
            return Err(Error::truncated("udp header"));
        }
        let len = usize::from(u16::from_be_bytes([b[4], b[5]]));
        if len < HEADER_LEN || len > b.len() {
            return Err(Error::truncated("udp datagram"));
        }
        Ok(Packet { buf })
    }
    fn b(&self) -> &[u8] {
        self.buf.as_ref()
    }
    pub fn src_port(&self) -> u16 {
        u16::from_be_bytes([self.b()[0], self.b()[1]])
    }
    pub fn dst_port(&self) -> u16 {
        u16::from_be_bytes([self.b()[2], self.b()[3]])
    }
    pub fn len(&self) -> usize {
        usize::from(u16::from_be_bytes([self.b()[4], self.b()[5]]))
    }
    pub fn is_empty(&self) -> bool {
        self.len() == HEADER_LEN
    }
    /// The payload. The checksum is not verified: on veth and with checksum
    /// offload a packet socket sees datagrams whose checksum the kernel has
    /// not filled in yet (CHECKSUM_PARTIAL), and DHCP carries its own checks.
    pub fn payload(&self) -> &[u8] {
        &self.b()[HEADER_LEN..self.len()]
    }
}

/// Header plus payload, with the pseudo-header checksum filled in.
pub fn emit(
    src: Ipv4Addr,
    dst: Ipv4Addr,
    src_port: u16,
    dst_port: u16,
    payload: &[u8],
) -> Result<Vec<u8>> {
    let len =
        u16::try_from(HEADER_LEN + payload.len()).map_err(|_| Error::limit("udp datagram"))?;
    let mut out = Vec::with_capacity(usize::from(len));
    out.extend_from_slice(&src_port.to_be_bytes());
    out.extend_from_slice(&dst_port.to_be_bytes());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(payload);
    let mut pseudo = [0u8; 12];
    pseudo[..4].copy_from_slice(&src.octets());
    pseudo[4..8].copy_from_slice(&dst.octets());
    pseudo[9] = PROTO_UDP;
    pseudo[10..].copy_from_slice(&len.to_be_bytes());
    let c = checksum(&[&pseudo, &out]);
    // RFC 768: a computed zero is sent as all ones (zero means "none").
    let c = if c == 0 { 0xffff } else { c };
    out[6..8].copy_from_slice(&c.to_be_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emit_then_view_and_checksum_verifies() {
        let (s, d) = (Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 2));
        let b = emit(s, d, 68, 67, b"hello").unwrap();
        let p = Packet::new_checked(&b[..]).unwrap();
        assert_eq!(
            (p.src_port(), p.dst_port(), p.payload()),
            (68, 67, &b"hello"[..])
        );
        let mut pseudo = [0u8; 12];
        pseudo[..4].copy_from_slice(&s.octets());
        pseudo[4..8].copy_from_slice(&d.octets());
        pseudo[9] = PROTO_UDP;
        pseudo[11] = 13;
        assert_eq!(checksum(&[&pseudo, &b]), 0);
        assert!(Packet::new_checked(&b[..7]).is_err());
        assert!(
            Packet::new_checked(&b[..12]).is_err(),
            "length beyond buffer"
        );
    }
}
