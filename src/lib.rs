//! cloudseed: fetch cloud-init data in the initramfs and hand it to the root
//! system's cloud-init through `/run`.
//!
//! A functional core (cmdline, codecs, DHCP, volume readers, cloud.cfg
//! rendering) in an imperative shell (`agent`, `net`, `sys`).

#![deny(unsafe_code)]

pub mod agent;
pub mod cli;
pub mod cmdline;
pub mod cmdline6;
pub mod dhcp;
pub mod dhcp6;
pub mod error;
pub mod handoff;
pub mod identify;
pub mod logger;
pub mod mkcidata;
pub mod ndisc;
pub mod net;
pub mod netargs;
pub mod paths;
pub mod pin;
pub mod plan;
pub mod report;
pub mod scan;
pub mod seed;
pub mod sha256;
#[allow(unsafe_code)]
pub mod sys;
pub mod time;
pub mod url;
pub mod wire;
