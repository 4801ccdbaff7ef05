//! The network path: bring a link up (or reuse one), DHCPv4, DNS, HTTP, and
//! leave the network as INTEROP.md section 5 says.

use crate::prelude::*;

pub mod happy;
pub mod http;
pub mod iface;
pub mod klibc;
pub mod link;
pub mod logical;
pub mod packet;
pub mod resolve;
pub mod rtnl;
pub mod v6;

use crate::cmdline::{Autoconf, Cmdline, IpArg};
use crate::dhcp::{self, Lease};
use crate::error::{Error, Result};
use crate::paths::Paths;
use crate::report::{Left, NetworkEntry, Report};
use crate::seed::Seed;
use crate::sys;
use crate::time::Deadline;
use crate::url::Url;
use crate::wire::dhcpv4::Route;
use crate::wire::netlink::Link;
use core::net::Ipv4Addr;
use core::time::Duration;
use iface::Applied;
use log::{debug, info};
use packet::{Candidate, Session};
use resolve::Resolver;
use rtnl::{Events, Rtnl};

/// What the agent wants fetched. Only `http://` URLs reach this module.
#[derive(Clone, Debug, Default)]
pub struct Request {
    /// `cloud-config-url=`: fetched as is.
    pub cloud_config_url: Option<Url>,
    /// NoCloud `seedfrom` base: `meta-data` and `user-data` required,
    /// `vendor-data` and `network-config` optional (404 = absent).
    pub seed_url: Option<Url>,
    /// What to leave behind (src/plan.rs `network_left`): keep the
    /// interface configured, and whether to render klibc's net-<if>.conf.
    pub keep: bool,
    pub write_conf: bool,
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub cloud_config: Option<Result<Vec<u8>>>,
    pub seed: Option<Result<Seed>>,
    /// When the network is kept: the interface and the klibc-format content
    /// for `/run/net-<if>.conf`; the agent writes it atomically.
    pub klibc_conf: Option<(String, String)>,
    /// The same for IPv6: `/run/net6-<if>.conf`.
    pub klibc6_conf: Option<(String, String)>,
}

/// Default wait for carrier (`cloudseed.carrier-timeout=`).
const CARRIER_TIMEOUT: Duration = Duration::from_secs(10);
/// Time kept back from the deadline for teardown, so leaving the network
/// clean never runs past it.
const TEARDOWN_RESERVE: Duration = Duration::from_millis(300);

/// How the interface came to be configured.
enum Source {
    /// Someone else configured it: use, never tear down.
    Reused,
    Dhcp(Box<Session>, Lease),
    Static(IpArg),
}

/// A configured interface: what to use and what to undo.
struct Up {
    link: Link,
    reason: &'static str,
    source: Source,
    applied: Applied,
    dns: Vec<Ipv4Addr>,
}

