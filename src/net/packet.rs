//! The thin I/O loop around `dhcp::Client`: one AF_PACKET socket and one
//! client per candidate link, all in one poll(2), started as each link gains
//! carrier (RTMGRP_LINK events). The first ACK wins; the other clients are
//! dropped (they are not bound, so there is nothing to release).

use crate::prelude::*;

use crate::cmdline::Mac;
use crate::dhcp::{self, Client, Event, Lease, Transmit};
use crate::error::{Error, Result};
use crate::net::rtnl::{Events, Rtnl};
use crate::report::{AttemptKind, Outcome, Report};
use crate::sys;
use crate::time::{Deadline, Instant};
use crate::wire::{dhcpv4, ipv4, udp};
use log::{debug, info};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};

/// A candidate link for DHCP.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub index: u32,
    pub name: String,
    pub mac: Mac,
}

/// A DHCP exchange in progress on one link.
pub struct Session {
    pub link: Candidate,
    pub fd: OwnedFd,
    pub client: Client,
    pub started: Instant,
}

/// The UDP payload of a frame for the DHCP client port, or `None`.
/// Pure, so it can be fuzzed with the rest of the wire code.
pub fn dhcp_payload(frame: &[u8]) -> Option<&[u8]> {
    let ip = ipv4::Packet::new_checked(frame).ok()?;
    if ip.protocol() != ipv4::PROTO_UDP || ip.is_fragment() {
        return None;
    }
    let u = udp::Packet::new_checked(ip.payload()).ok()?;
    if u.dst_port() != dhcpv4::CLIENT_PORT || u.src_port() != dhcpv4::SERVER_PORT {
        return None;
    }
    // The views borrow from themselves; re-slice the frame by offsets
    // (both already checked) so the result lives as long as `frame`.
    let start = ip.header_len() + udp::HEADER_LEN;
    frame.get(start..start + u.payload().len())
}

/// Wraps a client's packet in IPv4/UDP and broadcasts it on the link.
pub fn transmit(fd: BorrowedFd<'_>, ifindex: u32, tx: &Transmit) -> Result<()> {
    let dgram = udp::emit(
        tx.src,
        tx.dst,
        dhcpv4::CLIENT_PORT,
        dhcpv4::SERVER_PORT,
        &tx.payload,
    )?;
    let mut frame = vec![0u8; ipv4::HEADER_LEN];
    ipv4::emit(&mut frame, tx.src, tx.dst, ipv4::PROTO_UDP, dgram.len())?;
    frame.extend_from_slice(&dgram);
    sys::packet_broadcast(fd, ifindex, &frame)
        .map_err(|e| Error::io("sendto", "packet socket", e))?;
    Ok(())
}

