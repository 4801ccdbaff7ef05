//! The thin OS layer: the only place with `unsafe`, and the only reader of the
//! clock and the entropy pool. It also owns the SIGTERM/SIGINT handlers: a
//! caught signal makes every wait below return `Error::Interrupted`.

use crate::prelude::*;

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

use crate::os::io;
use crate::os::net::TcpStream;
use core::time::Duration;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::net::addr::{SocketAddrArg, SocketAddrLen, SocketAddrOpaque};
use rustix::net::{AddressFamily, SocketFlags, SocketType};

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
            core::mem::size_of::<SockaddrLl>() as SocketAddrLen,
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
/// (all false on timeout). Once SIGTERM or SIGINT was caught it returns the
/// signal as an error (`error::signal_of` finds it; `Error::io` turns it
/// into `Error::Interrupted`), at once and on every later call: the wake
/// pipe is polled with `fds`, so a signal that arrives just before the
/// poll still ends it. Another EINTR counts as a timeout: callers loop on
/// their deadline anyway.
pub fn poll_readable(fds: &[BorrowedFd<'_>], timeout: Duration) -> io::Result<Vec<bool>> {
    let wake = wake_fd();
    let mut all: Vec<BorrowedFd<'_>> = fds.to_vec();
    all.extend(wake);
    interrupted()?;
    let mut ready = poll_fds(&all, None, timeout)?;
    interrupted()?;
    ready.truncate(fds.len());
    Ok(ready)
}

/// `poll_readable` for the kernel's own prompt answers (rtnetlink replies),
/// not cut short by a caught signal: tearing the network down after SIGTERM
/// still needs them.
pub fn poll_readable_through_signals(
    fds: &[BorrowedFd<'_>],
    timeout: Duration,
) -> io::Result<Vec<bool>> {
    poll_fds(fds, None, timeout)
}

/// `poll(fd, POLLOUT)` (a non-blocking connect finishing), with the wake
/// pipe: `Ok(true)` writable, `Ok(false)` timeout, `Err` a caught signal.
pub fn poll_writable(fd: BorrowedFd<'_>, timeout: Duration) -> io::Result<bool> {
    let wake: Vec<BorrowedFd<'_>> = wake_fd().into_iter().collect();
    interrupted()?;
    let ready = poll_fds(&wake, Some(fd), timeout)?;
    interrupted()?;
    Ok(ready[wake.len()])
}

/// A TCP connection to `addr` within `timeout`, as
/// `socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK)`, `connect`, poll for
/// POLLOUT (with the wake pipe, so a caught signal ends the wait), then
/// `SO_ERROR`; the stream is returned in blocking mode.
pub fn tcp_connect(addr: core::net::SocketAddrV4, timeout: Duration) -> io::Result<TcpStream> {
    let fd = rustix::net::socket_with(
        AddressFamily::INET,
        SocketType::STREAM,
        SocketFlags::CLOEXEC | SocketFlags::NONBLOCK,
        None,
    )?;
    match rustix::net::connect(&fd, &addr) {
        Ok(()) | Err(rustix::io::Errno::INPROGRESS) => {}
        Err(e) => return Err(e.into()),
    }
    let end = now().add(timeout);
    loop {
        let left = end.since(now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        if poll_writable(fd.as_fd(), left)? {
            break;
        }
    }
    if let Err(e) = rustix::net::sockopt::socket_error(&fd)? {
        return Err(e.into());
    }
    rustix::io::ioctl_fionbio(&fd, false)?;
    Ok(TcpStream::from(fd))
}

/// Sleeps for `d` unless SIGTERM or SIGINT arrives first (then `Err`).
pub fn sleep(d: Duration) -> io::Result<()> {
    let wake = wake_fd();
    let fds: Vec<BorrowedFd<'_>> = wake.into_iter().collect();
    let end = now().add(d);
    loop {
        interrupted()?;
        let left = end.since(now());
        if left.is_zero() {
            return Ok(());
        }
        poll_fds(&fds, None, left)?;
    }
}

/// poll(2): `read` for POLLIN, then `write` (if any) for POLLOUT; says
/// which are ready, in that order. EINTR reads as a timeout.
fn poll_fds(
    read: &[BorrowedFd<'_>],
    write: Option<BorrowedFd<'_>>,
    timeout: Duration,
) -> io::Result<Vec<bool>> {
    use rustix::event::{PollFd, PollFlags};
    let mut pfds: Vec<PollFd<'_>> = read
        .iter()
        .map(|fd| PollFd::new(fd, PollFlags::IN))
        .collect();
    let w;
    if let Some(fd) = write {
        w = fd;
        pfds.push(PollFd::new(&w, PollFlags::OUT));
    }
    let ts = rustix::time::Timespec {
        tv_sec: timeout.as_secs().min(i64::MAX as u64) as i64,
        tv_nsec: i64::from(timeout.subsec_nanos()),
    };
    match rustix::event::poll(&mut pfds, Some(&ts)) {
        Ok(_) => {}
        Err(rustix::io::Errno::INTR) => return Ok(vec![false; pfds.len()]),
        Err(e) => return Err(e.into()),
    }
    let any = PollFlags::IN | PollFlags::OUT | PollFlags::ERR | PollFlags::HUP;
    Ok(pfds
        .iter()
        .map(|p| !(p.revents() & any).is_empty())
        .collect())
}

// ---------------------------------------------------------------- signals
//
// SIGTERM arrives from systemd's stop or `TimeoutStartSec` backstop, or an
// initramfs that gives up; SIGINT from a console. The handler records the
// first signal and makes a pipe readable (the self-pipe trick); every wait
// polls that pipe and returns the signal as an error from then on, so the
// run unwinds through its ordinary error paths (network torn down unless
// kept, temp files removed) and main writes the report with 128 + signal.
// No SA_RESTART: a blocking call in flight returns EINTR rather than
// resuming. rustix's stable API has no sigaction, so libc's is declared here.

use crate::error::Signal;
use core::sync::atomic::{AtomicI32, Ordering};

/// The first signal caught (0: none).
static CAUGHT: AtomicI32 = AtomicI32::new(0);
/// The wake pipe's ends (-1: handlers not installed).
static WAKE_READ: AtomicI32 = AtomicI32::new(-1);
static WAKE_WRITE: AtomicI32 = AtomicI32::new(-1);

/// `struct sigaction` as glibc and musl lay it out on Linux (x86_64,
/// aarch64): handler, a 128-byte `sigset_t`, `int` flags, restorer.
#[repr(C)]
struct SigAction {
    handler: usize,
    mask: [u64; 16],
    flags: i32,
    restorer: usize,
}

#[allow(unsafe_code)]
extern "C" {
    /// sigaction(2), from the C library the binary links (glibc or musl),
    /// which fills in the restorer.
    fn sigaction(signum: i32, act: *const SigAction, oldact: *mut SigAction) -> i32;
}

/// Async-signal-safe: an atomic store and one write(2).
extern "C" fn on_signal(signum: i32) {
    if CAUGHT
        .compare_exchange(0, signum, Ordering::SeqCst, Ordering::SeqCst)
        .is_err()
    {
        return; // the pipe already holds its byte
    }
    let fd = WAKE_WRITE.load(Ordering::SeqCst);
    if fd >= 0 {
        // SAFETY: `fd` is the write end of the wake pipe, stored by
        // `install_signal_handlers` before the handler was installed and
        // never closed (it lives as long as the process).
        #[allow(unsafe_code)]
        let fd = unsafe { BorrowedFd::borrow_raw(fd) };
        // rustix makes the raw syscall: no errno, no allocation, no lock.
        let _ = rustix::io::write(fd, &[1]);
    }
}

/// Ignores SIGPIPE, as std's runtime did before `main`: a write to a closed
/// pipe or socket then fails with EPIPE instead of killing the process
/// (`cloudseed probe … | head -1`, a helper whose agent went away).
pub fn ignore_sigpipe() {
    const SIG_IGN: usize = 1;
    const SIGPIPE: i32 = 13;
    let act = SigAction {
        handler: SIG_IGN,
        mask: [0; 16],
        flags: 0,
        restorer: 0,
    };
    // SAFETY: as in `install_signal_handlers`: a fully initialised
    // `struct sigaction` (SIG_IGN needs no handler code), null `oldact`.
    #[allow(unsafe_code)]
    let _ = unsafe { sigaction(SIGPIPE, &act, core::ptr::null_mut()) };
}

/// Installs the SIGTERM and SIGINT handlers (no SA_RESTART) and the wake
/// pipe. For `run` only: `probe` and the helper keep the default action.
pub fn install_signal_handlers() -> io::Result<()> {
    use rustix::fd::IntoRawFd;
    // A socketpair serves as the pipe (rustix's `pipe` is not among our
    // features); CLOEXEC: the probe helper does not inherit it.
    let (r, w) = rustix::net::socketpair(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC | SocketFlags::NONBLOCK,
        None,
    )?;
    WAKE_READ.store(r.into_raw_fd(), Ordering::SeqCst);
    WAKE_WRITE.store(w.into_raw_fd(), Ordering::SeqCst);
    for signum in [Signal::Term, Signal::Int].map(Signal::number) {
        let act = SigAction {
            handler: on_signal as extern "C" fn(i32) as usize,
            mask: [0; 16],
            flags: 0,
            restorer: 0,
        };
        // SAFETY: `act` is a fully initialised `struct sigaction` (layout
        // above) that outlives the call; a null `oldact` is allowed; the
        // handler only does async-signal-safe work.
        #[allow(unsafe_code)]
        let rc = unsafe { sigaction(signum, &act, core::ptr::null_mut()) };
        if rc != 0 {
            return Err(io::Error::other("sigaction failed"));
        }
    }
    Ok(())
}

/// The signal caught so far, if any.
pub fn caught_signal() -> Option<Signal> {
    Signal::from_raw(CAUGHT.load(Ordering::SeqCst))
}

/// `Err` carrying the caught signal (see `error::signal_of`), else `Ok`.
pub fn interrupted() -> io::Result<()> {
    match caught_signal() {
        Some(s) => Err(io::Error::signal(s)),
        None => Ok(()),
    }
}

/// The read end of the signal wake pipe, for a poll loop of its own (it
/// becomes readable when SIGTERM/SIGINT is caught).
pub(crate) fn wake_fd() -> Option<BorrowedFd<'static>> {
    let fd = WAKE_READ.load(Ordering::SeqCst);
    // SAFETY: a non-negative value is the read end of the wake pipe, stored
    // once by `install_signal_handlers` and never closed.
    #[allow(unsafe_code)]
    (fd >= 0).then(|| unsafe { BorrowedFd::borrow_raw(fd) })
}
