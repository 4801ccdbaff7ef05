//! The IPv6 path: the imperative shell around `ndisc` (router discovery) and
//! `dhcp6` (the DHCPv6 client), on one poll loop bounded by the deadline.
//!
//! SLAAC is the kernel's: we set `accept_ra=1` (and `autoconf=1` for
//! `auto6`) on the link, the kernel forms the address and installs the
//! default route from the RA, and we read both back over rtnetlink. We
//! solicit and read RAs ourselves only for what the kernel keeps to itself:
//! the M and O flags, RDNSS and DNSSL. `accept_dad=0` for the time we own
//! the link: the link-local address is usable at once (DHCPv6 is sent from
//! it), and addresses we add carry IFA_F_NODAD.
//!
//! Sockets: a raw ICMPv6 socket sends the RS (hop limit 255); RAs are read
//! from an AF_PACKET socket (ETH_P_IPV6) because only the IPv6 header shows
//! the hop limit that RFC 4861 6.1.2 makes us check; DHCPv6 is UDP from
//! [fe80::…%if]:546 to [ff02::1:2%if]:547.

use crate::prelude::*;

use super::{link, rtnl::Events, rtnl::Rtnl, Outcome, Request};
use crate::cmdline::{Autoconf, Cmdline};
use crate::cmdline6::{Ip6Arg, Method6};
use crate::dhcp6::{self, Client, Event, Mode};
use crate::error::{Error, Result};
use crate::ndisc::{self, Discovery};
use crate::net::klibc;
use crate::net::resolve::Resolver;
use crate::os::net::UdpSocket;
use crate::os::path::PathBuf;
use crate::paths::Paths;
use crate::report::{NetworkEntry, Report};
use crate::sys;
use crate::time::{Deadline, Instant};
use crate::wire::dhcpv6;
use crate::wire::icmpv6::{self, RouterAdvert};
use crate::wire::netlink::{Link, Msg};
use crate::wire::netlink6::{self, Addr6, Route6};
use core::net::{Ipv4Addr, Ipv6Addr, SocketAddrV6};
use core::time::Duration;
use log::{debug, info};
use rustix::fd::{AsFd, OwnedFd};

/// How long a bound DHCPv6 lease waits for the RA that brings the routes.
const RA_GRACE: Duration = Duration::from_secs(2);
/// How long teardown waits for the server's answer to our RELEASE.
const RELEASE_WAIT: Duration = Duration::from_millis(500);

impl Rtnl {
    /// One monomorphic `exchange` for every IPv6 request (binary size).
    fn exchange6(&mut self, build: &dyn Fn(u32) -> Vec<u8>, d: Deadline) -> Result<Vec<Msg>> {
        self.exchange(build, d)
    }
    pub fn addrs6(&mut self, d: Deadline) -> Result<Vec<Addr6>> {
        let msgs = self.exchange6(&netlink6::get_addrs, d)?;
        Ok(msgs
            .into_iter()
            .filter_map(|m| match m {
                Msg::NewAddr6(a) => Some(a),
                _ => None,
            })
            .collect())
    }
    pub fn routes6(&mut self, d: Deadline) -> Result<Vec<Route6>> {
        let msgs = self.exchange6(&netlink6::get_routes, d)?;
        Ok(msgs
            .into_iter()
            .filter_map(|m| match m {
                Msg::NewRoute6(r) => Some(r),
                _ => None,
            })
            .collect())
    }
    pub fn addr6(
        &mut self,
        add: bool,
        index: u32,
        a: Ipv6Addr,
        prefix: u8,
        d: Deadline,
    ) -> Result<()> {
        self.exchange6(&|s| netlink6::addr(s, add, index, a, prefix), d)
            .map(drop)
    }
    pub fn route6(
        &mut self,
        add: bool,
        index: u32,
        dst: Ipv6Addr,
        len: u8,
        gw: Option<Ipv6Addr>,
        d: Deadline,
    ) -> Result<()> {
        self.exchange6(&|s| netlink6::route(s, add, index, dst, len, gw), d)
            .map(drop)
    }
}

/// The first IPv6 request on the command line.
pub fn wanted(cmd: &Cmdline) -> Option<&Ip6Arg> {
    cmd.ip6_args.first()
}

/// IPv4 too: no IPv6 request, or an `ip=` that asks for IPv4
/// (`ip=off ip6=dhcp` and `ip=dhcp6` are IPv6 only).
pub fn wants_v4(cmd: &Cmdline) -> bool {
    cmd.ip6_args.is_empty()
        || cmd
            .ip
            .iter()
            .any(|a| !matches!(a.autoconf, Autoconf::Off | Autoconf::Ipv6))
}

