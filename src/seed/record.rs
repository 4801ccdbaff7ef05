//! One device's probe result as bytes. The agent reads devices in a helper
//! process (src/scan.rs) so that a device that stops answering can be
//! abandoned at the deadline; this is the pipe format between the two.
//!
//! Record: tag:u8 len:u32le body, where len is the body's length (so the
//! reader can reserve the whole record at once) and the body is, by tag,
//!   `E` error | `P` error | `R` volume found
//!   (`P` is an error after which the helper ends: it panicked, and release
//!   builds abort on panic, so the process boundary is what contains it)
//!   error  = kind:u8 (index in `ErrorKind::ALL`), then by kind
//!            Io: bytes(op) bytes(path) os:i32le (-1: none) bytes(message)
//!            Interrupted: signal:u8 | any other: bytes(what)
//!   volume = 0 | 1 fs:u8 (index in Fs::ALL) bytes(label) bytes(uuid)
//!   found  = 0 | 1 (NoCloud) seed | 2 (ConfigDrive)
//!   seed   = bytes(meta-data) bytes(user-data) opt(vendor-data) opt(network-config)
//!   bytes  = len:u32le data,  opt = 0 | 1 bytes

use crate::prelude::*;

use super::{Found, Fs, Kind, Seed, Volume, MAX_FILE_BYTES};
use crate::error::{Error, ErrorKind, Result, Signal};

/// What `read_device` said about one device; the error keeps its kind
/// across the pipe.
pub type Probe = core::result::Result<(Option<Volume>, Option<Found>), Error>;

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b);
}

fn put_opt(out: &mut Vec<u8>, b: Option<&[u8]>) {
    match b {
        Some(b) => {
            out.push(1);
            put_bytes(out, b);
        }
        None => out.push(0),
    }
}

/// The largest record: four seed files at the cap, plus small change.
pub const MAX_RECORD: usize = 4 * (MAX_FILE_BYTES as usize + 8) + (64 << 10);

/// Starts a record; `finish` patches in its length.
fn begin(out: &mut Vec<u8>, tag: u8) -> usize {
    out.push(tag);
    out.extend_from_slice(&[0; 4]);
    out.len()
}

fn finish(out: &mut [u8], body: usize) {
    let len = (out.len() - body) as u32;
    out[body - 4..body].copy_from_slice(&len.to_le_bytes());
}

fn put_error(out: &mut Vec<u8>, e: &Error) {
    let kind = ErrorKind::ALL.iter().position(|k| *k == e.kind());
    out.push(kind.unwrap_or(0) as u8);
    match e {
        Error::Io { op, path, source } => {
            put_bytes(out, op.as_bytes());
            put_bytes(out, path.as_bytes());
            out.extend_from_slice(&source.raw_os_error().unwrap_or(-1).to_le_bytes());
            put_bytes(out, source.to_string().as_bytes());
        }
        Error::Interrupted { signal } => out.push(signal.number() as u8),
        e => put_bytes(out, e.what().unwrap_or("").as_bytes()),
    }
}

/// The record a helper writes from its panic handler, just before it aborts.
pub fn encode_fatal(e: &Error, out: &mut Vec<u8>) {
    let body = begin(out, b'P');
    put_error(out, e);
    finish(out, body);
}

pub fn encode(p: &Probe, out: &mut Vec<u8>) {
    let body = begin(out, if p.is_ok() { b'R' } else { b'E' });
    match p {
        Err(e) => put_error(out, e),
        Ok((vol, found)) => {
            match vol {
                None => out.push(0),
                Some(v) => {
                    out.push(1);
                    out.push(Fs::ALL.iter().position(|f| *f == v.fs).unwrap_or(0) as u8);
                    put_bytes(out, v.label.as_bytes());
                    put_bytes(out, v.uuid.as_bytes());
                }
            }
            match found {
                None => out.push(0),
                Some(f) if f.kind == Kind::ConfigDrive => out.push(2),
                Some(f) => {
                    out.push(1);
                    let empty = Seed::default();
                    let s = f.seed.as_ref().unwrap_or(&empty);
                    put_bytes(out, &s.meta_data);
                    put_bytes(out, &s.user_data);
                    put_opt(out, s.vendor_data.as_deref());
                    put_opt(out, s.network_config.as_deref());
                }
            }
        }
    }
    finish(out, body);
}

