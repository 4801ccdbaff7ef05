//! Files and directories: `std::fs`'s calls as the crate uses them, over
//! rustix (open/read/write/lseek/pread/fstat/getdents/mkdir/rename/unlink).

use super::io::{self, Read, Seek, SeekFrom, Write};
use super::path::{OsString, Path, PathBuf};
use alloc::string::String;
use alloc::vec::Vec;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{FileType, Mode, OFlags};

/// An open file descriptor read and written as a file.
#[derive(Debug)]
pub struct File {
    fd: OwnedFd,
}

impl File {
    /// open(O_RDONLY|O_CLOEXEC).
    pub fn open<P: AsRef<Path>>(p: P) -> io::Result<File> {
        File::open_with(p, OFlags::RDONLY, 0)
    }
    /// open(O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0666).
    pub fn create<P: AsRef<Path>>(p: P) -> io::Result<File> {
        File::open_with(p, OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC, 0o666)
    }
    /// open(O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC, mode): a new file only.
    pub fn create_new<P: AsRef<Path>>(p: P, mode: u32) -> io::Result<File> {
        File::open_with(p, OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL, mode)
    }
    /// open(flags|O_CLOEXEC, mode).
    pub fn open_with<P: AsRef<Path>>(p: P, flags: OFlags, mode: u32) -> io::Result<File> {
        let fd = rustix::fs::open(
            p.as_ref().as_bytes(),
            flags | OFlags::CLOEXEC,
            Mode::from_raw_mode(mode),
        )?;
        Ok(File { fd })
    }
    pub fn metadata(&self) -> io::Result<Metadata> {
        Ok(Metadata(rustix::fs::fstat(&self.fd)?))
    }
    /// fchmod(2).
    pub fn set_mode(&self, mode: u32) -> io::Result<()> {
        Ok(rustix::fs::fchmod(&self.fd, Mode::from_raw_mode(mode))?)
    }
    /// fsync(2).
    pub fn sync_all(&self) -> io::Result<()> {
        Ok(rustix::fs::fsync(&self.fd)?)
    }
    /// ftruncate(2).
    pub fn set_len(&self, len: u64) -> io::Result<()> {
        Ok(rustix::fs::ftruncate(&self.fd, len)?)
    }
    /// pread(2): reads at `offset` without moving the file position.
    pub fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        Ok(rustix::io::pread(&self.fd, buf, offset)?)
    }
}

impl From<OwnedFd> for File {
    fn from(fd: OwnedFd) -> File {
        File { fd }
    }
}

impl From<File> for OwnedFd {
    fn from(f: File) -> OwnedFd {
        f.fd
    }
}

impl AsFd for File {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl Read for File {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }
}

impl Read for &File {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(rustix::io::read(&self.fd, buf)?)
    }
}

impl Write for File {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(rustix::io::write(&self.fd, buf)?)
    }
}

impl Write for &File {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(rustix::io::write(&self.fd, buf)?)
    }
}

impl Seek for File {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let pos = match pos {
            SeekFrom::Start(n) => rustix::fs::SeekFrom::Start(n),
            SeekFrom::End(n) => rustix::fs::SeekFrom::End(n),
            SeekFrom::Current(n) => rustix::fs::SeekFrom::Current(n),
        };
        Ok(rustix::fs::seek(&self.fd, pos)?)
    }
}

/// open(2)'s flags as std's builder names them (read, write, create,
/// create_new, truncate, mode); always O_CLOEXEC.
#[derive(Clone, Debug)]
pub struct OpenOptions {
    read: bool,
    write: bool,
    create: bool,
    create_new: bool,
    truncate: bool,
    mode: u32,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions::new()
    }
}

