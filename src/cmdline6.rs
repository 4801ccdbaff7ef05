//! Pure parser of the IPv6 requests on a kernel command line, as
//! dracut.cmdline(7) and initramfs-tools spell them:
//! - `ip6=dhcp|off` (initramfs-tools; MAAS writes `ip=off ip6=dhcp`);
//! - dracut's `ip=dhcp6`, `ip=auto6`, `ip=dhcp,dhcp6`, `ip=<if>:dhcp6`;
//! - static `ip=[<addr>]:[<peer>]:[<gw>]:<prefix>:<host>:<if>:none[:[<dns0>][:<dns1>]]`.
//!
//! `cmdline::parse` calls `parse` with the same tokens it reads; the IPv4
//! reading of these `ip=` values lives there (`Autoconf::Ipv6`).

use crate::prelude::*;

use crate::cmdline::split_fields;
use core::net::Ipv6Addr;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Method6 {
    /// Stateful DHCPv6 for the address, RAs for the routes.
    Dhcp,
    /// SLAAC from the RA; DHCPv6 as its M and O flags say.
    Auto,
    /// The address given, no DHCPv6.
    Static,
}

/// One IPv6 request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ip6Arg {
    pub method: Method6,
    pub device: Option<String>,
    pub address: Option<Ipv6Addr>,
    /// The prefix length (dracut's netmask field for IPv6); 64 if empty.
    pub prefix: u8,
    pub gateway: Option<Ipv6Addr>,
    pub hostname: Option<String>,
    pub dns: Vec<Ipv6Addr>,
}

impl Ip6Arg {
    fn method(method: Method6, device: Option<&str>) -> Ip6Arg {
        Ip6Arg {
            method,
            device: device.filter(|d| !d.is_empty()).map(str::to_string),
            address: None,
            prefix: 64,
            gateway: None,
            hostname: None,
            dns: vec![],
        }
    }
}

/// `[2001:db8::1]` or a bare address.
fn addr6(s: &str) -> Option<Ipv6Addr> {
    let s = s
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(s);
    s.parse().ok()
}

/// An IPv6 method in dracut's method field (`dhcp,dhcp6` lists both).
fn method6(field: &str) -> Option<Method6> {
    field.split(',').find_map(|m| match m {
        "dhcp6" => Some(Method6::Dhcp),
        // either6: "if auto6 fails, then dhcp6"; the RA's flags decide.
        "auto6" | "either6" => Some(Method6::Auto),
        _ => None,
    })
}

/// The IPv6 part of one `ip=` value, if it has one.
pub fn parse_ip(v: &str) -> Option<Ip6Arg> {
    let f = split_fields(v);
    match f.len() {
        1 => return Some(Ip6Arg::method(method6(f[0])?, None)),
        2..=4 if !f[0].starts_with('[') => {
            return Some(Ip6Arg::method(method6(f[1])?, Some(f[0])));
        }
        _ => {}
    }
    let opt = |i: usize| f.get(i).copied().filter(|s| !s.is_empty());
    let device = opt(5);
    let method = opt(6).unwrap_or("");
    let Some(address) = opt(0).and_then(addr6) else {
        // ip=::::host:eth0:dhcp6
        let mut a = Ip6Arg::method(method6(method)?, device);
        a.hostname = opt(4).map(str::to_string);
        return Some(a);
    };
    if !matches!(method, "none" | "off" | "static" | "") {
        return None;
    }
    let prefix = match opt(3) {
        Some(p) => p.parse().ok().filter(|&p: &u8| p <= 128)?,
        None => 64,
    };
    Some(Ip6Arg {
        method: Method6::Static,
        device: device.map(str::to_string),
        address: Some(address),
        prefix,
        gateway: match opt(2) {
            Some(g) => Some(addr6(g)?),
            None => None,
        },
        hostname: opt(4).map(str::to_string),
        dns: f.iter().skip(7).filter_map(|s| addr6(s)).collect(),
    })
}