/// A cursor that says "need more bytes" (None) rather than failing.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn u8(&mut self) -> Option<u8> {
        let b = *self.buf.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }
    fn i32(&mut self) -> Option<i32> {
        let b = self.buf.get(self.pos..self.pos + 4)?;
        self.pos += 4;
        Some(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn bytes(&mut self) -> Result<Option<&'a [u8]>> {
        let Some(len) = self.buf.get(self.pos..self.pos + 4) else {
            return Ok(None);
        };
        let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as u64;
        // A seed file never exceeds the cap; anything longer is a broken stream.
        if len > MAX_FILE_BYTES + 4096 {
            return Err(Error::malformed("probe record: length over the file cap"));
        }
        let start = self.pos + 4;
        let Some(b) = self.buf.get(start..start + len as usize) else {
            return Ok(None);
        };
        self.pos = start + len as usize;
        Ok(Some(b))
    }
    fn opt(&mut self) -> Result<Option<Option<Vec<u8>>>> {
        match self.u8() {
            None => Ok(None),
            Some(0) => Ok(Some(None)),
            Some(1) => Ok(self.bytes()?.map(|b| Some(b.to_vec()))),
            Some(_) => Err(Error::malformed("probe record: bad option tag")),
        }
    }
}

/// One decoded record.
#[derive(Debug, PartialEq)]
pub struct Decoded {
    pub probe: Probe,
    /// Bytes of `buf` it used.
    pub used: usize,
    /// The helper ends after this record (it panicked).
    pub last: bool,
}

/// The whole size of the record at the front of `buf`, once its header is in.
pub fn record_len(buf: &[u8]) -> Option<usize> {
    let h = buf.get(1..5)?;
    Some(5 + u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as usize)
}

/// Decodes one record from the front of `buf`: `Ok(None)` when more bytes
/// are needed.
pub fn decode(buf: &[u8]) -> Result<Option<Decoded>> {
    let Some(total) = record_len(buf) else {
        return Ok(None);
    };
    if total > MAX_RECORD {
        return Err(Error::malformed(
            "probe record: longer than four capped files",
        ));
    }
    let Some(body) = buf.get(5..total) else {
        return Ok(None);
    };
    let tag = buf[0];
    Ok(Some(Decoded {
        probe: parse(tag, body)?,
        used: total,
        last: tag == b'P',
    }))
}