impl OpenOptions {
    pub fn new() -> OpenOptions {
        OpenOptions {
            read: false,
            write: false,
            create: false,
            create_new: false,
            truncate: false,
            mode: 0o666,
        }
    }
    pub fn read(&mut self, on: bool) -> &mut Self {
        self.read = on;
        self
    }
    pub fn write(&mut self, on: bool) -> &mut Self {
        self.write = on;
        self
    }
    pub fn create(&mut self, on: bool) -> &mut Self {
        self.create = on;
        self
    }
    pub fn create_new(&mut self, on: bool) -> &mut Self {
        self.create_new = on;
        self
    }
    pub fn truncate(&mut self, on: bool) -> &mut Self {
        self.truncate = on;
        self
    }
    /// The mode of a created file (before the umask).
    pub fn mode(&mut self, mode: u32) -> &mut Self {
        self.mode = mode;
        self
    }
    pub fn open<P: AsRef<Path>>(&self, p: P) -> io::Result<File> {
        let mut flags = match (self.read, self.write) {
            (true, true) => OFlags::RDWR,
            (false, true) => OFlags::WRONLY,
            _ => OFlags::RDONLY,
        };
        if self.create_new {
            flags |= OFlags::CREATE | OFlags::EXCL;
        } else if self.create {
            flags |= OFlags::CREATE;
        }
        if self.truncate {
            flags |= OFlags::TRUNC;
        }
        File::open_with(p, flags, self.mode)
    }
}

/// What stat(2) says of a file.
#[derive(Debug, Clone)]
pub struct Metadata(rustix::fs::Stat);

impl Metadata {
    pub fn is_dir(&self) -> bool {
        FileType::from_raw_mode(self.0.st_mode) == FileType::Directory
    }
    pub fn is_file(&self) -> bool {
        FileType::from_raw_mode(self.0.st_mode) == FileType::RegularFile
    }
    pub fn is_symlink(&self) -> bool {
        FileType::from_raw_mode(self.0.st_mode) == FileType::Symlink
    }
    pub fn len(&self) -> u64 {
        self.0.st_size as u64
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The permission bits and file type (st_mode).
    pub fn mode(&self) -> u32 {
        self.0.st_mode
    }
}

/// stat(2), following symlinks.
pub fn metadata<P: AsRef<Path>>(p: P) -> io::Result<Metadata> {
    Ok(Metadata(rustix::fs::stat(p.as_ref().as_bytes())?))
}

/// lstat(2).
pub fn symlink_metadata<P: AsRef<Path>>(p: P) -> io::Result<Metadata> {
    Ok(Metadata(rustix::fs::lstat(p.as_ref().as_bytes())?))
}

/// The whole file.
pub fn read<P: AsRef<Path>>(p: P) -> io::Result<Vec<u8>> {
    let mut f = File::open(p)?;
    let mut b = Vec::new();
    f.read_to_end(&mut b)?;
    Ok(b)
}

/// The whole file as UTF-8 (`InvalidData` if it is not).
pub fn read_to_string<P: AsRef<Path>>(p: P) -> io::Result<String> {
    String::from_utf8(read(p)?).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )
    })
}

/// Creates or truncates the file and writes `data`.
pub fn write<P: AsRef<Path>, D: AsRef<[u8]>>(p: P, data: D) -> io::Result<()> {
    File::create(p)?.write_all(data.as_ref())
}

pub fn rename<P: AsRef<Path>, Q: AsRef<Path>>(from: P, to: Q) -> io::Result<()> {
    Ok(rustix::fs::rename(
        from.as_ref().as_bytes(),
        to.as_ref().as_bytes(),
    )?)
}

pub fn remove_file<P: AsRef<Path>>(p: P) -> io::Result<()> {
    Ok(rustix::fs::unlink(p.as_ref().as_bytes())?)
}

/// readlink(2).
pub fn read_link<P: AsRef<Path>>(p: P) -> io::Result<PathBuf> {
    let target = rustix::fs::readlink(p.as_ref().as_bytes(), Vec::new())?;
    Ok(PathBuf::from(target.into_bytes()))
}

/// symlink(2): a link at `link` pointing to `target`.
pub fn symlink<P: AsRef<Path>, Q: AsRef<Path>>(target: P, link: Q) -> io::Result<()> {
    Ok(rustix::fs::symlink(
        target.as_ref().as_bytes(),
        link.as_ref().as_bytes(),
    )?)
}

/// mkdir(2) with `mode` (the umask applies).
pub fn create_dir_mode<P: AsRef<Path>>(p: P, mode: u32) -> io::Result<()> {
    Ok(rustix::fs::mkdir(
        p.as_ref().as_bytes(),
        Mode::from_raw_mode(mode),
    )?)
}

/// `mkdir -p`, with `mode` for the directories it creates.
pub fn create_dir_all_mode<P: AsRef<Path>>(p: P, mode: u32) -> io::Result<()> {
    let p = p.as_ref();
    if p.as_bytes().is_empty() || p.is_dir() {
        return Ok(());
    }
    if let Some(parent) = p.parent() {
        create_dir_all_mode(parent, mode)?;
    }
    match create_dir_mode(p, mode) {
        Err(_) if p.is_dir() => Ok(()),
        r => r,
    }
}

