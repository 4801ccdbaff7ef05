//! SIGTERM inside one process (a test binary of its own: the caught signal
//! is process-wide and sticky): every wait in `sys` returns at once with
//! the signal, which `Error::io` turns into `Error::Interrupted`.

use cloudseed::error::{signal_of, Error, ErrorKind, Signal};
use cloudseed::sys;
use rustix::fd::AsFd;
use std::time::Duration;

#[test]
fn sigterm_ends_every_wait_at_once() {
    sys::install_signal_handlers().unwrap();
    assert_eq!(sys::caught_signal(), None);
    // A socket nobody writes to: without a signal, the poll times out.
    use rustix::net::{AddressFamily, SocketFlags, SocketType};
    let (a, _b) = rustix::net::socketpair(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )
    .unwrap();
    let ready = sys::poll_readable(&[a.as_fd()], Duration::from_millis(20)).unwrap();
    assert_eq!(ready, vec![false]);

    // Any thread of the process may run the handler; the wake pipe tells
    // the waiting poll either way.
    let t = sys::now();
    rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::TERM)
        .unwrap();
    let e = sys::poll_readable(&[a.as_fd()], Duration::from_secs(30)).unwrap_err();
    assert_eq!(sys::caught_signal(), Some(Signal::Term));
    assert_eq!(signal_of(&e), Some(Signal::Term));
    let e = Error::io("poll", "test", e);
    assert_eq!(e.kind(), ErrorKind::Interrupted);
    assert_eq!(e.to_string(), "stopped by SIGTERM");
    assert!(sys::sleep(Duration::from_secs(30)).is_err());
    // A refused-or-not connect to a black hole would take its timeout.
    let addr = std::net::SocketAddrV4::new(std::net::Ipv4Addr::new(192, 0, 2, 1), 9);
    let e = sys::tcp_connect(addr, Duration::from_secs(30)).unwrap_err();
    assert_eq!(signal_of(&e), Some(Signal::Term));
    assert!(sys::now().since(t) < Duration::from_secs(1));
    // Still sticky; the kernel's own replies are still waited for.
    assert!(sys::poll_readable(&[a.as_fd()], Duration::from_secs(30)).is_err());
    let ready = sys::poll_readable_through_signals(&[a.as_fd()], Duration::ZERO).unwrap();
    assert_eq!(ready, vec![false]);
}
