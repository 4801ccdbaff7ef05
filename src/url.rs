//! Pure URL handling for the few forms the kernel cmdline carries:
//! `http://host[:port]/path?query`. Anything else is recognised only so that
//! it can be left to cloud-init with a clear message.

use crate::prelude::*;

use crate::error::{Error, Result};
use core::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scheme {
    Http,
    /// Not fetched here (no TLS in the initramfs); cloud-init handles it in the root.
    Https,
    /// A path on the root filesystem: only cloud-init in the root can read it.
    File,
    Other(String),
}

#[derive(Clone, PartialEq, Eq)]
pub struct Url {
    pub scheme: Scheme,
    /// Host name or IPv4 literal; for IPv6 literals, without brackets.
    pub host: String,
    pub port: u16,
    /// Path and query, always starting with `/`, percent-encoded as
    /// python-requests sends them (see [`requote_target`]).
    pub target: String,
    /// `user:password` from the authority; never shown, only sent as Basic auth.
    userinfo: Option<String>,
    raw: String,
}

const MAX_URL: usize = 4096;

impl Url {
    pub fn parse(s: &str) -> Result<Url> {
        if s.len() > MAX_URL {
            return Err(Error::limit("url longer than 4096 bytes"));
        }
        if s.starts_with('/') {
            return Ok(Url {
                scheme: Scheme::File,
                host: String::new(),
                port: 0,
                target: s.to_string(),
                userinfo: None,
                raw: s.to_string(),
            });
        }
        let (scheme, rest) = s
            .split_once("://")
            .ok_or_else(|| Error::malformed("url: no scheme"))?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            "file" => Scheme::File,
            other => Scheme::Other(other.to_string()),
        };
        let (authority, target) = match rest.find(['/', '?', '#']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        // Fragments never go on the wire.
        let target = target.split('#').next().unwrap_or("");
        let target = if target.starts_with('/') {
            target.to_string()
        } else {
            format!("/{target}")
        };
        let target = if scheme == Scheme::File {
            target
        } else {
            requote_target(&target)
        };
        // Credentials: kept for the Authorization header, never logged.
        let (userinfo, authority) = match authority.rsplit_once('@') {
            Some((u, hostport)) => (Some(u.to_string()), hostport),
            None => (None, authority),
        };
        let default_port = match scheme {
            Scheme::Https => 443,
            _ => 80,
        };
        let (host, port) = split_host_port(authority, default_port)?;
        if host.is_empty() && scheme != Scheme::File {
            return Err(Error::malformed("url: empty host"));
        }
        let ok = if host.contains(':') {
            host.parse::<core::net::Ipv6Addr>().is_ok()
        } else {
            host.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b))
        };
        if !ok {
            return Err(Error::malformed("url: bad host"));
        }
        Ok(Url {
            scheme,
            host,
            port,
            target,
            userinfo,
            raw: s.to_string(),
        })
    }

    /// The URL as given, for the one place that needs it whole: the request.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Path without query: what the `Host` header and logs may show.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("/")
    }

    pub fn has_query(&self) -> bool {
        self.target.contains('?')
    }

    /// `host` or `host:port` as the `Host` header wants it.
    pub fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let default = match self.scheme {
            Scheme::Https => self.port == 443,
            _ => self.port == 80,
        };
        if default {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }

    /// `Authorization` header value python-requests derives from the URL's
    /// `user:password@` (percent-decoded, latin-1, base64); None without
    /// credentials or when requests could not encode them either.
    pub fn basic_auth(&self) -> Option<String> {
        let info = self.userinfo.as_deref()?;
        let (user, pw) = info.split_once(':').unwrap_or((info, ""));
        let mut plain = Vec::new();
        for part in [user, ":", pw] {
            let decoded = if part == ":" {
                b":".to_vec()
            } else {
                percent_decode(part)
            };
            // requests encodes str credentials as latin-1
            let text = String::from_utf8(decoded).ok()?;
            for c in text.chars() {
                plain.push(u8::try_from(u32::from(c)).ok()?);
            }
        }
        Some(format!("Basic {}", base64(&plain)))
    }

    /// A seed file next to a NoCloud `seedfrom` base, as `util.read_seeded`
    /// (23.1+) builds it: see [`seeded_url`].
    pub fn seed_file(&self, name: &str) -> Result<Url> {
        Url::parse(&seeded_url(&self.raw, name))
    }

    /// Resolves a `Location` header against this URL (absolute or
    /// absolute-path forms; relative paths are resolved against the directory).
    pub fn join_location(&self, loc: &str) -> Result<Url> {
        let mut next = self.join_location_bare(loc)?;
        // requests keeps the Authorization header on a redirect to the same
        // host and port (its should_strip_auth), and drops it elsewhere.
        if next.userinfo.is_none() && next.host == self.host && next.port == self.port {
            next.userinfo = self.userinfo.clone();
        }
        Ok(next)
    }

    fn join_location_bare(&self, loc: &str) -> Result<Url> {
        if loc.contains("://") {
            return Url::parse(loc);
        }
        let scheme = match self.scheme {
            Scheme::Https => "https",
            _ => "http",
        };
        let base = format!("{scheme}://{}", self.host_header());
        if let Some(rest) = loc.strip_prefix("//") {
            return Url::parse(&format!("{scheme}://{rest}"));
        }
        if loc.starts_with('/') {
            return Url::parse(&format!("{base}{loc}"));
        }
        let dir = match self.path().rfind('/') {
            Some(i) => &self.path()[..=i],
            None => "/",
        };
        Url::parse(&format!("{base}{dir}{loc}"))
    }
}

