//! Seeded, deterministic mutation over every parser of untrusted bytes: the
//! stable-toolchain cousin of tests/fuzz. Each parser gets valid inputs (real
//! FAT and ISO images made at test time by mkfs.vfat, mcopy, genisoimage and
//! xorriso; hand-made packets otherwise), mutated thousands of times with a
//! fixed xorshift seed; no panic may escape and the same invariants as the
//! fuzz targets hold. Also replays every committed fuzz regression input
//! (tests/fuzz/regressions/<target>/) and the cloud.cfg writer's corpus
//! through PyYAML.
//!
//! apt: dosfstools mtools genisoimage xorriso python3-yaml

use cloudseed::handoff::{render_cloud_cfg, Datasource, Plan};
use cloudseed::net::http;
use cloudseed::os::io::{self as cio, Read, Write};
use cloudseed::seed::{self, Kind, Seed};
use cloudseed::time::Instant;
use cloudseed::url::{redact, Url};
use cloudseed::wire::{dhcpv4, dhcpv6, dns, icmpv6, netlink};
use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

mod common;

// ------------------------------------------------------------ the oracle

/// Runs `data` through the parser behind fuzz target `target`, checking the
/// same invariants as tests/fuzz/fuzz_targets/<target>.rs.
fn check(target: &str, data: &[u8]) {
    match target {
        "cmdline" => {
            let (line, serial) = match data.iter().position(|&b| b == 0) {
                Some(i) => (&data[..i], Some(&data[i + 1..])),
                None => (data, None),
            };
            let line = String::from_utf8_lossy(line);
            let serial = serial.map(String::from_utf8_lossy);
            let dmi = |k: &str| (k.len() < 32).then(|| format!("dmi-{k}"));
            let c = cloudseed::cmdline::parse(&line, serial.as_deref(), &dmi);
            if let Some(u) = &c.cloud_config_url {
                assert!(line.contains(u.as_str()));
                let _ = redact(u);
            }
        }
        "url" => {
            let s = String::from_utf8_lossy(data);
            if s.contains("SECRET7") {
                return;
            }
            if let Ok(u) = Url::parse(&s) {
                let _ = (u.to_string(), u.seed_file("meta-data"), u.join_location(&s));
            }
            for c in [
                format!("{s}?tok=QSECRET7"),
                format!("http://user:PSECRET7@{s}"),
            ] {
                if let Ok(u) = Url::parse(&c) {
                    assert!(!u.to_string().contains("SECRET7"), "{u}");
                }
                assert!(!redact(&c).contains("SECRET7"));
            }
        }
        "dhcp" => {
            if let Ok(m) = dhcpv4::parse(data) {
                let again = dhcpv4::parse(&m.emit()).expect("emitted message parses");
                assert_eq!(again.xid, m.xid);
            }
            let mac = [0x52, 0x54, 0, 0x12, 0x34, 0x56];
            let cfg = cloudseed::dhcp::Config {
                mac,
                hostname: None,
            };
            let mut c = cloudseed::dhcp::Client::new(cfg, Instant::from_millis(5), 7);
            let now = Instant::from_millis(5);
            for pkt in split_packets(data) {
                let _ = c.poll(now);
                let mut p = pkt.to_vec();
                if p.len() >= 34 {
                    p[4..8].copy_from_slice(&c.xid().to_be_bytes());
                    p[28..34].copy_from_slice(&mac);
                }
                let _ = c.handle(now, &p);
            }
        }
        "netlink" => {
            let _ = netlink::parse(data);
        }
        "dns" => {
            let _ = dns::parse_response(data, 0x4242, "metadata.example.com");
        }
        "http_head" => {
            if let Ok(Some(h)) = http::parse_head(data) {
                assert!(h.len <= data.len());
            }
        }
        "http_chunked" => {
            let Some((&k, body)) = data.split_first() else {
                return;
            };
            let cap = 64 + k as usize * 4;
            if let Ok(out) = http::decode_chunked(body, cap) {
                assert!(out.len() <= cap);
            }
        }
        "http_response" => {
            let Some((&k, rest)) = data.split_first() else {
                return;
            };
            let url = Url::parse("http://10.0.0.1:8080/seed/user-data?token=x").unwrap();
            let s = Stream {
                data: rest,
                step: 1 + k as usize % 64,
            };
            if let Ok(r) = http::fetch_once(s, &url, 4096) {
                assert!(r.body.len() <= 4096);
            }
        }
        "fat" | "iso9660" => {
            if let Ok((Some(v), Some(f))) = seed::read_image_bytes(data) {
                if let Some(k) = Kind::from_label(&v.label) {
                    assert_eq!(k, f.kind);
                }
                if let Some(s) = f.seed {
                    assert!(s.user_data.len() as u64 <= seed::MAX_FILE_BYTES);
                }
            }
        }
        "configdrive" => {
            let _ = seed::configdrive::parse_meta_data(data);
        }
        "cloudcfg" => {
            let plan = cloudcfg_plan(data);
            let r = render_cloud_cfg(&plan);
            assert_eq!(r, render_cloud_cfg(&plan), "render is pure");
            if plan.system_config.is_none() {
                assert!(std::str::from_utf8(&r.text).is_ok());
            }
        }
        "dhcpv6" => {
            use cloudseed::dhcp6::{Client, Event, Mode};
            if let Ok(m) = dhcpv6::parse(data) {
                let again = dhcpv6::parse(&m.emit()).expect("emitted message parses");
                assert_eq!((again.kind, again.xid), (m.kind, m.xid));
            }
            let stateless = data.first().is_some_and(|b| b & 1 == 1);
            let mode = if stateless {
                Mode::Stateless
            } else {
                Mode::Stateful
            };
            let mac = [0x52, 0x54, 0, 0x12, 0x34, 0x56];
            let mut c = Client::new(mac, mode, Instant::from_millis(5), 0x12_3456);
            let mut now = Instant::from_millis(5);
            for pkt in split_packets(data) {
                if let Some(tx) = c.poll(now) {
                    dhcpv6::parse(&tx).expect("our own packet parses");
                }
                let mut p = pkt.to_vec();
                if p.len() >= 18 {
                    p[1..4].copy_from_slice(&c.xid().to_be_bytes()[1..]);
                    p[4..18].copy_from_slice(&[
                        0, 1, 0, 10, 0, 3, 0, 1, 0x52, 0x54, 0, 0x12, 0x34, 0x56,
                    ]);
                }
                if let Some(Event::Bound(l)) = c.handle(now, &p) {
                    assert_eq!(l.address.is_some(), !stateless);
                    let _ = c.release(now);
                }
                now = c
                    .poll_at()
                    .unwrap_or(now.add(std::time::Duration::from_secs(1)));
            }
        }
        "record" => {
            // the agent's loop over the helper's pipe: never more than given
            let mut buf = data;
            while let Ok(Some(d)) = cloudseed::seed::record::decode(buf) {
                assert!(d.used >= 5 && d.used <= buf.len());
                buf = &buf[d.used..];
            }
        }
        "ra" => {
            let mut d =
                cloudseed::ndisc::Discovery::new([2, 0, 0, 0, 0, 1], Instant::from_millis(0));
            let _ = d.poll(Instant::from_millis(0));
            let took = d.handle("fe80::1".parse().unwrap(), 255, data).is_some();
            assert_eq!(took, icmpv6::parse_ra(data).is_ok());
            if let Some((_, hop, body)) = icmpv6::ipv6_icmp(data) {
                let len = usize::from(u16::from_be_bytes([data[4], data[5]]));
                assert_eq!((hop, body), (data[7], &data[40..40 + len]));
            }
        }
        "url_derived" => {
            let s = String::from_utf8_lossy(data);
            let (base, name) = s.split_once('\0').unwrap_or((&s, "meta-data"));
            for c in [base.to_string(), format!("http://{base}@h/")] {
                if let Some(auth) = Url::parse(&c).ok().and_then(|u| u.basic_auth()) {
                    let b64 = auth.strip_prefix("Basic ").expect("a Basic header");
                    assert_eq!(b64.len() % 4, 0, "{auth}");
                    assert!(b64
                        .bytes()
                        .all(|c| c.is_ascii_alphanumeric() || b"+/=".contains(&c)));
                    assert!(b64.len() / 4 * 3 <= c.len() + 3);
                }
            }
            match cloudseed::url::seeded_url_v22(base, name) {
                Some(url) if !base.contains("%s") => assert_eq!(url, format!("{base}{name}")),
                Some(url) => assert!(url.contains(name)),
                None => assert!(base.contains("%s")),
            }
            let _ = cloudseed::url::seed_base_portable(base);
        }
        other => panic!("no oracle for fuzz target {other:?}"),
    }
}

