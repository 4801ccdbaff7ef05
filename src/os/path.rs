//! `Path` and `PathBuf` as bytes (a Linux path is any bytes but NUL), with the
//! few `std::path` operations the crate uses. `display()` is lossy.

use alloc::borrow::{Cow, ToOwned};
use alloc::string::String;
use alloc::vec::Vec;
use core::borrow::Borrow;
use core::fmt;
use core::ops::Deref;

#[derive(PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct Path([u8]);

#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PathBuf(Vec<u8>);

impl Path {
    pub fn new<S: AsRef<[u8]> + ?Sized>(s: &S) -> &Path {
        Path::from_bytes(s.as_ref())
    }
    #[allow(unsafe_code)]
    pub fn from_bytes(b: &[u8]) -> &Path {
        // SAFETY: `Path` is a `repr(transparent)` wrapper of `[u8]`.
        unsafe { &*(b as *const [u8] as *const Path) }
    }
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
    /// The path as an [`OsStr`] (std's name; `is_empty()`, `as_bytes()`).
    pub fn as_os_str(&self) -> &OsStr {
        OsStr::from_bytes(&self.0)
    }
    pub fn to_str(&self) -> Option<&str> {
        core::str::from_utf8(&self.0).ok()
    }
    pub fn to_string_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }
    pub fn to_path_buf(&self) -> PathBuf {
        PathBuf(self.0.to_vec())
    }
    pub fn display(&self) -> Display<'_> {
        Display(self)
    }
    pub fn is_absolute(&self) -> bool {
        self.0.first() == Some(&b'/')
    }
    /// `self/p`, or `p` alone when it is absolute (as std does).
    pub fn join<P: AsRef<Path>>(&self, p: P) -> PathBuf {
        let mut b = self.to_path_buf();
        b.push(p);
        b
    }
    fn trimmed(&self) -> &[u8] {
        let mut b = &self.0;
        while b.len() > 1 && b.ends_with(b"/") {
            b = &b[..b.len() - 1];
        }
        b
    }
    /// The last component, unless it is empty, `.` or `..`.
    pub fn file_name(&self) -> Option<&OsStr> {
        self.file_name_bytes().map(OsStr::from_bytes)
    }
    pub fn file_name_bytes(&self) -> Option<&[u8]> {
        let b = self.trimmed();
        let name = match b.iter().rposition(|&c| c == b'/') {
            Some(i) => &b[i + 1..],
            None => b,
        };
        (!name.is_empty() && name != b"." && name != b"..").then_some(name)
    }
    pub fn parent(&self) -> Option<&Path> {
        let b = self.trimmed();
        if b == b"/" || b.is_empty() {
            return None;
        }
        Some(match b.iter().rposition(|&c| c == b'/') {
            Some(0) => Path::new("/"),
            Some(i) => Path::from_bytes(&b[..i]),
            None => Path::new(""),
        })
    }
    pub fn with_file_name<S: AsRef<[u8]>>(&self, name: S) -> PathBuf {
        let mut p = match self.parent() {
            Some(parent) => parent.to_path_buf(),
            None => PathBuf::new(),
        };
        p.push(Path::new(name.as_ref()));
        p
    }
    /// Component-wise prefix test (`/run` is a prefix of `/run/x`, not of `/runx`).
    pub fn starts_with<P: AsRef<Path>>(&self, base: P) -> bool {
        self.strip_prefix(base).is_ok()
    }
    pub fn strip_prefix<P: AsRef<Path>>(&self, base: P) -> Result<&Path, StripPrefixError> {
        let base = base.as_ref();
        let base = base.trimmed();
        let rest = self.0.strip_prefix(base).ok_or(StripPrefixError)?;
        if rest.is_empty() {
            return Ok(Path::new(""));
        }
        if base.ends_with(b"/") {
            return Ok(Path::from_bytes(rest));
        }
        match rest.strip_prefix(b"/") {
            Some(r) => Ok(Path::from_bytes(r.strip_prefix(b"/").unwrap_or(r))),
            None => Err(StripPrefixError),
        }
    }
    /// Component-wise suffix test (`/a/accept_ra` ends with `accept_ra`).
    pub fn ends_with<P: AsRef<Path>>(&self, tail: P) -> bool {
        let tail = tail.as_ref();
        let t = tail.trimmed();
        let b = self.trimmed();
        b.ends_with(t)
            && (b.len() == t.len() || b[b.len() - t.len() - 1] == b'/' || t.starts_with(b"/"))
    }
    pub fn exists(&self) -> bool {
        rustix::fs::stat(self.as_bytes()).is_ok()
    }
    pub fn is_dir(&self) -> bool {
        super::fs::metadata(self).is_ok_and(|m| m.is_dir())
    }
    pub fn is_file(&self) -> bool {
        super::fs::metadata(self).is_ok_and(|m| m.is_file())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StripPrefixError;

impl PathBuf {
    pub fn new() -> PathBuf {
        PathBuf(Vec::new())
    }
    pub fn as_path(&self) -> &Path {
        self
    }
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }
    /// Appends `p` with one `/` between; an absolute `p` replaces the path.
    pub fn push<P: AsRef<Path>>(&mut self, p: P) {
        let p = p.as_ref().as_bytes();
        if p.first() == Some(&b'/') {
            self.0.clear();
        } else if !self.0.is_empty() && !self.0.ends_with(b"/") {
            self.0.push(b'/');
        }
        self.0.extend_from_slice(p);
    }
}

