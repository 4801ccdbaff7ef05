//! Pure parser of the kernel command line (and the DMI serial's NoCloud line),
//! following cloud-init's own rules:
//! - tokens split on whitespace, no quoting, each split at its first `=`, the
//!   last duplicate wins (`util.keyval_str_to_dict`);
//! - `ds=nocloud[-net];k=v;…` as `DataSourceNoCloud.parse_cmdline_data` reads it;
//! - dracut/klibc `ip=`, `BOOTIF=`, `ifname=` for the network path;
//! - `cloudseed.*` knobs of our own.

use crate::prelude::*;

use core::net::Ipv4Addr;
use core::time::Duration;

pub type Mac = [u8; 6];

/// What the kernel command line asks of us.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cmdline {
    /// `cloud-config-url=` (last one wins; `url=` is ignored as in cloud-init 23.4+).
    pub cloud_config_url: Option<String>,
    /// `ds=nocloud…` from the cmdline and/or the DMI serial, merged.
    pub nocloud: Option<NoCloudLine>,
    /// `cloud-init=disabled`: write nothing for cloud-init. Read the most
    /// restrictive way any supported cloud-init reads it: 23.4+'s
    /// ds-identify disables on the substring anywhere on the line (which
    /// covers 22.4.2's last-value rule and systemd's exact word).
    pub cloud_init_disabled: bool,
    /// `url=` with no `cloud-config-url=`: `parse_cmdline_url` falls back to
    /// it (22.4.2 fetches it; 22.3+ deprecate it and newer ones only warn).
    pub legacy_url: Option<String>,
    /// Every `ip=` token, in order (dracut allows one per interface).
    pub ip: Vec<IpArg>,
    /// An `ip6=` token other than `off` is present.
    pub ip6: bool,
    /// Every IPv6 request (`ip6=`, `ip=dhcp6|auto6`, bracketed static `ip=`).
    pub ip6_args: Vec<crate::cmdline6::Ip6Arg>,
    /// `BOOTIF=01-aa-bb-cc-dd-ee-ff` (PXELINUX/MAAS).
    pub bootif: Option<Mac>,
    /// dracut `ifname=<name>:<mac>`.
    pub ifnames: Vec<(String, Mac)>,
    /// dracut `vlan=`, `bond=`, `nameserver=`, `rd.neednet=`.
    pub net: crate::netargs::NetArgs,
    pub knobs: Knobs,
    /// Tokens we recognised but could not use; reported, never fatal.
    pub warnings: Vec<String>,
}

/// cloudseed's own `cloudseed.*` knobs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Knobs {
    pub timeout: Option<Duration>,
    pub carrier_timeout: Option<Duration>,
    pub required: bool,
    pub debug: bool,
    pub disable: bool,
    pub network: Option<NetworkPolicy>,
    /// Interface name or MAC address to use.
    pub interface: Option<String>,
    pub sha256: Option<[u8; 32]>,
    /// `cloudseed.sha256.<file>=HEX` pins (src/pin.rs).
    pub pins: Vec<crate::pin::Pin>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum NetworkPolicy {
    Keep,
    Teardown,
}

/// The NoCloud "line config": `ds=nocloud;s=…;h=…;i=…;k=v`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NoCloudLine {
    /// Written as `ds=nocloud-net` (dsmode net in cloud-init 22.4.2).
    pub net: bool,
    /// Where the line came from: "cmdline", "dmi" or "dmi+cmdline".
    pub origin: &'static str,
    /// Key/value pairs with long names (`seedfrom`, `local-hostname`,
    /// `instance-id`); a bare key has no value. `__dmi.*__` already substituted.
    pub fields: Vec<(String, Option<String>)>,
}

impl NoCloudLine {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.as_deref())
    }
    /// The `seedfrom` NoCloud would use; None when absent or when
    /// NoCloud would refuse it (see [`NoCloudLine::unusable_seedfrom`]).
    pub fn seedfrom(&self) -> Option<&str> {
        self.get("seedfrom").filter(|s| seed_start_ok(s))
    }
    /// A `seedfrom` that NoCloud and NoCloudNet both refuse: its
    /// `supported_seed_starts` check is case-sensitive (`HTTP://` is not
    /// `http://`), and then the datasource gives up entirely, so cloudseed
    /// must stand aside rather than hand off anything.
    pub fn unusable_seedfrom(&self) -> Option<&str> {
        self.get("seedfrom").filter(|s| !seed_start_ok(s))
    }
}

