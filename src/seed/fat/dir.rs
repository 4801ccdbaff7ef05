//! FAT directory entries as the Linux vfat driver reads them (fs/fat/dir.c
//! `fat_search_long`, `fat_parse_long`, `fat_parse_short`): VFAT long names
//! checked against their alias's checksum, the 8.3 name as the fallback when
//! a long name is broken, case-insensitive lookups; and the volume-label
//! entry as blkid finds it. Pure: a directory is a byte slice here.

use crate::prelude::*;
use core::ops::Range;

pub const SLOT: usize = 32;
// Short entry fields.
pub const NAME: Range<usize> = 0..11;
pub const ATTR: usize = 11;
pub const CASE: usize = 12;
pub const CLUSTER_HI: Range<usize> = 20..22;
pub const CLUSTER_LO: Range<usize> = 26..28;
pub const SIZE: Range<usize> = 28..32;
// Long-name slot fields: 13 UTF-16 units in three runs.
pub const LFN_ORDER: usize = 0;
pub const LFN_CHECKSUM: usize = 13;
pub const LFN_UNITS: [Range<usize>; 3] = [1..11, 14..26, 28..32];
pub const LFN_LAST: u8 = 0x40;
/// The most long-name slots a name can have: ceil(255 / 13).
const LFN_MAX_SLOTS: u8 = 20;

pub const ATTR_VOLUME: u8 = 0x08;
pub const ATTR_DIR: u8 = 0x10;
pub const ATTR_LFN: u8 = 0x0F;
pub const DELETED: u8 = 0xE5;
/// Windows NT's case flags: show the base / extension of an 8.3 name in lower case.
pub const CASE_LOWER_BASE: u8 = 0x08;
pub const CASE_LOWER_EXT: u8 = 0x10;

/// One file or directory as a lookup sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub short: [u8; 11],
    pub attr: u8,
    pub case: u8,
    /// Both halves of the first cluster; FAT12/16 must ignore the high one.
    pub cluster_lo: u16,
    pub cluster_hi: u16,
    pub size: u32,
    /// The long name, when its slots were whole and matched the alias.
    pub long: Option<String>,
}

impl Entry {
    pub fn is_dir(&self) -> bool {
        self.attr & ATTR_DIR != 0
    }

    /// The 8.3 name as vfat shows it: "BASE.EXT", each half in lower case
    /// when its NT case flag is set; bytes past ASCII as Latin-1.
    pub fn short_name(&self) -> String {
        let mut raw = self.short;
        if raw[0] == 0x05 {
            raw[0] = DELETED; // 0xE5 as a first byte is stored as 0x05
        }
        let part = |r: &[u8], lower: bool| -> String {
            let end = r.iter().position(|&c| c == 0).unwrap_or(r.len());
            let s: String = r[..end].iter().map(|&c| char::from(c)).collect();
            let s = s.trim_end_matches(' ');
            if lower {
                s.to_ascii_lowercase()
            } else {
                s.to_string()
            }
        };
        let base = part(&raw[..8], self.case & CASE_LOWER_BASE != 0);
        let ext = part(&raw[8..], self.case & CASE_LOWER_EXT != 0);
        if ext.is_empty() {
            base
        } else {
            format!("{base}.{ext}")
        }
    }

    /// The name a listing shows: the long one if any.
    pub fn name(&self) -> String {
        self.long.clone().unwrap_or_else(|| self.short_name())
    }

    /// vfat's lookup: the 8.3 name, then the long name, case-insensitively.
    pub fn matches(&self, want: &str) -> bool {
        self.short_name().eq_ignore_ascii_case(want)
            || self
                .long
                .as_deref()
                .is_some_and(|l| l.eq_ignore_ascii_case(want))
    }
}

/// The checksum of an 8.3 name that its long-name slots carry.
pub fn checksum(name: &[u8; 11]) -> u8 {
    name.iter()
        .fold(0u8, |sum, &c| sum.rotate_right(1).wrapping_add(c))
}

fn le16(b: &[u8], r: Range<usize>) -> u16 {
    u16::from_le_bytes([b[r.start], b[r.start + 1]])
}

fn short_entry(s: &[u8], long: Option<String>) -> Entry {
    let mut short = [0u8; 11];
    short.copy_from_slice(&s[NAME]);
    Entry {
        short,
        attr: s[ATTR],
        case: s[CASE],
        cluster_lo: le16(s, CLUSTER_LO),
        cluster_hi: le16(s, CLUSTER_HI),
        size: u32::from_le_bytes([s[28], s[29], s[30], s[31]]),
        long,
    }
}