/// What we changed and must undo.
#[derive(Default)]
struct Applied6 {
    raised: bool,
    /// sysctl files and the values they had before us.
    sysctls: Vec<(PathBuf, String)>,
    /// Global addresses and routes on the link before us: never removed.
    before_addrs: Vec<Ipv6Addr>,
    before_routes: Vec<(Ipv6Addr, u8)>,
}

/// A configured IPv6 link.
pub struct Up6 {
    pub link: Link,
    pub method: Method6,
    pub reused: bool,
    pub address: Option<(Ipv6Addr, u8)>,
    pub gateway: Option<Ipv6Addr>,
    pub dns: Vec<Ipv6Addr>,
    pub search: Vec<String>,
    pub hostname: Option<String>,
    /// A stateful DHCPv6 lease to RELEASE on teardown, with its socket.
    dhcp: Option<(Client, UdpSocket)>,
    applied: Applied6,
}

impl Up6 {
    fn new(link: &Link, method: Method6, applied: Applied6) -> Up6 {
        Up6 {
            link: link.clone(),
            method,
            reused: false,
            address: None,
            gateway: None,
            dns: vec![],
            search: vec![],
            hostname: None,
            dhcp: None,
            applied,
        }
    }

    pub fn entry(&self, reason: &str) -> NetworkEntry {
        NetworkEntry {
            interface: Some(self.link.name.clone()),
            reason: Some(reason.to_string()),
            mac: self.link.mac.as_ref().map(super::mac_str),
            address: self.address.map(|(a, _)| a.to_string()),
            prefix: self.address.map(|(_, p)| p),
            gateway: self.gateway.map(|g| g.to_string()),
            dns: self.dns.iter().map(|d| d.to_string()).collect(),
            ..NetworkEntry::default()
        }
    }

    /// `/run/net6-<if>.conf` for keep mode.
    pub fn conf(&self) -> Option<(String, String)> {
        let (address, prefix) = self.address?;
        let c = klibc::Conf6 {
            device: self.link.name.clone(),
            dhcp: self.method == Method6::Dhcp,
            address,
            prefix,
            gateway: self.gateway.filter(|_| self.method == Method6::Static),
            dns: self.dns.clone(),
            domain_search: self.search.clone(),
            hostname: self.hostname.clone().unwrap_or_default(),
            dnsdomain: String::new(),
        };
        Some((self.link.name.clone(), klibc::render6(&c)))
    }
}

/// A DNS resolver over both families' servers.
pub fn resolver(v4: Vec<Ipv4Addr>, up6: Option<&Up6>) -> Resolver {
    let r = Resolver::new(v4);
    match up6 {
        Some(u) if u.address.is_some() => r.with_v6(&u.dns),
        _ => r,
    }
}

fn sysctl_path(paths: &Paths, link: &str, key: &str) -> PathBuf {
    paths
        .proc_dir
        .join("sys/net/ipv6/conf")
        .join(link)
        .join(key)
}

/// Writes one per-link sysctl, remembering the old value for teardown.
fn set_sysctl(paths: &Paths, a: &mut Applied6, link: &str, key: &str, value: &str) -> Result<()> {
    let p = sysctl_path(paths, link, key);
    let old = crate::os::fs::read_to_string(&p).map_err(|e| Error::io("read", p.display(), e))?;
    if old.trim() != value {
        crate::os::fs::write(&p, value).map_err(|e| Error::io("write", p.display(), e))?;
        a.sysctls.push((p, old.trim().to_string()));
    }
    Ok(())
}

/// A global address and a default route on one link, configured before us.
fn existing6(
    rtnl: &mut Rtnl,
    links: &[Link],
    d: Deadline,
) -> Result<Option<(Link, Addr6, Option<Ipv6Addr>)>> {
    let routes = rtnl.routes6(d)?;
    let addrs = rtnl.addrs6(d)?;
    for r in routes.iter().filter(|r| r.dst_len == 0 && r.table == 254) {
        let Some(oif) = r.oif else { continue };
        let Some(l) = links.iter().find(|l| l.index == oif) else {
            continue;
        };
        if let Some(a) = addrs
            .iter()
            .find(|a| a.index == oif && a.is_usable_global())
        {
            return Ok(Some((l.clone(), a.clone(), r.gateway)));
        }
    }
    Ok(None)
}