/// The dhcp target's framing: packets separated by "PKT|".
fn split_packets(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    while let Some(i) = rest.windows(4).position(|w| w == b"PKT|") {
        out.push(&rest[..i]);
        rest = &rest[i + 4..];
    }
    out.push(rest);
    out
}

/// A server that returns `data` in reads of `step` bytes; writes vanish.
struct Stream<'a> {
    data: &'a [u8],
    step: usize,
}
impl Read for Stream<'_> {
    fn read(&mut self, buf: &mut [u8]) -> cio::Result<usize> {
        let n = self.data.len().min(buf.len()).min(self.step);
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}
impl Write for Stream<'_> {
    fn write(&mut self, b: &[u8]) -> cio::Result<usize> {
        Ok(b.len())
    }
    fn flush(&mut self) -> cio::Result<()> {
        Ok(())
    }
}

/// The cloudcfg fuzz target's input layout (keep in step with
/// tests/fuzz/fuzz_targets/cloudcfg.rs): byte 0 picks the plan shape, the
/// rest splits at the first NUL into network-config and the URL body.
fn cloudcfg_plan(data: &[u8]) -> Plan {
    let (&k, rest) = data.split_first().unwrap_or((&0, &[]));
    let (nc, sc) = match rest.iter().position(|&b| b == 0) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    Plan {
        origin: String::from_utf8_lossy(&rest[..rest.len().min(64)]).into_owned(),
        datasource: match k % 3 {
            0 => Some(Datasource::NoCloud),
            1 => Some(Datasource::ConfigDrive),
            _ => None,
        },
        seed: Some(Seed {
            network_config: (k & 4 == 0).then(|| nc.to_vec()),
            ..Seed::default()
        }),
        system_config: if k & 8 == 0 {
            None
        } else {
            sc.map(<[u8]>::to_vec)
        },
    }
}

