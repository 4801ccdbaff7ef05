//! The probe helper's process: fork(2) + execve(2) of this same binary with a
//! pipe for its stdout, waitpid(2) and kill(2); and the process's exit.
//! fork, execve and _exit come from the C library the binary links (musl
//! or glibc): rustix has no fork outside its own runtime.

use super::io;
use super::path::OsString;
use alloc::ffi::CString;
use alloc::vec::Vec;
use core::ffi::{c_char, c_int};
use core::ptr;
use rustix::fd::{BorrowedFd, OwnedFd};
use rustix::process::{Pid, WaitOptions};

// The C library, which std would otherwise link: static (musl's libc.a,
// self-contained in the target) when the target links statically.
#[cfg_attr(
    target_feature = "crt-static",
    link(name = "c", kind = "static", modifiers = "-bundle")
)]
#[cfg_attr(not(target_feature = "crt-static"), link(name = "c"))]
extern "C" {
    fn fork() -> c_int;
    fn execve(path: *const c_char, argv: *const *const c_char, envp: *const *const c_char)
        -> c_int;
    fn _exit(status: c_int) -> !;
    fn abort() -> !;
}

/// The arguments from C's `main(argc, argv)`, as bytes, without argv[0].
///
/// # Safety
/// `argv` must hold `argc` pointers to NUL-terminated strings, as the C
/// runtime passes them to `main`.
pub unsafe fn args(argc: c_int, argv: *const *const c_char) -> Vec<OsString> {
    (1..usize::try_from(argc).unwrap_or(0))
        .map(|i| {
            // SAFETY: the caller's contract: `argv[i]` for i < argc is a C string.
            let s = unsafe { core::ffi::CStr::from_ptr(*argv.add(i)) };
            OsString::from_vec(s.to_bytes().to_vec())
        })
        .collect()
}

/// abort(3): SIGABRT, which the probe helper's parent reads as a panic
/// (src/scan.rs `ended`).
pub fn abort_process() -> ! {
    // SAFETY: abort has no preconditions.
    unsafe { abort() }
}

/// Standard input, output or error (0, 1, 2).
pub fn stdio(fd: i32) -> BorrowedFd<'static> {
    debug_assert!((0..=2).contains(&fd));
    // SAFETY: 0, 1 and 2 are the process's standard streams, which nothing
    // in cloudseed closes; if the parent left one closed, a write to it
    // fails with EBADF (rustix passes the number to the kernel unchecked).
    unsafe { BorrowedFd::borrow_raw(fd) }
}

/// Makes sure fds 0, 1 and 2 are open (on /dev/null if they were closed),
/// as std's runtime did before `main`: else the first file opened would
/// become "stdout" and receive what is printed.
pub fn sanitize_stdio() {
    for fd in 0..=2 {
        if rustix::io::fcntl_getfd(stdio(fd)) == Err(rustix::io::Errno::BADF) {
            // open returns the lowest free fd: this one. Kept open for good.
            if let Ok(null) = rustix::fs::open(
                "/dev/null",
                rustix::fs::OFlags::RDWR,
                rustix::fs::Mode::empty(),
            ) {
                core::mem::forget(null);
            }
        }
    }
}

/// getpid(2), as std's `process::id`.
pub fn id() -> u32 {
    rustix::process::getpid().as_raw_nonzero().get() as u32
}

/// _exit(2): ends the process at once (no atexit handlers: nothing is
/// buffered in cloudseed; every write is a write(2)).
pub fn exit(code: i32) -> ! {
    // SAFETY: _exit has no preconditions.
    unsafe { _exit(code) }
}

/// A child process whose stdout is a pipe to us.
#[derive(Debug)]
pub struct Child {
    pid: Pid,
    pub stdout: Option<OwnedFd>,
}

/// How a child ended (waitpid's status).
#[derive(Copy, Clone, Debug)]
pub struct ExitStatus(rustix::process::WaitStatus);

impl ExitStatus {
    /// The signal that ended it, if one did.
    pub fn signal(&self) -> Option<i32> {
        self.0.terminating_signal()
    }
    pub fn code(&self) -> Option<i32> {
        self.0.exit_status()
    }
}

impl core::fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match (self.code(), self.signal()) {
            (Some(c), _) => write!(f, "exit status: {c}"),
            (_, Some(s)) => write!(f, "signal: {s}"),
            _ => write!(f, "status {:#x}", self.0.as_raw()),
        }
    }
}

/// Runs `exe` with `args` (argv[0] included) and an empty environment:
/// stdin is /dev/null, stdout a pipe returned as `Child::stdout`, stderr
/// inherited. Everything the child needs is prepared before fork, so the
/// child only makes raw system calls before execve.
pub fn spawn(exe: &[u8], args: &[&[u8]]) -> io::Result<Child> {
    let bad = |_| io::Error::new(io::ErrorKind::InvalidInput, "an argument holds a NUL byte");
    let exe = CString::new(exe).map_err(bad)?;
    let args: Vec<CString> = args
        .iter()
        .map(|a| CString::new(*a).map_err(bad))
        .collect::<io::Result<_>>()?;
    let mut argv: Vec<*const c_char> = args.iter().map(|a| a.as_ptr()).collect();
    argv.push(ptr::null());
    let envp: [*const c_char; 1] = [ptr::null()];
    let null = rustix::fs::open(
        "/dev/null",
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )?;
    let (read, write) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
    // SAFETY: cloudseed is single-threaded, so the child is a full copy
    // with no lock held by another thread; it only makes system calls
    // (dup2, execve, _exit) on data prepared above.
    let pid = unsafe { fork() };
    if pid < 0 {
        return Err(rustix::io::Errno::from_raw_os_error(errno()).into());
    }
    if pid == 0 {
        // The child: dup2 clears CLOEXEC on fds 0 and 1, the rest close on exec.
        if rustix::stdio::dup2_stdin(&null).is_ok() && rustix::stdio::dup2_stdout(&write).is_ok() {
            // SAFETY: NUL-terminated strings and NULL-terminated arrays that
            // live until execve replaces the process.
            unsafe { execve(exe.as_ptr(), argv.as_ptr(), envp.as_ptr()) };
        }
        exit(127);
    }
    drop(write);
    Ok(Child {
        pid: Pid::from_raw(pid).ok_or(io::ErrorKind::Other)?,
        stdout: Some(read),
    })
}

fn errno() -> i32 {
    // fork fails with EAGAIN or ENOMEM; the C errno is not worth a binding.
    rustix::io::Errno::AGAIN.raw_os_error()
}

impl Child {
    /// kill(pid, SIGKILL).
    pub fn kill(&mut self) -> io::Result<()> {
        Ok(rustix::process::kill_process(
            self.pid,
            rustix::process::Signal::KILL,
        )?)
    }
    /// waitpid(pid, WNOHANG): `None` while it runs.
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        Ok(
            rustix::process::waitpid(Some(self.pid), WaitOptions::NOHANG)?
                .map(|(_, s)| ExitStatus(s)),
        )
    }
    /// waitpid(pid, 0).
    pub fn wait(&mut self) -> io::Result<ExitStatus> {
        loop {
            match rustix::process::waitpid(Some(self.pid), WaitOptions::empty()) {
                Ok(Some((_, s))) => return Ok(ExitStatus(s)),
                Ok(None) => {}
                Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
}