/// Brings the network up, fetches what `req` names, and leaves the network
/// kept or torn down. Never runs past `deadline`.
pub fn run(
    cmd: &Cmdline,
    req: &Request,
    paths: &Paths,
    deadline: Deadline,
    report: &mut Report,
) -> Outcome {
    let mut out = Outcome::default();
    // After SIGTERM/SIGINT, do not start: nothing was configured yet.
    if let Some(signal) = sys::caught_signal() {
        return failed(req, report, Error::interrupted(signal));
    }
    let now = sys::now();
    let work = deadline.min_after(
        now,
        deadline.remaining(now).saturating_sub(TEARDOWN_RESERVE),
    );
    if let Some(mut o) = v6::run_only(cmd, req, paths, deadline, work, req.keep, report) {
        if !req.write_conf {
            o.klibc6_conf = None;
        }
        return o;
    }
    let mut rtnl = match Rtnl::open() {
        Ok(r) => r,
        Err(e) => return failed(req, report, e),
    };
    let logical = logical::create(&mut rtnl, &cmd.net, work, report);
    let steered = logical::steer(cmd, &logical);
    let cmd = steered.as_ref().unwrap_or(cmd);
    let mut up = match bring_up(&mut rtnl, cmd, paths, work, deadline, report) {
        Ok(u) => u,
        Err(e) => {
            logical::remove(&mut rtnl, &logical, deadline);
            return failed(req, report, e);
        }
    };
    // nameserver= comes after the servers DHCP or ip= gave
    for n in cmd.net.ipv4_nameservers() {
        if !up.dns.contains(&n) {
            up.dns.push(n);
        }
    }
    let mut up6 = v6::alongside(&mut rtnl, cmd, &up.link, paths, work, deadline, report);
    let resolver = v6::resolver(up.dns.clone(), up6.as_ref());
    fetch_with(req, &resolver, work, report, &mut out);
    if let Some(u) = &mut up6 {
        v6::finish(&mut rtnl, u, req.keep, deadline, &mut out);
        if !req.write_conf {
            // dracut's own network config stands (plan::network_left).
            out.klibc6_conf = None;
        }
    }
    let mut entry = entry_of(&up);
    if matches!(up.source, Source::Reused) {
        entry.left = Some(Left::Kept);
    } else if req.keep && !req.write_conf {
        entry.left = Some(Left::Kept);
        info!(
            "network: keeping {} (the initramfs' own network config stands)",
            up.link.name
        );
    } else if req.keep {
        let mut conf = klibc_conf(&up);
        if conf.hostname.is_empty() {
            // klibc keeps the ip= host name when the server sends none.
            conf.hostname = cmd
                .ip
                .iter()
                .find_map(|a| a.hostname.clone())
                .unwrap_or_default();
        }
        out.klibc_conf = Some((up.link.name.clone(), klibc::render(&conf)));
        entry.left = Some(Left::Kept);
        info!("network: keeping {}", up.link.name);
    } else {
        if let Source::Dhcp(s, _) = &mut up.source {
            packet::release(s);
        }
        iface::undo(&mut rtnl, &up.applied, deadline);
        logical::remove(&mut rtnl, &logical, deadline);
        entry.left = Some(Left::TornDown);
        info!("network: tore down {}", up.link.name);
    }
    report.network = Some(entry);
    out
}

fn failed(req: &Request, report: &mut Report, e: Error) -> Outcome {
    let msg = format!("network: {e}");
    report.error(msg.clone());
    Outcome {
        cloud_config: req
            .cloud_config_url
            .as_ref()
            .map(|_| Err(Error::net(msg.clone()))),
        seed: req.seed_url.as_ref().map(|_| Err(Error::net(msg.clone()))),
        klibc_conf: None,
        klibc6_conf: None,
    }
}