/// NoCloud's and NoCloudNet's `supported_seed_starts`, together.
pub const SEED_STARTS: [&str; 6] = ["/", "file://", "http://", "https://", "ftp://", "ftps://"];

fn seed_start_ok(s: &str) -> bool {
    SEED_STARTS.iter().any(|p| s.starts_with(p))
}

/// /proc/cmdline as cloud-init reads it: text that is not UTF-8 makes
/// `load_text_file` raise, and `_get_cmdline` then uses "".
pub fn text_from_bytes(b: &[u8]) -> &str {
    core::str::from_utf8(b).map(str::trim).unwrap_or("")
}

/// A DMI sysfs value as cloud-init's `dmi._read_dmi_syspath` returns it:
/// an unprogrammed value (all 0xff, then sysfs's newline) is "", text
/// that is not UTF-8 is unusable (""), else stripped.
pub fn dmi_value(raw: &[u8]) -> String {
    if raw.last() == Some(&b'\n') && raw[..raw.len() - 1].iter().all(|&b| b == 0xff) {
        return String::new();
    }
    match core::str::from_utf8(raw) {
        Ok(t) => t.trim().to_string(),
        Err(_) => String::new(),
    }
}

/// `util.keyval_str_to_dict`: whitespace-split tokens, each split at its
/// first `=` (a bare key maps to `None`, Python's `True`); a later duplicate
/// replaces the value but keeps the key's first position (dict order).
pub fn keyval_str_to_dict(s: &str) -> Vec<(String, Option<String>)> {
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    for tok in tokens(s) {
        let (k, v) = match tok.split_once('=') {
            Some((k, v)) => (k, Some(v.to_string())),
            None => (tok, None),
        };
        match out.iter_mut().find(|(old, _)| old == k) {
            Some(slot) => slot.1 = v,
            None => out.push((k.to_string(), v)),
        }
    }
    out
}

/// `cmd.main.parse_cmdline_url`: `cloud-config-url`, else `url`, with the key found.
pub fn parse_cmdline_url(s: &str) -> Option<(&'static str, String)> {
    let d = keyval_str_to_dict(s);
    for key in ["cloud-config-url", "url"] {
        if let Some((_, v)) = d.iter().find(|(k, _)| k == key) {
            // a bare key is Python's True, which is no URL
            return v.clone().map(|v| (key, v));
        }
    }
    None
}

/// One `ip=` argument (dracut and klibc forms).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IpArg {
    pub client: Option<Ipv4Addr>,
    pub peer: Option<Ipv4Addr>,
    pub gateway: Option<Ipv4Addr>,
    pub netmask: Option<Ipv4Addr>,
    pub hostname: Option<String>,
    /// Interface name; `BOOTIF` means the interface named by `BOOTIF=`.
    pub device: Option<String>,
    pub autoconf: Autoconf,
    pub dns: Vec<Ipv4Addr>,
    pub mtu: Option<u32>,
    pub mac: Option<Mac>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Autoconf {
    /// dhcp, on, any, both, or an empty field (klibc treats empty as "any").
    #[default]
    Dhcp,
    /// none/off/static with a client address: configure it without DHCP.
    Static,
    /// off/none without an address: no IPv4 configuration wanted.
    Off,
    /// IPv6-only methods (dhcp6, auto6, link6, either6): nothing for us to do on IPv4.
    Ipv6,
    /// Anything else (ibft, bootp, rarp, …): left to other tools.
    Other(String),
}

impl IpArg {
    /// The user asked for initramfs networking (cloud-init then adopts
    /// `/run/net-*.conf`), as opposed to `ip=off`.
    pub fn wants_network(&self) -> bool {
        !matches!(self.autoconf, Autoconf::Off)
    }
}

impl Cmdline {
    /// True when `ip=`/`ip6=` asks for a configured network after the initramfs.
    pub fn keeps_network(&self) -> bool {
        self.ip6 || self.ip.iter().any(IpArg::wants_network)
    }
}

/// Python's `str.split()` whitespace (ASCII part).
fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

fn tokens(s: &str) -> impl Iterator<Item = &str> {
    s.split(is_space).filter(|t| !t.is_empty())
}