/// The link `arg` names, else the first that `link::select` picks.
fn choose(
    rtnl: &mut Rtnl,
    cmd: &Cmdline,
    arg: &Ip6Arg,
    paths: &Paths,
    d: Deadline,
    report: &mut Report,
) -> Result<(Link, &'static str)> {
    let links = rtnl.links(d)?;
    if let Some(dev) = arg.device.as_deref().filter(|d| *d != "BOOTIF") {
        if let Some(l) = links.iter().find(|l| l.name == dev) {
            return Ok((l.clone(), "ip="));
        }
        report.warn(format!("network: {dev} matches no interface"));
    }
    let infos: Vec<link::LinkInfo> = links
        .iter()
        .cloned()
        .map(|l| link::describe(paths, l))
        .collect();
    let sel = link::select(&infos, cmd);
    let first = sel
        .indexes
        .first()
        .and_then(|i| links.iter().find(|l| l.index == *i));
    match first {
        Some(l) => Ok((l.clone(), sel.reason)),
        None => Err(Error::net("no usable network interface")),
    }
}

/// Waits, on IPv6 address events, until `pick` finds an address on the link.
fn wait_addr(
    rtnl: &mut Rtnl,
    nl: &OwnedFd,
    index: u32,
    until: Deadline,
    pick: impl Fn(&Addr6) -> bool,
) -> Result<Option<Addr6>> {
    loop {
        drain(nl);
        if let Some(a) = rtnl
            .addrs6(until)?
            .into_iter()
            .find(|a| a.index == index && pick(a))
        {
            return Ok(Some(a));
        }
        let now = sys::now();
        if until.expired(now) {
            return Ok(None);
        }
        sys::poll_readable(&[nl.as_fd()], until.remaining(now))
            .map_err(|e| Error::io("poll", "rtnetlink", e))?;
    }
}

fn drain(fd: &OwnedFd) {
    let mut buf = [0u8; 8192];
    while let Ok(Some(_)) = sys::recv(fd.as_fd(), &mut buf) {}
}

/// The RA reader: AF_PACKET, ETH_P_IPV6, bound to the link.
fn packet_socket(index: u32) -> crate::os::io::Result<OwnedFd> {
    use rustix::net::{AddressFamily, SocketFlags, SocketType};
    let fd = rustix::net::socket_with(
        AddressFamily::PACKET,
        SocketType::DGRAM,
        SocketFlags::CLOEXEC | SocketFlags::NONBLOCK,
        Some(rustix::net::eth::IPV6),
    )?;
    let addr = sys::LinkAddr {
        ifindex: index,
        protocol: 0x86dd,
        mac: [0; 6],
    };
    rustix::net::bind(&fd, &addr)?;
    Ok(fd)
}

/// The RS sender: raw ICMPv6 (the kernel fills in the checksum), hop limit
/// 255 as RFC 4861 6.1.1 requires, out of the link.
fn rs_socket(index: u32) -> crate::os::io::Result<OwnedFd> {
    use rustix::net::{sockopt, AddressFamily, SocketFlags, SocketType};
    let fd = rustix::net::socket_with(
        AddressFamily::INET6,
        SocketType::RAW,
        SocketFlags::CLOEXEC | SocketFlags::NONBLOCK,
        Some(rustix::net::ipproto::ICMPV6),
    )?;
    sockopt::set_ipv6_multicast_hops(&fd, 255)?;
    sockopt::set_ipv6_multicast_if(&fd, index)?;
    Ok(fd)
}

/// The DHCPv6 socket: UDP from the link-local address, port 546.
fn dhcp_socket(ll: Ipv6Addr, index: u32) -> crate::os::io::Result<UdpSocket> {
    let s = UdpSocket::bind(SocketAddrV6::new(ll, dhcpv6::CLIENT_PORT, 0, index))?;
    s.set_nonblocking(true)?;
    Ok(s)
}

fn send_dhcp(s: &UdpSocket, index: u32, payload: &[u8]) {
    let to = SocketAddrV6::new(dhcpv6::ALL_SERVERS, dhcpv6::SERVER_PORT, 0, index);
    if let Err(e) = s.send_to(payload, to) {
        debug!("dhcpv6: send: {e}");
    }
}

/// What the acquisition loop found.
#[derive(Default)]
struct Found {
    ra: Option<RouterAdvert>,
    lease: Option<dhcp6::Lease>,
    dhcp: Option<(Client, UdpSocket)>,
    slaac: Option<Addr6>,
    bound_at: Option<Instant>,
}

