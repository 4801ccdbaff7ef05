//! Pure renderer of klibc ipconfig's `/run/net-<if>.conf` (INTEROP.md 5),
//! which cloud-init reads with `shlex` as its INITRAMFS network config.

use crate::prelude::*;

use core::fmt::Write;
use core::net::Ipv4Addr;

/// What the kept interface looks like, whichever way it was configured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conf {
    pub device: String,
    /// `dhcp` or `none` (static): the only values we ever write.
    pub dhcp: bool,
    pub address: Ipv4Addr,
    pub netmask: Ipv4Addr,
    pub broadcast: Ipv4Addr,
    pub gateway: Option<Ipv4Addr>,
    pub dns: Vec<Ipv4Addr>,
    pub hostname: String,
    pub dnsdomain: String,
    pub rootserver: Option<Ipv4Addr>,
    pub filename: String,
    pub lease_s: Option<u32>,
    pub domain_search: Vec<String>,
}

/// Single-quotes for a POSIX shell: `'` becomes `'\''`.
fn quote(v: &str) -> String {
    format!("'{}'", v.replace('\'', r"'\''"))
}

pub fn render(c: &Conf) -> String {
    let zero = Ipv4Addr::UNSPECIFIED;
    let ip = |a: Option<Ipv4Addr>| a.unwrap_or(zero).to_string();
    let pairs: [(&str, String); 14] = [
        ("DEVICE", c.device.clone()),
        ("PROTO", if c.dhcp { "dhcp" } else { "none" }.into()),
        ("IPV4ADDR", c.address.to_string()),
        ("IPV4BROADCAST", c.broadcast.to_string()),
        ("IPV4NETMASK", c.netmask.to_string()),
        // klibc always writes the gateway key, 0.0.0.0 when there is none.
        ("IPV4GATEWAY", ip(c.gateway)),
        ("IPV4DNS0", ip(c.dns.first().copied())),
        ("IPV4DNS1", ip(c.dns.get(1).copied())),
        ("HOSTNAME", c.hostname.clone()),
        ("DNSDOMAIN", c.dnsdomain.clone()),
        ("ROOTSERVER", ip(c.rootserver)),
        ("filename", c.filename.clone()),
        (
            "DHCPLEASETIME",
            c.lease_s.map(|l| l.to_string()).unwrap_or_default(),
        ),
        ("DOMAINSEARCH", c.domain_search.join(" ")),
    ];
    let mut out = String::new();
    for (k, v) in pairs {
        // Writing to a String cannot fail.
        let _ = writeln!(out, "{k}={}", quote(&v));
    }
    out
}

/// The kept IPv6 side of an interface, for `/run/net6-<if>.conf` as
/// initramfs-tools writes it after `ip6=dhcp` (cloud-init reads it with the
/// same `_klibc_to_config_entry`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conf6 {
    pub device: String,
    /// `dhcp6`, or `none` for static and SLAAC (cloud-init: static).
    pub dhcp: bool,
    pub address: core::net::Ipv6Addr,
    pub prefix: u8,
    pub gateway: Option<core::net::Ipv6Addr>,
    pub dns: Vec<core::net::Ipv6Addr>,
    pub domain_search: Vec<String>,
    pub hostname: String,
    pub dnsdomain: String,
}

pub fn render6(c: &Conf6) -> String {
    let dns = |i: usize| c.dns.get(i).map(|a| a.to_string()).unwrap_or_default();
    let mut pairs = vec![
        ("DEVICE6", c.device.clone()),
        ("IPV6PROTO", if c.dhcp { "dhcp6" } else { "none" }.into()),
        ("IPV6ADDR", c.address.to_string()),
        ("IPV6NETMASK", c.prefix.to_string()),
        ("IPV6DNS0", dns(0)),
        ("IPV6DNS1", dns(1)),
        ("IPV6DOMAINSEARCH", c.domain_search.join(" ")),
        ("HOSTNAME", c.hostname.clone()),
        ("DNSDOMAIN", c.dnsdomain.clone()),
    ];
    if let Some(g) = c.gateway {
        pairs.push(("IPV6GATEWAY", g.to_string()));
    }
    let mut out = String::new();
    for (k, v) in pairs {
        let _ = writeln!(out, "{k}={}", quote(&v));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf() -> Conf {
        Conf {
            device: "eth0".into(),
            dhcp: true,
            address: Ipv4Addr::new(10, 0, 2, 15),
            netmask: Ipv4Addr::new(255, 255, 255, 0),
            broadcast: Ipv4Addr::new(10, 0, 2, 255),
            gateway: Some(Ipv4Addr::new(10, 0, 2, 2)),
            dns: vec![Ipv4Addr::new(10, 0, 2, 3)],
            hostname: String::new(),
            dnsdomain: String::new(),
            rootserver: Some(Ipv4Addr::new(10, 0, 2, 2)),
            filename: String::new(),
            lease_s: Some(86400),
            domain_search: vec![],
        }
    }

    #[test]
    fn matches_interop_example_exactly() {
        let want = "DEVICE='eth0'\nPROTO='dhcp'\nIPV4ADDR='10.0.2.15'\nIPV4BROADCAST='10.0.2.255'\n\
IPV4NETMASK='255.255.255.0'\nIPV4GATEWAY='10.0.2.2'\nIPV4DNS0='10.0.2.3'\nIPV4DNS1='0.0.0.0'\n\
HOSTNAME=''\nDNSDOMAIN=''\nROOTSERVER='10.0.2.2'\nfilename=''\nDHCPLEASETIME='86400'\nDOMAINSEARCH=''\n";
        assert_eq!(render(&conf()), want);
    }

    #[test]
    fn net6_file() {
        let c = Conf6 {
            device: "eth0".into(),
            dhcp: true,
            address: "fd00::190".parse().unwrap(),
            prefix: 64,
            gateway: None,
            dns: vec!["fd00::1".parse().unwrap()],
            domain_search: vec!["example.test".into(), "test".into()],
            hostname: "node1".into(),
            dnsdomain: String::new(),
        };
        let want = "DEVICE6='eth0'\nIPV6PROTO='dhcp6'\nIPV6ADDR='fd00::190'\nIPV6NETMASK='64'\n\
IPV6DNS0='fd00::1'\nIPV6DNS1=''\nIPV6DOMAINSEARCH='example.test test'\nHOSTNAME='node1'\nDNSDOMAIN=''\n";
        assert_eq!(render6(&c), want);
        let s = render6(&Conf6 {
            dhcp: false,
            gateway: Some("fd00::1".parse().unwrap()),
            ..c
        });
        assert!(s.contains("IPV6PROTO='none'\n") && s.ends_with("IPV6GATEWAY='fd00::1'\n"));
    }

    #[test]
    fn quotes_and_static() {
        let mut c = conf();
        c.dhcp = false;
        c.gateway = None;
        c.hostname = "it's".into();
        c.domain_search = vec!["a.example".into(), "b.example".into()];
        let s = render(&c);
        assert!(s.contains("PROTO='none'\n"));
        assert!(s.contains("IPV4GATEWAY='0.0.0.0'\n"));
        assert!(s.contains(r"HOSTNAME='it'\''s'"));
        assert!(s.contains("DOMAINSEARCH='a.example b.example'\n"));
    }
}