/// Parses the command line; `dmi_serial` is `product_serial` (trimmed or not);
/// `dmi` reads `/sys/class/dmi/id/<file>` for `__dmi.<key>__` substitution.
pub fn parse(
    cmdline: &str,
    dmi_serial: Option<&str>,
    dmi: &dyn Fn(&str) -> Option<String>,
) -> Cmdline {
    let mut c = Cmdline::default();
    for tok in tokens(cmdline) {
        let (key, val) = match tok.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (tok, None),
        };
        match (key, val) {
            ("cloud-config-url", Some(v)) => c.cloud_config_url = Some(v.to_string()),
            ("url", Some(v)) => c.legacy_url = Some(v.to_string()),
            ("ip", Some(v)) => match parse_ip(v) {
                Some(arg) => c.ip.push(arg),
                None => c.warnings.push("ignoring malformed ip= argument".into()),
            },
            ("ip6", v) => c.ip6 = !matches!(v, Some("off") | Some("none") | None),
            ("BOOTIF", Some(v)) => match parse_mac(v) {
                Some(m) => c.bootif = Some(m),
                None => c.warnings.push("ignoring malformed BOOTIF=".into()),
            },
            ("ifname", Some(v)) => match v
                .split_once(':')
                .and_then(|(n, m)| Some((n, parse_mac(m)?)))
            {
                Some((n, m)) if !n.is_empty() => c.ifnames.push((n.to_string(), m)),
                _ => c.warnings.push("ignoring malformed ifname=".into()),
            },
            (k, v) if k.starts_with("cloudseed.") => knob(&mut c, &k["cloudseed.".len()..], v),
            (k, v) if crate::netargs::token(&mut c.net, &mut c.warnings, k, v) => {}
            _ => {}
        }
    }
    c.cloud_init_disabled = cmdline.contains("cloud-init=disabled");
    if c.cloud_config_url.is_some() {
        c.legacy_url = None;
    }
    c.ip6_args = crate::cmdline6::parse(tokens(cmdline));
    let from_dmi = dmi_serial.and_then(|s| nocloud_line(s.trim()));
    let from_cmdline = nocloud_line(cmdline);
    c.nocloud = match (from_dmi, from_cmdline) {
        (Some(d), Some(k)) => {
            // _merge_new_seed: what is already there (DMI, read first) wins.
            let mut merged = d;
            for (key, val) in k.fields {
                if !merged.fields.iter().any(|(k2, _)| *k2 == key) {
                    merged.fields.push((key, val));
                }
            }
            merged.origin = "dmi+cmdline";
            Some(merged)
        }
        (Some(d), None) => Some(NoCloudLine { origin: "dmi", ..d }),
        (None, k) => k,
    };
    if let Some(bad) = c.nocloud.as_ref().and_then(|n| n.unusable_seedfrom()) {
        c.warnings.push(format!(
            "ds=nocloud seedfrom {} does not start with one of {}: NoCloud will not use it (its check is case-sensitive)",
            crate::url::redact(bad),
            SEED_STARTS.join(" ")
        ));
    }
    if let Some(nc) = &mut c.nocloud {
        for (k, v) in nc.fields.iter_mut() {
            if k == "seedfrom" {
                if let Some(v) = v {
                    *v = sub_dmi_vars(v, dmi);
                }
            }
        }
    }
    c
}

fn knob(c: &mut Cmdline, name: &str, val: Option<&str>) {
    let flag = |v: Option<&str>| !matches!(v, Some("0") | Some("no") | Some("false") | Some("off"));
    let secs = |v: Option<&str>| {
        v.and_then(|s| s.parse::<u64>().ok())
            .map(Duration::from_secs)
    };
    let k = &mut c.knobs;
    let ok = match name {
        "timeout" => secs(val).map(|d| k.timeout = Some(d)).is_some(),
        "carrier-timeout" => secs(val).map(|d| k.carrier_timeout = Some(d)).is_some(),
        "required" => {
            k.required = flag(val);
            true
        }
        "debug" => {
            k.debug = flag(val);
            true
        }
        "disable" => {
            k.disable = flag(val);
            true
        }
        "network" => match val {
            Some("keep") => {
                k.network = Some(NetworkPolicy::Keep);
                true
            }
            Some("teardown") => {
                k.network = Some(NetworkPolicy::Teardown);
                true
            }
            _ => false,
        },
        "interface" => match val {
            Some(v) if !v.is_empty() => {
                k.interface = Some(v.to_string());
                true
            }
            _ => false,
        },
        "sha256" => match val.and_then(crate::sha256::parse_hex) {
            Some(d) => {
                k.sha256 = Some(d);
                true
            }
            None => false,
        },
        n if n.starts_with("sha256.") => {
            crate::pin::parse(n, val).map(|p| k.pins.push(p)).is_some()
        }
        _ => false,
    };
    if !ok {
        c.warnings
            .push(format!("ignoring unknown or malformed cloudseed.{name}"));
    }
}

