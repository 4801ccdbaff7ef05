//! A DNS stub: A (and, with IPv6 up, AAAA) records over UDP from the servers
//! DHCP, DHCPv6 or router advertisements gave us, each server
//! in turn, per-query timeouts doubling from 1 s, never past the deadline.
//! The packet work is in `wire::dns`; this is only sockets and timing.

use crate::prelude::*;

use crate::error::{Error, Result};
use crate::os::io;
use crate::os::net::UdpSocket;
use crate::report::{AttemptKind, Outcome, Report};
use crate::sys;
use crate::time::Deadline;
use crate::wire::dns::{self, Reply};
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use core::time::Duration;
use log::{debug, info};

const FIRST_TIMEOUT: Duration = Duration::from_secs(1);
const MAX_TIMEOUT: Duration = Duration::from_secs(8);
/// Rounds over the server list; with doubling timeouts that is 1+2+4+8 s per server.
const MAX_ROUNDS: u32 = 4;

pub struct Resolver {
    /// IPv4 and IPv6 servers, asked in this order.
    pub servers: Vec<IpAddr>,
    /// 53 except in tests, which run a responder on a loopback port.
    pub port: u16,
    /// Ask for AAAA records too (an IPv6 address is configured).
    pub v6: bool,
}

/// RFC 8305 section 3 "Resolution Delay": once one family has answered,
/// how long to wait for the other (AAAA preferred).
const RESOLUTION_DELAY: Duration = Duration::from_millis(50);

/// How one query to one server ended.
enum Step {
    Answer(Vec<IpAddr>),
    /// Final for the name: NXDOMAIN or no address record.
    Final(Outcome, Error),
    /// Try the next server (timeout, SERVFAIL, refused …); `dead` = never ask it again.
    Next {
        outcome: Outcome,
        dead: bool,
    },
}

impl Resolver {
    pub fn new(servers: Vec<Ipv4Addr>) -> Self {
        Resolver {
            servers: servers.into_iter().map(IpAddr::V4).collect(),
            port: 53,
            v6: false,
        }
    }

    pub fn with_port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// IPv6 is up: ask these servers too (after the IPv4 ones), and ask for
    /// AAAA records as well as A.
    pub fn with_v6(mut self, servers: &[Ipv6Addr]) -> Self {
        self.servers.extend(servers.iter().map(|&a| IpAddr::V6(a)));
        self.v6 = true;
        self
    }

    /// The first A record (literal IPv4 skips DNS).
    pub fn resolve(&self, host: &str, deadline: Deadline, report: &mut Report) -> Result<Ipv4Addr> {
        if let Ok(ip) = host.parse::<Ipv4Addr>() {
            return Ok(ip);
        }
        match self.lookup(host, &[dns::TYPE_A], deadline, report)?[0] {
            IpAddr::V4(a) => Ok(a),
            IpAddr::V6(_) => Err(Error::net(format!("dns: {host}: no address record"))),
        }
    }

