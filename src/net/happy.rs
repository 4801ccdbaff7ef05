//! TCP connect over a list of addresses, RFC 8305 simplified: the first
//! address (IPv6 when there is one; `Resolver::resolve_all` orders them) is
//! tried at once, each next one after a Connection Attempt Delay while the
//! earlier ones keep trying, and the first to connect wins. All inside the
//! caller's bound.

use crate::prelude::*;

use crate::os::io;
use crate::os::net::TcpStream;
use crate::sys;
use crate::time::Deadline;
use core::net::SocketAddr;
use core::time::Duration;
use rustix::event::{PollFd, PollFlags};
use rustix::fd::OwnedFd;
use rustix::net::{AddressFamily, SocketFlags, SocketType};

/// RFC 8305 section 5 recommends 250 ms.
pub const CONNECTION_ATTEMPT_DELAY: Duration = Duration::from_millis(250);

/// `socket` + non-blocking `connect`: the socket while the handshake runs.
fn start(addr: &SocketAddr) -> io::Result<OwnedFd> {
    let family = match addr {
        SocketAddr::V4(_) => AddressFamily::INET,
        SocketAddr::V6(_) => AddressFamily::INET6,
    };
    let fd = rustix::net::socket_with(
        family,
        SocketType::STREAM,
        SocketFlags::CLOEXEC | SocketFlags::NONBLOCK,
        None,
    )?;
    match rustix::net::connect(&fd, addr) {
        Ok(()) | Err(rustix::io::Errno::INPROGRESS) => Ok(fd),
        Err(e) => Err(e.into()),
    }
}

/// Connects to the first of `addrs` that answers, never past `until`.
pub fn connect(addrs: &[SocketAddr], until: Deadline) -> io::Result<TcpStream> {
    let mut pending: Vec<OwnedFd> = Vec::new();
    let mut next = 0usize;
    let mut next_at = sys::now();
    let mut last_err = io::Error::from(io::ErrorKind::TimedOut);
    loop {
        // SIGTERM/SIGINT end the race at once (the wake pipe below wakes it).
        sys::interrupted()?;
        let now = sys::now();
        if until.expired(now) {
            return Err(io::ErrorKind::TimedOut.into());
        }
        // Start the next attempt when due, or at once when none is running.
        if next < addrs.len() && (now >= next_at || pending.is_empty()) {
            match start(&addrs[next]) {
                Ok(fd) => pending.push(fd),
                Err(e) => last_err = e,
            }
            next += 1;
            next_at = now.add(CONNECTION_ATTEMPT_DELAY);
            continue;
        }
        if pending.is_empty() {
            return Err(last_err);
        }
        let wait = if next < addrs.len() {
            until.min_after(now, next_at.since(now))
        } else {
            until
        };
        let left = wait.remaining(now);
        let ts = rustix::time::Timespec {
            tv_sec: left.as_secs() as i64,
            tv_nsec: i64::from(left.subsec_nanos()),
        };
        let wake = sys::wake_fd();
        let mut pfds: Vec<PollFd<'_>> = pending
            .iter()
            .map(|fd| PollFd::new(fd, PollFlags::OUT))
            .collect();
        if let Some(w) = &wake {
            pfds.push(PollFd::new(w, PollFlags::IN));
        }
        match rustix::event::poll(&mut pfds, Some(&ts)) {
            Ok(_) | Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
        let ready: Vec<bool> = pfds[..pending.len()]
            .iter()
            .map(|p| !p.revents().is_empty())
            .collect();
        drop(pfds);
        let mut i = 0;
        for r in ready {
            if !r {
                i += 1;
                continue;
            }
            let fd = pending.remove(i);
            match rustix::net::sockopt::socket_error(&fd)? {
                Ok(()) => {
                    rustix::io::ioctl_fionbio(&fd, false)?;
                    // The losers close as `pending` drops.
                    return Ok(TcpStream::from(fd));
                }
                Err(e) => last_err = e.into(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn until(ms: u64) -> Deadline {
        Deadline::after(sys::now(), Duration::from_millis(ms))
    }

    #[test]
    fn first_refused_then_the_next_wins() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let good = l.local_addr().unwrap();
        // A port nobody listens on: refused at once, so no delay is waited.
        let closed = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let t = sys::now();
        let s = connect(&[closed, good], until(5_000)).unwrap();
        assert_eq!(s.peer_addr().unwrap(), good);
        assert!(sys::now().since(t) < CONNECTION_ATTEMPT_DELAY);
        let e = connect(&[closed], until(5_000)).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused);
    }

    #[test]
    fn ipv6_loopback() {
        let l = TcpListener::bind("[::1]:0").expect("IPv6 loopback");
        let a = l.local_addr().unwrap();
        assert_eq!(connect(&[a], until(5_000)).unwrap().peer_addr().unwrap(), a);
    }
}