/// `load_cmdline_data`: `parse_cmdline_data` tried with `ds=nocloud`, then
/// `ds=nocloud-net`. An id counts if the line holds ` <id> ` or ` <id>;`;
/// the pairs come from the last token starting with that id, so
/// `ds=nocloud-net;s=A ds=nocloudx;s=B` uses A.
fn nocloud_line(line: &str) -> Option<NoCloudLine> {
    let padded = format!(" {line} ");
    let (id, net) = ["ds=nocloud", "ds=nocloud-net"]
        .into_iter()
        .zip([false, true])
        .find(|(id, _)| {
            padded.contains(&format!(" {id} ")) || padded.contains(&format!(" {id};"))
        })?;
    let tok = tokens(line).filter(|t| t.starts_with(id)).last()?;
    let argline = tok.split_once('=').map(|(_, v)| v).unwrap_or("");
    let mut fields: Vec<(String, Option<String>)> = Vec::new();
    for item in argline.split(';').skip(1) {
        if item.is_empty() {
            continue;
        }
        let (k, v) = match item.split_once('=') {
            Some((k, v)) => (k, Some(v.to_string())),
            None => (item, None),
        };
        let k = match k {
            "h" => "local-hostname",
            "i" => "instance-id",
            "s" => "seedfrom",
            k => k,
        };
        // fill[k] = v: a later duplicate replaces the earlier value.
        fields.retain(|(old, _)| old != k);
        fields.push((k.to_string(), v));
    }
    Some(NoCloudLine {
        net,
        origin: "cmdline",
        fields,
    })
}

/// cloud-init's `dmi.sub_dmi_vars`: `__dmi.<dmidecode-key>__` becomes the
/// value of the matching sysfs file (empty when unreadable); unknown keys stay.
pub fn sub_dmi_vars(src: &str, dmi: &dyn Fn(&str) -> Option<String>) -> String {
    const KEYS: &[(&str, &str)] = &[
        ("baseboard-asset-tag", "board_asset_tag"),
        ("baseboard-manufacturer", "board_vendor"),
        ("baseboard-product-name", "board_name"),
        ("baseboard-serial-number", "board_serial"),
        ("baseboard-version", "board_version"),
        ("bios-release-date", "bios_date"),
        ("bios-vendor", "bios_vendor"),
        ("bios-version", "bios_version"),
        ("chassis-asset-tag", "chassis_asset_tag"),
        ("chassis-manufacturer", "chassis_vendor"),
        ("chassis-serial-number", "chassis_serial"),
        ("chassis-version", "chassis_version"),
        ("system-manufacturer", "sys_vendor"),
        ("system-product-name", "product_name"),
        ("system-serial-number", "product_serial"),
        ("system-uuid", "product_uuid"),
        ("system-version", "product_version"),
    ];
    let mut out = src.to_string();
    for &(key, file) in KEYS {
        let pat = format!("__dmi.{key}__");
        if out.contains(&pat) {
            // cloud-init: unprogrammed (0xff) or non-UTF-8 values are ""; a
            // caller that read the file lossily shows those as U+FFFD.
            let val = dmi(file)
                .filter(|v| !v.contains('\u{fffd}'))
                .map(|v| v.trim().to_string())
                .unwrap_or_default();
            out = out.replace(&pat, &val);
        }
    }
    out
}

/// `aa:bb:cc:dd:ee:ff`, `aa-bb-…`, or PXELINUX's `01-aa-bb-…` (hardware type 1).
pub fn parse_mac(s: &str) -> Option<Mac> {
    let parts: Vec<&str> = s.split([':', '-']).collect();
    let parts = match parts.len() {
        6 => &parts[..],
        7 if parts[0] == "01" => &parts[1..],
        _ => return None,
    };
    let mut mac = [0u8; 6];
    for (m, p) in mac.iter_mut().zip(parts) {
        if p.len() != 2 {
            return None;
        }
        *m = u8::from_str_radix(p, 16).ok()?;
    }
    Some(mac)
}

fn parse_ipv4(s: &str) -> Option<Ipv4Addr> {
    s.parse().ok()
}

/// A netmask as dotted quad or prefix length.
fn parse_netmask(s: &str) -> Option<Ipv4Addr> {
    if let Some(a) = parse_ipv4(s) {
        return Some(a);
    }
    let n: u32 = s.parse().ok()?;
    if n > 32 {
        return None;
    }
    Some(Ipv4Addr::from(if n == 0 {
        0
    } else {
        u32::MAX << (32 - n)
    }))
}

