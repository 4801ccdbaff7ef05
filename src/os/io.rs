//! `io::Error`, `Read`/`Write`/`Seek` and `Cursor`: the parts of `std::io`
//! the crate uses, with the same names and meanings.

use crate::error::Signal;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use rustix::io::Errno;

pub type Result<T, E = Error> = core::result::Result<T, E>;

/// What went wrong, coarsely (std's names for the kinds the code decides on).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    NotFound,
    PermissionDenied,
    ConnectionRefused,
    ConnectionReset,
    ConnectionAborted,
    HostUnreachable,
    NetworkUnreachable,
    BrokenPipe,
    AlreadyExists,
    WouldBlock,
    InvalidInput,
    InvalidData,
    TimedOut,
    Interrupted,
    UnexpectedEof,
    Other,
}

impl ErrorKind {
    fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "entity not found",
            ErrorKind::PermissionDenied => "permission denied",
            ErrorKind::ConnectionRefused => "connection refused",
            ErrorKind::ConnectionReset => "connection reset",
            ErrorKind::ConnectionAborted => "connection aborted",
            ErrorKind::HostUnreachable => "host unreachable",
            ErrorKind::NetworkUnreachable => "network unreachable",
            ErrorKind::BrokenPipe => "broken pipe",
            ErrorKind::AlreadyExists => "entity already exists",
            ErrorKind::WouldBlock => "operation would block",
            ErrorKind::InvalidInput => "invalid input parameter",
            ErrorKind::InvalidData => "invalid data",
            ErrorKind::TimedOut => "timed out",
            ErrorKind::Interrupted => "operation interrupted",
            ErrorKind::UnexpectedEof => "unexpected end of file",
            ErrorKind::Other => "other error",
        }
    }
}

/// A failed system call (its errno), a kind of our own, a message, or a
/// caught SIGTERM/SIGINT (src/sys.rs; `error::signal_of` finds it).
#[derive(Debug)]
pub struct Error(Repr);

#[derive(Debug)]
enum Repr {
    Os(Errno),
    Kind(ErrorKind),
    Custom(ErrorKind, String),
    Signal(Signal),
}

impl Error {
    pub fn new(kind: ErrorKind, msg: impl Into<String>) -> Error {
        Error(Repr::Custom(kind, msg.into()))
    }
    pub fn other(msg: impl Into<String>) -> Error {
        Error::new(ErrorKind::Other, msg)
    }
    /// An errno; a code the kernel never returns (outside 1..=4095, e.g.
    /// from the probe helper's pipe) is kept as text, not passed to
    /// rustix, whose `Errno` asserts the range.
    pub fn from_raw_os_error(code: i32) -> Error {
        if (1..=4095).contains(&code) {
            Error(Repr::Os(Errno::from_raw_os_error(code)))
        } else {
            Error::other(alloc::format!("os error {code}"))
        }
    }
    /// A wait cut short by a caught signal.
    pub fn signal(s: Signal) -> Error {
        Error(Repr::Signal(s))
    }
    pub fn signal_caught(&self) -> Option<Signal> {
        match self.0 {
            Repr::Signal(s) => Some(s),
            _ => None,
        }
    }
    pub fn raw_os_error(&self) -> Option<i32> {
        match self.0 {
            Repr::Os(e) => Some(e.raw_os_error()),
            _ => None,
        }
    }
    pub fn kind(&self) -> ErrorKind {
        match &self.0 {
            Repr::Os(e) => kind_of(*e),
            Repr::Kind(k) | Repr::Custom(k, _) => *k,
            Repr::Signal(_) => ErrorKind::Other,
        }
    }
}

fn kind_of(e: Errno) -> ErrorKind {
    match e {
        Errno::NOENT => ErrorKind::NotFound,
        Errno::ACCESS | Errno::PERM => ErrorKind::PermissionDenied,
        Errno::CONNREFUSED => ErrorKind::ConnectionRefused,
        Errno::CONNRESET => ErrorKind::ConnectionReset,
        Errno::CONNABORTED => ErrorKind::ConnectionAborted,
        Errno::HOSTUNREACH => ErrorKind::HostUnreachable,
        Errno::NETUNREACH => ErrorKind::NetworkUnreachable,
        Errno::PIPE => ErrorKind::BrokenPipe,
        Errno::EXIST => ErrorKind::AlreadyExists,
        Errno::AGAIN => ErrorKind::WouldBlock,
        Errno::INVAL => ErrorKind::InvalidInput,
        Errno::TIMEDOUT => ErrorKind::TimedOut,
        Errno::INTR => ErrorKind::Interrupted,
        _ => ErrorKind::Other,
    }
}

