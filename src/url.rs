//! Pure URL handling for the few forms the kernel cmdline carries:
//! `http://host[:port]/path?query`. Anything else is recognised only so that
//! it can be left to cloud-init with a clear message.

use crate::error::{Error, Result};
use std::fmt;

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
    /// Path and query, always starting with `/`.
    pub target: String,
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
        // Credentials in a URL are not supported (and must never be logged).
        let authority = match authority.rsplit_once('@') {
            Some((_, hostport)) => hostport,
            None => authority,
        };
        let default_port = match scheme {
            Scheme::Https => 443,
            _ => 80,
        };
        let (host, port) = split_host_port(authority, default_port)?;
        if host.is_empty() && scheme != Scheme::File {
            return Err(Error::malformed("url: empty host"));
        }
        if !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._:".contains(&b))
        {
            return Err(Error::malformed("url: bad host"));
        }
        Ok(Url {
            scheme,
            host,
            port,
            target,
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

    /// A seed file next to a NoCloud `seedfrom` base. Like cloud-init 23.1+,
    /// a missing trailing `/` is added when there is no query string; with a
    /// query the name is appended blindly, as every cloud-init version does.
    pub fn seed_file(&self, name: &str) -> Result<Url> {
        let mut s = self.raw.clone();
        if !s.ends_with('/') && !self.has_query() {
            s.push('/');
        }
        s.push_str(name);
        Url::parse(&s)
    }

    /// Resolves a `Location` header against this URL (absolute or
    /// absolute-path forms; relative paths are resolved against the directory).
    pub fn join_location(&self, loc: &str) -> Result<Url> {
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