/// `util.read_seeded`'s URL for `name` (23.1+): every `%s` replaced by the
/// name; otherwise the name appended, after a `/` when the base has none
/// and `urlparse(base).query` is empty.
pub fn seeded_url(base: &str, name: &str) -> String {
    if base.contains("%s") {
        return base.replace("%s", name);
    }
    let mut s = base.to_string();
    let query = base
        .split('#')
        .next()
        .unwrap_or("")
        .split_once('?')
        .map_or("", |(_, q)| q);
    if !s.ends_with('/') && query.is_empty() {
        s.push('/');
    }
    s.push_str(name);
    s
}

/// 22.4.2's `read_seeded`: `base % name` (Python %-formatting: exactly one
/// `%s` and no other `%`, else it raises) or plain concatenation. None when
/// it would raise.
pub fn seeded_url_v22(base: &str, name: &str) -> Option<String> {
    if base.contains("%s") {
        let (a, b) = base.split_once("%s")?;
        if a.contains('%') || b.contains('%') {
            return None;
        }
        return Some(format!("{a}{name}{b}"));
    }
    Some(format!("{base}{name}"))
}

/// Both generations build the same seed URLs from this base.
pub fn seed_base_portable(base: &str) -> bool {
    ["meta-data", "user-data", "vendor-data"]
        .iter()
        .all(|n| seeded_url_v22(base, n).as_deref() == Some(seeded_url(base, n).as_str()))
}