impl Deref for PathBuf {
    type Target = Path;
    fn deref(&self) -> &Path {
        Path::from_bytes(&self.0)
    }
}

impl Borrow<Path> for PathBuf {
    fn borrow(&self) -> &Path {
        self
    }
}

impl ToOwned for Path {
    type Owned = PathBuf;
    fn to_owned(&self) -> PathBuf {
        self.to_path_buf()
    }
}

impl AsRef<Path> for Path {
    fn as_ref(&self) -> &Path {
        self
    }
}
impl AsRef<Path> for PathBuf {
    fn as_ref(&self) -> &Path {
        self
    }
}
impl AsRef<Path> for str {
    fn as_ref(&self) -> &Path {
        Path::new(self)
    }
}
impl AsRef<Path> for String {
    fn as_ref(&self) -> &Path {
        Path::new(self)
    }
}
impl AsRef<[u8]> for Path {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}
impl AsRef<[u8]> for PathBuf {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<&str> for PathBuf {
    fn from(s: &str) -> PathBuf {
        PathBuf(s.as_bytes().to_vec())
    }
}
impl From<String> for PathBuf {
    fn from(s: String) -> PathBuf {
        PathBuf(s.into_bytes())
    }
}
impl From<&String> for PathBuf {
    fn from(s: &String) -> PathBuf {
        PathBuf(s.as_bytes().to_vec())
    }
}
impl From<Vec<u8>> for PathBuf {
    fn from(b: Vec<u8>) -> PathBuf {
        PathBuf(b)
    }
}
impl From<&Path> for PathBuf {
    fn from(p: &Path) -> PathBuf {
        p.to_path_buf()
    }
}

impl fmt::Debug for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.to_string_lossy(), f)
    }
}
impl fmt::Debug for PathBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// See [`Path::display`].
pub struct Display<'a>(&'a Path);

impl fmt::Display for Display<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chunk in self.0.as_bytes().utf8_chunks() {
            f.write_str(chunk.valid())?;
            if !chunk.invalid().is_empty() {
                f.write_str("\u{fffd}")?;
            }
        }
        Ok(())
    }
}