/// Whether acquisition is over: pure, so the policy reads (and is tested)
/// apart from the sockets. `ip6=dhcp` wants a lease and the RA (or the end
/// of router discovery, or RA_GRACE after the lease); `auto6` wants an RA,
/// the DHCPv6 exchange its flags asked for, and an address (the kernel's
/// SLAAC one when the RA has an autonomous prefix).
fn settled(method: Method6, f: &Found, discovering: bool, now: Instant) -> bool {
    let dhcp_done = f.dhcp.is_none() || f.lease.is_some();
    let leased = f.lease.as_ref().is_some_and(|l| l.address.is_some());
    match (method, &f.ra) {
        (Method6::Dhcp, ra) => {
            f.lease.is_some()
                && (ra.is_some()
                    || !discovering
                    || f.bound_at.is_some_and(|b| now.since(b) >= RA_GRACE))
        }
        (_, None) => false,
        (_, Some(ra)) => {
            let slaac = ra.prefixes.iter().any(|p| p.autonomous && p.valid_s > 0);
            dhcp_done && (!slaac || f.slaac.is_some()) && (f.slaac.is_some() || leased)
        }
    }
}

/// The acquisition loop's sockets and state.
struct Acq<'a> {
    link: &'a Link,
    method: Method6,
    ll: Ipv6Addr,
    pkt: OwnedFd,
    rs: OwnedFd,
    disc: Discovery,
    f: Found,
    t0: Instant,
}

impl Acq<'_> {
    fn start_dhcp(&mut self, mode: Mode, now: Instant) -> Result<()> {
        let s = dhcp_socket(self.ll, self.link.index)
            .map_err(|e| Error::io("bind", "[fe80::]:546", e))?;
        let mac = self.link.mac.unwrap_or_default();
        self.f.dhcp = Some((Client::new(mac, mode, now, sys::random_u32()), s));
        Ok(())
    }

    /// Sends the RS and DHCPv6 message due at `now`, if any.
    fn send_due(&mut self, now: Instant) {
        let index = self.link.index;
        if let Some(p) = self.disc.poll(now) {
            let to = SocketAddrV6::new(icmpv6::ALL_ROUTERS, 0, 0, index);
            if let Err(e) = rustix::net::sendto(&self.rs, &p, rustix::net::SendFlags::empty(), &to)
            {
                debug!("ipv6: router solicitation: {e}");
            }
        }
        if let Some((c, s)) = &mut self.f.dhcp {
            if let Some(p) = c.poll(now) {
                send_dhcp(s, index, &p);
            }
        }
    }

    /// The next timer: a retransmission, or the end of RA_GRACE.
    fn wake(&self, now: Instant, deadline: Deadline) -> Deadline {
        let mut wake = deadline;
        let timers = [
            self.disc.poll_at(),
            self.f.dhcp.as_ref().and_then(|(c, _)| c.poll_at()),
        ];
        for t in timers.into_iter().flatten() {
            wake = Deadline::at(wake.instant().min(t));
        }
        match self.f.bound_at {
            Some(b) if self.method == Method6::Dhcp => {
                wake.min_after(now, b.add(RA_GRACE).since(now))
            }
            _ => wake,
        }
    }

    /// Every queued IPv6 packet: the first valid RA ends discovery and, for
    /// `auto6`, starts the DHCPv6 exchange its flags ask for.
    fn read_ras(&mut self, now: Instant, buf: &mut [u8]) -> Result<()> {
        while let Ok(Some(n)) = sys::recv(self.pkt.as_fd(), buf) {
            let Some((src, hop, icmp)) = icmpv6::ipv6_icmp(&buf[..n]) else {
                continue;
            };
            if self.f.ra.is_some() {
                continue;
            }
            if let Some(ra) = self.disc.handle(src, hop, icmp).cloned() {
                info!("ipv6: router {src} on {}", self.link.name);
                if self.method == Method6::Auto && self.f.dhcp.is_none() {
                    if let Some(mode) = ndisc::dhcp_mode(&ra) {
                        self.start_dhcp(mode, now)?;
                    }
                }
                self.f.ra = Some(ra);
            }
        }
        Ok(())
    }

    /// Every queued DHCPv6 answer.
    fn read_dhcp(&mut self, now: Instant, buf: &mut [u8]) {
        let Some((c, s)) = &mut self.f.dhcp else {
            return;
        };
        while let Ok(n) = s.recv(buf) {
            match c.handle(now, &buf[..n]) {
                Some(Event::Bound(l)) => {
                    let ms = now.since(self.t0).as_millis();
                    match &l.address {
                        Some(a) => {
                            info!("dhcpv6: bound {} on {} in {ms} ms", a.addr, self.link.name)
                        }
                        None => info!("dhcpv6: configured {} in {ms} ms", self.link.name),
                    }
                    self.f.lease = Some(l);
                    self.f.bound_at = Some(now);
                }
                Some(Event::Refused { code }) => debug!("dhcpv6: refused ({code})"),
                _ => {}
            }
        }
    }
}

