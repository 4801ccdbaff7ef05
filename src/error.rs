//! The one error type of the agent. Every message is a single lower-case line
//! that is safe to print: it never carries user-data or URL query strings.

use crate::prelude::*;

use crate::os::io;
use alloc::borrow::Cow;
use core::fmt;

#[derive(Debug)]
pub enum Error {
    /// A system call on a path failed.
    Io {
        op: Cow<'static, str>,
        path: String,
        source: io::Error,
    },
    /// Input bytes do not follow their format.
    Malformed { what: String },
    /// Input ended before a structure it announced.
    Truncated { what: String },
    /// Input asks for more than we are willing to hold (size, count, depth).
    Limit { what: String },
    /// The deadline passed.
    Timeout { what: String },
    /// A dependency panicked on hostile input; we caught it.
    Panicked { what: String },
    /// Something we deliberately leave to cloud-init (https, ftp, file seeds).
    Unsupported { what: String },
    /// A network step failed (refused, reset, HTTP status, DNS, DHCP).
    Net { what: String },
    /// The integrity pin did not match.
    Integrity { what: String },
    /// SIGTERM or SIGINT arrived: every blocking wait returns this from
    /// then on, so the run unwinds through its error paths at once.
    Interrupted { signal: Signal },
}

/// The kind of an `Error`, without its details: what the report and the
/// probe-record format carry, and what decisions are made on.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    Io,
    Malformed,
    Truncated,
    Limit,
    Timeout,
    Panicked,
    Unsupported,
    Net,
    Integrity,
    Interrupted,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 10] = [
        ErrorKind::Io,
        ErrorKind::Malformed,
        ErrorKind::Truncated,
        ErrorKind::Limit,
        ErrorKind::Timeout,
        ErrorKind::Panicked,
        ErrorKind::Unsupported,
        ErrorKind::Net,
        ErrorKind::Integrity,
        ErrorKind::Interrupted,
    ];
}

/// A termination signal cloudseed handles (src/sys.rs installs the handlers).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Signal {
    /// SIGTERM: systemd's stop or backstop timeout, an initramfs giving up.
    Term,
    /// SIGINT: Ctrl-C on a console.
    Int,
}

impl Signal {
    pub fn from_raw(n: i32) -> Option<Signal> {
        match n {
            15 => Some(Signal::Term),
            2 => Some(Signal::Int),
            _ => None,
        }
    }
    pub fn number(self) -> i32 {
        match self {
            Signal::Term => 15,
            Signal::Int => 2,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Signal::Term => "SIGTERM",
            Signal::Int => "SIGINT",
        }
    }
    /// The shell's convention: 128 + the signal number (143, 130).
    pub fn exit_code(self) -> u8 {
        128 + self.number() as u8
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The signal an `io::Error` from an interrupted wait carries, if any
/// (`sys` wraps a caught signal in one, of kind `Other`, so no
/// retry-on-`Interrupted` loop swallows it).
pub fn signal_of(e: &io::Error) -> Option<Signal> {
    e.signal_caught()
}

pub type Result<T, E = Error> = core::result::Result<T, E>;

impl Error {
    /// A failed system call; a wait that a caught signal cut short becomes
    /// `Interrupted`, so every `map_err(Error::io…)` passes it on as such.
    pub fn io(
        op: impl Into<Cow<'static, str>>,
        path: impl fmt::Display,
        source: impl Into<io::Error>,
    ) -> Self {
        let source = source.into();
        if let Some(signal) = signal_of(&source) {
            return Error::Interrupted { signal };
        }
        Error::Io {
            op: op.into(),
            path: path.to_string(),
            source,
        }
    }
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Io { .. } => ErrorKind::Io,
            Error::Malformed { .. } => ErrorKind::Malformed,
            Error::Truncated { .. } => ErrorKind::Truncated,
            Error::Limit { .. } => ErrorKind::Limit,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Panicked { .. } => ErrorKind::Panicked,
            Error::Unsupported { .. } => ErrorKind::Unsupported,
            Error::Net { .. } => ErrorKind::Net,
            Error::Integrity { .. } => ErrorKind::Integrity,
            Error::Interrupted { .. } => ErrorKind::Interrupted,
        }
    }
    /// The detail text of a `what`-carrying error (what follows the
    /// kind's fixed prefix in `Display`); `None` for `Io` and `Interrupted`.
    pub fn what(&self) -> Option<&str> {
        match self {
            Error::Malformed { what }
            | Error::Truncated { what }
            | Error::Limit { what }
            | Error::Timeout { what }
            | Error::Panicked { what }
            | Error::Unsupported { what }
            | Error::Net { what }
            | Error::Integrity { what } => Some(what),
            Error::Io { .. } | Error::Interrupted { .. } => None,
        }
    }
    /// Rebuilds a `what`-carrying error of `kind` (the probe-record decoder).
    pub fn with_what(kind: ErrorKind, what: String) -> Option<Self> {
        Some(match kind {
            ErrorKind::Malformed => Error::Malformed { what },
            ErrorKind::Truncated => Error::Truncated { what },
            ErrorKind::Limit => Error::Limit { what },
            ErrorKind::Timeout => Error::Timeout { what },
            ErrorKind::Panicked => Error::Panicked { what },
            ErrorKind::Unsupported => Error::Unsupported { what },
            ErrorKind::Net => Error::Net { what },
            ErrorKind::Integrity => Error::Integrity { what },
            ErrorKind::Io | ErrorKind::Interrupted => return None,
        })
    }
    pub fn interrupted(signal: Signal) -> Self {
        Error::Interrupted { signal }
    }
    pub fn malformed(what: impl Into<String>) -> Self {
        Error::Malformed { what: what.into() }
    }
    pub fn truncated(what: impl Into<String>) -> Self {
        Error::Truncated { what: what.into() }
    }
    pub fn limit(what: impl Into<String>) -> Self {
        Error::Limit { what: what.into() }
    }
    pub fn timeout(what: impl Into<String>) -> Self {
        Error::Timeout { what: what.into() }
    }
    pub fn panicked(what: impl Into<String>) -> Self {
        Error::Panicked { what: what.into() }
    }
    pub fn unsupported(what: impl Into<String>) -> Self {
        Error::Unsupported { what: what.into() }
    }
    pub fn net(what: impl Into<String>) -> Self {
        Error::Net { what: what.into() }
    }
    pub fn integrity(what: impl Into<String>) -> Self {
        Error::Integrity { what: what.into() }
    }
}

