//! Thin rtnetlink I/O: one request socket (dumps, changes with ACKs) and an
//! optional event socket on RTMGRP_LINK for carrier changes. Every wait is a
//! poll(2) bounded by the caller's deadline.

use crate::prelude::*;

use crate::error::{Error, Result};
use crate::sys;
use crate::time::Deadline;
use crate::wire::netlink::{self, Addr, Link, Msg, RouteEntry};
use core::net::Ipv4Addr;
use rustix::fd::{AsFd, OwnedFd};

const BUF: usize = 64 * 1024;

pub struct Rtnl {
    fd: OwnedFd,
    seq: u32,
    buf: Vec<u8>,
}

fn io(op: &'static str) -> impl FnOnce(crate::os::io::Error) -> Error {
    move |e| Error::io(op, "rtnetlink", e)
}

impl Rtnl {
    pub fn open() -> Result<Rtnl> {
        Ok(Rtnl {
            fd: sys::netlink_socket(0).map_err(io("socket"))?,
            seq: sys::random_u32() & 0xffff,
            buf: vec![0; BUF],
        })
    }

    /// Sends one request and collects every reply message with its sequence
    /// number until DONE (dumps) or the ACK/error (changes).
    pub(crate) fn exchange(
        &mut self,
        build: impl FnOnce(u32) -> Vec<u8>,
        deadline: Deadline,
    ) -> Result<Vec<Msg>> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        sys::send(self.fd.as_fd(), &build(seq)).map_err(io("send"))?;
        let mut out = Vec::new();
        loop {
            let now = sys::now();
            if deadline.expired(now) {
                return Err(Error::timeout("rtnetlink reply"));
            }
            let Some(n) = sys::recv(self.fd.as_fd(), &mut self.buf).map_err(io("recv"))? else {
                // The kernel answers at once; teardown after SIGTERM needs it.
                sys::poll_readable_through_signals(&[self.fd.as_fd()], deadline.remaining(now))
                    .map_err(io("poll"))?;
                continue;
            };
            for (s, m) in netlink::parse(&self.buf[..n])? {
                if s != seq {
                    continue;
                }
                match m {
                    Msg::Done => return Ok(out),
                    Msg::Error(0) => return Ok(out),
                    Msg::Error(e) => {
                        return Err(Error::io(
                            "rtnetlink",
                            "request",
                            crate::os::io::Error::from_raw_os_error(-e),
                        ))
                    }
                    m => out.push(m),
                }
            }
        }
    }

    pub fn links(&mut self, deadline: Deadline) -> Result<Vec<Link>> {
        let msgs = self.exchange(netlink::get_links, deadline)?;
        Ok(msgs
            .into_iter()
            .filter_map(|m| match m {
                Msg::NewLink(l) => Some(l),
                _ => None,
            })
            .collect())
    }

    pub fn addrs(&mut self, deadline: Deadline) -> Result<Vec<Addr>> {
        let msgs = self.exchange(netlink::get_addrs, deadline)?;
        Ok(msgs
            .into_iter()
            .filter_map(|m| match m {
                Msg::NewAddr(a) => Some(a),
                _ => None,
            })
            .collect())
    }

    pub fn routes(&mut self, deadline: Deadline) -> Result<Vec<RouteEntry>> {
        let msgs = self.exchange(netlink::get_routes, deadline)?;
        Ok(msgs
            .into_iter()
            .filter_map(|m| match m {
                Msg::NewRoute(r) => Some(r),
                _ => None,
            })
            .collect())
    }

    /// Any change request built by `build(seq)`, waiting for its ACK.
    pub fn request(
        &mut self,
        build: impl FnOnce(u32) -> Vec<u8>,
        deadline: Deadline,
    ) -> Result<()> {
        self.exchange(build, deadline).map(drop)
    }

    pub fn set_link(
        &mut self,
        index: u32,
        up: bool,
        mtu: Option<u32>,
        deadline: Deadline,
    ) -> Result<()> {
        self.exchange(|s| netlink::set_link(s, index, up, mtu), deadline)
            .map(drop)
    }

    pub fn addr(
        &mut self,
        add: bool,
        index: u32,
        address: Ipv4Addr,
        prefix: u8,
        broadcast: Option<Ipv4Addr>,
        deadline: Deadline,
    ) -> Result<()> {
        self.exchange(
            |s| netlink::addr(s, add, index, address, prefix, broadcast),
            deadline,
        )
        .map(drop)
    }

    pub fn route(
        &mut self,
        add: bool,
        index: u32,
        dst: Ipv4Addr,
        dst_len: u8,
        gateway: Option<Ipv4Addr>,
        deadline: Deadline,
    ) -> Result<()> {
        self.exchange(
            |s| netlink::route(s, add, index, dst, dst_len, gateway),
            deadline,
        )
        .map(drop)
    }
}

/// Link events (RTMGRP_LINK): what changed since the last read.
pub struct Events {
    fd: OwnedFd,
    buf: Vec<u8>,
}

impl Events {
    pub fn open() -> Result<Events> {
        Ok(Events {
            fd: sys::netlink_socket(netlink::RTMGRP_LINK).map_err(io("socket"))?,
            buf: vec![0; BUF],
        })
    }
    pub fn fd(&self) -> rustix::fd::BorrowedFd<'_> {
        self.fd.as_fd()
    }
    /// Every queued link message, without blocking. A malformed datagram
    /// is skipped; ENOBUFS (we fell behind) is reported as "rescan".
    pub fn drain(&mut self) -> (Vec<Link>, bool) {
        let mut out = Vec::new();
        loop {
            match sys::recv(self.fd.as_fd(), &mut self.buf) {
                Ok(Some(n)) => {
                    for (_, m) in netlink::parse(&self.buf[..n]).unwrap_or_default() {
                        if let Msg::NewLink(l) = m {
                            out.push(l);
                        }
                    }
                }
                Ok(None) => return (out, false),
                // ENOBUFS: events were lost; the caller dumps links again.
                Err(_) => return (out, true),
            }
        }
    }
}