/// Router discovery and, as `method` and the RA say, DHCPv6, until the link
/// has an address (or the deadline).
fn acquire(
    rtnl: &mut Rtnl,
    nl: &OwnedFd,
    link: &Link,
    method: Method6,
    ll: Ipv6Addr,
    deadline: Deadline,
) -> Result<Found> {
    let t0 = sys::now();
    let mut a = Acq {
        link,
        method,
        ll,
        pkt: packet_socket(link.index).map_err(|e| Error::io("socket", "packet ipv6", e))?,
        rs: rs_socket(link.index).map_err(|e| Error::io("socket", "icmpv6", e))?,
        disc: Discovery::new(link.mac.unwrap_or_default(), t0),
        f: Found::default(),
        t0,
    };
    if method == Method6::Dhcp {
        a.start_dhcp(Mode::Stateful, t0)?;
    }
    let mut buf = vec![0u8; 2048];
    loop {
        let now = sys::now();
        if settled(method, &a.f, a.disc.poll_at().is_some(), now) {
            return Ok(a.f);
        }
        if deadline.expired(now)
            || (method == Method6::Auto && a.disc.poll_at().is_none() && a.f.ra.is_none())
        {
            return Err(Error::timeout(match (&a.f.ra, method) {
                (None, Method6::Auto) => "ipv6: no router advertisement",
                (_, Method6::Dhcp) => "dhcpv6: no lease",
                _ => "ipv6: no address",
            }));
        }
        a.send_due(now);
        // Sleep until the next timer, a packet, or an address event.
        let wake = a.wake(now, deadline);
        let mut fds = vec![a.pkt.as_fd(), nl.as_fd()];
        fds.extend(a.f.dhcp.as_ref().map(|(_, s)| s.as_fd()));
        let ready = sys::poll_readable(&fds, wake.remaining(sys::now()))
            .map_err(|e| Error::io("poll", "ipv6", e))?;
        let now = sys::now();
        if ready[0] {
            a.read_ras(now, &mut buf)?;
        }
        if ready[1] {
            drain(nl);
        }
        if method == Method6::Auto && a.f.ra.is_some() && a.f.slaac.is_none() {
            a.f.slaac = rtnl
                .addrs6(deadline)?
                .into_iter()
                .find(|x| x.index == link.index && x.is_usable_global());
        }
        if ready.get(2) == Some(&true) {
            a.read_dhcp(now, &mut buf);
        }
    }
}

/// Sets the link's sysctls, notes what is on it before us, and raises it.
fn prepare(
    rtnl: &mut Rtnl,
    link: &Link,
    method: Method6,
    paths: &Paths,
    applied: &mut Applied6,
    deadline: Deadline,
) -> Result<()> {
    let name = link.name.as_str();
    set_sysctl(paths, applied, name, "disable_ipv6", "0")?;
    set_sysctl(paths, applied, name, "accept_dad", "0")?;
    if method != Method6::Static {
        set_sysctl(paths, applied, name, "accept_ra", "1")?;
    }
    if method == Method6::Auto {
        set_sysctl(paths, applied, name, "autoconf", "1")?;
    }
    applied.before_addrs = rtnl
        .addrs6(deadline)?
        .into_iter()
        .filter(|a| a.index == link.index && a.scope == netlink6::RT_SCOPE_UNIVERSE)
        .map(|a| a.address)
        .collect();
    applied.before_routes = rtnl
        .routes6(deadline)?
        .into_iter()
        .filter(|r| r.oif == Some(link.index) && r.table == 254)
        .map(|r| (r.dst, r.dst_len))
        .collect();
    if !link.is_up() {
        rtnl.set_link(link.index, true, None, deadline)?;
        applied.raised = true;
    }
    Ok(())
}

