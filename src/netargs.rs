//! dracut.cmdline(7) network keys besides `ip=`: `vlan=`, `bond=`,
//! `nameserver=` and `rd.neednet=`. Pure: tokens in, typed arguments and
//! warnings out. Semantics follow dracut's 40network `parse-vlan.sh`,
//! `parse-bond.sh` and `net-lib.sh` (`get_vid`).

use crate::prelude::*;

use core::net::IpAddr;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NetArgs {
    /// Every `vlan=<name>:<phys>`, in order.
    pub vlans: Vec<Vlan>,
    /// Every `bond=…`, in order.
    pub bonds: Vec<Bond>,
    /// `nameserver=` (repeatable), IPv4 or IPv6.
    pub nameservers: Vec<IpAddr>,
    /// `rd.neednet=0|1`; the last one wins.
    pub neednet: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vlan {
    pub name: String,
    pub phys: String,
    /// From the name, as dracut's `get_vid`: `vlan0005`, `vlan5`,
    /// `eth0.0005`, `eth0.5`.
    pub id: u16,
}

/// Bonding modes by their kernel number (`modinfo bonding`).
const MODES: [&str; 7] = [
    "balance-rr",
    "active-backup",
    "balance-xor",
    "broadcast",
    "802.3ad",
    "balance-tlb",
    "balance-alb",
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bond {
    pub name: String,
    pub slaves: Vec<String>,
    /// `IFLA_BOND_MODE`: 0 (balance-rr) unless `mode=` says otherwise.
    pub mode: u8,
    /// `miimon=` in ms.
    pub miimon: Option<u32>,
    /// `primary=`: a slave's name.
    pub primary: Option<String>,
    pub mtu: Option<u32>,
}

impl Bond {
    pub fn mode_name(&self) -> &'static str {
        MODES.get(usize::from(self.mode)).copied().unwrap_or("?")
    }
}

impl NetArgs {
    /// True when the command line names a VLAN or bond to create.
    pub fn has_logical(&self) -> bool {
        !self.vlans.is_empty() || !self.bonds.is_empty()
    }
    /// The IPv4 `nameserver=` entries, in order.
    pub fn ipv4_nameservers(&self) -> impl Iterator<Item = core::net::Ipv4Addr> + '_ {
        self.nameservers.iter().filter_map(|a| match a {
            IpAddr::V4(v4) => Some(*v4),
            IpAddr::V6(_) => None,
        })
    }
}

/// Takes one `key[=value]` token if it is one of ours; returns false when
/// not. Malformed values are skipped with a warning.
pub fn token(n: &mut NetArgs, warnings: &mut Vec<String>, key: &str, val: Option<&str>) -> bool {
    let v = val.unwrap_or("");
    let ok = match key {
        "vlan" => parse_vlan(v).map(|x| n.vlans.push(x)).is_some(),
        "bond" => parse_bond(v, warnings).map(|b| n.bonds.push(b)).is_some(),
        "nameserver" => v
            .trim_matches(|c| c == '[' || c == ']')
            .parse()
            .map(|a| n.nameservers.push(a))
            .is_ok(),
        "rd.neednet" => {
            n.neednet = match val {
                Some("1") | None => Some(true),
                Some("0") => Some(false),
                _ => n.neednet,
            };
            matches!(val, Some("1" | "0") | None)
        }
        _ => return false,
    };
    if !ok {
        warnings.push(format!("ignoring malformed {key}={v}"));
    }
    true
}

