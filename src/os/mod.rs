//! The OS layer over rustix: what the shell needs of files, paths, sockets
//! and processes, and nothing more. It replaces `std::{io, fs, path, net,
//! process}` so that the crate can leave std (a std binary carries std's
//! panic runtime, about 300 KiB that no stable flag removes).
//!
//! The program is single-threaded (the network and the probe helper wait in
//! `poll(2)`; devices are read in a forked process), which the logger's
//! cell relies on.

#[allow(unsafe_code)]
pub mod alloc;
pub mod fs;
pub mod io;
pub mod net;
pub mod path;
#[allow(unsafe_code)]
pub mod process;