/// What acquisition found, applied: DNS from DHCPv6 then the RA (global
/// servers only: a link-local one needs a scope neither the resolver nor
/// the net6 file carries), the DHCPv6 address (with the RA's on-link prefix
/// length when it covers it, else /64, as Debian's dhclient does) or the
/// kernel's SLAAC one, and the default route the kernel took from the RA.
fn apply(rtnl: &mut Rtnl, up: &mut Up6, f: Found, deadline: Deadline) -> Result<()> {
    let index = up.link.index;
    let ra = f.ra.unwrap_or_default();
    let lease_dns = f.lease.iter().flat_map(|l| l.dns.iter());
    for d in lease_dns.chain(ra.dns.iter().filter(|d| !ndisc::is_link_local(**d))) {
        if !up.dns.contains(d) {
            up.dns.push(*d);
        }
    }
    for s in f
        .lease
        .iter()
        .flat_map(|l| l.domains.iter())
        .chain(ra.search.iter())
    {
        if !up.search.contains(s) {
            up.search.push(s.clone());
        }
    }
    if let Some(a) = f.lease.as_ref().and_then(|l| l.address.clone()) {
        let prefix = ra
            .prefixes
            .iter()
            .find(|p| p.on_link && p.contains(a.addr))
            .map_or(64, |p| p.len);
        rtnl.addr6(true, index, a.addr, prefix, deadline)?;
        up.address = Some((a.addr, prefix));
    } else if let Some(s) = &f.slaac {
        up.address = Some((s.address, s.prefix));
    }
    up.gateway = rtnl
        .routes6(deadline)?
        .into_iter()
        .find(|r| r.oif == Some(index) && r.dst_len == 0 && r.table == 254)
        .and_then(|r| r.gateway);
    up.dhcp = f
        .dhcp
        .filter(|(c, _)| c.lease().is_some_and(|l| l.address.is_some()));
    Ok(())
}

/// Configures IPv6 on `link` as `arg` says; on failure undoes what it did.
fn bring_up(
    rtnl: &mut Rtnl,
    link: &Link,
    arg: &Ip6Arg,
    paths: &Paths,
    carrier: Deadline,
    deadline: Deadline,
    hard: Deadline,
) -> Result<Up6> {
    let mut applied = Applied6::default();
    let r = (|| -> Result<Up6> {
        prepare(rtnl, link, arg.method, paths, &mut applied, deadline)?;
        let nl = sys::netlink_socket(netlink6::RTMGRP_IPV6)
            .map_err(|e| Error::io("socket", "rtnetlink", e))?;
        let mut events = Events::open()?;
        super::wait_carrier(rtnl, &mut events, link.index, carrier)?;
        let mut up = Up6::new(link, arg.method, Applied6::default());
        up.dns = arg.dns.clone();
        up.hostname = arg.hostname.clone();
        if arg.method == Method6::Static {
            let a = arg.address.unwrap_or(Ipv6Addr::UNSPECIFIED);
            rtnl.addr6(true, link.index, a, arg.prefix, deadline)?;
            up.address = Some((a, arg.prefix));
            if let Some(gw) = arg.gateway {
                let any = Ipv6Addr::UNSPECIFIED;
                rtnl.route6(true, link.index, any, 0, Some(gw), deadline)?;
                up.gateway = Some(gw);
            }
            info!("ipv6: static {a}/{} on {}", arg.prefix, link.name);
            return Ok(up);
        }
        let ll = wait_addr(rtnl, &nl, link.index, deadline, Addr6::is_usable_link_local)?
            .ok_or_else(|| Error::timeout("ipv6: no link-local address"))?
            .address;
        let f = acquire(rtnl, &nl, link, arg.method, ll, deadline)?;
        apply(rtnl, &mut up, f, deadline)?;
        Ok(up)
    })();
    match r {
        Ok(mut up) => {
            up.applied = applied;
            Ok(up)
        }
        Err(e) => {
            let mut failed = Up6::new(link, arg.method, applied);
            teardown(rtnl, &mut failed, hard);
            Err(e)
        }
    }
}