/// dracut `get_vid`: the digits after `vlan` or after the last `.`.
fn vlan_id(name: &str) -> Option<u16> {
    let digits = match name.strip_prefix("vlan") {
        Some(d) => d,
        None => name.rsplit_once('.')?.1,
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // decimal with leading zeros (vlan0005); 802.1Q ids are 1..=4094
    let id: u16 = digits.parse().ok()?;
    (1..=4094).contains(&id).then_some(id)
}

/// A kernel interface name: 1..=15 bytes, no `/`, `:` or whitespace.
fn ifname_ok(s: &str) -> bool {
    (1..=15).contains(&s.len()) && !s.contains(['/', ':']) && !s.contains(char::is_whitespace)
}

fn parse_vlan(v: &str) -> Option<Vlan> {
    let (name, phys) = v.split_once(':')?;
    if !ifname_ok(name) || !ifname_ok(phys) {
        return None;
    }
    Some(Vlan {
        name: name.into(),
        phys: phys.into(),
        id: vlan_id(name)?,
    })
}

/// `bond=<name>[:<slaves>[:<options>[:<mtu>]]]`; plain `bond` is
/// `bond0:eth0,eth1:mode=balance-rr`.
fn parse_bond(v: &str, warnings: &mut Vec<String>) -> Option<Bond> {
    let mut parts = v.split(':');
    let name = parts.next().filter(|n| !n.is_empty()).unwrap_or("bond0");
    let slaves: Vec<String> = match parts.next() {
        Some(s) => s
            .split(',')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        None => vec!["eth0".into(), "eth1".into()],
    };
    let mut b = Bond {
        name: name.into(),
        slaves,
        mode: 0,
        miimon: None,
        primary: None,
        mtu: None,
    };
    if let Some(opts) = parts.next() {
        for o in opts.split(',').filter(|o| !o.is_empty()) {
            let (k, val) = o.split_once('=').unwrap_or((o, ""));
            let okay = match k {
                "mode" => MODES
                    .iter()
                    .position(|m| *m == val)
                    .or_else(|| val.parse::<usize>().ok().filter(|&n| n < MODES.len()))
                    .map(|m| b.mode = m as u8)
                    .is_some(),
                "miimon" => val.parse().map(|m| b.miimon = Some(m)).is_ok(),
                "primary" => {
                    ifname_ok(val) && {
                        b.primary = Some(val.into());
                        true
                    }
                }
                _ => false, // not applied (lacp_rate, xmit_hash_policy, …)
            };
            if !okay {
                warnings.push(format!("bond {name}: ignoring option {o}"));
            }
        }
    }
    if let Some(m) = parts.next() {
        b.mtu = Some(m.parse().ok().filter(|&m| m >= 68)?);
    }
    if parts.next().is_some()
        || !ifname_ok(name)
        || b.slaves.is_empty()
        || !b.slaves.iter().all(|s| ifname_ok(s))
    {
        return None;
    }
    Some(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: &str) -> (NetArgs, Vec<String>) {
        let mut n = NetArgs::default();
        let mut w = Vec::new();
        for tok in line.split_whitespace() {
            let (k, v) = match tok.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (tok, None),
            };
            token(&mut n, &mut w, k, v);
        }
        (n, w)
    }

    #[test]
    fn vlan_names_as_dracut_documents() {
        // dracut.cmdline(7): the four VLAN naming styles
        for (name, id) in [
            ("vlan0005", 5),
            ("vlan5", 5),
            ("eth0.0005", 5),
            ("eth0.5", 5),
            ("vlan100", 100),
            ("enp1s0.4094", 4094),
        ] {
            let (n, w) = p(&format!("vlan={name}:eth0"));
            assert!(w.is_empty(), "{w:?}");
            assert_eq!(
                n.vlans,
                vec![Vlan {
                    name: name.into(),
                    phys: "eth0".into(),
                    id
                }]
            );
        }
        // the Fedora/RHEL docs' example, two of them
        let (n, _) = p("vlan=vlan0001:eth0 vlan=eth1.0002:eth1");
        assert_eq!(
            n.vlans
                .iter()
                .map(|v| (v.id, v.phys.as_str()))
                .collect::<Vec<_>>(),
            [(1, "eth0"), (2, "eth1")]
        );
        for bad in [
            "vlan=myvlan:eth0",
            "vlan=vlan0:eth0",
            "vlan=vlan4095:eth0",
            "vlan=vlan5",
            "vlan=vlan5:",
            "vlan=vlan5:eth0:x",
            "vlan=eth0.x:eth0",
        ] {
            let (n, w) = p(bad);
            assert!(n.vlans.is_empty(), "{bad}");
            assert_eq!(w.len(), 1, "{bad}");
        }
    }

    #[test]
    fn bond_defaults_and_options_as_dracut_documents() {
        // "Bond without parameters assumes bond=bond0:eth0,eth1:mode=balance-rr"
        let want = Bond {
            name: "bond0".into(),
            slaves: vec!["eth0".into(), "eth1".into()],
            mode: 0,
            miimon: None,
            primary: None,
            mtu: None,
        };
        assert_eq!(p("bond").0.bonds, vec![want.clone()]);
        assert_eq!(p("bond=bond0").0.bonds, vec![want.clone()]);
        assert_eq!(
            p("bond=bond0:eth0,eth1:mode=balance-rr").0.bonds,
            vec![want.clone()]
        );
        // dracut.cmdline(7) example, with the MTU
        let (n, w) =
            p("bond=bond0:enp0s1,enp0s2:mode=active-backup,miimon=100,primary=enp0s2:9000");
        assert!(w.is_empty(), "{w:?}");
        let b = &n.bonds[0];
        assert_eq!(
            (b.slaves.join(","), b.mode, b.mode_name()),
            ("enp0s1,enp0s2".into(), 1, "active-backup")
        );
        assert_eq!(
            (b.miimon, b.primary.as_deref(), b.mtu),
            (Some(100), Some("enp0s2"), Some(9000))
        );
        assert_eq!(p("bond=b1:e0:mode=4").0.bonds[0].mode_name(), "802.3ad");
        // options we do not apply are reported, the bond is still made
        let (n, w) = p("bond=bond1:eth0:mode=802.3ad,lacp_rate=fast,xmit_hash_policy=layer3+4");
        assert_eq!(n.bonds[0].mode, 4);
        assert_eq!(w.len(), 2, "{w:?}");
        let (n, w) = p("bond=bond1:eth0:mode=bogus,miimon=x");
        assert_eq!((n.bonds[0].mode, n.bonds[0].miimon), (0, None));
        assert_eq!(w.len(), 2);
        for bad in [
            "bond=bond0:eth0:mode=1:notanmtu",
            "bond=bond0:eth0:mode=1:1500:extra",
            "bond=bond0::",
            "bond=bond0:eth/0",
        ] {
            let (n, w) = p(bad);
            assert!(n.bonds.is_empty(), "{bad}");
            assert!(!w.is_empty(), "{bad}");
        }
    }

    #[test]
    fn nameserver_and_neednet() {
        let (n, w) = p("nameserver=10.0.0.53 nameserver=[2001:db8::53] nameserver=2001:db8::1 nameserver=bogus rd.neednet=1");
        assert_eq!(n.nameservers.len(), 3);
        assert_eq!(
            n.ipv4_nameservers().collect::<Vec<_>>(),
            [core::net::Ipv4Addr::new(10, 0, 0, 53)]
        );
        assert_eq!(n.nameservers[0], IpAddr::from([10, 0, 0, 53]));
        assert_eq!(w, ["ignoring malformed nameserver=bogus"]);
        assert_eq!(n.neednet, Some(true));
        assert_eq!(p("rd.neednet=1 rd.neednet=0").0.neednet, Some(false));
        assert_eq!(p("rd.neednet").0.neednet, Some(true));
        assert_eq!(p("rd.neednet=yes").1.len(), 1);
        assert!(!p("quiet").0.has_logical());
        assert!(p("bond").0.has_logical());
    }

    #[test]
    fn reached_from_the_kernel_command_line() {
        let c = crate::cmdline::parse(
            "quiet vlan=vlan100:eth0 ip=vlan100:dhcp nameserver=10.0.0.53 rd.neednet=1 bond=x:y:mode=1:1500:3",
            None,
            &|_| None,
        );
        assert_eq!(c.net.vlans[0].id, 100);
        assert_eq!(c.ip[0].device.as_deref(), Some("vlan100"));
        assert_eq!(c.net.nameservers.len(), 1);
        assert_eq!(c.net.neednet, Some(true));
        assert_eq!(c.warnings, ["ignoring malformed bond=x:y:mode=1:1500:3"]);
    }
}