    /// Every address of `host` in the order RFC 8305 section 4 wants them
    /// tried: IPv6 first, then alternating families. A literal skips DNS.
    pub fn resolve_all(
        &self,
        host: &str,
        deadline: Deadline,
        report: &mut Report,
    ) -> Result<Vec<IpAddr>> {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(vec![ip]);
        }
        let types: &[u16] = if self.v6 {
            &[dns::TYPE_AAAA, dns::TYPE_A]
        } else {
            &[dns::TYPE_A]
        };
        let all = self.lookup(host, types, deadline, report)?;
        let (mut v6, mut v4): (Vec<IpAddr>, Vec<IpAddr>) =
            all.into_iter().partition(IpAddr::is_ipv6);
        let mut out = Vec::with_capacity(v6.len() + v4.len());
        v6.reverse();
        v4.reverse();
        while let Some(a) = v6.pop() {
            out.push(a);
            out.extend(v4.pop());
        }
        out.extend(v4.into_iter().rev());
        Ok(out)
    }

    /// Asks each server in turn until one answers, NXDOMAIN, or the deadline.
    fn lookup(
        &self,
        host: &str,
        types: &[u16],
        deadline: Deadline,
        report: &mut Report,
    ) -> Result<Vec<IpAddr>> {
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
                let addr = SocketAddr::new(*server, self.port);
                let step = query(addr, host, types, deadline.min_after(start, timeout));
                let ms = sys::now().since(start).as_millis() as u64;
                match step {
                    Step::Answer(addrs) => {
                        report.attempt(AttemptKind::Dns, host, ms, Outcome::Ok);
                        info!("dns: {host} is {} (via {server}, {ms} ms)", addrs[0]);
                        return Ok(addrs);
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

/// One query per record type to one server, waiting until `until` for the
/// replies that match (and no more than RESOLUTION_DELAY for the rest once
/// one family has addresses). Replies that are not ours (wrong id,
/// question, garbage) are dropped and the wait goes on: a spoofer must not
/// be able to cut it short.
fn query(addr: SocketAddr, host: &str, types: &[u16], mut until: Deadline) -> Step {
    let sock = match open(addr) {
        Ok(s) => s,
        Err(_) => {
            return Step::Next {
                outcome: Outcome::SocketError,
                dead: true,
            }
        }
    };
    let base = sys::random_u32() as u16;
    let mut pending: Vec<(u16, u16)> = Vec::new();
    for (i, &t) in types.iter().enumerate() {
        let id = base.wrapping_add(i as u16);
        // build_query was validated by the caller.
        let Ok(q) = dns::build_query_for(id, host, t) else {
            return Step::Final(Outcome::BadName, Error::malformed("dns name"));
        };
        if sock.send(&q).is_err() {
            return Step::Next {
                outcome: Outcome::SendFailed,
                dead: false,
            };
        }
        pending.push((id, t));
    }
    let mut found: Vec<IpAddr> = Vec::new();
    let mut nodata = false;
    let mut failed = false;
    let mut buf = [0u8; 1500];
    while !pending.is_empty() {
        let left = until.remaining(sys::now());
        if left.is_zero() || sock.set_read_timeout(Some(left)).is_err() {
            break;
        }
        // Waits in sys::poll_readable, so SIGTERM/SIGINT ends it at once.
        match sys::poll_readable(&[rustix::fd::AsFd::as_fd(&sock)], left) {
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
                break;
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
        let Some(k) = pending
            .iter()
            .position(|&(id, t)| dns::parse_response_for(&buf[..n], id, host, t).is_ok())
        else {
            debug!("dns: dropped a reply from {addr}");
            continue;
        };
        let (id, t) = pending.remove(k);
        match dns::parse_response_for(&buf[..n], id, host, t) {
            Ok(Reply::Addrs(a)) => found.extend(a.into_iter().map(IpAddr::V4)),
            Ok(Reply::Addrs6(a)) => found.extend(a.into_iter().map(IpAddr::V6)),
            Ok(Reply::NoName) => {
                return Step::Final(
                    Outcome::NoSuchName,
                    Error::net(format!("dns: {host}: no such name")),
                )
            }
            Ok(Reply::NoData) => nodata = true,
            Ok(Reply::Truncated) => {
                return Step::Next {
                    outcome: Outcome::Truncated,
                    dead: true,
                }
            }
            // One type refused (dnsmasq without upstreams does so for A of
            // a name it knows only an AAAA for): the other may still answer.
            Ok(Reply::ServerError(_)) => failed = true,
            Err(_) => {}
        }
        if !found.is_empty() {
            until = until.min_after(sys::now(), RESOLUTION_DELAY);
        }
    }
    if !found.is_empty() {
        Step::Answer(found)
    } else if failed {
        Step::Next {
            outcome: Outcome::ServerError,
            dead: false,
        }
    } else if nodata && pending.is_empty() {
        Step::Final(
            Outcome::NoData,
            Error::net(format!("dns: {host}: no address record")),
        )
    } else {
        Step::Next {
            outcome: Outcome::Timeout,
            dead: false,
        }
    }
}

/// A UDP socket connected to the server, so the kernel drops datagrams from
/// any other source address or port.
fn open(addr: SocketAddr) -> io::Result<UdpSocket> {
    let any: SocketAddr = match addr {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let sock = UdpSocket::bind(any)?;
    sock.connect(addr)?;
    Ok(sock)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Report;
    use core::time::Duration;

    /// Answers each query: A with 10.0.0.1 unless `v6_only`, AAAA with
    /// fd00::2 (NoData when there is no record of the asked type).
    fn responder(v6_only: bool) -> u16 {
        let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = sock.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let mut buf = [0u8; 512];
            while let Ok((n, from)) = sock.recv_from(&mut buf) {
                let q = &buf[..n];
                let qtype = u16::from_be_bytes([q[n - 4], q[n - 3]]);
                if v6_only && qtype == dns::TYPE_A {
                    // REFUSED, as dnsmasq without upstream servers says
                    let mut r = q.to_vec();
                    r[2..4].copy_from_slice(&0x8185u16.to_be_bytes());
                    let _ = sock.send_to(&r, from);
                    continue;
                }
                let rdata: Vec<u8> = match qtype {
                    dns::TYPE_A if !v6_only => vec![10, 0, 0, 1],
                    dns::TYPE_AAAA => "fd00::2".parse::<Ipv6Addr>().unwrap().octets().to_vec(),
                    _ => vec![],
                };
                let mut r = q.to_vec();
                r[2..4].copy_from_slice(&0x8180u16.to_be_bytes());
                r[7] = u8::from(!rdata.is_empty());
                if !rdata.is_empty() {
                    r.extend_from_slice(&[0xc0, 12]);
                    r.extend_from_slice(&qtype.to_be_bytes());
                    r.extend_from_slice(&[0, 1, 0, 0, 0, 60, 0, rdata.len() as u8]);
                    r.extend_from_slice(&rdata);
                }
                let _ = sock.send_to(&r, from);
            }
        });
        port
    }

    fn deadline() -> Deadline {
        Deadline::after(sys::now(), Duration::from_secs(5))
    }

    #[test]
    fn aaaa_first_then_a() {
        let port = responder(false);
        let r = Resolver::new(vec![Ipv4Addr::LOCALHOST])
            .with_port(port)
            .with_v6(&[]);
        let got = r
            .resolve_all("seed.test", deadline(), &mut Report::new())
            .unwrap();
        assert_eq!(
            got,
            [
                "fd00::2".parse::<IpAddr>().unwrap(),
                "10.0.0.1".parse().unwrap()
            ]
        );
        // without IPv6 only A is asked
        let r = Resolver::new(vec![Ipv4Addr::LOCALHOST]).with_port(port);
        let got = r
            .resolve_all("seed.test", deadline(), &mut Report::new())
            .unwrap();
        assert_eq!(got, ["10.0.0.1".parse::<IpAddr>().unwrap()]);
    }

    #[test]
    fn aaaa_only_name_and_literals() {
        let port = responder(true);
        let r = Resolver::new(vec![Ipv4Addr::LOCALHOST])
            .with_port(port)
            .with_v6(&[]);
        let got = r
            .resolve_all("seed6.test", deadline(), &mut Report::new())
            .unwrap();
        assert_eq!(got, ["fd00::2".parse::<IpAddr>().unwrap()]);
        // A alone: refused, never an address
        let short = Deadline::after(sys::now(), Duration::from_millis(300));
        assert!(r.resolve("seed6.test", short, &mut Report::new()).is_err());
        let lit = r
            .resolve_all("fd00::5", deadline(), &mut Report::new())
            .unwrap();
        assert_eq!(lit, ["fd00::5".parse::<IpAddr>().unwrap()]);
    }
}