/// RELEASE (when we hold a lease), then removes every global address and
/// route that appeared on the link while we owned it, lowers the link if we
/// raised it, and restores the sysctls. Best effort, within `deadline`.
pub fn teardown(rtnl: &mut Rtnl, up: &mut Up6, deadline: Deadline) {
    if up.reused {
        return;
    }
    let index = up.link.index;
    if let Some((mut c, s)) = up.dhcp.take() {
        let now = sys::now();
        let until = deadline.min_after(now, RELEASE_WAIT);
        if let Some(p) = c.release(now) {
            send_dhcp(&s, index, &p);
        }
        let mut buf = [0u8; 1500];
        while let Some(at) = c.poll_at() {
            let now = sys::now();
            if until.expired(now) {
                break;
            }
            let wait = Deadline::at(at.min(until.instant()));
            // Teardown runs after SIGTERM too: wait through a caught signal.
            let _ = sys::poll_readable_through_signals(&[s.as_fd()], wait.remaining(now));
            while let Ok(n) = s.recv(&mut buf) {
                if c.handle(sys::now(), &buf[..n]) == Some(Event::Released) {
                    info!("dhcpv6: released on {}", up.link.name);
                }
            }
            if let Some(p) = c.poll(sys::now()) {
                send_dhcp(&s, index, &p);
            }
        }
    }
    // No new RA may add back what we remove.
    for key in ["accept_ra", "autoconf"] {
        if let Some((p, _)) = up.applied.sysctls.iter().find(|(p, _)| p.ends_with(key)) {
            let _ = crate::os::fs::write(p, "0");
        }
    }
    let a = &up.applied;
    if let Ok(routes) = rtnl.routes6(deadline) {
        for r in routes.iter().filter(|r| {
            r.oif == Some(index)
                && r.table == 254
                && !ndisc::is_link_local(r.dst)
                && !r.dst.is_multicast()
                && !a.before_routes.contains(&(r.dst, r.dst_len))
        }) {
            if let Err(e) = rtnl.route6(false, index, r.dst, r.dst_len, r.gateway, deadline) {
                debug!("teardown: route {}/{}: {e}", r.dst, r.dst_len);
            }
        }
    }
    if let Ok(addrs) = rtnl.addrs6(deadline) {
        for x in addrs.iter().filter(|x| {
            x.index == index
                && x.scope == netlink6::RT_SCOPE_UNIVERSE
                && !a.before_addrs.contains(&x.address)
        }) {
            if let Err(e) = rtnl.addr6(false, index, x.address, x.prefix, deadline) {
                debug!("teardown: address {}: {e}", x.address);
            }
        }
    }
    if a.raised {
        if let Err(e) = rtnl.set_link(index, false, None, deadline) {
            debug!("teardown: link {}: {e}", up.link.name);
        }
    }
    for (p, old) in a.sysctls.iter().rev() {
        let _ = crate::os::fs::write(p, old);
    }
}

/// IPv6 alongside IPv4 on the link IPv4 came up on (`ip=dhcp ip6=dhcp`);
/// a failure is a warning, IPv4 carries on.
pub fn alongside(
    rtnl: &mut Rtnl,
    cmd: &Cmdline,
    link: &Link,
    paths: &Paths,
    deadline: Deadline,
    hard: Deadline,
    report: &mut Report,
) -> Option<Up6> {
    let arg = wanted(cmd)?;
    match bring_up(rtnl, link, arg, paths, deadline, deadline, hard) {
        Ok(u) => Some(u),
        Err(e) => {
            report.warn(format!("network: ipv6: {e}"));
            None
        }
    }
}

/// Keep or tear down, as IPv4 decided.
pub fn finish(rtnl: &mut Rtnl, up: &mut Up6, keep: bool, deadline: Deadline, out: &mut Outcome) {
    if up.reused {
        return;
    }
    if keep {
        out.klibc6_conf = up.conf();
    } else {
        teardown(rtnl, up, deadline);
        info!("network: ipv6 torn down on {}", up.link.name);
    }
}