/// What `parse_long` made of the slots from the current one on.
enum Long<'a> {
    /// Skip everything consumed so far.
    Invalid,
    /// The current slot is no long-name slot: read it as an entry.
    Short(&'a [u8]),
    /// The directory ended inside a long name.
    Eof,
    /// The short entry and its long name (`None`: checksum mismatch).
    Found(&'a [u8], Option<String>),
}

/// Reads the long-name slots starting at `first`; `slots` yields the ones after it.
fn parse_long<'a>(mut first: &'a [u8], slots: &mut impl Iterator<Item = &'a [u8]>) -> Long<'a> {
    'restart: loop {
        let id = first[LFN_ORDER];
        if id & LFN_LAST == 0 {
            return Long::Invalid;
        }
        let count = id & !LFN_LAST;
        if count == 0 || count > LFN_MAX_SLOTS {
            return Long::Invalid;
        }
        let sum = first[LFN_CHECKSUM];
        let mut units = vec![0u16; usize::from(count) * 13 + 1];
        let mut ds = first;
        let mut slot = count;
        let de = loop {
            slot -= 1;
            let at = usize::from(slot) * 13;
            let mut i = at;
            for r in LFN_UNITS {
                for u in ds[r].chunks_exact(2) {
                    units[i] = u16::from_le_bytes([u[0], u[1]]);
                    i += 1;
                }
            }
            if ds[LFN_ORDER] & LFN_LAST != 0 {
                units[at + 13] = 0;
            }
            let Some(de) = slots.next() else {
                return Long::Eof;
            };
            if slot == 0 {
                break de;
            }
            if de[ATTR] != ATTR_LFN {
                return Long::Short(de);
            }
            if de[LFN_ORDER] & !LFN_LAST != slot || de[LFN_CHECKSUM] != sum {
                first = de;
                continue 'restart;
            }
            ds = de;
        };
        if de[0] == DELETED {
            return Long::Invalid;
        }
        if de[ATTR] == ATTR_LFN {
            first = de;
            continue 'restart;
        }
        if de[0] == 0 || de[ATTR] & ATTR_VOLUME != 0 {
            return Long::Invalid;
        }
        let mut name = [0u8; 11];
        name.copy_from_slice(&de[NAME]);
        if checksum(&name) != sum {
            return Long::Found(de, None);
        }
        let end = units.iter().position(|&u| u == 0).unwrap_or(units.len());
        let long = char::decode_utf16(units[..end].iter().copied())
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect();
        return Long::Found(de, Some(long));
    }
}

/// Every file and directory of a directory, in order, as vfat lists them.
/// Unlike blkid, vfat does not stop at a zero slot: it skips free slots to
/// the end of the directory, and so do we.
pub fn entries(dir: &[u8]) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut slots = dir.chunks_exact(SLOT);
    while let Some(mut de) = slots.next() {
        let long = loop {
            if de[0] == DELETED
                || (de[ATTR] != ATTR_LFN && (de[ATTR] & ATTR_VOLUME != 0 || de[0] == 0))
            {
                break Err(());
            }
            if de[ATTR] != ATTR_LFN {
                break Ok(None);
            }
            match parse_long(de, &mut slots) {
                Long::Invalid => break Err(()),
                Long::Short(next) => de = next,
                Long::Eof => return out,
                Long::Found(short, long) => {
                    de = short;
                    break Ok(long);
                }
            }
        };
        let Ok(long) = long else { continue };
        let e = short_entry(de, long);
        if !e.short_name().is_empty() {
            out.push(e);
        }
    }
    out
}

/// The first entry named `want` (vfat's lookup) that is a directory or not,
/// as asked; "." and ".." never match a real name.
pub fn lookup(dir: &[u8], want: &str, is_dir: bool) -> Option<Entry> {
    entries(dir)
        .into_iter()
        .find(|e| e.is_dir() == is_dir && e.matches(want))
}

/// The root directory's volume-label entry as blkid's vfat prober finds it:
/// up to the first zero slot, skipping free slots, long-name slots and
/// entries with a cluster.
pub fn volume_label(root: &[u8]) -> Option<[u8; 11]> {
    for e in root.chunks_exact(SLOT) {
        match e[0] {
            0 => return None,
            DELETED => continue,
            _ => {}
        }
        if le16(e, CLUSTER_HI) != 0 || le16(e, CLUSTER_LO) != 0 || e[ATTR] & 0x3F == ATTR_LFN {
            continue;
        }
        if e[ATTR] & (ATTR_VOLUME | ATTR_DIR) == ATTR_VOLUME {
            let mut label = [0u8; 11];
            label.copy_from_slice(&e[NAME]);
            if label[0] == 0x05 {
                label[0] = DELETED;
            }
            return Some(label);
        }
    }
    None
}