/// `mkdir -p` (mode 0777 before the umask).
pub fn create_dir_all<P: AsRef<Path>>(p: P) -> io::Result<()> {
    create_dir_all_mode(p, 0o777)
}

/// `rm -r`: symlinks are removed, never followed.
pub fn remove_dir_all<P: AsRef<Path>>(p: P) -> io::Result<()> {
    let p = p.as_ref();
    let m = symlink_metadata(p)?;
    if !m.is_dir() {
        return remove_file(p);
    }
    for e in read_dir(p)? {
        remove_dir_all(e?.path())?;
    }
    Ok(rustix::fs::rmdir(p.as_bytes())?)
}

/// The entries of a directory, without `.` and `..`.
pub fn read_dir<P: AsRef<Path>>(p: P) -> io::Result<ReadDir> {
    let p = p.as_ref();
    let fd = rustix::fs::open(
        p.as_bytes(),
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    Ok(ReadDir {
        dir: rustix::fs::Dir::new(fd)?,
        base: p.to_path_buf(),
    })
}

pub struct ReadDir {
    dir: rustix::fs::Dir,
    base: PathBuf,
}

pub struct DirEntry {
    name: Vec<u8>,
    base: PathBuf,
}

impl DirEntry {
    pub fn file_name(&self) -> OsString {
        OsString::from_vec(self.name.clone())
    }
    pub fn path(&self) -> PathBuf {
        self.base.join(Path::from_bytes(&self.name))
    }
}

impl Iterator for ReadDir {
    type Item = io::Result<DirEntry>;
    fn next(&mut self) -> Option<io::Result<DirEntry>> {
        loop {
            let e = match self.dir.next()? {
                Ok(e) => e,
                Err(e) => return Some(Err(e.into())),
            };
            let name = e.file_name().to_bytes();
            if name == b"." || name == b".." {
                continue;
            }
            return Some(Ok(DirEntry {
                name: name.to_vec(),
                base: self.base.clone(),
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::os::io::{Cursor, Read, Seek, SeekFrom, Write};
    use crate::prelude::*;

    #[test]
    fn files_and_directories_round_trip() {
        let d = crate::os::path::test_dir("osfs");
        let _ = remove_dir_all(&d);
        create_dir_all(d.join("a/b")).unwrap();
        write(d.join("a/b/f"), "hello").unwrap();
        assert_eq!(read_to_string(d.join("a/b/f")).unwrap(), "hello");
        assert_eq!(metadata(d.join("a/b/f")).unwrap().len(), 5);
        assert!(d.join("a/b").is_dir() && d.join("a/b/f").is_file());
        symlink("b/f", d.join("a/l")).unwrap();
        assert_eq!(read_link(d.join("a/l")).unwrap().as_bytes(), b"b/f");
        rename(d.join("a/b/f"), d.join("a/g")).unwrap();
        let mut names: Vec<String> = read_dir(d.join("a"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        crate::sort::sort(&mut names);
        assert_eq!(names, ["b", "g", "l"]);
        let mut w = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(d.join("a/w"))
            .unwrap();
        w.write_all(b"x").unwrap();
        assert_eq!(metadata(d.join("a/w")).unwrap().mode() & 0o777, 0o600);
        let again = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(d.join("a/w"));
        assert!(again.is_err());
        remove_file(d.join("a/w")).unwrap();
        let mut f = File::open(d.join("a/g")).unwrap();
        assert_eq!(f.seek(SeekFrom::Start(1)).unwrap(), 1);
        let mut s = Vec::new();
        (&mut f).take(3).read_to_end(&mut s).unwrap();
        assert_eq!(s, b"ell");
        assert_eq!(
            read(d.join("nope")).unwrap_err().to_string(),
            "No such file or directory (os error 2)"
        );
        remove_dir_all(&d).unwrap();
        assert!(!d.exists());
        let mut c = Cursor::new(vec![1u8, 2, 3]);
        c.seek(SeekFrom::End(-1)).unwrap();
        let mut one = [0u8; 2];
        assert_eq!(c.read(&mut one).unwrap(), 1);
        assert!(c.seek(SeekFrom::Current(-5)).is_err());
        assert!(c.read_exact(&mut one).is_err());
    }
}
