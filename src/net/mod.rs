//! The network path: bring a link up (or reuse one), DHCPv4, DNS, HTTP, and
//! leave the network as INTEROP.md section 5 says.

pub mod http;
pub mod resolve;

use crate::cmdline::Cmdline;
use crate::error::{Error, Result};
use crate::paths::Paths;
use crate::report::Report;
use crate::seed::Seed;
use crate::time::Deadline;
use crate::url::Url;

/// What the agent wants fetched. Only `http://` URLs reach this module.
#[derive(Clone, Debug, Default)]
pub struct Request {
    /// `cloud-config-url=`: fetched as is.
    pub cloud_config_url: Option<Url>,
    /// NoCloud `seedfrom` base: `meta-data` and `user-data` required,
    /// `vendor-data` and `network-config` optional (404 = absent).
    pub seed_url: Option<Url>,
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub cloud_config: Option<Result<Vec<u8>>>,
    pub seed: Option<Result<Seed>>,
    /// When the network is kept: the interface and the klibc-format content
    /// for `/run/net-<if>.conf`; the agent writes it atomically.
    pub klibc_conf: Option<(String, String)>,
}

/// Brings the network up, fetches what `req` names, and leaves the network
/// kept or torn down. Never runs past `deadline`.
pub fn run(
    cmd: &Cmdline,
    req: &Request,
    paths: &Paths,
    deadline: Deadline,
    report: &mut Report,
) -> Outcome {
    let _ = (cmd, paths, deadline, report);
    let fail = || Error::unsupported("network support not built yet");
    Outcome {
        cloud_config: req.cloud_config_url.as_ref().map(|_| Err(fail())),
        seed: req.seed_url.as_ref().map(|_| Err(fail())),
        klibc_conf: None,
    }
}
