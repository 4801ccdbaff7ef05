//! cloudseed: fetch cloud-init data in the initramfs and hand it to the root
//! system's cloud-init through `/run`.
//!
//! A functional core (cmdline, codecs, DHCP, volume readers, cloud.cfg
//! rendering) in an imperative shell (`agent`, `net`, `sys`).

#![no_std]
#![deny(unsafe_code)]

extern crate alloc;
// Unit tests run under the std test harness; nothing else uses std.
#[cfg(test)]
extern crate std;

/// What every module imports: the parts of std's prelude that live in
/// `alloc` (a `#![no_std]` crate gets only `core`'s).
pub mod prelude {
    pub use alloc::borrow::{Cow, ToOwned};
    pub use alloc::boxed::Box;
    pub use alloc::collections::{BTreeMap, BTreeSet};
    pub use alloc::string::{String, ToString};
    pub use alloc::vec::Vec;
    pub use alloc::{format, vec};
}

/// `println!` to fd 1, unbuffered (one write(2) per call); errors ignored.
#[macro_export]
macro_rules! println {
    ($($t:tt)*) => {{
        use core::fmt::Write as _;
        let _ = writeln!($crate::os::io::stdout(), $($t)*);
    }};
}

/// `eprintln!` to fd 2, as [`println!`].
#[macro_export]
macro_rules! eprintln {
    ($($t:tt)*) => {{
        use core::fmt::Write as _;
        let _ = writeln!($crate::os::io::stderr(), $($t)*);
    }};
}

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
pub mod os;
pub mod paths;
pub mod pin;
pub mod plan;
pub mod report;
pub mod scan;
pub mod seed;
pub mod sha256;
pub mod sort;
#[allow(unsafe_code)]
pub mod sys;
pub mod time;
pub mod url;
pub mod wire;