// ------------------------------------------------------------ mutation

/// xorshift64: the same sequence on every run and machine.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One to eight edits: bit flips, byte sets to boundary values, inserts,
/// deletes, duplicated spans, truncation. In large inputs, edits land near
/// non-zero bytes (the structures) rather than in the zero fill.
fn mutate(rng: &mut Rng, input: &[u8], hot: &[usize]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..1 + rng.below(8) {
        if v.is_empty() {
            v.push(rng.next() as u8);
            continue;
        }
        let pos = if !hot.is_empty() && rng.below(4) != 0 {
            (hot[rng.below(hot.len())] + rng.below(64)).min(v.len() - 1)
        } else {
            rng.below(v.len())
        };
        match rng.below(8) {
            0 => v[pos] ^= 1 << rng.below(8),
            1 => v[pos] = [0, 1, 0x7f, 0x80, 0xff, b'\n', b'=', b';'][rng.below(8)],
            2 => v[pos] = rng.next() as u8,
            3 if v.len() < (4 << 20) => v.insert(pos, rng.next() as u8),
            4 => {
                let end = (pos + 1 + rng.below(16)).min(v.len());
                v.drain(pos..end);
            }
            5 if v.len() < (4 << 20) => {
                let end = (pos + 1 + rng.below(32)).min(v.len());
                let span = v[pos..end].to_vec();
                let at = rng.below(v.len());
                v.splice(at..at, span);
            }
            6 => v.truncate(pos),
            _ => {
                // A 16/32-bit field set to an extreme.
                let val = [0u32, 1, 0xffff, 0x7fff_ffff, 0xffff_ffff][rng.below(5)];
                for (i, b) in val.to_le_bytes().iter().enumerate() {
                    if let Some(x) = v.get_mut(pos + i) {
                        *x = *b;
                    }
                }
            }
        }
    }
    v
}

/// Offsets of non-zero 64-byte windows, sampled.
fn hot_spots(data: &[u8]) -> Vec<usize> {
    if data.len() < 4096 {
        return Vec::new();
    }
    (0..data.len())
        .step_by(64)
        .filter(|&i| data[i..(i + 64).min(data.len())].iter().any(|&b| b != 0))
        .collect()
}

/// Mutates every seed `rounds` times through `check`; collects escaped
/// panics with a replayable description.
fn fuzz(target: &str, seeds: &[Vec<u8>], rounds: usize, rng_seed: u64) {
    let mut rng = Rng(rng_seed);
    let mut failures = Vec::new();
    for (n, s) in seeds.iter().enumerate() {
        let hot = hot_spots(s);
        let mut input = s.clone();
        for round in 0..rounds {
            // Sometimes stack mutations, sometimes start again from the seed.
            let base = if rng.below(3) == 0 { &input } else { s };
            let m = mutate(&mut rng, base, &hot);
            if catch_unwind(AssertUnwindSafe(|| check(target, &m))).is_err() {
                let file = save_failure(target, &m);
                failures.push(format!("seed {n} round {round}: saved {}", file.display()));
                if failures.len() > 5 {
                    break;
                }
            }
            input = m;
        }
    }
    assert!(
        failures.is_empty(),
        "{target}: panics escaped:\n{}",
        failures.join("\n")
    );
}