/// A complete record's body; anything short or left over is malformed.
fn parse(tag: u8, body: &[u8]) -> Result<Probe> {
    let mut r = Reader { buf: body, pos: 0 };
    macro_rules! need {
        ($e:expr) => {
            match $e {
                Some(v) => v,
                None => return Err(Error::truncated("probe record")),
            }
        };
    }
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let probe = match tag {
        b'E' | b'P' => {
            let kind = *ErrorKind::ALL
                .get(usize::from(need!(r.u8())))
                .ok_or_else(|| Error::malformed("probe record: bad error kind"))?;
            Err(match kind {
                ErrorKind::Io => {
                    let op = text(need!(r.bytes()?));
                    let path = text(need!(r.bytes()?));
                    let os = need!(r.i32());
                    let msg = text(need!(r.bytes()?));
                    let source = match os {
                        -1 => crate::os::io::Error::other(msg),
                        code => crate::os::io::Error::from_raw_os_error(code),
                    };
                    Error::Io {
                        op: op.into(),
                        path,
                        source,
                    }
                }
                ErrorKind::Interrupted => {
                    let signal = Signal::from_raw(i32::from(need!(r.u8())))
                        .ok_or_else(|| Error::malformed("probe record: bad signal"))?;
                    Error::interrupted(signal)
                }
                kind => Error::with_what(kind, text(need!(r.bytes()?)))
                    .ok_or_else(|| Error::malformed("probe record: bad error kind"))?,
            })
        }
        b'R' => {
            let vol = match need!(r.u8()) {
                0 => None,
                1 => {
                    let fs = match Fs::ALL.get(usize::from(need!(r.u8()))) {
                        Some(f) => *f,
                        None => return Err(Error::malformed("probe record: bad fs")),
                    };
                    let label = text(need!(r.bytes()?));
                    Some(Volume {
                        fs,
                        label,
                        uuid: text(need!(r.bytes()?)),
                    })
                }
                _ => return Err(Error::malformed("probe record: bad volume tag")),
            };
            let found = match need!(r.u8()) {
                0 => None,
                tag @ (1 | 2) => {
                    let volume = vol
                        .clone()
                        .ok_or_else(|| Error::malformed("probe record: found without volume"))?;
                    if tag == 2 {
                        Some(Found {
                            volume,
                            kind: Kind::ConfigDrive,
                            seed: None,
                        })
                    } else {
                        let meta_data = need!(r.bytes()?).to_vec();
                        let user_data = need!(r.bytes()?).to_vec();
                        let vendor_data = need!(r.opt()?);
                        let network_config = need!(r.opt()?);
                        Some(Found {
                            volume,
                            kind: Kind::NoCloud,
                            seed: Some(Seed {
                                meta_data,
                                user_data,
                                vendor_data,
                                network_config,
                            }),
                        })
                    }
                }
                _ => return Err(Error::malformed("probe record: bad found tag")),
            };
            Ok((vol, found))
        }
        _ => return Err(Error::malformed("probe record: bad tag")),
    };
    if r.pos != body.len() {
        return Err(Error::malformed("probe record: trailing bytes"));
    }
    Ok(probe)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples() -> Vec<Probe> {
        let vol = Volume {
            fs: Fs::Iso9660,
            label: "cidata".into(),
            uuid: "2026-12-01-21-45-33-00".into(),
        };
        vec![
            Err(Error::malformed("cidata volume has no user-data")),
            Err(Error::io(
                "read",
                "/dev/vdb",
                crate::os::io::Error::from_raw_os_error(5),
            )),
            Err(Error::io(
                "open",
                "/dev/sr0",
                crate::os::io::Error::other("odd"),
            )),
            Err(Error::interrupted(Signal::Term)),
            Err(Error::timeout("no answer in 10000 ms")),
            Ok((None, None)),
            Ok((
                Some(Volume {
                    fs: Fs::Vfat,
                    label: "data".into(),
                    uuid: "9796-932E".into(),
                }),
                None,
            )),
            Ok((
                Some(Volume {
                    fs: Fs::Ext4,
                    label: "cloudimg-rootfs".into(),
                    uuid: "68d0466b-18b5-46fa-8a97-d82c759ea2f1".into(),
                }),
                None,
            )),
            Ok((
                Some(Volume {
                    fs: Fs::Unknown,
                    label: String::new(),
                    uuid: String::new(),
                }),
                None,
            )),
            Ok((
                Some(vol.clone()),
                Some(Found {
                    volume: vol.clone(),
                    kind: Kind::NoCloud,
                    seed: Some(Seed {
                        meta_data: b"instance-id: x\n".to_vec(),
                        user_data: vec![0x1f, 0x8b, 0, 0xff],
                        vendor_data: None,
                        network_config: Some(Vec::new()),
                    }),
                }),
            )),
            Ok((
                Some(vol.clone()),
                Some(Found {
                    volume: vol,
                    kind: Kind::ConfigDrive,
                    seed: None,
                }),
            )),
        ]
    }

    #[test]
    fn round_trips_and_reports_incomplete_input() {
        let mut stream = Vec::new();
        for p in samples() {
            encode(&p, &mut stream);
        }
        // Every strict prefix of a record is "need more", never an error.
        let mut pos = 0;
        for want in samples() {
            let mut one = Vec::new();
            encode(&want, &mut one);
            for cut in 0..one.len() {
                assert!(
                    decode(&stream[pos..pos + cut]).unwrap().is_none(),
                    "cut {cut}"
                );
            }
            let d = decode(&stream[pos..]).unwrap().unwrap();
            assert_eq!(d.probe, want);
            assert_eq!(d.used, one.len());
            assert!(!d.last);
            pos += d.used;
        }
        assert_eq!(pos, stream.len());
        let mut fatal = Vec::new();
        encode_fatal(&Error::panicked("x"), &mut fatal);
        let d = decode(&fatal).unwrap().unwrap();
        assert!(d.last);
        let e = d.probe.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Panicked);
        assert_eq!(e.to_string(), "internal panic contained: x");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode(&[b'X', 0, 0, 0, 0]).is_err());
        assert!(decode(&[b'R', 1, 0, 0, 0, 7]).is_err());
        assert!(decode(&[b'R', 2, 0, 0, 0, 0, 1]).is_err()); // found without a volume
        assert!(decode(&[b'R', 3, 0, 0, 0, 0, 0, 9]).is_err()); // trailing bytes
        assert!(decode(&[b'E', 5, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(decode(&[b'E', 1, 0, 0, 0, 200]).is_err()); // no such kind
        assert!(decode(&[b'E', 2, 0, 0, 0, 9, 99]).is_err()); // no such signal
        assert!(decode(&[b'E', 0xff, 0xff, 0xff, 0xff]).is_err());
        let mut x: u32 = 7;
        for _ in 0..5000 {
            let buf: Vec<u8> = (0..(x % 40))
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    x as u8
                })
                .collect();
            let _ = decode(&buf);
        }
    }
}