/// The first line of a panic's message (`&str` or `String` payloads), for a
/// one-line `Error::Panicked` or probe record.
pub fn panic_text(payload: &(dyn core::any::Any + Send)) -> String {
    let msg = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("unknown panic");
    msg.lines().next().unwrap_or("").to_string()
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { op, path, source } => write!(f, "{op} {path}: {source}"),
            Error::Malformed { what } => write!(f, "malformed {what}"),
            Error::Truncated { what } => write!(f, "truncated {what}"),
            Error::Limit { what } => write!(f, "over limit: {what}"),
            Error::Timeout { what } => write!(f, "timed out: {what}"),
            Error::Panicked { what } => write!(f, "internal panic contained: {what}"),
            Error::Unsupported { what } => write!(f, "left to cloud-init: {what}"),
            Error::Net { what } => write!(f, "{what}"),
            Error::Integrity { what } => write!(f, "integrity check failed: {what}"),
            Error::Interrupted { signal } => write!(f, "stopped by {signal}"),
        }
    }
}

/// Equal when of the same kind with the same message (io errors compare by
/// text): what a probe record round trip must preserve.
impl PartialEq for Error {
    fn eq(&self, other: &Self) -> bool {
        self.kind() == other.kind() && self.to_string() == other.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signal_inside_an_io_error_becomes_interrupted() {
        let e = Error::io("poll", "dhcp", io::Error::signal(Signal::Term));
        assert_eq!(e.kind(), ErrorKind::Interrupted);
        assert_eq!(e.to_string(), "stopped by SIGTERM");
        let e = Error::io("read", "/dev/vdb", io::Error::from_raw_os_error(5));
        assert_eq!(e.kind(), ErrorKind::Io);
        assert_eq!(
            (Signal::Term.exit_code(), Signal::Int.exit_code()),
            (143, 130)
        );
        for s in [Signal::Term, Signal::Int] {
            assert_eq!(Signal::from_raw(s.number()), Some(s));
        }
    }

    #[test]
    fn kinds_round_trip_through_what() {
        for k in ErrorKind::ALL {
            if let Some(e) = Error::with_what(k, "x".into()) {
                assert_eq!(e.kind(), k);
                assert_eq!(e.what(), Some("x"));
            }
        }
    }
}
