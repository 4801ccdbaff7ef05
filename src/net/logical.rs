//! VLAN and bond links from dracut's `vlan=` and `bond=` (src/netargs.rs),
//! created over rtnetlink before DHCP and deleted on teardown unless the
//! network is kept. The kernel needs the 8021q and bonding modules.

use crate::prelude::*;

use super::rtnl::Rtnl;
use crate::cmdline::Cmdline;
use crate::error::{Error, Result};
use crate::netargs::NetArgs;
use crate::report::Report;
use crate::time::Deadline;
use crate::wire::netlink::logical::{self, BondData};
use crate::wire::netlink::Link;
use log::info;

/// What we created or changed, to undo in reverse.
#[derive(Debug, Default)]
pub struct Created {
    /// Links we created (bonds first, then VLANs), by name.
    links: Vec<String>,
    /// Every logical link asked for that exists now (created or found).
    usable: Vec<String>,
    /// Lower links we brought up (a VLAN's parent, a bond's slaves).
    raised: Vec<u32>,
}

fn find<'a>(links: &'a [Link], name: &str) -> Option<&'a Link> {
    links.iter().find(|l| l.name == name)
}

/// Creates every bond (enslaving its slaves), then every VLAN, and brings
/// them and their lower links up. A link that exists already is used as it
/// is. Problems are warnings: DHCP on another link may still work.
pub fn create(rtnl: &mut Rtnl, args: &NetArgs, deadline: Deadline, report: &mut Report) -> Created {
    let mut c = Created::default();
    for b in &args.bonds {
        if let Err(e) = bond(rtnl, &mut c, b, deadline) {
            report.warn(format!("network: bond {}: {e}", b.name));
        }
    }
    for v in &args.vlans {
        if let Err(e) = vlan(rtnl, &mut c, v, deadline) {
            report.warn(format!("network: vlan {}: {e}", v.name));
        }
    }
    c
}

fn bond(
    rtnl: &mut Rtnl,
    c: &mut Created,
    b: &crate::netargs::Bond,
    deadline: Deadline,
) -> Result<()> {
    let links = rtnl.links(deadline)?;
    let existed = find(&links, &b.name).cloned();
    if let Some(l) = existed.as_ref().filter(|l| l.is_up()) {
        info!("network: {} is up already, used as it is", l.name);
        c.usable.push(b.name.clone());
        return Ok(());
    }
    let slaves: Vec<&Link> = b.slaves.iter().filter_map(|s| find(&links, s)).collect();
    if slaves.is_empty() {
        return Err(Error::net(format!(
            "none of its slaves {} exists",
            b.slaves.join(",")
        )));
    }
    let data = BondData {
        mode: b.mode,
        miimon: b.miimon,
        primary: b
            .primary
            .as_deref()
            .and_then(|p| find(&links, p))
            .map(|l| l.index),
    };
    // A bond that exists but is down is the empty one the bonding module
    // makes when it loads with its default max_bonds=1 (also while our
    // request loads it, which then fails with EEXIST): configure that one.
    let created = match &existed {
        None => rtnl.request(|s| logical::new_bond(s, &b.name, b.mtu, &data), deadline),
        Some(_) => Err(Error::net("exists")),
    };
    if created.is_err() {
        let now = rtnl.links(deadline)?;
        let index = find(&now, &b.name)
            .ok_or_else(|| created.unwrap_err())?
            .index;
        rtnl.request(|s| logical::change_bond(s, index, b.mtu, &data), deadline)?;
        info!("network: configuring the existing empty {}", b.name);
    }
    c.links.push(b.name.clone());
    let index = find(&rtnl.links(deadline)?, &b.name)
        .map(|l| l.index)
        .ok_or_else(|| Error::net("created but not listed"))?;
    for s in &slaves {
        // A slave must be down to be enslaved; the bond brings it up.
        rtnl.set_link(s.index, false, None, deadline)?;
        rtnl.request(|q| logical::set_master(q, s.index, index), deadline)?;
        c.raised.push(s.index);
    }
    rtnl.set_link(index, true, None, deadline)?;
    c.usable.push(b.name.clone());
    info!("network: bond {} ({}) up", b.name, b.mode_name());
    Ok(())
}