fn autoconf(s: &str, has_client: bool) -> Autoconf {
    match s {
        "" | "dhcp" | "on" | "any" | "both" | "single-dhcp" => Autoconf::Dhcp,
        "none" | "off" | "static" if has_client => Autoconf::Static,
        "none" | "off" | "static" => Autoconf::Off,
        "dhcp6" | "auto6" | "link6" | "either6" => Autoconf::Ipv6,
        // dracut's `dhcp,dhcp6`: DHCPv4 when listed; cmdline6 reads the rest.
        m if m.split(',').any(|x| x == "dhcp") => Autoconf::Dhcp,
        m if m.split(',').all(|x| x.ends_with('6')) => Autoconf::Ipv6,
        other => Autoconf::Other(other.to_string()),
    }
}

/// Splits at `:` except inside `[…]` (dracut writes IPv6 addresses in brackets).
pub(crate) fn split_fields(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, ch) in s.char_indices() {
        match ch {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            ':' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// dracut's and klibc's `ip=` forms:
/// - `ip=dhcp|on|any|off|none|dhcp6|…`
/// - `ip=<if>:<method>[:<mtu>][:<mac>]`
/// - `ip=<client>:<peer>:<gw>:<mask>:<host>:<if>:<method>[:<dns0|mtu>[:<dns1|mac>]]`
pub fn parse_ip(v: &str) -> Option<IpArg> {
    let f = split_fields(v);
    if f.len() == 1 {
        return Some(IpArg {
            autoconf: autoconf(f[0], false),
            ..IpArg::default()
        });
    }
    if parse_ipv4(f[0]).is_none() && !f[0].starts_with('[') && !f[0].is_empty() {
        // <if>:<method>[:<mtu>][:<mac>]
        let mut arg = IpArg {
            device: Some(f[0].to_string()),
            autoconf: autoconf(f[1], false),
            ..IpArg::default()
        };
        if let Some(m) = f.get(2).filter(|s| !s.is_empty()) {
            arg.mtu = Some(m.parse().ok()?);
        }
        if f.len() > 3 {
            arg.mac = Some(parse_mac(&f[3..].join(":"))?);
        }
        return Some(arg);
    }
    let opt = |i: usize| f.get(i).copied().filter(|s| !s.is_empty());
    if f[0].starts_with('[') {
        // A bracketed IPv6 client address: nothing for IPv4 (cmdline6).
        return Some(IpArg {
            hostname: opt(4).map(str::to_string),
            device: opt(5).map(str::to_string),
            autoconf: Autoconf::Ipv6,
            ..IpArg::default()
        });
    }
    let mut arg = IpArg {
        client: match opt(0) {
            Some(s) => Some(parse_ipv4(s)?),
            None => None,
        },
        peer: opt(1).and_then(parse_ipv4),
        gateway: match opt(2) {
            Some(s) => Some(parse_ipv4(s)?),
            None => None,
        },
        netmask: match opt(3) {
            Some(s) => Some(parse_netmask(s)?),
            None => None,
        },
        hostname: opt(4).map(str::to_string),
        device: opt(5).map(str::to_string),
        ..IpArg::default()
    };
    arg.autoconf = autoconf(opt(6).unwrap_or(""), arg.client.is_some());
    // Field 8 onwards: klibc puts DNS servers there, dracut an MTU and a MAC.
    let rest: Vec<&str> = f.iter().skip(7).copied().collect();
    if rest.len() > 2 && rest.len() == 7 {
        // dracut `…:<mtu>:<mac with colons>`
        if !rest[0].is_empty() {
            arg.mtu = Some(rest[0].parse().ok()?);
        }
        arg.mac = Some(parse_mac(&rest[1..].join(":"))?);
        return Some(arg);
    }
    for item in rest.iter().filter(|s| !s.is_empty()) {
        if let Some(a) = parse_ipv4(item) {
            arg.dns.push(a);
        } else if let Ok(mtu) = item.parse::<u32>() {
            arg.mtu = Some(mtu);
        } else if let Some(m) = parse_mac(item) {
            arg.mac = Some(m);
        } else {
            return None;
        }
    }
    Some(arg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_dmi(_: &str) -> Option<String> {
        None
    }
    fn p(s: &str) -> Cmdline {
        parse(s, None, &no_dmi)
    }

    #[test]
    fn cloud_config_url_last_wins_and_url_is_ignored() {
        let c = p("quiet url=http://a/ cloud-config-url=http://b/1 cloud-config-url=http://c/2 ro");
        assert_eq!(c.cloud_config_url.as_deref(), Some("http://c/2"));
        assert_eq!(p("url=http://a/").cloud_config_url, None);
    }

    #[test]
    fn maas_cmdline() {
        let c = p("nomodeset ro root=squash:http://10.0.0.2:5248/images/x \
                   ip=::::node1:BOOTIF:dhcp ip6=off cc:{'datasource_list': ['MAAS']}end_cc \
                   cloud-config-url=http://10.0.0.2:5248/MAAS/metadata/latest/by-id/abc/?op=get_preseed \
                   apparmor=0 BOOTIF=01-52-54-00-12-34-56");
        assert!(c
            .cloud_config_url
            .as_deref()
            .unwrap()
            .ends_with("?op=get_preseed"));
        assert_eq!(c.bootif, Some([0x52, 0x54, 0, 0x12, 0x34, 0x56]));
        assert_eq!(c.ip.len(), 1);
        assert_eq!(c.ip[0].device.as_deref(), Some("BOOTIF"));
        assert_eq!(c.ip[0].hostname.as_deref(), Some("node1"));
        assert_eq!(c.ip[0].autoconf, Autoconf::Dhcp);
        assert!(!c.ip6);
        assert!(c.keeps_network());
    }

    // Examples from cloud-init's NoCloud docs and tests (test_nocloud.py).
    #[test]
    fn nocloud_lines() {
        let c = p("root=/dev/sda1 ds=nocloud-net;s=http://10.42.42.42/cloud-init/configs/");
        let nc = c.nocloud.unwrap();
        assert!(nc.net);
        assert_eq!(
            nc.seedfrom(),
            Some("http://10.42.42.42/cloud-init/configs/")
        );

        let nc = p("ds=nocloud;h=foohost;i=i-xyz;s=file:///var/seed/;dsmode=local")
            .nocloud
            .unwrap();
        assert!(!nc.net);
        assert_eq!(nc.get("local-hostname"), Some("foohost"));
        assert_eq!(nc.get("instance-id"), Some("i-xyz"));
        assert_eq!(nc.get("dsmode"), Some("local"));
        assert_eq!(nc.seedfrom(), Some("file:///var/seed/"));

        // test_nocloud.py test_parse_cmdline_data_valid
        let nc = p("ds=nocloud;seedfrom=http://example.com/")
            .nocloud
            .unwrap();
        assert_eq!(nc.seedfrom(), Some("http://example.com/"));
        let nc = p("root=/dev/sda1 ds=nocloud").nocloud.unwrap();
        assert!(nc.fields.is_empty());
        let nc = p("ds=nocloud;bare;;k=v=w").nocloud.unwrap();
        assert_eq!(
            nc.fields,
            vec![("bare".into(), None), ("k".into(), Some("v=w".into()))]
        );
        // test_parse_cmdline_data_none
        assert!(p("ds=foo").nocloud.is_none());
        assert!(p("ds=nocloudxx").nocloud.is_none());
        assert!(p("dsnocloud").nocloud.is_none());
        assert!(p("ds=nocloud-netx;s=http://x/").nocloud.is_none());
    }

    #[test]
    fn nocloud_last_token_wins() {
        let nc = p("ds=nocloud;s=http://a/ ds=nocloud;s=http://b/")
            .nocloud
            .unwrap();
        assert_eq!(nc.seedfrom(), Some("http://b/"));
        // the id check looks for nocloud first, the pairs come from the last ds=nocloud* token
        let nc = p("ds=nocloud ds=nocloud-net;s=http://n/").nocloud.unwrap();
        assert!(!nc.net);
        assert_eq!(nc.seedfrom(), Some("http://n/"));
    }

    #[test]
    fn dmi_serial_line_and_merge() {
        let c = parse(
            "ds=nocloud;h=fromcmd;i=cmd-id",
            Some("ds=nocloud-net;s=http://10.0.2.100/seed/;h=fromdmi\n"),
            &no_dmi,
        );
        let nc = c.nocloud.unwrap();
        assert_eq!(nc.origin, "dmi+cmdline");
        assert_eq!(nc.get("local-hostname"), Some("fromdmi"));
        assert_eq!(nc.get("instance-id"), Some("cmd-id"));
        assert_eq!(nc.seedfrom(), Some("http://10.0.2.100/seed/"));
        assert!(nc.net);
        let c = parse("quiet", Some("Not Specified"), &no_dmi);
        assert!(c.nocloud.is_none());
    }

    #[test]
    fn dmi_substitution() {
        let dmi = |f: &str| match f {
            "product_serial" => Some("SER123\n".to_string()),
            "product_uuid" => Some("abcd-ef".to_string()),
            _ => None,
        };
        let c = parse(
            "ds=nocloud;s=http://h/__dmi.system-serial-number__/__dmi.system-uuid__/__dmi.bogus__/__dmi.chassis-asset-tag__/",
            None,
            &dmi,
        );
        assert_eq!(
            c.nocloud.unwrap().seedfrom(),
            Some("http://h/SER123/abcd-ef/__dmi.bogus__//")
        );
    }

    #[test]
    fn disabled_the_most_restrictive_way() {
        assert!(p("cloud-init=disabled").cloud_init_disabled);
        // 22.4.2's generator would enable here; 23.4+'s ds-identify disables
        assert!(p("cloud-init=disabled cloud-init=enabled").cloud_init_disabled);
        assert!(p("xcloud-init=disabledy").cloud_init_disabled);
        assert!(!p("cloud-init").cloud_init_disabled);
        assert!(!p("cloud-init=enabled").cloud_init_disabled);
    }

    #[test]
    fn nocloud_id_pass_picks_the_token() {
        // parse_cmdline_data("ds=nocloud-net"): only tokens starting with that id
        let nc = p("ds=nocloud-net;s=http://a/ ds=nocloudx;s=http://b/")
            .nocloud
            .unwrap();
        assert!(nc.net);
        assert_eq!(nc.seedfrom(), Some("http://a/"));
    }

    #[test]
    fn nocloud_scheme_check_is_case_sensitive() {
        let c = p("ds=nocloud;s=HTTP://10.0.0.1/seed/");
        let nc = c.nocloud.as_ref().unwrap();
        assert_eq!(nc.seedfrom(), None);
        assert_eq!(nc.unusable_seedfrom(), Some("HTTP://10.0.0.1/seed/"));
        assert_eq!(c.warnings.len(), 1);
        for ok in [
            "http://h/",
            "https://h/",
            "ftp://h/",
            "ftps://h/",
            "file:///s/",
            "/var/s/",
        ] {
            assert_eq!(
                p(&format!("ds=nocloud;s={ok}")).nocloud.unwrap().seedfrom(),
                Some(ok)
            );
        }
    }

    #[test]
    fn cloud_init_keyval_str_to_dict() {
        // test_util.py TestKeyValStrings
        assert_eq!(
            keyval_str_to_dict("1=one ro 2=one+one"),
            vec![
                ("1".to_string(), Some("one".to_string())),
                ("ro".to_string(), None),
                ("2".to_string(), Some("one+one".to_string()))
            ]
        );
        assert_eq!(
            keyval_str_to_dict("a=1 b a=2")[0],
            ("a".to_string(), Some("2".to_string()))
        );
    }

    #[test]
    fn cloud_init_cmdline_url() {
        // test__init__.py TestCmdlineUrl
        assert_eq!(parse_cmdline_url("root=foo bar single"), None);
        assert_eq!(
            parse_cmdline_url("root=foo bar single url=http://example.com arg1 -v"),
            Some(("url", "http://example.com".to_string()))
        );
        assert_eq!(
            parse_cmdline_url("ro cloud-config-url=http://example.com/foo bar=1 url=http://x/"),
            Some(("cloud-config-url", "http://example.com/foo".to_string()))
        );
        let c = p("url=http://example.com/cc");
        assert_eq!(c.legacy_url.as_deref(), Some("http://example.com/cc"));
        assert_eq!(c.cloud_config_url, None);
        assert_eq!(
            p("url=http://a/ cloud-config-url=http://b/").legacy_url,
            None
        );
    }

    #[test]
    fn cmdline_and_dmi_bytes_as_cloud_init_reads_them() {
        assert_eq!(text_from_bytes(b"ro ds=nocloud\n"), "ro ds=nocloud");
        assert_eq!(text_from_bytes(b"ro \xff ds=nocloud\n"), "");
        // test_dmi.py: uninitialized values are all 0xff plus sysfs's newline
        assert_eq!(dmi_value(&[0xff, 0xff, 0xff, b'\n']), "");
        assert_eq!(dmi_value(b"\n"), "");
        assert_eq!(dmi_value(b" my_product \n"), "my_product");
        assert_eq!(dmi_value(&[b'a', 0xff, b'\n']), "");
    }

    #[test]
    fn cloud_init_sub_dmi_vars() {
        // test_dmi.py TestSubDMIVars: unknown keys stay, with their underscores
        let dmi = |f: &str| (f == "product_uuid").then(|| "1".to_string());
        assert_eq!(
            sub_dmi_vars(
                "dmi.nope__dmi.system-uuid__/__dmi.uuid____dmi.smbios.system.uuid__",
                &dmi
            ),
            "dmi.nope1/__dmi.uuid____dmi.smbios.system.uuid__"
        );
        // an unprogrammed value read lossily by the caller is ""
        let ff = |_: &str| Some("\u{fffd}\u{fffd}\n".to_string());
        assert_eq!(
            sub_dmi_vars("http://h/__dmi.system-serial-number__/", &ff),
            "http://h//"
        );
    }

    #[test]
    fn knobs() {
        let c = p("cloudseed.timeout=30 cloudseed.required cloudseed.debug=0 cloudseed.network=keep \
                   cloudseed.interface=eth1 cloudseed.carrier-timeout=45 cloudseed.disable \
                   cloudseed.sha256=E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855 \
                   cloudseed.bogus=1 cloudseed.timeout=x");
        let k = &c.knobs;
        assert_eq!(k.timeout, Some(Duration::from_secs(30)));
        assert_eq!(k.carrier_timeout, Some(Duration::from_secs(45)));
        assert!(k.required && !k.debug && k.disable);
        assert_eq!(k.network, Some(NetworkPolicy::Keep));
        assert_eq!(k.interface.as_deref(), Some("eth1"));
        assert_eq!(k.sha256, Some(crate::sha256::digest(b"")));
        assert_eq!(c.warnings.len(), 2);
    }

    #[test]
    fn ip_forms() {
        let a = parse_ip("dhcp").unwrap();
        assert_eq!((a.autoconf, a.device), (Autoconf::Dhcp, None));
        assert_eq!(parse_ip("off").unwrap().autoconf, Autoconf::Off);
        let a = parse_ip("eth1:dhcp").unwrap();
        assert_eq!(a.device.as_deref(), Some("eth1"));
        let a = parse_ip("eth1:dhcp:1400:52:54:00:12:34:56").unwrap();
        assert_eq!(a.mtu, Some(1400));
        assert_eq!(a.mac, Some([0x52, 0x54, 0, 0x12, 0x34, 0x56]));
        let a =
            parse_ip("10.0.0.5::10.0.0.1:255.255.255.0:box:eth0:none:10.0.0.53:8.8.8.8").unwrap();
        assert_eq!(a.client, Some(Ipv4Addr::new(10, 0, 0, 5)));
        assert_eq!(a.gateway, Some(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(a.netmask, Some(Ipv4Addr::new(255, 255, 255, 0)));
        assert_eq!(a.hostname.as_deref(), Some("box"));
        assert_eq!(a.autoconf, Autoconf::Static);
        assert_eq!(
            a.dns,
            vec![Ipv4Addr::new(10, 0, 0, 53), Ipv4Addr::new(8, 8, 8, 8)]
        );
        let a = parse_ip("10.0.0.5:::24::eth0:off").unwrap();
        assert_eq!(a.netmask, Some(Ipv4Addr::new(255, 255, 255, 0)));
        assert_eq!(a.autoconf, Autoconf::Static);
        let a = parse_ip("10.0.0.5::10.0.0.1:255.0.0.0::eth0:none:9000:52:54:00:00:00:01").unwrap();
        assert_eq!(a.mtu, Some(9000));
        assert!(a.mac.is_some());
        assert!(parse_ip("999.1.1.1::::::none").is_none());
        assert!(!parse_ip("off").unwrap().wants_network());
        // an IPv6 client address is cmdline6's; IPv4 has nothing to do
        let a = parse_ip("[fd00::5]::::h:eth0:none").unwrap();
        assert_eq!((a.client, a.autoconf), (None, Autoconf::Ipv6));
    }

    #[test]
    fn macs() {
        assert_eq!(
            parse_mac("01-aa-bb-cc-dd-ee-ff"),
            Some([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff])
        );
        assert_eq!(
            parse_mac("AA:BB:CC:DD:EE:FF"),
            Some([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff])
        );
        assert_eq!(parse_mac("02-aa-bb-cc-dd-ee-ff"), None);
        assert_eq!(parse_mac("aa:bb:cc"), None);
        assert_eq!(parse_mac("aa:bb:cc:dd:ee:fg"), None);
    }

    #[test]
    fn hostile_input_never_panics() {
        for s in [
            "=",
            "==",
            "ip=",
            "ip=:",
            "ip=::::::::::::::",
            "ds=nocloud;=;=",
            "BOOTIF=",
            "ifname=:",
            "cloudseed.",
            "cloudseed.=",
            "\u{0}\u{ffff}",
            "ip=[[[:",
            "ip=]]:",
        ] {
            let _ = p(s);
        }
    }
}
