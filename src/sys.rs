//! The thin OS layer: the only place with `unsafe`, and the only reader of the
//! clock and the entropy pool.

use crate::time::Instant;

/// clock_gettime(CLOCK_MONOTONIC), in milliseconds: immune to wall-clock jumps.
pub fn now() -> Instant {
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    Instant::from_millis(ts.tv_sec as u64 * 1000 + ts.tv_nsec as u64 / 1_000_000)
}

/// getrandom(GRND_NONBLOCK): early boot may not have entropy yet and we must
/// never block on it, so fall back to mixing the clock and pid.
pub fn random_u32() -> u32 {
    let mut buf = [0u8; 4];
    match rustix::rand::getrandom(&mut buf, rustix::rand::GetRandomFlags::NONBLOCK) {
        Ok(4) => u32::from_ne_bytes(buf),
        _ => {
            let ts = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
            let pid = rustix::process::getpid().as_raw_nonzero().get() as u32;
            (ts.tv_nsec as u32).rotate_left(13) ^ (ts.tv_sec as u32).wrapping_mul(0x9e37_79b9) ^ pid
        }
    }
}

use rustix::fd::{BorrowedFd, OwnedFd};
use rustix::net::addr::{SocketAddrArg, SocketAddrLen, SocketAddrOpaque};
use rustix::net::{AddressFamily, SocketFlags, SocketType};
use std::io;
use std::time::Duration;

/// `ETH_P_IP`, host order.
pub const ETH_P_IP: u16 = 0x0800;

/// `struct sockaddr_ll` (packet(7)), which rustix 1.x does not provide.
#[repr(C)]
struct SockaddrLl {
    family: u16,
    protocol: u16,
    ifindex: i32,
    hatype: u16,
    pkttype: u8,
    halen: u8,
    addr: [u8; 8],
}

/// A link-layer address for an `AF_PACKET` socket: an interface, and for
/// sending, the destination hardware address.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct LinkAddr {
    pub ifindex: u32,
    /// EtherType, host order.
    pub protocol: u16,
    pub mac: [u8; 6],
}

// SAFETY: `with_sockaddr` passes a pointer to a fully initialised
// `sockaddr_ll` that lives on the stack for the whole call of `f`, with its
// exact size as the length, which is what the kernel reads for AF_PACKET.
#[allow(unsafe_code)]
unsafe impl SocketAddrArg for LinkAddr {
    unsafe fn with_sockaddr<R>(
        &self,
        f: impl FnOnce(*const SocketAddrOpaque, SocketAddrLen) -> R,
    ) -> R {
        let mut addr = [0u8; 8];
        addr[..6].copy_from_slice(&self.mac);
        let sll = SockaddrLl {
            family: AddressFamily::PACKET.as_raw(),
            protocol: self.protocol.to_be(),
            ifindex: self.ifindex as i32,
            hatype: 0,
            pkttype: 0,
            halen: 6,
            addr,
        };
        f(
            (&sll as *const SockaddrLl).cast(),
            std::mem::size_of::<SockaddrLl>() as SocketAddrLen,
        )
    }
}

/// `socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP))` bound to one interface,
/// non-blocking. SOCK_DGRAM: the kernel writes and strips the link header
/// (we only ever send to the broadcast MAC), so no Ethernet code is needed
/// and any link type with a broadcast address works.
pub fn packet_socket(ifindex: u32) -> io::Result<OwnedFd> {
    let fd = rustix::net::socket_with(
        AddressFamily::PACKET,
        SocketType::DGRAM,
        SocketFlags::CLOEXEC | SocketFlags::NONBLOCK,
        Some(rustix::net::eth::IP),
    )?;
    let addr = LinkAddr {
        ifindex,
        protocol: ETH_P_IP,
        mac: [0; 6],
    };
    rustix::net::bind(&fd, &addr)?;
    Ok(fd)
}

/// `sendto(fd, buf, 0, sockaddr_ll)` to the link's broadcast address.
pub fn packet_broadcast(fd: BorrowedFd<'_>, ifindex: u32, buf: &[u8]) -> io::Result<usize> {
    let addr = LinkAddr {
        ifindex,
        protocol: ETH_P_IP,
        mac: [0xff; 6],
    };
    Ok(rustix::net::sendto(
        fd,
        buf,
        rustix::net::SendFlags::empty(),
        &addr,
    )?)
}

/// `socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)` bound to `groups`, non-blocking.
pub fn netlink_socket(groups: u32) -> io::Result<OwnedFd> {
    let fd = rustix::net::socket_with(
        AddressFamily::NETLINK,
        SocketType::RAW,
        SocketFlags::CLOEXEC | SocketFlags::NONBLOCK,
        None, // NETLINK_ROUTE is protocol 0
    )?;
    rustix::net::bind(
        &fd,
        &rustix::net::netlink::SocketAddrNetlink::new(0, groups),
    )?;
    Ok(fd)
}

/// `send(fd, buf, 0)`.
pub fn send(fd: BorrowedFd<'_>, buf: &[u8]) -> io::Result<usize> {
    Ok(rustix::net::send(fd, buf, rustix::net::SendFlags::empty())?)
}

/// `recv(fd, buf, MSG_DONTWAIT)`: `Ok(None)` when nothing is queued.
pub fn recv(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<Option<usize>> {
    match rustix::net::recv(fd, &mut *buf, rustix::net::RecvFlags::DONTWAIT) {
        Ok((n, _)) => Ok(Some(n)),
        Err(rustix::io::Errno::AGAIN) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// `poll(fds, n, timeout)` for readability; returns which fds are readable
/// (all false on timeout). EINTR counts as a timeout: callers loop on their
/// deadline anyway.
pub fn poll_readable(fds: &[BorrowedFd<'_>], timeout: Duration) -> io::Result<Vec<bool>> {
    use rustix::event::{PollFd, PollFlags};
    let mut pfds: Vec<PollFd<'_>> = fds
        .iter()
        .map(|fd| PollFd::new(fd, PollFlags::IN))
        .collect();
    let ts = rustix::time::Timespec {
        tv_sec: timeout.as_secs().min(i64::MAX as u64) as i64,
        tv_nsec: i64::from(timeout.subsec_nanos()),
    };
    match rustix::event::poll(&mut pfds, Some(&ts)) {
        Ok(_) => {}
        Err(rustix::io::Errno::INTR) => return Ok(vec![false; fds.len()]),
        Err(e) => return Err(e.into()),
    }
    Ok(pfds
        .iter()
        .map(|p| !(p.revents() & (PollFlags::IN | PollFlags::ERR | PollFlags::HUP)).is_empty())
        .collect())
}