/// The whole network path when only IPv6 is asked for (`ip=off ip6=dhcp`,
/// `ip=dhcp6`, `ip=auto6`, static `ip=[…]`). `None` when IPv4 is wanted.
pub fn run_only(
    cmd: &Cmdline,
    req: &Request,
    paths: &Paths,
    deadline: Deadline,
    work: Deadline,
    keep: bool,
    report: &mut Report,
) -> Option<Outcome> {
    let arg = wanted(cmd).filter(|_| !wants_v4(cmd))?;
    let mut out = Outcome::default();
    let r = (|| -> Result<(Rtnl, Up6, &'static str)> {
        let mut rtnl = Rtnl::open()?;
        let links = rtnl.links(work)?;
        if let Some((link, a, gw)) = existing6(&mut rtnl, &links, work)? {
            info!(
                "network: reusing {} ({}/{}, configured before us)",
                link.name, a.address, a.prefix
            );
            let mut up = Up6::new(&link, Method6::Static, Applied6::default());
            up.reused = true;
            up.address = Some((a.address, a.prefix));
            up.gateway = gw;
            return Ok((rtnl, up, "existing address"));
        }
        let (link, reason) = choose(&mut rtnl, cmd, arg, paths, work, report)?;
        let carrier = work.min_after(
            sys::now(),
            cmd.knobs.carrier_timeout.unwrap_or(super::CARRIER_TIMEOUT),
        );
        let up = bring_up(&mut rtnl, &link, arg, paths, carrier, work, deadline)?;
        Ok((rtnl, up, reason))
    })();
    let (mut rtnl, mut up, reason) = match r {
        Ok(x) => x,
        Err(e) => return Some(super::failed(req, report, e)),
    };
    let mut dns: Vec<Ipv4Addr> = vec![];
    if up.reused {
        // resolv.conf may name IPv6 servers too.
        let text = crate::os::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
        for v in text.lines().filter_map(|l| l.strip_prefix("nameserver")) {
            match v.trim().parse::<core::net::IpAddr>() {
                Ok(core::net::IpAddr::V6(a)) => up.dns.push(a),
                Ok(core::net::IpAddr::V4(a)) => dns.push(a),
                Err(_) => {}
            }
        }
    }
    let resolver = resolver(dns, Some(&up));
    super::fetch_with(req, &resolver, work, report, &mut out);
    let mut entry = up.entry(reason);
    if up.reused || keep {
        entry.left = Some(crate::report::Left::Kept);
    } else {
        entry.left = Some(crate::report::Left::TornDown);
    }
    finish(&mut rtnl, &mut up, keep, deadline, &mut out);
    report.network = Some(entry);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::icmpv6::Prefix;

    fn t(ms: u64) -> Instant {
        Instant::from_millis(ms)
    }
    fn lease(address: bool) -> dhcp6::Lease {
        dhcp6::Lease {
            address: address.then(|| dhcpv6::IaAddr {
                addr: "fd00::10".parse().unwrap(),
                preferred_s: 1,
                valid_s: 2,
            }),
            server_id: vec![1],
            dns: vec![],
            domains: vec![],
            acquired: t(0),
        }
    }
    fn ra(autonomous: bool) -> RouterAdvert {
        RouterAdvert {
            prefixes: vec![Prefix {
                prefix: "fd00::".parse().unwrap(),
                len: 64,
                on_link: true,
                autonomous,
                valid_s: 600,
                preferred_s: 300,
            }],
            ..RouterAdvert::default()
        }
    }
    fn slaac() -> Addr6 {
        Addr6 {
            index: 2,
            prefix: 64,
            scope: 0,
            flags: 0,
            address: "fd00::5054:ff:fe12:3456".parse().unwrap(),
        }
    }

    #[test]
    fn dhcp6_waits_for_the_ra_a_while() {
        let mut f = Found::default();
        assert!(!settled(Method6::Dhcp, &f, true, t(0)));
        f.lease = Some(lease(true));
        f.bound_at = Some(t(100));
        assert!(!settled(Method6::Dhcp, &f, true, t(100)));
        assert!(settled(Method6::Dhcp, &f, true, t(100).add(RA_GRACE)));
        assert!(settled(Method6::Dhcp, &f, false, t(100)), "no router: done");
        f.ra = Some(ra(false));
        assert!(settled(Method6::Dhcp, &f, false, t(100)));
    }

    #[test]
    fn auto6_wants_the_ra_and_an_address() {
        let mut f = Found::default();
        assert!(!settled(Method6::Auto, &f, false, t(0)), "no RA yet");
        f.ra = Some(ra(true));
        assert!(!settled(Method6::Auto, &f, false, t(0)), "SLAAC pending");
        f.slaac = Some(slaac());
        assert!(settled(Method6::Auto, &f, false, t(0)));
        // M without an autonomous prefix: the DHCPv6 address is the one
        let mut f = Found {
            ra: Some(ra(false)),
            ..Found::default()
        };
        assert!(!settled(Method6::Auto, &f, false, t(0)));
        f.lease = Some(lease(false));
        assert!(
            !settled(Method6::Auto, &f, false, t(0)),
            "stateless lease, no address"
        );
        f.lease = Some(lease(true));
        assert!(settled(Method6::Auto, &f, false, t(0)));
    }

    #[test]
    fn which_families() {
        let c = |s: &str| crate::cmdline::parse(s, None, &|_| None);
        assert!(wants_v4(&c("ip=dhcp")) && wanted(&c("ip=dhcp")).is_none());
        assert!(!wants_v4(&c("ip=off ip6=dhcp")));
        assert!(!wants_v4(&c("ip=dhcp6")));
        assert!(!wants_v4(&c("ip6=dhcp")));
        assert!(wants_v4(&c("ip=dhcp ip6=dhcp")));
        assert!(wants_v4(&c("ip=dhcp,dhcp6")));
        assert!(!wants_v4(&c("ip=[fd00::5]:::64::eth0:none")));
        // Without a generator (a manual run), ip6= keeps the network as ip= does.
        use crate::plan::{network_left, Generator, NetworkLeft};
        let left = |t: &str| network_left(&c(t), t, Generator::Unknown);
        assert_eq!(
            left("ip=off ip6=dhcp"),
            NetworkLeft::Keep { write_conf: true }
        );
        assert_eq!(
            left("ip=off ip6=dhcp cloudseed.network=teardown"),
            NetworkLeft::Teardown
        );
    }
}