/// Keeps a failing input where `cargo fuzz run <target> FILE` can replay it.
fn save_failure(target: &str, data: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("mutation-failures");
    fs::create_dir_all(&dir).unwrap();
    let digest = cloudseed::sha256::to_hex(&cloudseed::sha256::digest(data));
    let p = dir.join(format!("{target}-{}", &digest[..16]));
    fs::write(&p, data).unwrap();
    p
}

/// File names in a committed directory, sorted (as `committed` reads them).
fn listing(dir: &str) -> Vec<String> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut names: Vec<String> = fs::read_dir(d)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn committed(dir: &str) -> Vec<Vec<u8>> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let Ok(rd) = fs::read_dir(&d) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    paths.sort();
    paths.iter().map(|p| fs::read(p).unwrap()).collect()
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let mut s = committed(&format!("tests/fuzz/seeds/{target}"));
    // Other suites' committed captures are good seeds too.
    let fixtures = |dir: &str, ext: &str| {
        committed(dir)
            .into_iter()
            .zip(listing(dir))
            .filter(|(_, name)| name.ends_with(ext))
            .map(|(d, _)| d)
            .collect::<Vec<_>>()
    };
    match target {
        "dhcp" => s.extend(fixtures("tests/fixtures/dhcp", ".bin")),
        "netlink" => s.extend(fixtures("tests/fixtures/netlink", ".bin")),
        _ => {}
    }
    assert!(!s.is_empty(), "no committed seeds for {target}");
    s
}

// ------------------------------------------------------------ images

use common::{tool as run, TempDir};

/// A NoCloud source tree with all four files, and a config-2 tree.
fn source_trees(t: &TempDir) -> (String, String) {
    let nc = t.path("nc");
    fs::create_dir_all(&nc).unwrap();
    fs::write(nc.join("meta-data"), "instance-id: mut\n").unwrap();
    fs::write(nc.join("user-data"), "#cloud-config\nhostname: mut\n").unwrap();
    fs::write(nc.join("vendor-data"), "#cloud-config\n{}\n").unwrap();
    fs::write(nc.join("network-config"), "version: 2\n").unwrap();
    let cd = t.path("cd");
    fs::create_dir_all(cd.join("openstack/latest")).unwrap();
    fs::write(
        cd.join("openstack/latest/meta_data.json"),
        r#"{"uuid": "u", "hostname": "h"}"#,
    )
    .unwrap();
    (
        nc.to_str().unwrap().to_string(),
        cd.to_str().unwrap().to_string(),
    )
}

fn fat_images(t: &TempDir) -> Vec<Vec<u8>> {
    let (nc, _) = source_trees(t);
    let mut out = Vec::new();
    for (name, opts, kib) in [
        ("fat12", &["-n", "cidata"][..], "64"),
        (
            "fat16",
            &["-n", "CIDATA", "-F", "16", "-s", "1"][..],
            "4200",
        ),
        (
            "fat32",
            &["-n", "cidata", "-F", "32", "-s", "1"][..],
            "34000",
        ),
    ] {
        let img = t.path(name);
        let img_s = img.to_str().unwrap();
        let mut args = opts.to_vec();
        args.extend(["-C", img_s, kib]);
        run("mkfs.vfat", &args);
        let files: Vec<String> = fs::read_dir(&nc)
            .unwrap()
            .flatten()
            .map(|e| e.path().to_str().unwrap().to_string())
            .collect();
        let mut args = vec!["-i", img_s];
        args.extend(files.iter().map(String::as_str));
        args.push("::/");
        run("mcopy", &args);
        out.push(fs::read(&img).unwrap());
    }
    out
}