/// Runs DHCP on every candidate at once until one is bound. `carrier`
/// bounds the wait for the first link with carrier.
pub fn acquire(
    rtnl: &mut Rtnl,
    events: &mut Events,
    candidates: &[Candidate],
    hostname: Option<String>,
    carrier: Deadline,
    deadline: Deadline,
    report: &mut Report,
) -> Result<(Session, Lease)> {
    let mut has_carrier: Vec<bool> = vec![false; candidates.len()];
    let mut dead: Vec<bool> = vec![false; candidates.len()];
    let mut sessions: Vec<Session> = Vec::new();
    let mut rescan = true;
    let mut buf = vec![0u8; 4096];
    loop {
        let now = sys::now();
        if rescan {
            rescan = false;
            for l in rtnl.links(deadline)? {
                if let Some(i) = candidates.iter().position(|c| c.index == l.index) {
                    has_carrier[i] = l.has_carrier();
                }
            }
        }
        // Start a client on each link that has just gained carrier.
        for (i, c) in candidates.iter().enumerate() {
            if has_carrier[i] && !dead[i] && !sessions.iter().any(|s| s.link.index == c.index) {
                let fd = match sys::packet_socket(c.index) {
                    Ok(fd) => fd,
                    // One link we cannot open (gone, renamed) must not stop the others.
                    Err(e) => {
                        report.warn(format!("dhcp: {}: packet socket: {e}", c.name));
                        dead[i] = true;
                        continue;
                    }
                };
                debug!("dhcp: {} has carrier, starting", c.name);
                let config = dhcp::Config {
                    mac: c.mac,
                    hostname: hostname.clone(),
                };
                sessions.push(Session {
                    link: c.clone(),
                    fd,
                    client: Client::new(config, now, sys::random_u32()),
                    started: now,
                });
            }
        }
        if deadline.expired(now) {
            for s in &sessions {
                report.attempt(
                    AttemptKind::Dhcp,
                    &s.link.name,
                    now.since(s.started).as_millis() as u64,
                    Outcome::Timeout,
                );
            }
            return Err(if sessions.is_empty() {
                Error::timeout("no carrier")
            } else {
                Error::timeout("dhcp: no lease")
            });
        }
        if sessions.is_empty() && carrier.expired(now) {
            let names: Vec<&str> = candidates.iter().map(|c| c.name.as_str()).collect();
            return Err(Error::net(format!("no carrier on {}", names.join(", "))));
        }
        let mut wake = deadline.instant();
        if sessions.is_empty() {
            wake = wake.min(carrier.instant());
        }
        for s in &mut sessions {
            while let Some(tx) = s.client.poll(now) {
                if let Err(e) = transmit(s.fd.as_fd(), s.link.index, &tx) {
                    debug!("dhcp: {}: {e}", s.link.name);
                }
            }
            if let Some(at) = s.client.poll_at() {
                wake = wake.min(at);
            }
        }
        let mut fds = vec![events.fd()];
        fds.extend(sessions.iter().map(|s| s.fd.as_fd()));
        let ready =
            sys::poll_readable(&fds, wake.since(now)).map_err(|e| Error::io("poll", "dhcp", e))?;
        if ready[0] {
            let (links, lost) = events.drain();
            rescan |= lost;
            for l in links {
                if let Some(i) = candidates.iter().position(|c| c.index == l.index) {
                    has_carrier[i] = l.has_carrier();
                }
            }
        }
        for (i, s) in sessions.iter_mut().enumerate() {
            if !ready[i + 1] {
                continue;
            }
            while let Ok(Some(n)) = sys::recv(s.fd.as_fd(), &mut buf) {
                let Some(payload) = dhcp_payload(&buf[..n]) else {
                    continue;
                };
                let now = sys::now();
                match s.client.handle(now, payload) {
                    Some(Event::Offered { server, address }) => {
                        debug!("dhcp: {}: offer of {address} from {server}", s.link.name)
                    }
                    Some(Event::Nak { server }) => {
                        let ms = now.since(s.started).as_millis() as u64;
                        report.attempt(
                            AttemptKind::Dhcp,
                            &s.link.name,
                            ms,
                            Outcome::Nak { server },
                        );
                    }
                    Some(Event::Bound(lease)) => {
                        let ms = now.since(s.started).as_millis() as u64;
                        info!(
                            "dhcp: bound {}/{} on {} in {ms} ms",
                            lease.address, lease.prefix, s.link.name
                        );
                        report.attempt(AttemptKind::Dhcp, &s.link.name, ms, Outcome::Bound);
                        for w in s.client.warnings() {
                            report.warn(format!("{}: {w}", s.link.name));
                        }
                        let winner = i;
                        for (j, other) in sessions.iter().enumerate() {
                            if j != winner {
                                let ms = now.since(other.started).as_millis() as u64;
                                report.attempt(
                                    AttemptKind::Dhcp,
                                    &other.link.name,
                                    ms,
                                    Outcome::Dropped,
                                );
                            }
                        }
                        let s = sessions.swap_remove(winner);
                        return Ok((s, lease));
                    }
                    None => {}
                }
            }
        }
    }
}

/// Sends a DHCPRELEASE for the session's lease, if it has one.
pub fn release(s: &mut Session) {
    if let Some(tx) = s.client.release() {
        match transmit(s.fd.as_fd(), s.link.index, &tx) {
            Ok(()) => debug!("dhcp: released {} on {}", tx.src, s.link.name),
            Err(e) => debug!("dhcp: release on {}: {e}", s.link.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::Ipv4Addr;

    #[test]
    fn frames_roundtrip_and_filter() {
        let payload = b"dhcp-bytes".to_vec();
        let (s, d) = (Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::BROADCAST);
        let dgram = udp::emit(s, d, 67, 68, &payload).unwrap();
        let mut frame = vec![0u8; ipv4::HEADER_LEN];
        ipv4::emit(&mut frame, s, d, ipv4::PROTO_UDP, dgram.len()).unwrap();
        frame.extend_from_slice(&dgram);
        assert_eq!(dhcp_payload(&frame), Some(&payload[..]));
        // Ethernet padding after the IP packet is not part of the payload.
        let mut padded = frame.clone();
        padded.extend_from_slice(&[0; 20]);
        assert_eq!(dhcp_payload(&padded), Some(&payload[..]));
        // our own outgoing packets (67 <- 68) are not for the client
        let back = udp::emit(s, d, 68, 67, &payload).unwrap();
        let mut f2 = vec![0u8; ipv4::HEADER_LEN];
        ipv4::emit(&mut f2, s, d, ipv4::PROTO_UDP, back.len()).unwrap();
        f2.extend_from_slice(&back);
        assert_eq!(dhcp_payload(&f2), None);
        for n in 0..frame.len() {
            let _ = dhcp_payload(&frame[..n]);
        }
    }
}
