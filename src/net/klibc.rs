//! Pure renderer of klibc ipconfig's `/run/net-<if>.conf` (INTEROP.md 5),
//! which cloud-init reads with `shlex` as its INITRAMFS network config.

use std::fmt::Write;
use std::net::Ipv4Addr;

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