fn mac_str(m: &[u8; 6]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn entry_of(up: &Up) -> NetworkEntry {
    let mut e = NetworkEntry {
        interface: Some(up.link.name.clone()),
        reason: Some(up.reason.to_string()),
        mac: up.link.mac.as_ref().map(mac_str),
        dns: up.dns.iter().map(|d| d.to_string()).collect(),
        ..NetworkEntry::default()
    };
    if let Some((a, p)) = up.applied.addr {
        e.address = Some(a.to_string());
        e.prefix = Some(p);
    }
    match &up.source {
        Source::Dhcp(_, l) => {
            e.gateway = l.gateway().map(|g| g.to_string());
            e.server = Some(l.server_id.to_string());
            e.lease_s = l.lease_s;
        }
        Source::Static(a) => e.gateway = a.gateway.map(|g| g.to_string()),
        Source::Reused => {}
    }
    e
}

fn klibc_conf(up: &Up) -> klibc::Conf {
    let (address, prefix) = up.applied.addr.unwrap_or((Ipv4Addr::UNSPECIFIED, 0));
    let bc = Ipv4Addr::from(u32::from(address) | !u32::from(dhcp::prefix_to_mask(prefix)));
    let mut c = klibc::Conf {
        device: up.link.name.clone(),
        dhcp: false,
        address,
        netmask: dhcp::prefix_to_mask(prefix),
        broadcast: bc,
        gateway: None,
        dns: up.dns.clone(),
        hostname: String::new(),
        dnsdomain: String::new(),
        rootserver: None,
        filename: String::new(),
        lease_s: None,
        domain_search: vec![],
    };
    match &up.source {
        Source::Dhcp(_, l) => {
            c.dhcp = true;
            c.broadcast = l.broadcast;
            c.gateway = l.gateway();
            c.hostname = l.hostname.clone().unwrap_or_default();
            c.dnsdomain = l.domain.clone().unwrap_or_default();
            c.rootserver = Some(l.next_server);
            c.filename = l.bootfile.clone();
            c.lease_s = l.lease_s;
            c.domain_search = l.domain_search.clone();
        }
        Source::Static(a) => {
            c.gateway = a.gateway;
            c.hostname = a.hostname.clone().unwrap_or_default();
            c.rootserver = a.peer;
        }
        Source::Reused => {}
    }
    c
}

/// A global IPv4 address on a link that a default route uses.
fn existing(
    rtnl: &mut Rtnl,
    links: &[Link],
    deadline: Deadline,
) -> Result<Option<(Link, Ipv4Addr, u8)>> {
    let routes = rtnl.routes(deadline)?;
    let defaults: Vec<_> = routes
        .iter()
        .filter(|r| r.dst_len == 0 && r.table == 254)
        .collect();
    if defaults.is_empty() {
        return Ok(None);
    }
    let addrs = rtnl.addrs(deadline)?;
    for a in addrs.iter().filter(|a| a.scope == 0) {
        let Some(l) = links.iter().find(|l| l.index == a.index) else {
            continue;
        };
        if l.flags & crate::wire::netlink::IFF_LOOPBACK != 0 {
            continue;
        }
        if defaults
            .iter()
            .any(|r| r.oif.is_none() || r.oif == Some(l.index))
        {
            return Ok(Some((l.clone(), a.address, a.prefix)));
        }
    }
    Ok(None)
}

/// `nameserver` lines of resolv.conf, for an interface someone else set up.
fn resolv_conf_servers() -> Vec<Ipv4Addr> {
    crate::os::fs::read_to_string("/etc/resolv.conf")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.strip_prefix("nameserver"))
        .filter_map(|v| v.trim().parse().ok())
        .collect()
}

/// The deadlines `bring_up` works under: `work` for each step, `hard` for
/// undoing, `carrier` for the link to come up.
#[derive(Copy, Clone)]
struct Limits {
    work: Deadline,
    hard: Deadline,
    carrier: Deadline,
}

/// The links chosen for this boot, which of them we raised, and why.
struct Chosen {
    links: Vec<Link>,
    raised: Vec<u32>,
    reason: &'static str,
}

impl Chosen {
    /// Lowers the links we raised, except `keep`.
    fn lower(&self, rtnl: &mut Rtnl, keep: Option<u32>, hard: Deadline) {
        for &i in self.raised.iter().filter(|&&i| Some(i) != keep) {
            let _ = rtnl.set_link(i, false, None, hard);
        }
    }
}

fn bring_up(
    rtnl: &mut Rtnl,
    cmd: &Cmdline,
    paths: &Paths,
    deadline: Deadline,
    hard: Deadline,
    report: &mut Report,
) -> Result<Up> {
    // Subscribe before touching anything so no carrier event is missed.
    let mut events = Events::open()?;
    let links = rtnl.links(deadline)?;
    let ip_dns: Vec<Ipv4Addr> = cmd.ip.iter().flat_map(|a| a.dns.iter().copied()).collect();
    if let Some(up) = reuse_existing(rtnl, &links, &ip_dns, deadline)? {
        return Ok(up);
    }
    let chosen = choose_links(rtnl, links, cmd, paths, deadline, report)?;
    let now = sys::now();
    let limits = Limits {
        work: deadline,
        hard,
        carrier: deadline.min_after(now, cmd.knobs.carrier_timeout.unwrap_or(CARRIER_TIMEOUT)),
    };
    // Static ip=<client>:…:none on the first chosen link it names.
    if let Some(a) = cmd.ip.iter().find(|a| a.autoconf == Autoconf::Static) {
        return configure_static(rtnl, &mut events, a, &chosen, ip_dns, limits);
    }
    configure_dhcp(rtnl, &mut events, cmd, &chosen, ip_dns, limits, report)
}

