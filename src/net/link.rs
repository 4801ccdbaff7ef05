//! Which links to use: the cmdline's explicit choice (BOOTIF, `ip=`,
//! `ifname=`, `cloudseed.interface=`) or else every wired physical link.
//! `select` is pure; `describe` reads the sysfs facts it needs.

use crate::prelude::*;

use crate::cmdline::{parse_mac, Cmdline, Mac};
use crate::paths::Paths;
use crate::wire::netlink::{Link, IFF_LOOPBACK};

/// A link with the sysfs facts `select` needs.
#[derive(Clone, Debug)]
pub struct LinkInfo {
    pub link: Link,
    pub wireless: bool,
    /// `/sys/class/net/X/device` exists: backed by hardware (or a virtio device).
    pub has_device: bool,
}

/// Link kinds that are never a first choice (IFLA_INFO_KIND).
const VIRTUAL_KINDS: &[&str] = &[
    "bridge",
    "bond",
    "team",
    "tun",
    "tap",
    "veth",
    "vlan",
    "macvlan",
    "macvtap",
    "ipvlan",
    "dummy",
    "vxlan",
    "gre",
    "gretap",
    "ipip",
    "sit",
    "wireguard",
    "vrf",
    "geneve",
    "ifb",
    "nlmon",
];

pub fn describe(paths: &Paths, link: Link) -> LinkInfo {
    let dir = paths.class_net().join(&link.name);
    LinkInfo {
        wireless: dir.join("wireless").exists() || dir.join("phy80211").exists(),
        has_device: dir.join("device").exists(),
        link,
    }
}

fn is_wired_physical(l: &LinkInfo) -> bool {
    l.link.flags & IFF_LOOPBACK == 0
        && l.link.mac.is_some()
        && !l.wireless
        && l.has_device
        && !l
            .link
            .kind
            .as_deref()
            .is_some_and(|k| VIRTUAL_KINDS.contains(&k))
}

/// The links to bring up and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    pub indexes: Vec<u32>,
    pub reason: &'static str,
    /// Explicit choices that matched no link (reported as warnings).
    pub unmatched: Vec<String>,
}

/// A name or MAC matches a link.
fn find(links: &[LinkInfo], spec: &str) -> Option<u32> {
    let mac: Option<Mac> = parse_mac(spec);
    links
        .iter()
        .find(|l| l.link.name == spec || (mac.is_some() && l.link.mac == mac))
        .map(|l| l.link.index)
}

fn mac_str(m: &Mac) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

pub fn select(links: &[LinkInfo], cmd: &Cmdline) -> Selection {
    let mut unmatched = Vec::new();
    let pick = |specs: Vec<String>, reason: &'static str, unmatched: &mut Vec<String>| {
        let mut idx = Vec::new();
        for s in specs {
            match find(links, &s) {
                Some(i) if !idx.contains(&i) => idx.push(i),
                Some(_) => {}
                None => unmatched.push(format!("{reason} {s}")),
            }
        }
        (!idx.is_empty()).then_some(Selection {
            indexes: idx,
            reason,
            unmatched: vec![],
        })
    };
    let chosen = (|| {
        if let Some(m) = &cmd.bootif {
            if let Some(s) = pick(vec![mac_str(m)], "BOOTIF", &mut unmatched) {
                return Some(s);
            }
        }
        // ip=: the device field (BOOTIF there means the BOOTIF MAC; a name
        // given by ifname= maps to its MAC), or dracut's MAC field.
        let mut specs = Vec::new();
        for a in cmd.ip.iter().filter(|a| a.wants_network()) {
            match a.device.as_deref() {
                Some("BOOTIF") => specs.extend(cmd.bootif.as_ref().map(mac_str)),
                Some(d) => match cmd.ifnames.iter().find(|(n, _)| n == d) {
                    Some((_, m)) => specs.push(mac_str(m)),
                    None => specs.push(d.to_string()),
                },
                None => {}
            }
            specs.extend(a.mac.as_ref().map(mac_str));
        }
        if let Some(s) = pick(specs, "ip=", &mut unmatched) {
            return Some(s);
        }
        // ifname=<name>:<mac> on its own names the interface dracut would use.
        let specs = cmd.ifnames.iter().map(|(_, m)| mac_str(m)).collect();
        if let Some(s) = pick(specs, "ifname=", &mut unmatched) {
            return Some(s);
        }
        if let Some(list) = &cmd.knobs.interface {
            let specs = list
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            if let Some(s) = pick(specs, "cloudseed.interface", &mut unmatched) {
                return Some(s);
            }
        }
        None
    })();
    let mut sel = chosen.unwrap_or_else(|| Selection {
        indexes: links
            .iter()
            .filter(|l| is_wired_physical(l))
            .map(|l| l.link.index)
            .collect(),
        reason: "first lease",
        unmatched: vec![],
    });
    sel.unmatched = unmatched;
    sel
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmdline::parse;

    fn li(index: u32, name: &str, mac: u8, kind: Option<&str>, device: bool) -> LinkInfo {
        LinkInfo {
            link: Link {
                index,
                name: name.into(),
                mac: Some([0x52, 0x54, 0, 0, 0, mac]),
                kind: kind.map(str::to_string),
                flags: if name == "lo" { IFF_LOOPBACK } else { 0 },
                ..Link::default()
            },
            wireless: name.starts_with("wl"),
            has_device: device,
        }
    }

    fn links() -> Vec<LinkInfo> {
        vec![
            li(1, "lo", 0, None, false),
            li(2, "eth0", 1, None, true),
            li(3, "eth1", 2, None, true),
            li(4, "wlan0", 3, None, true),
            li(5, "br0", 4, Some("bridge"), false),
            li(6, "veth9", 5, Some("veth"), false),
        ]
    }

    fn sel(cmdline: &str) -> Selection {
        select(&links(), &parse(cmdline, None, &|_| None))
    }

    #[test]
    fn default_is_every_wired_physical_link() {
        let s = sel("quiet");
        assert_eq!((s.indexes, s.reason), (vec![2, 3], "first lease"));
    }

    #[test]
    fn explicit_choices_in_order() {
        assert_eq!(
            sel("BOOTIF=01-52-54-00-00-00-02 ip=eth0:dhcp").indexes,
            vec![3]
        );
        assert_eq!(
            sel("ip=::::h:BOOTIF:dhcp BOOTIF=01-52-54-00-00-00-02").reason,
            "BOOTIF"
        );
        let s = sel("ip=eth1:dhcp cloudseed.interface=eth0");
        assert_eq!((s.indexes, s.reason), (vec![3], "ip="));
        assert_eq!(
            sel("ip=net0:dhcp ifname=net0:52:54:00:00:00:02").indexes,
            vec![3]
        );
        let s = sel("cloudseed.interface=veth9,52:54:00:00:00:04,nope");
        assert_eq!((s.indexes, s.reason), (vec![6, 5], "cloudseed.interface"));
        assert_eq!(s.unmatched, vec!["cloudseed.interface nope"]);
    }

    #[test]
    fn unmatched_bootif_falls_through() {
        let s = sel("BOOTIF=01-00-00-00-00-00-09");
        assert_eq!((s.indexes, s.reason), (vec![2, 3], "first lease"));
        assert_eq!(s.unmatched.len(), 1);
    }
}