/// A fresh directory name under the system temp dir, for unit tests.
#[cfg(test)]
pub fn test_dir(tag: &str) -> PathBuf {
    let t = std::env::temp_dir();
    PathBuf::from(alloc::format!(
        "{}/cloudseed-{tag}-{}",
        t.display(),
        std::process::id()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_behave_as_std_for_what_we_use() {
        assert_eq!(Path::new("/run").join("x/y").as_bytes(), b"/run/x/y");
        assert_eq!(Path::new("/run/").join("x").as_bytes(), b"/run/x");
        assert_eq!(Path::new("a").join("/abs").as_bytes(), b"/abs");
        assert_eq!(
            Path::new("/a/b.cfg").file_name().unwrap().to_str(),
            Some("b.cfg")
        );
        assert_eq!(Path::new("/a/b/").file_name().unwrap().as_bytes(), b"b");
        assert_eq!(Path::new("/").file_name(), None);
        assert_eq!(Path::new("/a/b").parent(), Some(Path::new("/a")));
        assert_eq!(Path::new("/a").parent(), Some(Path::new("/")));
        assert_eq!(Path::new("/").parent(), None);
        assert_eq!(Path::new("b").parent(), Some(Path::new("")));
        assert_eq!(
            Path::new("/run/x/y").strip_prefix("/run"),
            Ok(Path::new("x/y"))
        );
        assert!(Path::new("/runx").strip_prefix("/run").is_err());
        assert!(Path::new("/run").starts_with("/run"));
        assert_eq!(
            Path::new("/a/b").with_file_name(".b.tmp").as_bytes(),
            b"/a/.b.tmp"
        );
        let shown = alloc::format!("{}", Path::new(b"/dev/\xfe".as_slice()).display());
        assert_eq!(shown, "/dev/\u{fffd}");
    }
}

impl<P: AsRef<Path>> Extend<P> for PathBuf {
    fn extend<I: IntoIterator<Item = P>>(&mut self, iter: I) {
        for p in iter {
            self.push(p);
        }
    }
}

/// A borrowed name as the OS gives it: any bytes (std's `OsStr` on Unix).
#[derive(PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct OsStr([u8]);

impl OsStr {
    #[allow(unsafe_code)]
    pub fn from_bytes(b: &[u8]) -> &OsStr {
        // SAFETY: `OsStr` is a `repr(transparent)` wrapper of `[u8]`.
        unsafe { &*(b as *const [u8] as *const OsStr) }
    }
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn to_str(&self) -> Option<&str> {
        core::str::from_utf8(&self.0).ok()
    }
    pub fn to_string_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }
}

impl PartialEq<str> for OsStr {
    fn eq(&self, other: &str) -> bool {
        &self.0 == other.as_bytes()
    }
}

impl AsRef<Path> for OsStr {
    fn as_ref(&self) -> &Path {
        Path::from_bytes(&self.0)
    }
}

impl AsRef<[u8]> for OsStr {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for OsStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(Path::from_bytes(&self.0), f)
    }
}

/// A name or argument as the OS gives it: any bytes (std's `OsString` on Unix).
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OsString(Vec<u8>);

impl OsString {
    pub fn from_vec(b: Vec<u8>) -> OsString {
        OsString(b)
    }
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
    pub fn into_vec(self) -> Vec<u8> {
        self.0
    }
    pub fn to_str(&self) -> Option<&str> {
        core::str::from_utf8(&self.0).ok()
    }
    pub fn to_string_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }
    pub fn into_string(self) -> Result<String, OsString> {
        String::from_utf8(self.0).map_err(|e| OsString(e.into_bytes()))
    }
}

impl From<&str> for OsString {
    fn from(s: &str) -> OsString {
        OsString(s.as_bytes().to_vec())
    }
}

impl From<OsString> for PathBuf {
    fn from(s: OsString) -> PathBuf {
        PathBuf(s.0)
    }
}

impl PartialEq<str> for OsString {
    fn eq(&self, other: &str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl PartialEq<&str> for OsString {
    fn eq(&self, other: &&str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl fmt::Debug for OsString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(Path::from_bytes(&self.0), f)
    }
}