fn hexval(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hexval(b[i + 1]), hexval(b[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |a, (i, &b)| a | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~".contains(&b)
}

/// The request target python-requests sends for a path and query:
/// urllib3's `parse_url` removes dot segments from the path and
/// percent-encodes what a path (or query) may not hold, upper-casing
/// existing escapes (or, if any `%` is not a valid escape, encoding every
/// `%`); requests' `requote_uri` then decodes escapes of unreserved
/// characters. Spaces and non-ASCII (as UTF-8) become `%XX`.
pub fn requote_target(target: &str) -> String {
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (target, None),
    };
    let path = remove_dot_segments(path);
    let mut out = encode_invalid(&path, b"!$&'()*+,;=:@/");
    if let Some(q) = query {
        out.push('?');
        out.push_str(&encode_invalid(q, b"!$&'()*+,;=:@/?"));
    }
    unquote_unreserved(&out)
}

/// urllib3's `_encode_invalid_chars`.
fn encode_invalid(s: &str, extra: &[u8]) -> String {
    let b = s.as_bytes();
    let mut valid = 0;
    let mut upper = b.to_vec();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && hexval(b[i + 1]).is_some()
            && hexval(b[i + 2]).is_some()
        {
            upper[i + 1] = b[i + 1].to_ascii_uppercase();
            upper[i + 2] = b[i + 2].to_ascii_uppercase();
            valid += 1;
            i += 3;
            continue;
        }
        i += 1;
    }
    let all_valid = valid == b.iter().filter(|&&c| c == b'%').count();
    let mut out = String::with_capacity(upper.len());
    for &c in &upper {
        if (all_valid && c == b'%') || (c < 128 && (unreserved(c) || extra.contains(&c))) {
            out.push(c as char);
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(HEX[usize::from(c >> 4)] as char);
            out.push(HEX[usize::from(c & 15)] as char);
        }
    }
    out
}

/// requests' `unquote_unreserved`: `%41` becomes `A`; other escapes stay.
fn unquote_unreserved(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hexval(b[i + 1]), hexval(b[i + 2])) {
                let c = h << 4 | l;
                if unreserved(c) {
                    out.push(c as char);
                    i += 3;
                    continue;
                }
            }
        }
        out.push(b[i] as char);
        i += 1;
    }
    out
}

/// RFC 3986 5.2.4, as urllib3's `_remove_path_dot_segments`.
fn remove_dot_segments(path: &str) -> String {
    let segs: Vec<&str> = path.split('/').collect();
    let mut out: Vec<&str> = Vec::new();
    for s in &segs {
        match *s {
            "." => {}
            ".." => {
                if out.len() > 1 || (out.len() == 1 && !out[0].is_empty()) {
                    out.pop();
                }
            }
            s => out.push(s),
        }
    }
    if path.starts_with('/') && (out.is_empty() || !out[0].is_empty()) {
        out.insert(0, "");
    }
    if matches!(segs.last(), Some(&"." | &"..")) {
        out.push("");
    }
    out.join("/")
}

fn split_host_port(authority: &str, default_port: u16) -> Result<(String, u16)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| Error::malformed("url: unclosed ["))?;
        let port = match after.strip_prefix(':') {
            Some(p) => parse_port(p)?,
            None if after.is_empty() => default_port,
            None => return Err(Error::malformed("url: junk after ]")),
        };
        return Ok((host.to_string(), port));
    }
    match authority.rsplit_once(':') {
        Some((h, p)) => Ok((h.to_string(), parse_port(p)?)),
        None => Ok((authority.to_string(), default_port)),
    }
}

fn parse_port(p: &str) -> Result<u16> {
    if p.is_empty() {
        return Ok(80);
    }
    p.parse::<u16>()
        .ok()
        .filter(|&n| n != 0)
        .ok_or_else(|| Error::malformed("url: bad port"))
}