/// strerror(3)'s words for the errnos a boot is likely to meet.
fn describe(e: Errno) -> &'static str {
    match e {
        Errno::PERM => "Operation not permitted",
        Errno::NOENT => "No such file or directory",
        Errno::INTR => "Interrupted system call",
        Errno::IO => "Input/output error",
        Errno::NXIO => "No such device or address",
        Errno::BADF => "Bad file descriptor",
        Errno::AGAIN => "Resource temporarily unavailable",
        Errno::NOMEM => "Cannot allocate memory",
        Errno::ACCESS => "Permission denied",
        Errno::BUSY => "Device or resource busy",
        Errno::EXIST => "File exists",
        Errno::NODEV => "No such device",
        Errno::NOTDIR => "Not a directory",
        Errno::ISDIR => "Is a directory",
        Errno::INVAL => "Invalid argument",
        Errno::NOSPC => "No space left on device",
        Errno::ROFS => "Read-only file system",
        Errno::PIPE => "Broken pipe",
        Errno::NOMEDIUM => "No medium found",
        Errno::NOTEMPTY => "Directory not empty",
        Errno::NETDOWN => "Network is down",
        Errno::NETUNREACH => "Network is unreachable",
        Errno::CONNABORTED => "Software caused connection abort",
        Errno::CONNRESET => "Connection reset by peer",
        Errno::TIMEDOUT => "Connection timed out",
        Errno::CONNREFUSED => "Connection refused",
        Errno::HOSTUNREACH => "No route to host",
        Errno::ADDRNOTAVAIL => "Cannot assign requested address",
        Errno::AFNOSUPPORT => "Address family not supported by protocol",
        _ => "OS error",
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Os(e) => write!(f, "{} (os error {})", describe(*e), e.raw_os_error()),
            Repr::Kind(k) => f.write_str(k.as_str()),
            Repr::Custom(_, m) => f.write_str(m),
            Repr::Signal(s) => write!(f, "{s}"),
        }
    }
}

impl From<Errno> for Error {
    fn from(e: Errno) -> Error {
        Error(Repr::Os(e))
    }
}