fn iso_images(t: &TempDir) -> Vec<Vec<u8>> {
    let (nc, cd) = source_trees(t);
    let mut out = Vec::new();
    for (name, tool, opts, src) in [
        (
            "rr-joliet",
            "genisoimage",
            &["-V", "cidata", "-R", "-J"][..],
            &nc,
        ),
        ("joliet", "genisoimage", &["-V", "cidata", "-J"][..], &nc),
        (
            "plain",
            "genisoimage",
            &[
                "-V",
                "CIDATA",
                "-l",
                "-relaxed-filenames",
                "-allow-lowercase",
            ][..],
            &nc,
        ),
        ("config2", "genisoimage", &["-V", "config-2", "-R"][..], &cd),
        ("xorriso", "xorriso", &["-V", "cidata", "-R", "-J"][..], &nc),
    ] {
        let img = t.path(name);
        let mut args: Vec<&str> = if tool == "xorriso" {
            vec!["-as", "mkisofs"]
        } else {
            vec![]
        };
        args.extend(["-quiet", "-no-pad", "-o", img.to_str().unwrap()]);
        args.extend(opts);
        args.push(src);
        run(tool, &args);
        let data = fs::read(&img).unwrap();
        // The unmutated image must read back: otherwise mutating it proves little.
        let (_, found) = seed::read_image_bytes(&data).unwrap();
        assert!(found.is_some(), "{name}: not recognised");
        out.push(data);
    }
    out
}

// ------------------------------------------------------------ tests

// Rounds per seed: enough to reach deep states in debug builds within seconds.
const SMALL: usize = 4000;

#[test]
fn cmdline_mutations() {
    fuzz("cmdline", &seeds("cmdline"), SMALL, 1);
}

#[test]
fn url_mutations() {
    fuzz("url", &seeds("url"), SMALL, 2);
}

#[test]
fn url_derived_mutations() {
    fuzz("url_derived", &seeds("url_derived"), SMALL, 20);
}

#[test]
fn dhcp_mutations() {
    fuzz("dhcp", &seeds("dhcp"), SMALL, 3);
}

#[test]
fn netlink_mutations() {
    fuzz("netlink", &seeds("netlink"), SMALL, 4);
}

#[test]
fn dns_mutations() {
    fuzz("dns", &seeds("dns"), SMALL, 5);
}

#[test]
fn http_mutations() {
    fuzz("http_head", &seeds("http_head"), SMALL, 6);
    fuzz("http_chunked", &seeds("http_chunked"), SMALL, 7);
    fuzz("http_response", &seeds("http_response"), SMALL, 8);
}

#[test]
fn dhcpv6_and_ra_mutations() {
    fuzz("dhcpv6", &seeds("dhcpv6"), SMALL, 11);
    fuzz("ra", &seeds("ra"), SMALL, 12);
}

#[test]
fn configdrive_mutations() {
    fuzz("configdrive", &seeds("configdrive"), SMALL, 9);
}

#[test]
fn cloudcfg_mutations() {
    fuzz("cloudcfg", &seeds("cloudcfg"), SMALL, 10);
}

#[test]
fn fat_image_mutations() {
    let t = TempDir::new("fat");
    let imgs = fat_images(&t);
    // FAT12 is cheap; the FAT16/32 images are megabytes, so fewer rounds.
    fuzz("fat", &imgs[..1], 1500, 11);
    // The committed hostile fixtures (one made fatfs panic): mutated as well.
    let fixtures: Vec<Vec<u8>> = ["fat12-cluster1.img", "fat12-bootlabel.img"]
        .iter()
        .map(|n| {
            fs::read(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/fixtures/volumes")
                    .join(n),
            )
            .unwrap()
        })
        .collect();
    fuzz("fat", &fixtures, 500, 15);
    // The fat32 fuzz target's tiny FAT32 seeds (FAT32 by their BPB at about
    // 500 clusters), zero-filled to the 256 KiB they were cut from.
    let tiny: Vec<Vec<u8>> = seeds("fat32")
        .into_iter()
        .map(|mut s| {
            s.resize(256 << 10, 0);
            s
        })
        .collect();
    assert!(tiny.iter().all(|s| &s[82..87] == b"FAT32"));
    for s in &tiny {
        let (_, found) = cloudseed::seed::read_image_bytes(s).unwrap();
        assert!(found.is_some(), "a tiny FAT32 seed reads");
    }
    fuzz("fat", &tiny, 500, 16);
    fuzz("fat", &imgs[1..], 60, 12);
}

#[test]
fn iso_image_mutations() {
    let t = TempDir::new("iso");
    fuzz("iso9660", &iso_images(&t), 600, 13);
}