fn vlan(
    rtnl: &mut Rtnl,
    c: &mut Created,
    v: &crate::netargs::Vlan,
    deadline: Deadline,
) -> Result<()> {
    let links = rtnl.links(deadline)?;
    if find(&links, &v.name).is_some() {
        info!("network: {} exists, used as it is", v.name);
        c.usable.push(v.name.clone());
        return Ok(());
    }
    let phys = find(&links, &v.phys).ok_or_else(|| Error::net(format!("no link {}", v.phys)))?;
    rtnl.request(
        |s| logical::new_vlan(s, &v.name, phys.index, v.id),
        deadline,
    )?;
    c.links.push(v.name.clone());
    c.usable.push(v.name.clone());
    if !phys.is_up() {
        rtnl.set_link(phys.index, true, None, deadline)?;
        c.raised.push(phys.index);
    }
    info!(
        "network: created vlan {} (id {}) on {}",
        v.name, v.id, v.phys
    );
    Ok(())
}

/// As dracut's ifup does, DHCP runs on the VLAN or bond, not on its lower
/// links: when nothing on the command line names an interface, the logical
/// links become the candidates (as if `cloudseed.interface=` listed them).
pub fn steer(cmd: &Cmdline, c: &Created) -> Option<Cmdline> {
    let named = cmd.bootif.is_some()
        || !cmd.ifnames.is_empty()
        || cmd.knobs.interface.is_some()
        || cmd.ip.iter().any(|a| a.device.is_some() || a.mac.is_some());
    // the top of a stack only: not a bond that carries a VLAN
    let top: Vec<&str> = c
        .usable
        .iter()
        .filter(|n| !cmd.net.vlans.iter().any(|v| &v.phys == *n))
        .map(String::as_str)
        .collect();
    if named || top.is_empty() {
        return None;
    }
    let mut steered = cmd.clone();
    steered.knobs.interface = Some(top.join(","));
    Some(steered)
}

/// Deletes what `create` made (VLANs before the bonds under them) and takes
/// the lower links it raised down again.
pub fn remove(rtnl: &mut Rtnl, c: &Created, deadline: Deadline) {
    let Ok(links) = rtnl.links(deadline) else {
        return;
    };
    for name in c.links.iter().rev() {
        if let Some(l) = find(&links, name) {
            let _ = rtnl.request(|s| logical::del_link(s, l.index), deadline);
        }
    }
    for &i in &c.raised {
        let _ = rtnl.set_link(i, false, None, deadline);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn created(names: &[&str]) -> Created {
        Created {
            usable: names.iter().map(|s| s.to_string()).collect(),
            ..Created::default()
        }
    }

    #[test]
    fn logical_links_are_the_candidates_unless_something_is_named() {
        let p = |s: &str| crate::cmdline::parse(s, None, &|_| None);
        let c = created(&["bond0", "vlan100"]);
        let s = steer(&p("vlan=vlan100:bond0 bond ip=dhcp"), &c).unwrap();
        assert_eq!(
            s.knobs.interface.as_deref(),
            Some("vlan100"),
            "not the bond under it"
        );
        let s = steer(&p("vlan=vlan100:eth0 bond rd.neednet=1"), &c).unwrap();
        assert_eq!(s.knobs.interface.as_deref(), Some("bond0,vlan100"));
        for named in [
            "ip=vlan100:dhcp",
            "ip=eth0:dhcp",
            "cloudseed.interface=eth1",
            "BOOTIF=01-52-54-00-12-34-56",
            "ifname=lan:52:54:00:12:34:56",
        ] {
            assert!(steer(&p(named), &c).is_none(), "{named}");
        }
        assert!(steer(&p("ip=dhcp"), &created(&[])).is_none());
    }
}
