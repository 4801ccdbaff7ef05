//! A DNS stub: A records over UDP from the servers DHCP gave us, each server
//! in turn, per-query timeouts doubling from 1 s, never past the deadline.
//! The packet work is in `wire::dns`; this is only sockets and timing.

use crate::error::{Error, Result};
use crate::report::{AttemptKind, Outcome, Report};
use crate::sys;
use crate::time::Deadline;
use crate::wire::dns::{self, Reply};
use log::{debug, info};
use std::io;
use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::time::Duration;

const FIRST_TIMEOUT: Duration = Duration::from_secs(1);
const MAX_TIMEOUT: Duration = Duration::from_secs(8);
/// Rounds over the server list; with doubling timeouts that is 1+2+4+8 s per server.
const MAX_ROUNDS: u32 = 4;

pub struct Resolver {
    pub servers: Vec<Ipv4Addr>,
    /// 53 except in tests, which run a responder on a loopback port.
    pub port: u16,
}

/// How one query to one server ended.
enum Step {
    Answer(Vec<Ipv4Addr>),
    /// Final for the name: NXDOMAIN or no A record.
    Final(Outcome, Error),
    /// Try the next server (timeout, SERVFAIL, refused …); `dead` = never ask it again.
    Next {
        outcome: Outcome,
        dead: bool,
    },
}

impl Resolver {
    pub fn new(servers: Vec<Ipv4Addr>) -> Self {
        Resolver { servers, port: 53 }
    }

    pub fn with_port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Literal IPv4 skips DNS; otherwise asks each server in turn until one
    /// answers, NXDOMAIN, or the deadline.
    pub fn resolve(&self, host: &str, deadline: Deadline, report: &mut Report) -> Result<Ipv4Addr> {
        if let Ok(ip) = host.parse::<Ipv4Addr>() {
            return Ok(ip);
        }
        // Validates the name before any packet goes out.
        dns::build_query(0, host)?;
        if self.servers.is_empty() {
            return Err(Error::net(format!(
                "dns: no name servers to resolve {host}"
            )));
        }
        let mut dead = vec![false; self.servers.len()];
        let mut timeout = FIRST_TIMEOUT;
        for _round in 0..MAX_ROUNDS {
            for (i, server) in self.servers.iter().enumerate() {
                if dead[i] {
                    continue;
                }
                let start = sys::now();
                if deadline.expired(start) {
                    return Err(Error::timeout(format!("dns: resolving {host}")));
                }
                let addr = SocketAddrV4::new(*server, self.port);
                let step = query(addr, host, deadline.min_after(start, timeout));
                let ms = sys::now().since(start).as_millis() as u64;
                match step {
                    Step::Answer(addrs) => {
                        report.attempt(AttemptKind::Dns, host, ms, Outcome::Ok);
                        info!("dns: {host} is {} (via {server}, {ms} ms)", addrs[0]);
                        return Ok(addrs[0]);
                    }
                    Step::Final(outcome, e) => {
                        report.attempt(AttemptKind::Dns, host, ms, outcome);
                        return Err(e);
                    }
                    Step::Next { outcome, dead: d } => {
                        debug!("dns: {host} via {server}: {outcome}");
                        report.attempt(AttemptKind::Dns, host, ms, outcome);
                        dead[i] = d;
                    }
                }
            }
            if dead.iter().all(|&d| d) {
                return Err(Error::net(format!("dns: no usable server for {host}")));
            }
            timeout = (timeout * 2).min(MAX_TIMEOUT);
        }
        Err(Error::timeout(format!("dns: no answer for {host}")))
    }
}

/// One query to one server, waiting until `until` for a reply that matches.
/// Replies that are not ours (wrong id, question, garbage) are dropped and
/// the wait goes on: a spoofer must not be able to cut it short.
fn query(addr: SocketAddrV4, host: &str, until: Deadline) -> Step {
    let id = sys::random_u32() as u16;
    let sock = match open(addr) {
        Ok(s) => s,
        Err(_) => {
            return Step::Next {
                outcome: Outcome::SocketError,
                dead: true,
            }
        }
    };
    // build_query was validated by the caller.
    let Ok(q) = dns::build_query(id, host) else {
        return Step::Final(Outcome::BadName, Error::malformed("dns name"));
    };
    if sock.send(&q).is_err() {
        return Step::Next {
            outcome: Outcome::SendFailed,
            dead: false,
        };
    }
    let mut buf = [0u8; 1500];
    loop {
        let left = until.remaining(sys::now());
        if left.is_zero() || sock.set_read_timeout(Some(left)).is_err() {
            return Step::Next {
                outcome: Outcome::Timeout,
                dead: false,
            };
        }
        // Waits in sys::poll_readable, so SIGTERM/SIGINT ends it at once.
        match sys::poll_readable(&[std::os::fd::AsFd::as_fd(&sock)], left) {
            Ok(r) if r[0] => {}
            Ok(_) => continue,
            Err(e) => {
                let why = match crate::error::signal_of(&e) {
                    Some(_) => Outcome::Interrupted,
                    None => Outcome::Failed,
                };
                return Step::Final(why, Error::io("poll", "dns", e));
            }
        }
        let n = match sock.recv(&mut buf) {
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Step::Next {
                    outcome: Outcome::Timeout,
                    dead: false,
                };
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            // ICMP port unreachable on the connected socket.
            Err(_) => {
                return Step::Next {
                    outcome: Outcome::Refused,
                    dead: false,
                }
            }
        };
        match dns::parse_response(&buf[..n], id, host) {
            Ok(Reply::Addrs(a)) => return Step::Answer(a),
            Ok(Reply::NoName) => {
                return Step::Final(
                    Outcome::NoSuchName,
                    Error::net(format!("dns: {host}: no such name")),
                )
            }
            Ok(Reply::NoData) => {
                return Step::Final(
                    Outcome::NoData,
                    Error::net(format!("dns: {host}: no address record")),
                )
            }
            Ok(Reply::Truncated) => {
                return Step::Next {
                    outcome: Outcome::Truncated,
                    dead: true,
                }
            }
            Ok(Reply::ServerError(_)) => {
                return Step::Next {
                    outcome: Outcome::ServerError,
                    dead: false,
                }
            }
            Err(e) => debug!("dns: dropped a reply from {addr}: {e}"),
        }
    }
}

/// A UDP socket connected to the server, so the kernel drops datagrams from
/// any other source address or port.
fn open(addr: SocketAddrV4) -> io::Result<UdpSocket> {
    let sock = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?;
    sock.connect(addr)?;
    Ok(sock)
}