/// Shows the URL without query string, fragment or credentials: tokens live there.
impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.scheme {
            Scheme::File => write!(f, "file://{}", self.path()),
            s => {
                let name = match s {
                    Scheme::Http => "http",
                    Scheme::Https => "https",
                    Scheme::Other(o) => o.as_str(),
                    Scheme::File => unreachable!("handled above"),
                };
                write!(f, "{name}://{}{}", self.host_header(), self.path())?;
                if self.has_query() {
                    f.write_str("?…")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Debug for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Redacts any string that may be a URL for a log line: drops query and credentials.
pub fn redact(s: &str) -> String {
    match Url::parse(s) {
        Ok(u) => u.to_string(),
        Err(_) => {
            let cut = s.split(['?', '#']).next().unwrap_or("");
            match cut.split_once("://") {
                Some((sch, rest)) => match rest.rsplit_once('@') {
                    Some((_, h)) => format!("{sch}://{h}"),
                    None => cut.to_string(),
                },
                None => cut.to_string(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_maas_preseed_url() {
        let u = Url::parse("http://10.0.0.1:5248/MAAS/metadata/latest/by-id/abc/?op=get_preseed")
            .unwrap();
        assert_eq!(u.scheme, Scheme::Http);
        assert_eq!(u.host, "10.0.0.1");
        assert_eq!(u.port, 5248);
        assert_eq!(u.target, "/MAAS/metadata/latest/by-id/abc/?op=get_preseed");
        assert_eq!(u.path(), "/MAAS/metadata/latest/by-id/abc/");
        assert_eq!(
            u.to_string(),
            "http://10.0.0.1:5248/MAAS/metadata/latest/by-id/abc/?…"
        );
        assert_eq!(u.host_header(), "10.0.0.1:5248");
    }

    #[test]
    fn display_never_shows_query_or_credentials() {
        let u = Url::parse("http://user:secret@h.example/p?token=abc#frag").unwrap();
        let shown = u.to_string();
        assert!(!shown.contains("secret") && !shown.contains("abc") && !shown.contains("frag"));
        assert_eq!(redact("weird://user:pw@x/y?tok=1"), "weird://x/y?…");
        assert_eq!(redact("notaurl?tok=1"), "notaurl");
    }

    #[test]
    fn schemes_and_defaults() {
        assert_eq!(Url::parse("https://x/").unwrap().port, 443);
        assert_eq!(Url::parse("http://x").unwrap().target, "/");
        assert_eq!(Url::parse("/var/seed/").unwrap().scheme, Scheme::File);
        assert_eq!(
            Url::parse("file:///var/seed/").unwrap().scheme,
            Scheme::File
        );
        assert_eq!(
            Url::parse("ftp://x/").unwrap().scheme,
            Scheme::Other("ftp".into())
        );
        assert!(Url::parse("http://x:0/").is_err());
        assert!(Url::parse("http://x:99999/").is_err());
        assert!(Url::parse("http:///p").is_err());
        assert!(Url::parse("nocolon").is_err());
        let v6 = Url::parse("http://[fd00::1]:8080/a").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("fd00::1", 8080));
        assert_eq!(v6.host_header(), "[fd00::1]:8080");
    }

    #[test]
    fn seed_files_follow_cloud_init() {
        let base = Url::parse("http://10.0.0.1/seed").unwrap();
        assert_eq!(
            base.seed_file("meta-data").unwrap().target,
            "/seed/meta-data"
        );
        let base = Url::parse("http://10.0.0.1/seed/").unwrap();
        assert_eq!(
            base.seed_file("user-data").unwrap().target,
            "/seed/user-data"
        );
        let q = Url::parse("http://h/s?x=1").unwrap();
        assert_eq!(q.seed_file("meta-data").unwrap().target, "/s?x=1meta-data");
    }

    #[test]
    fn cloud_init_read_seeded_urls() {
        // test_util.py TestReadSeeded.test_handle_http_urls (feature flag on)
        let names = ["network-config", "meta-data", "user-data", "vendor-data"];
        let cases = [
            ("http://10.0.0.1/%s?qs=1", "http://10.0.0.1/{}?qs=1"),
            ("https://10.0.0.1:8008/", "https://10.0.0.1:8008/{}"),
            ("https://10.0.0.1:8008", "https://10.0.0.1:8008/{}"),
            ("https://10.0.0.1:8008?qs=", "https://10.0.0.1:8008?qs={}"),
        ];
        for (base, want) in cases {
            for n in names {
                assert_eq!(seeded_url(base, n), want.replace("{}", n), "{base}");
            }
        }
        // the feature-off case is 22.4.2's plain concatenation
        assert_eq!(
            seeded_url_v22("https://10.0.0.1:8008", "meta-data").unwrap(),
            "https://10.0.0.1:8008meta-data"
        );
        assert_eq!(seeded_url_v22("http://h/%s/a%20b", "meta-data"), None);
        assert!(seed_base_portable("http://h/seed/"));
        assert!(!seed_base_portable("http://h/seed"));
        assert!(!seed_base_portable("http://h/%s/%s"));
        // a bare `?` is an empty query: urlparse says "" and the slash is added
        assert_eq!(
            seeded_url("http://h/s?", "meta-data"),
            "http://h/s?/meta-data"
        );
    }

    #[test]
    fn targets_are_quoted_as_requests_sends_them() {
        let t = |s: &str| Url::parse(s).unwrap().target;
        assert_eq!(t("http://h/a b/ü?q=x y"), "/a%20b/%C3%BC?q=x%20y");
        assert_eq!(t("http://h/%7e%41/%2f%zz"), "/%257E%2541/%252F%25zz");
        assert_eq!(t("http://h/%7e%41/%2f"), "/~A/%2F");
        assert_eq!(t("http://h/a/./b/../c"), "/a/c");
        assert_eq!(t("http://h/x?a=%2F&b=[1]"), "/x?a=%2F&b=%5B1%5D");
        assert_eq!(
            t("http://h/MAAS/metadata/latest/by-id/abc/?op=get_preseed"),
            "/MAAS/metadata/latest/by-id/abc/?op=get_preseed"
        );
        assert_eq!(remove_dot_segments("/a/b/c/./../../g"), "/a/g");
        assert_eq!(remove_dot_segments("/.."), "/");
        assert_eq!(remove_dot_segments("/a/.."), "/");
    }

    #[test]
    fn userinfo_becomes_basic_auth_and_stays_hidden() {
        let u = Url::parse("http://user:p%40ss@10.0.0.1:8080/seed/").unwrap();
        assert_eq!(u.host, "10.0.0.1");
        // base64("user:p@ss")
        assert_eq!(u.basic_auth().as_deref(), Some("Basic dXNlcjpwQHNz"));
        assert!(!format!("{u} {u:?}").contains("p%40ss") && !format!("{u}").contains("user"));
        let m = u.seed_file("meta-data").unwrap();
        assert_eq!(m.basic_auth(), u.basic_auth());
        assert_eq!(u.join_location("/x").unwrap().basic_auth(), u.basic_auth());
        assert_eq!(
            u.join_location("http://other/x").unwrap().basic_auth(),
            None
        );
        assert_eq!(Url::parse("http://h/").unwrap().basic_auth(), None);
        assert_eq!(
            Url::parse("http://u@h/").unwrap().basic_auth().as_deref(),
            Some("Basic dTo=")
        );
        assert_eq!(base64(b"abcd"), "YWJjZA==");
    }

    #[test]
    fn ipv6_literals() {
        let u = Url::parse("http://[fd00::2]:5248/path?q").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.target.as_str()),
            ("fd00::2", 5248, "/path?q")
        );
        assert!(u.host.parse::<core::net::Ipv6Addr>().is_ok());
        assert_eq!(u.host_header(), "[fd00::2]:5248");
        assert!(Url::parse("http://[zz::1]/").is_err());
        assert!(Url::parse("http://fd00::2/").is_err());
    }

    #[test]
    fn locations() {
        let u = Url::parse("http://h:81/a/b?q").unwrap();
        assert_eq!(u.join_location("/c").unwrap().as_str(), "http://h:81/c");
        assert_eq!(u.join_location("d").unwrap().as_str(), "http://h:81/a/d");
        assert_eq!(u.join_location("http://o/x").unwrap().host, "o");
        assert_eq!(
            u.join_location("https://o/x").unwrap().scheme,
            Scheme::Https
        );
    }
}
