//! The one error type of the agent. Every message is a single lower-case line
//! that is safe to print: it never carries user-data or URL query strings.

use std::fmt;
use std::io;

#[derive(Debug)]
pub enum Error {
    /// A system call on a path failed.
    Io {
        op: &'static str,
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
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn io(op: &'static str, path: impl fmt::Display, source: io::Error) -> Self {
        Error::Io {
            op,
            path: path.to_string(),
            source,
        }
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
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
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
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