impl From<ErrorKind> for Error {
    fn from(k: ErrorKind) -> Error {
        Error(Repr::Kind(k))
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SeekFrom {
    Start(u64),
    End(i64),
    Current(i64),
}

pub trait Read {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize>;

    /// Reads until `buf` is full; `UnexpectedEof` if the input ends first.
    fn read_exact(&mut self, mut buf: &mut [u8]) -> Result<()> {
        while !buf.is_empty() {
            match self.read(buf) {
                Ok(0) => return Err(ErrorKind::UnexpectedEof.into()),
                Ok(n) => buf = &mut buf[n..],
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Appends everything up to end of input; returns how many bytes.
    fn read_to_end(&mut self, buf: &mut Vec<u8>) -> Result<usize> {
        let start = buf.len();
        let mut chunk = [0u8; 4096];
        loop {
            match self.read(&mut chunk) {
                Ok(0) => return Ok(buf.len() - start),
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// At most `limit` more bytes of this reader.
    fn take(self, limit: u64) -> Take<Self>
    where
        Self: Sized,
    {
        Take { inner: self, limit }
    }
}

pub trait Write {
    fn write(&mut self, buf: &[u8]) -> Result<usize>;
    fn flush(&mut self) -> Result<()> {
        Ok(())
    }
    fn write_all(&mut self, mut buf: &[u8]) -> Result<()> {
        while !buf.is_empty() {
            match self.write(buf) {
                Ok(0) => return Err(Error::new(ErrorKind::Other, "failed to write whole buffer")),
                Ok(n) => buf = &buf[n..],
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

pub trait Seek {
    fn seek(&mut self, pos: SeekFrom) -> Result<u64>;
}

impl<R: Read + ?Sized> Read for &mut R {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        (**self).read(buf)
    }
}

impl<W: Write + ?Sized> Write for &mut W {
    fn write(&mut self, buf: &[u8]) -> Result<usize> {
        (**self).write(buf)
    }
    fn flush(&mut self) -> Result<()> {
        (**self).flush()
    }
}

impl<S: Seek + ?Sized> Seek for &mut S {
    fn seek(&mut self, pos: SeekFrom) -> Result<u64> {
        (**self).seek(pos)
    }
}

impl Read for &[u8] {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        let n = buf.len().min(self.len());
        buf[..n].copy_from_slice(&self[..n]);
        *self = &self[n..];
        Ok(n)
    }
}

impl Write for Vec<u8> {
    fn write(&mut self, buf: &[u8]) -> Result<usize> {
        self.extend_from_slice(buf);
        Ok(buf.len())
    }
}

/// See [`Read::take`].
pub struct Take<R> {
    inner: R,
    limit: u64,
}

impl<R: Read> Read for Take<R> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        if self.limit == 0 {
            return Ok(0);
        }
        let max = buf
            .len()
            .min(usize::try_from(self.limit).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..max])?;
        self.limit -= n as u64;
        Ok(n)
    }
}

/// An in-memory reader and writer with a position, as `std::io::Cursor`.
#[derive(Debug, Default, Clone)]
pub struct Cursor<T> {
    inner: T,
    pos: u64,
}

impl<T> Cursor<T> {
    pub fn new(inner: T) -> Cursor<T> {
        Cursor { inner, pos: 0 }
    }
    pub fn into_inner(self) -> T {
        self.inner
    }
    pub fn get_ref(&self) -> &T {
        &self.inner
    }
    pub fn position(&self) -> u64 {
        self.pos
    }
}

impl<T: AsRef<[u8]>> Read for Cursor<T> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        let data = self.inner.as_ref();
        let start = usize::try_from(self.pos)
            .unwrap_or(usize::MAX)
            .min(data.len());
        let n = (&data[start..]).read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<T: AsRef<[u8]>> Seek for Cursor<T> {
    fn seek(&mut self, pos: SeekFrom) -> Result<u64> {
        let (base, off) = match pos {
            SeekFrom::Start(n) => {
                self.pos = n;
                return Ok(n);
            }
            SeekFrom::End(n) => (self.inner.as_ref().len() as u64, n),
            SeekFrom::Current(n) => (self.pos, n),
        };
        match base.checked_add_signed(off) {
            Some(n) => {
                self.pos = n;
                Ok(n)
            }
            None => Err(Error::new(
                ErrorKind::InvalidInput,
                "invalid seek to a negative or overflowing position",
            )),
        }
    }
}

impl Write for Cursor<Vec<u8>> {
    fn write(&mut self, buf: &[u8]) -> Result<usize> {
        let pos = usize::try_from(self.pos).unwrap_or(usize::MAX);
        let v = &mut self.inner;
        if v.len() < pos {
            v.resize(pos, 0);
        }
        let overlap = (v.len() - pos).min(buf.len());
        v[pos..pos + overlap].copy_from_slice(&buf[..overlap]);
        v.extend_from_slice(&buf[overlap..]);
        self.pos += buf.len() as u64;
        Ok(buf.len())
    }
}

/// Standard output and error, unbuffered: one write(2) per call.
pub struct Stdout;
pub struct Stderr;

pub fn stdout() -> Stdout {
    Stdout
}
pub fn stderr() -> Stderr {
    Stderr
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> Result<usize> {
        Ok(rustix::io::write(super::process::stdio(1), buf)?)
    }
}

impl Write for Stderr {
    fn write(&mut self, buf: &[u8]) -> Result<usize> {
        Ok(rustix::io::write(super::process::stdio(2), buf)?)
    }
}

impl fmt::Write for Stderr {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.write_all(s.as_bytes()).map_err(|_| fmt::Error)
    }
}

impl fmt::Write for Stdout {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.write_all(s.as_bytes()).map_err(|_| fmt::Error)
    }
}

#[cfg(test)]
mod tests {
    use super::Error;
    use crate::prelude::*;

    #[test]
    fn any_os_error_code_is_an_error_not_a_panic() {
        for code in [i32::MIN, -4096, -1, 0, 4096, 65535, i32::MAX] {
            let e = Error::from_raw_os_error(code);
            assert_eq!(e.raw_os_error(), None, "{code}");
            assert!(e.to_string().contains(&code.to_string()), "{e}");
        }
        assert_eq!(Error::from_raw_os_error(5).raw_os_error(), Some(5));
    }
}