/// Every crash the fuzzers ever found stays fixed.
#[test]
fn fuzz_regressions_replay() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/regressions");
    let mut n = 0;
    for dir in fs::read_dir(&base).into_iter().flatten().flatten() {
        if !dir.path().is_dir() {
            continue; // README.md
        }
        let target = dir.file_name().to_string_lossy().into_owned();
        let mut files: Vec<PathBuf> = fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for f in files {
            let data = fs::read(&f).unwrap();
            let r = catch_unwind(AssertUnwindSafe(|| check(&target, &data)));
            assert!(r.is_ok(), "{} panics again", f.display());
            n += 1;
        }
    }
    eprintln!("replayed {n} regression inputs");
}

/// The cloud.cfg writer's fuzz corpus (committed seeds and regressions, plus
/// the local corpus tests/fuzz/run.sh grew, if any) read back by PyYAML, the
/// parser cloud-init uses. Without a URL body: the document parses, names
/// the right datasource and carries network-config exactly. With one that
/// PyYAML reads alone as a mapping and that the writer appended to: the
/// result still parses, keeps every key of the body, and names our datasource.
#[test]
fn cloudcfg_corpus_survives_pyyaml() {
    let mut inputs = seeds("cloudcfg");
    inputs.extend(committed("tests/fuzz/regressions/cloudcfg"));
    // Deterministic mutations of the seeds, so the test has teeth on a fresh clone.
    let mut rng = Rng(14);
    for s in inputs.clone() {
        for _ in 0..300 {
            inputs.push(mutate(&mut rng, &s, &[]));
        }
    }
    inputs.extend(committed("target/fuzz-work/corpus/cloudcfg"));
    let hex = |b: &[u8]| cloudseed::sha256::to_hex(b);
    let mut lines = String::new();
    let mut expected = Vec::new();
    for data in &inputs {
        let plan = cloudcfg_plan(data);
        let r = render_cloud_cfg(&plan);
        let ds = match plan.datasource {
            Some(Datasource::NoCloud) => "NoCloud",
            Some(Datasource::ConfigDrive) => "ConfigDrive",
            None => "-",
        };
        if let Some(body) = &plan.system_config {
            let unreferenced = r
                .warnings
                .iter()
                .any(|w| w.contains("the local seed is unreferenced"));
            if ds == "-" || unreferenced {
                continue; // the URL's content alone: not ours to judge
            }
            // Python answers OK when the body alone is not a mapping.
            lines.push_str(&format!("URL {ds} {} x{}\n", hex(&r.text), hex(body)));
            expected.push("OK".to_string());
            continue;
        }
        let nc = plan
            .seed
            .as_ref()
            .and_then(|s| s.network_config.as_deref())
            .filter(|b| std::str::from_utf8(b).is_ok() && ds == "NoCloud");
        lines.push_str(&format!("DOC {ds} {} -\n", hex(&r.text)));
        expected.push(match nc {
            Some(b) => format!("OK {}|", hex(b)),
            None => "OK -".to_string(),
        });
    }
    let script = r#"
import sys, yaml
for line in sys.stdin:
    kind, ds, hx, body = line.split()
    try:
        if kind == "URL":
            try:
                alone = yaml.safe_load(bytes.fromhex(body[1:]).decode())
            except Exception:
                alone = "unparsable"
            if not isinstance(alone, dict):
                print("OK")
                continue
            d = yaml.safe_load(bytes.fromhex(hx).decode())
            assert isinstance(d, dict), "appended document is not a mapping"
            assert d.get("datasource_list") == [ds, "None"], d.get("datasource_list")
            for k, v in alone.items():
                assert d.get(k) == v, "key %r changed" % (k,)
            print("OK")
            continue
        d = yaml.safe_load(bytes.fromhex(hx).decode())
        if ds == "-":
            assert d is None, d
            print("OK -")
            continue
        assert d["datasource_list"] == [ds, "None"], d
        nc = d.get("datasource", {}).get("NoCloud", {}).get("network-config")
        print("OK -" if nc is None else "OK " + nc.encode().hex() + "|")
    except Exception as e:
        print("ERR " + repr(e).replace("\n", " "))
"#;
    let got = common::python_lines(script, &lines);
    assert_eq!(got.len(), expected.len());
    let bad: Vec<String> = got
        .iter()
        .zip(&expected)
        .enumerate()
        .filter(|(_, (g, e))| g != e)
        .map(|(i, (g, e))| format!("#{i}: want {e}, got {g}"))
        .collect();
    assert!(
        bad.is_empty(),
        "{} of {} documents differ:\n{}",
        bad.len(),
        got.len(),
        bad.join("\n")
    );
}