/// An interface someone else configured before us: use it, never race it.
fn reuse_existing(
    rtnl: &mut Rtnl,
    links: &[Link],
    ip_dns: &[Ipv4Addr],
    deadline: Deadline,
) -> Result<Option<Up>> {
    let Some((link, address, prefix)) = existing(rtnl, links, deadline)? else {
        return Ok(None);
    };
    info!(
        "network: reusing {} ({address}/{prefix}, configured before us)",
        link.name
    );
    let mut dns = ip_dns.to_vec();
    if dns.is_empty() {
        dns = resolv_conf_servers();
    }
    let applied = Applied {
        index: link.index,
        name: link.name.clone(),
        addr: Some((address, prefix)),
        ..Applied::default()
    };
    Ok(Some(Up {
        link,
        reason: "existing address",
        source: Source::Reused,
        applied,
        dns,
    }))
}

/// Selects the candidate links and brings each up, remembering which we raised.
fn choose_links(
    rtnl: &mut Rtnl,
    links: Vec<Link>,
    cmd: &Cmdline,
    paths: &Paths,
    deadline: Deadline,
    report: &mut Report,
) -> Result<Chosen> {
    let infos: Vec<link::LinkInfo> = links
        .iter()
        .cloned()
        .map(|l| link::describe(paths, l))
        .collect();
    let sel = link::select(&infos, cmd);
    for u in &sel.unmatched {
        report.warn(format!("network: {u} matches no interface"));
    }
    if sel.indexes.is_empty() {
        return Err(Error::net("no usable network interface"));
    }
    let chosen: Vec<Link> = sel
        .indexes
        .iter()
        .filter_map(|i| links.iter().find(|l| l.index == *i).cloned())
        .collect();
    let names: Vec<&str> = chosen.iter().map(|l| l.name.as_str()).collect();
    info!("network: trying {} ({})", names.join(", "), sel.reason);
    let mut raised = Vec::new();
    for l in &chosen {
        if !l.is_up() {
            rtnl.set_link(l.index, true, None, deadline)?;
            raised.push(l.index);
        }
    }
    Ok(Chosen {
        links: chosen,
        raised,
        reason: sel.reason,
    })
}

/// `ip=<client>:<peer>:<gw>:<mask>:<host>:<if>:none`: no DHCP at all.
fn configure_static(
    rtnl: &mut Rtnl,
    events: &mut Events,
    a: &IpArg,
    chosen: &Chosen,
    ip_dns: Vec<Ipv4Addr>,
    lim: Limits,
) -> Result<Up> {
    let l = a
        .device
        .as_deref()
        .and_then(|d| chosen.links.iter().find(|l| l.name == d))
        .unwrap_or(&chosen.links[0])
        .clone();
    chosen.lower(rtnl, Some(l.index), lim.hard);
    let prefix = a.netmask.and_then(dhcp::mask_to_prefix).unwrap_or(24);
    let address = a.client.unwrap_or(Ipv4Addr::UNSPECIFIED);
    let mut routes = Vec::new();
    if let Some(gw) = a.gateway.filter(|g| !g.is_unspecified()) {
        routes.push(Route {
            dst: Ipv4Addr::UNSPECIFIED,
            prefix: 0,
            gateway: gw,
        });
    }
    let config = iface::Config {
        address,
        prefix,
        broadcast: Ipv4Addr::from(u32::from(address) | !u32::from(dhcp::prefix_to_mask(prefix))),
        routes,
        mtu: a.mtu,
    };
    let mut applied = Applied {
        index: l.index,
        name: l.name.clone(),
        raised: chosen.raised.contains(&l.index),
        ..Applied::default()
    };
    if let Err(e) = iface::apply(rtnl, &mut applied, &config, l.mtu, lim.work) {
        iface::undo(rtnl, &applied, lim.hard);
        return Err(e);
    }
    wait_carrier(rtnl, events, l.index, lim.carrier)?;
    info!("network: static {address}/{prefix} on {}", l.name);
    Ok(Up {
        link: l,
        reason: "ip=",
        source: Source::Static(a.clone()),
        applied,
        dns: ip_dns,
    })
}

