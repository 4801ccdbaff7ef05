//! Configuring one interface over rtnetlink and undoing exactly what we did:
//! every change is recorded in `Applied` so teardown removes only our own
//! addresses and routes and restores the link's prior state.

use crate::prelude::*;

use crate::dhcp::Lease;
use crate::error::Result;
use crate::net::rtnl::Rtnl;
use crate::time::Deadline;
use crate::wire::dhcpv4::Route;
use core::net::Ipv4Addr;
use log::debug;

#[derive(Clone, Debug, Default)]
pub struct Applied {
    pub index: u32,
    pub name: String,
    /// We set IFF_UP (it was down before us).
    pub raised: bool,
    /// The MTU before we changed it.
    pub prior_mtu: Option<u32>,
    pub addr: Option<(Ipv4Addr, u8)>,
    pub routes: Vec<Route>,
}

/// The address and routes of a lease or a static `ip=`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub address: Ipv4Addr,
    pub prefix: u8,
    pub broadcast: Ipv4Addr,
    pub routes: Vec<Route>,
    pub mtu: Option<u32>,
}

impl Config {
    pub fn from_lease(l: &Lease) -> Config {
        Config {
            address: l.address,
            prefix: l.prefix,
            broadcast: l.broadcast,
            routes: l.routes(),
            mtu: l.mtu.map(u32::from),
        }
    }
}

/// On-link routes first: a gateway must be reachable before a route via it.
pub fn ordered(routes: &[Route]) -> Vec<Route> {
    let (mut r, via): (Vec<Route>, Vec<Route>) = routes
        .iter()
        .cloned()
        .partition(|r| r.gateway.is_unspecified());
    r.extend(via);
    r
}

pub fn apply(
    rtnl: &mut Rtnl,
    a: &mut Applied,
    c: &Config,
    cur_mtu: Option<u32>,
    deadline: Deadline,
) -> Result<()> {
    if let Some(m) = c.mtu.filter(|&m| Some(m) != cur_mtu) {
        rtnl.set_link(a.index, true, Some(m), deadline)?;
        a.prior_mtu = cur_mtu;
    }
    rtnl.addr(
        true,
        a.index,
        c.address,
        c.prefix,
        Some(c.broadcast),
        deadline,
    )?;
    a.addr = Some((c.address, c.prefix));
    for r in ordered(&c.routes) {
        let gw = (!r.gateway.is_unspecified()).then_some(r.gateway);
        match rtnl.route(true, a.index, r.dst, r.prefix, gw, deadline) {
            Ok(()) => a.routes.push(r),
            // One bad route from a server must not cost us the fetch.
            Err(e) => debug!("route {}/{} via {:?}: {e}", r.dst, r.prefix, gw),
        }
    }
    Ok(())
}

/// Undoes `apply` and the link-up, best effort, in reverse order.
pub fn undo(rtnl: &mut Rtnl, a: &Applied, deadline: Deadline) {
    for r in ordered(&a.routes).iter().rev() {
        let gw = (!r.gateway.is_unspecified()).then_some(r.gateway);
        if let Err(e) = rtnl.route(false, a.index, r.dst, r.prefix, gw, deadline) {
            debug!("teardown: route {}/{}: {e}", r.dst, r.prefix);
        }
    }
    if let Some((ip, prefix)) = a.addr {
        if let Err(e) = rtnl.addr(false, a.index, ip, prefix, None, deadline) {
            debug!("teardown: address {ip}/{prefix}: {e}");
        }
    }
    if a.prior_mtu.is_some() || a.raised {
        let up = !a.raised;
        if let Err(e) = rtnl.set_link(a.index, up, a.prior_mtu, deadline) {
            debug!("teardown: link {}: {e}", a.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_link_routes_come_first() {
        let via = Route {
            dst: Ipv4Addr::UNSPECIFIED,
            prefix: 0,
            gateway: Ipv4Addr::new(192, 168, 7, 1),
        };
        let link = Route {
            dst: Ipv4Addr::new(192, 168, 7, 1),
            prefix: 32,
            gateway: Ipv4Addr::UNSPECIFIED,
        };
        assert_eq!(ordered(&[via.clone(), link.clone()]), vec![link, via]);
    }
}
