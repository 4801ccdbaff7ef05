//! TCP and UDP sockets over rustix: what `std::net` gave the fetchers, with
//! the same method names. Connecting with a deadline is `net::happy`'s job.

use super::io::{self, Read, Write};
use core::net::SocketAddr;
use core::time::Duration;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::net::{sockopt, AddressFamily, RecvFlags, SendFlags, SocketFlags, SocketType};

/// A connected TCP socket.
#[derive(Debug)]
pub struct TcpStream {
    fd: OwnedFd,
}

impl From<OwnedFd> for TcpStream {
    fn from(fd: OwnedFd) -> TcpStream {
        TcpStream { fd }
    }
}

impl AsFd for TcpStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl TcpStream {
    /// setsockopt(TCP_NODELAY).
    pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
        Ok(sockopt::set_tcp_nodelay(&self.fd, on)?)
    }
    /// setsockopt(SO_RCVTIMEO).
    pub fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        Ok(sockopt::set_socket_timeout(
            &self.fd,
            sockopt::Timeout::Recv,
            t,
        )?)
    }
    /// setsockopt(SO_SNDTIMEO).
    pub fn set_write_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        Ok(sockopt::set_socket_timeout(
            &self.fd,
            sockopt::Timeout::Send,
            t,
        )?)
    }
    /// getpeername(2).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        let a = rustix::net::getpeername(&self.fd)?.ok_or(io::ErrorKind::InvalidInput)?;
        SocketAddr::try_from(a).map_err(|_| io::ErrorKind::InvalidInput.into())
    }
}

impl Read for TcpStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(rustix::io::read(&self.fd, buf)?)
    }
}

impl Write for TcpStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // MSG_NOSIGNAL: a peer that closed gives EPIPE, not SIGPIPE.
        Ok(rustix::net::send(&self.fd, buf, SendFlags::NOSIGNAL)?)
    }
}

/// A UDP socket.
#[derive(Debug)]
pub struct UdpSocket {
    fd: OwnedFd,
}

impl AsFd for UdpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl UdpSocket {
    /// socket(AF_INET or AF_INET6, SOCK_DGRAM|SOCK_CLOEXEC) + bind(addr).
    pub fn bind<A: Into<SocketAddr>>(addr: A) -> io::Result<UdpSocket> {
        let addr = addr.into();
        let family = match addr {
            SocketAddr::V4(_) => AddressFamily::INET,
            SocketAddr::V6(_) => AddressFamily::INET6,
        };
        let fd = rustix::net::socket_with(family, SocketType::DGRAM, SocketFlags::CLOEXEC, None)?;
        rustix::net::bind(&fd, &addr)?;
        Ok(UdpSocket { fd })
    }
    pub fn connect(&self, addr: SocketAddr) -> io::Result<()> {
        Ok(rustix::net::connect(&self.fd, &addr)?)
    }
    pub fn set_nonblocking(&self, on: bool) -> io::Result<()> {
        Ok(rustix::io::ioctl_fionbio(&self.fd, on)?)
    }
    /// setsockopt(SO_RCVTIMEO).
    pub fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        Ok(sockopt::set_socket_timeout(
            &self.fd,
            sockopt::Timeout::Recv,
            t,
        )?)
    }
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        Ok(rustix::net::send(&self.fd, buf, SendFlags::empty())?)
    }
    pub fn send_to<A: Into<SocketAddr>>(&self, buf: &[u8], to: A) -> io::Result<usize> {
        Ok(rustix::net::sendto(
            &self.fd,
            buf,
            SendFlags::empty(),
            &to.into(),
        )?)
    }
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(rustix::net::recv(&self.fd, buf, RecvFlags::empty())?.0)
    }
}