/// DHCPv4 on every chosen link at once; the first lease wins.
fn configure_dhcp(
    rtnl: &mut Rtnl,
    events: &mut Events,
    cmd: &Cmdline,
    chosen: &Chosen,
    ip_dns: Vec<Ipv4Addr>,
    lim: Limits,
    report: &mut Report,
) -> Result<Up> {
    let candidates: Vec<Candidate> = chosen
        .links
        .iter()
        .filter_map(|l| {
            Some(Candidate {
                index: l.index,
                name: l.name.clone(),
                mac: l.mac?,
            })
        })
        .collect();
    if candidates.is_empty() {
        chosen.lower(rtnl, None, lim.hard);
        return Err(Error::net("no chosen interface has a hardware address"));
    }
    let hostname = cmd.ip.iter().find_map(|a| a.hostname.clone());
    let acquired = packet::acquire(
        rtnl,
        events,
        &candidates,
        hostname,
        lim.carrier,
        lim.work,
        report,
    );
    let (session, lease) = match acquired {
        Ok(x) => x,
        Err(e) => {
            chosen.lower(rtnl, None, lim.hard);
            return Err(e);
        }
    };
    let index = session.link.index;
    chosen.lower(rtnl, Some(index), lim.hard);
    let link = chosen
        .links
        .iter()
        .find(|l| l.index == index)
        .cloned()
        .unwrap_or_default();
    let mut applied = Applied {
        index,
        name: link.name.clone(),
        raised: chosen.raised.contains(&index),
        ..Applied::default()
    };
    let config = iface::Config::from_lease(&lease);
    if let Err(e) = iface::apply(rtnl, &mut applied, &config, link.mtu, lim.work) {
        iface::undo(rtnl, &applied, lim.hard);
        return Err(e);
    }
    let mut dns = lease.dns.clone();
    dns.extend(ip_dns.iter().filter(|d| !lease.dns.contains(d)));
    Ok(Up {
        link,
        reason: chosen.reason,
        source: Source::Dhcp(Box::new(session), lease),
        applied,
        dns,
    })
}

/// Waits for IFF_LOWER_UP on one link (static configuration).
fn wait_carrier(rtnl: &mut Rtnl, events: &mut Events, index: u32, until: Deadline) -> Result<()> {
    let has = |links: &[Link]| links.iter().any(|l| l.index == index && l.has_carrier());
    if has(&rtnl.links(until)?) {
        return Ok(());
    }
    loop {
        let now = sys::now();
        if until.expired(now) {
            return Err(Error::net("no carrier"));
        }
        let ready = sys::poll_readable(&[events.fd()], until.remaining(now))
            .map_err(|e| Error::io("poll", "rtnetlink", e))?;
        if ready[0] {
            let (links, lost) = events.drain();
            if has(&links) || (lost && has(&rtnl.links(until)?)) {
                return Ok(());
            }
        }
    }
}

fn fetch_with(
    req: &Request,
    resolver: &Resolver,
    deadline: Deadline,
    report: &mut Report,
    out: &mut Outcome,
) {
    if let Some(url) = &req.cloud_config_url {
        out.cloud_config = Some(match http::get(url, resolver, deadline, report) {
            Ok(http::Body::Found(b)) => Ok(b),
            Ok(http::Body::NotFound) => Err(Error::net(format!("{url}: not found"))),
            Err(e) => Err(e),
        });
    }
    if let Some(base) = &req.seed_url {
        out.seed = Some(fetch_seed(base, resolver, deadline, report));
    }
}

fn fetch_seed(
    base: &Url,
    resolver: &Resolver,
    deadline: Deadline,
    report: &mut Report,
) -> Result<Seed> {
    let mut get = |name: &str, required: bool| -> Result<Option<Vec<u8>>> {
        let url = base.seed_file(name)?;
        match http::get(&url, resolver, deadline, report)? {
            http::Body::Found(b) => Ok(Some(b)),
            http::Body::NotFound if required => Err(Error::net(format!("{url}: not found"))),
            http::Body::NotFound => {
                debug!("seed: no {name}");
                Ok(None)
            }
        }
    };
    let meta_data = get("meta-data", true)?.unwrap_or_default();
    let user_data = get("user-data", true)?.unwrap_or_default();
    let vendor_data = get("vendor-data", false)?;
    let network_config = get("network-config", false)?;
    Ok(Seed {
        meta_data,
        user_data,
        vendor_data,
        network_config,
    })
}
