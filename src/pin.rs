//! Integrity pins from the kernel command line (pure):
//! `cloudseed.sha256=HEX` (the `cloud-config-url` body when the command line
//! names one, else the NoCloud user-data) and `cloudseed.sha256.<file>=HEX`
//! for `meta-data`, `user-data`, `vendor-data`, `network-config` and
//! `cloud-config-url` (the body). Every pin must match what would be handed
//! off; a pin whose file is absent does not match.

use crate::prelude::*;

use crate::seed::Seed;

/// What a pin covers.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// The bare `cloudseed.sha256=`: the URL body if one is named, else user-data.
    Default,
    MetaData,
    UserData,
    VendorData,
    NetworkConfig,
    CloudConfigUrl,
}

impl Target {
    pub fn name(self) -> &'static str {
        match self {
            Target::Default => "sha256",
            Target::MetaData => "sha256.meta-data",
            Target::UserData => "sha256.user-data",
            Target::VendorData => "sha256.vendor-data",
            Target::NetworkConfig => "sha256.network-config",
            Target::CloudConfigUrl => "sha256.cloud-config-url",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pin {
    pub target: Target,
    pub digest: [u8; 32],
}

/// Parses one knob: `name` is what follows `cloudseed.` (`sha256` or
/// `sha256.<file>`), `value` what follows `=`. `None` when either is unknown
/// or malformed (the caller reports it).
pub fn parse(name: &str, value: Option<&str>) -> Option<Pin> {
    let target = match name {
        "sha256" => Target::Default,
        "sha256.meta-data" => Target::MetaData,
        "sha256.user-data" => Target::UserData,
        "sha256.vendor-data" => Target::VendorData,
        "sha256.network-config" => Target::NetworkConfig,
        "sha256.cloud-config-url" => Target::CloudConfigUrl,
        _ => return None,
    };
    let digest = crate::sha256::parse_hex(value?)?;
    Some(Pin { target, digest })
}

/// What the pins are checked against: what would be handed off.
#[derive(Clone, Copy, Debug, Default)]
pub struct Subjects<'a> {
    /// The command line names a `cloud-config-url` (fetched or not).
    pub url_named: bool,
    /// The fetched body, when there is one.
    pub body: Option<&'a [u8]>,
    /// The NoCloud seed that would be handed off.
    pub seed: Option<&'a Seed>,
}

/// Checks every pin. `Ok` lists what was verified (for the log), `Err` says
/// the first pin that failed, as a one-line message.
pub fn check(pins: &[Pin], s: &Subjects) -> Result<Vec<&'static str>, String> {
    let mut verified = Vec::new();
    for p in pins {
        let target = match p.target {
            Target::Default if s.url_named => Target::CloudConfigUrl,
            Target::Default => Target::UserData,
            t => t,
        };
        let (what, bytes): (&'static str, Option<&[u8]>) = match target {
            Target::CloudConfigUrl => ("cloud-config-url body", s.body),
            Target::MetaData => ("meta-data", s.seed.map(|x| x.meta_data.as_slice())),
            Target::UserData => ("user-data", s.seed.map(|x| x.user_data.as_slice())),
            Target::VendorData => ("vendor-data", s.seed.and_then(|x| x.vendor_data.as_deref())),
            Target::NetworkConfig => (
                "network-config",
                s.seed.and_then(|x| x.network_config.as_deref()),
            ),
            Target::Default => unreachable!("resolved above"),
        };
        match bytes {
            Some(b) if crate::sha256::digest(b) == p.digest => verified.push(what),
            Some(_) => {
                return Err(format!(
                    "{what} does not match cloudseed.{}",
                    p.target.name()
                ))
            }
            None => {
                return Err(format!(
                    "cloudseed.{} is set but there is no {what} to verify",
                    p.target.name()
                ))
            }
        }
    }
    Ok(verified)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sha256::{digest, to_hex};

    fn seed() -> Seed {
        Seed {
            meta_data: b"instance-id: i-1\n".to_vec(),
            user_data: b"#cloud-config\n".to_vec(),
            vendor_data: None,
            network_config: Some(b"version: 2\n".to_vec()),
        }
    }

    #[test]
    fn names_and_values() {
        let hex = to_hex(&digest(b"x"));
        assert_eq!(
            parse("sha256.network-config", Some(&hex)),
            Some(Pin {
                target: Target::NetworkConfig,
                digest: digest(b"x")
            })
        );
        assert_eq!(parse("sha256", Some(&hex)).unwrap().target, Target::Default);
        assert_eq!(parse("sha256.user-data", None), None);
        assert_eq!(parse("sha256.userdata", Some(&hex)), None);
        assert_eq!(parse("sha256.meta-data", Some("abc")), None);
    }

    #[test]
    fn bare_pin_follows_the_url_when_named() {
        let s = seed();
        let pin = |b: &[u8]| Pin {
            target: Target::Default,
            digest: digest(b),
        };
        let with_url = Subjects {
            url_named: true,
            body: Some(b"#cloud-config\na: 1\n"),
            seed: Some(&s),
        };
        assert!(check(&[pin(b"#cloud-config\na: 1\n")], &with_url).is_ok());
        // Named but not fetched: nothing to verify, even with a seed.
        let unfetched = Subjects {
            body: None,
            ..with_url
        };
        assert!(check(&[pin(&s.user_data)], &unfetched).is_err());
        let seed_only = Subjects {
            seed: Some(&s),
            ..Subjects::default()
        };
        assert_eq!(
            check(&[pin(&s.user_data)], &seed_only),
            Ok(vec!["user-data"])
        );
    }

    #[test]
    fn every_file_pin_must_match_and_exist() {
        let s = seed();
        let sub = Subjects {
            seed: Some(&s),
            ..Subjects::default()
        };
        let nc = Pin {
            target: Target::NetworkConfig,
            digest: digest(b"version: 2\n"),
        };
        let md = Pin {
            target: Target::MetaData,
            digest: digest(b"instance-id: i-1\n"),
        };
        assert_eq!(
            check(&[nc.clone(), md.clone()], &sub),
            Ok(vec!["network-config", "meta-data"])
        );
        let bad = Pin {
            digest: digest(b"version: 1\n"),
            ..nc
        };
        assert_eq!(
            check(&[md, bad], &sub),
            Err("network-config does not match cloudseed.sha256.network-config".into())
        );
        let vd = Pin {
            target: Target::VendorData,
            digest: digest(b""),
        };
        assert!(check(&[vd], &sub).unwrap_err().contains("no vendor-data"));
    }
}