/// Every IPv6 request among the command line's tokens, in order.
pub fn parse<'a>(tokens: impl Iterator<Item = &'a str>) -> Vec<Ip6Arg> {
    let mut out = Vec::new();
    for tok in tokens {
        match tok.split_once('=') {
            Some(("ip", v)) => out.extend(parse_ip(v)),
            // initramfs-tools knows `dhcp` and `off`; anything else but
            // off/none asks for DHCPv6 as `Cmdline::ip6` reads it.
            Some(("ip6", "off" | "none")) => {}
            Some(("ip6", _)) => out.push(Ip6Arg::method(Method6::Dhcp, None)),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Ipv6Addr {
        s.parse().unwrap()
    }
    fn p(line: &str) -> Vec<Ip6Arg> {
        parse(line.split_whitespace())
    }

    #[test]
    fn methods() {
        let m = |line: &str| {
            p(line)
                .iter()
                .map(|x| (x.method, x.device.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(m("ip=off ip6=dhcp"), [(Method6::Dhcp, None)]);
        assert_eq!(m("ip6=off ip=::::node1:BOOTIF:dhcp"), []);
        assert_eq!(m("ip=dhcp6"), [(Method6::Dhcp, None)]);
        assert_eq!(m("ip=auto6"), [(Method6::Auto, None)]);
        assert_eq!(m("ip=either6"), [(Method6::Auto, None)]);
        assert_eq!(m("ip=dhcp,dhcp6"), [(Method6::Dhcp, None)]);
        assert_eq!(m("ip=dhcp ip=link6 ip=on"), []);
        assert_eq!(m("ip=eth1:dhcp6"), [(Method6::Dhcp, Some("eth1".into()))]);
        assert_eq!(
            m("ip=eth1:auto6:1400"),
            [(Method6::Auto, Some("eth1".into()))]
        );
        assert_eq!(
            m("ip=eth0:dhcp ip=eth1:dhcp6"),
            [(Method6::Dhcp, Some("eth1".into()))]
        );
        let x = &p("ip=::::node1:ens3:dhcp6")[0];
        assert_eq!(
            (x.hostname.as_deref(), x.device.as_deref()),
            (Some("node1"), Some("ens3"))
        );
    }

    #[test]
    fn the_ipv4_reading_of_the_same_values() {
        use crate::cmdline::{parse_ip, Autoconf};
        assert_eq!(parse_ip("dhcp,dhcp6").unwrap().autoconf, Autoconf::Dhcp);
        assert_eq!(parse_ip("dhcp6,auto6").unwrap().autoconf, Autoconf::Ipv6);
        assert_eq!(parse_ip("eth1:dhcp6").unwrap().autoconf, Autoconf::Ipv6);
        let v4 = parse_ip("[2001:db8::5]::[2001:db8::1]:64:host:eth0:none").unwrap();
        assert!(v4.wants_network());
        assert_eq!(
            (v4.autoconf, v4.device.as_deref()),
            (Autoconf::Ipv6, Some("eth0"))
        );
        let c = crate::cmdline::parse("ip=off ip6=dhcp", None, &|_| None);
        assert_eq!(c.ip6_args.len(), 1);
        assert!(c.warnings.is_empty() && c.keeps_network());
    }

    #[test]
    fn static_with_brackets() {
        let x = &p("ip=[2001:db8::5]::[2001:db8::1]:64:host:eth0:none")[0];
        assert_eq!(x.method, Method6::Static);
        assert_eq!((x.address, x.prefix), (Some(a("2001:db8::5")), 64));
        assert_eq!(x.gateway, Some(a("2001:db8::1")));
        assert_eq!(
            (x.hostname.as_deref(), x.device.as_deref()),
            (Some("host"), Some("eth0"))
        );
        let x = &p("ip=[fd00::5]:::48::eth0:none:[fd00::53]:[fd00::54]")[0];
        assert_eq!((x.prefix, x.gateway), (48, None));
        assert_eq!(x.dns, [a("fd00::53"), a("fd00::54")]);
        assert_eq!(p("ip=[fd00::5]:::129::eth0:none"), []);
        assert_eq!(p("ip=[fd00::5]::[nope]:64::eth0:none"), []);
        assert_eq!(p("ip=[fd00::5]:::64::eth0:dhcp"), []);
        assert_eq!(p("ip=10.0.0.5::10.0.0.1:24:h:eth0:none"), []);
    }
}
