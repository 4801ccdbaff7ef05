//! The HTTP client and DNS stub against real sockets on loopback: the fault
//! server tests/support/httpd.py, and a scripted UDP responder in this file.
//! Deadline tests assert the kind of error, never elapsed time.

use cloudseed::error::Error;
use cloudseed::net::http::{self, Body};
use cloudseed::net::resolve::Resolver;
use cloudseed::report::Report;
use cloudseed::sys;
use cloudseed::time::Deadline;
use cloudseed::url::Url;
use std::net::{Ipv4Addr, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::Duration;

const USER_DATA: &[u8] = b"#cloud-config\nhostname: seeded\nruncmd:\n  - [touch, /run/seeded]\n";

mod common;
use common::TempDir;

/// One httpd.py per test, so per-path counters never cross tests.
struct Server {
    child: Child,
    port: u16,
    dir: TempDir,
}

impl Server {
    fn start() -> Server {
        let dir = TempDir::new("httpd");
        std::fs::create_dir_all(dir.path("root")).unwrap();
        std::fs::write(dir.path("root/user-data"), USER_DATA).unwrap();
        std::fs::write(dir.path("root/meta-data"), b"instance-id: iid-1\n").unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/httpd.py");
        let port_file = dir.path("port");
        let child = Command::new("python3")
            .arg(script)
            .arg("--root")
            .arg(dir.path("root"))
            .arg("--port-file")
            .arg(&port_file)
            .arg("--log")
            .arg(dir.path("log"))
            .stdin(Stdio::null())
            .spawn()
            .expect("python3 on PATH");
        let mut server = Server {
            child,
            port: 0,
            dir,
        };
        // Bounded poll on the port file the server writes once listening.
        for _ in 0..500 {
            if let Ok(s) = std::fs::read_to_string(&port_file) {
                server.port = s.trim().parse().unwrap();
                return server;
            }
            if let Ok(Some(st)) = server.child.try_wait() {
                panic!("httpd.py exited: {st}");
            }
            thread::sleep(Duration::from_millis(20));
        }
        panic!("httpd.py did not write its port file within 10 s");
    }

    fn url(&self, path: &str) -> Url {
        Url::parse(&format!("http://127.0.0.1:{}{path}", self.port)).unwrap()
    }

    /// How many requests reached `path`.
    fn hits(&self, path: &str) -> usize {
        std::fs::read_to_string(self.dir.path("log"))
            .unwrap_or_default()
            .lines()
            .filter(|l| *l == path)
            .count()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn deadline(ms: u64) -> Deadline {
    Deadline::after(sys::now(), Duration::from_millis(ms))
}

fn get(url: &Url, ms: u64) -> (cloudseed::error::Result<Body>, Report) {
    let mut report = Report::new();
    let r = http::get(url, &Resolver::new(vec![]), deadline(ms), &mut report);
    (r, report)
}

fn found(r: cloudseed::error::Result<Body>) -> Vec<u8> {
    match r {
        Ok(Body::Found(b)) => b,
        Ok(Body::NotFound) => panic!("not found"),
        Err(e) => panic!("error: {e}"),
    }
}

/// Every attempt shows `fault`, and so does the error returned, except that
/// on a loaded machine the attempt running when the deadline passes may end
/// in a timeout instead (then the error is that timeout).
fn assert_fault(e: &Error, report: &Report, fault: &str, kind: fn(&Error) -> bool) {
    let o = outcomes(report, "http");
    let (last, earlier) = o.split_last().expect("at least one attempt");
    assert!(earlier.iter().all(|x| x == fault), "{o:?}");
    assert!(o[0] == fault, "{o:?}");
    if last == fault {
        assert!(kind(e), "{o:?}: {e}");
    } else {
        assert_eq!(last, "timeout", "{o:?}");
        assert!(matches!(e, Error::Timeout { .. }), "{e}");
    }
}

trait ExpectErr {
    fn expect_err_body(self) -> Error;
}

impl ExpectErr for cloudseed::error::Result<Body> {
    fn expect_err_body(self) -> Error {
        match self {
            Err(e) => e,
            Ok(_) => panic!("expected an error, got a body"),
        }
    }
}

fn outcomes(report: &Report, kind: &str) -> Vec<String> {
    report
        .attempts
        .iter()
        .filter(|a| a.kind.to_string() == kind)
        .map(|a| a.outcome.to_string())
        .collect()
}

#[test]
fn plain_file_and_missing_file() {
    let s = Server::start();
    let (r, report) = get(&s.url("/user-data?token=secret"), 10_000);
    assert_eq!(found(r), USER_DATA);
    assert_eq!(outcomes(&report, "http"), ["200"]);
    // The report shows the URL without its query.
    assert!(!report.attempts[0].target.contains("secret"));
    let (r, report) = get(&s.url("/vendor-data"), 10_000);
    assert!(matches!(r, Ok(Body::NotFound)));
    assert_eq!(outcomes(&report, "http"), ["404"]);
}

#[test]
fn twice_500_then_200_succeeds() {
    let s = Server::start();
    let (r, report) = get(&s.url("/fault/500-then-200/user-data"), 20_000);
    assert_eq!(found(r), USER_DATA);
    assert_eq!(outcomes(&report, "http"), ["500", "500", "200"]);
    assert_eq!(s.hits("/fault/500-then-200/user-data"), 3);
}

#[test]
fn retry_after_429_is_honoured() {
    let s = Server::start();
    let (r, report) = get(&s.url("/fault/429/meta-data"), 20_000);
    assert_eq!(found(r), b"instance-id: iid-1\n");
    assert_eq!(outcomes(&report, "http"), ["429", "200"]);
}

#[test]
fn persistent_503_gives_up_within_deadline() {
    let s = Server::start();
    let (r, report) = get(&s.url("/fault/503/user-data"), 3_000);
    let e = r.expect_err_body();
    assert_fault(&e, &report, "503", |e| matches!(e, Error::Net { .. }));
    assert!(report.attempts.len() >= 2, "retried: {:?}", report.attempts);
}

#[test]
fn client_error_fails_at_once() {
    let s = Server::start();
    let (r, _) = get(&s.url("/fault/403/user-data"), 20_000);
    let e = r.err().expect("an error");
    assert!(e.to_string().contains("403"), "{e}");
    assert_eq!(s.hits("/fault/403/user-data"), 1);
}

#[test]
fn slow_body_times_out() {
    let s = Server::start();
    let (r, _) = get(&s.url("/fault/slow/user-data"), 1_500);
    let e = r.err().expect("an error");
    assert!(matches!(e, Error::Timeout { .. }), "{e}");
}

#[test]
fn silent_server_times_out() {
    let s = Server::start();
    let (r, _) = get(&s.url("/fault/hang/user-data"), 1_500);
    let e = r.err().expect("an error");
    assert!(matches!(e, Error::Timeout { .. }), "{e}");
}

#[test]
fn reset_mid_body_is_an_error() {
    let s = Server::start();
    let (r, report) = get(&s.url("/fault/reset/user-data"), 3_000);
    let e = r.expect_err_body();
    // Resets are retried, and the report says what happened in a word.
    assert_fault(&e, &report, "reset", |e| matches!(e, Error::Io { .. }));
    assert!(s.hits("/fault/reset/user-data") >= 2);
}

#[test]
fn truncated_bodies_are_errors() {
    let s = Server::start();
    for path in [
        "/fault/truncated-chunked/user-data",
        "/fault/content-length-lie/user-data",
    ] {
        let (r, report) = get(&s.url(path), 3_000);
        let e = r.expect_err_body();
        assert_fault(&e, &report, "truncated", |e| {
            matches!(e, Error::Truncated { .. })
        });
    }
}

#[test]
fn chunked_body_with_extensions_and_trailer() {
    let s = Server::start();
    let (r, _) = get(&s.url("/fault/chunked/user-data"), 10_000);
    assert_eq!(found(r), USER_DATA);
}

#[test]
fn redirects() {
    let s = Server::start();
    let (r, report) = get(&s.url("/fault/redirect/user-data"), 10_000);
    assert_eq!(found(r), USER_DATA);
    assert_eq!(outcomes(&report, "http"), ["302", "200"]);

    let (r, _) = get(&s.url("/fault/redirect-loop/user-data"), 10_000);
    let e = r.err().expect("an error");
    assert!(e.to_string().contains("loop"), "{e}");

    let (r, report) = get(&s.url("/fault/redirect-endless/0"), 10_000);
    let e = r.err().expect("an error");
    assert!(matches!(e, Error::Limit { .. }), "{e}");
    assert_eq!(report.attempts.len(), 6);

    let (r, _) = get(&s.url("/fault/redirect-https/user-data"), 10_000);
    let e = r.err().expect("an error");
    assert!(matches!(e, Error::Unsupported { .. }), "{e}");
}

#[test]
fn oversized_bodies_hit_the_limit() {
    let s = Server::start();
    for path in [
        "/fault/oversized/user-data",
        "/fault/oversized-chunked/user-data",
    ] {
        let (r, report) = get(&s.url(path), 20_000);
        let e = r.err().expect("an error");
        assert!(matches!(e, Error::Limit { .. }), "{path}: {e}");
        // Not retried: the same server would send the same body.
        assert_eq!(outcomes(&report, "http"), ["over limit"], "{path}");
    }
}

#[test]
fn html_is_fetched_as_is() {
    // Judging content is the caller's job; the client returns the bytes.
    let s = Server::start();
    let (r, _) = get(&s.url("/fault/not-cloud-config/user-data"), 10_000);
    assert!(found(r).starts_with(b"<html>"));
}

#[test]
fn https_is_left_to_cloud_init() {
    let (r, report) = get(&Url::parse("https://127.0.0.1:1/x").unwrap(), 10_000);
    let e = r.err().expect("an error");
    assert!(matches!(e, Error::Unsupported { .. }), "{e}");
    assert!(report.attempts.is_empty());
}

#[test]
fn refused_connection_is_retried_then_fails() {
    // A port nobody listens on: bind, learn it, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = Url::parse(&format!("http://127.0.0.1:{port}/user-data")).unwrap();
    let (r, report) = get(&url, 2_000);
    let e = r.err().expect("an error");
    assert!(
        matches!(&e, Error::Io { source, .. } if source.kind() == cloudseed::os::io::ErrorKind::ConnectionRefused),
        "{e}"
    );
    let o = outcomes(&report, "http");
    assert!(o.len() >= 2 && o.iter().all(|o| o == "refused"), "{o:?}");
}

// ---- DNS against a scripted responder ----

/// The reply to `query` with the given flags and answer records (raw bytes).
fn dns_reply(query: &[u8], flags: u16, ancount: u16, answers: &[u8]) -> Vec<u8> {
    let mut m = query.to_vec();
    m[2..4].copy_from_slice(&flags.to_be_bytes());
    m[6..8].copy_from_slice(&ancount.to_be_bytes());
    m.extend_from_slice(answers);
    m
}

/// A resource record whose owner is the compression pointer `owner`.
fn rr(owner: u16, rtype: u16, rdata: &[u8]) -> Vec<u8> {
    let mut v = (0xc000 | owner).to_be_bytes().to_vec();
    v.extend_from_slice(&rtype.to_be_bytes());
    v.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
    v.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    v.extend_from_slice(rdata);
    v
}

const LOCALHOST_A: [u8; 4] = [127, 0, 0, 1];

/// Answers each query on `sock` with whatever `script` returns, in order.
fn responder<F>(sock: UdpSocket, script: F) -> thread::JoinHandle<usize>
where
    F: Fn(&[u8]) -> Vec<Vec<u8>> + Send + 'static,
{
    sock.set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    thread::spawn(move || {
        let mut buf = [0u8; 512];
        let mut served = 0;
        while let Ok((n, from)) = sock.recv_from(&mut buf) {
            served += 1;
            for r in script(&buf[..n]) {
                let _ = sock.send_to(&r, from);
            }
            if served >= 10 {
                break;
            }
        }
        served
    })
}

fn local_udp() -> (UdpSocket, u16) {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    let p = s.local_addr().unwrap().port();
    (s, p)
}

fn resolve(port: u16, name: &str, ms: u64) -> (cloudseed::error::Result<Ipv4Addr>, Report) {
    let mut report = Report::new();
    let r = Resolver::new(vec![Ipv4Addr::LOCALHOST])
        .with_port(port)
        .resolve(name, deadline(ms), &mut report);
    (r, report)
}

#[test]
fn dns_ignores_wrong_id_and_garbage() {
    let (sock, port) = local_udp();
    responder(sock, |q| {
        let mut spoof = dns_reply(q, 0x8180, 1, &rr(12, 1, &[10, 6, 6, 6]));
        spoof[0] ^= 0x55; // another id
        vec![
            spoof,
            b"\xff\xfe garbage".to_vec(),
            dns_reply(q, 0x8180, 1, &rr(12, 1, &LOCALHOST_A)),
        ]
    });
    let (r, report) = resolve(port, "seed.example.test", 5_000);
    assert_eq!(r.unwrap(), Ipv4Addr::LOCALHOST);
    assert_eq!(outcomes(&report, "dns"), ["ok"]);
}

#[test]
fn dns_truncated_answer_is_rejected() {
    let (sock, port) = local_udp();
    let h = responder(sock, |q| vec![dns_reply(q, 0x8380, 0, &[])]);
    let (r, report) = resolve(port, "seed.example.test", 5_000);
    assert!(r.is_err());
    assert_eq!(outcomes(&report, "dns"), ["truncated"]);
    drop(h);
}

#[test]
fn dns_nxdomain_is_final() {
    let (sock, port) = local_udp();
    responder(sock, |q| vec![dns_reply(q, 0x8183, 0, &[])]);
    let (r, report) = resolve(port, "nope.example.test", 5_000);
    let e = r.expect_err("an error");
    assert!(e.to_string().contains("no such name"), "{e}");
    assert_eq!(outcomes(&report, "dns"), ["nxdomain"]);
}

/// www.example.test CNAME seed.example.test, which has A 127.0.0.1; then
/// `http::get` by name through that resolver reaches the loopback server.
#[test]
fn dns_cname_chain_then_http_by_name() {
    let (sock, port) = local_udp();
    responder(sock, |q| {
        // Question name "www.example.test" at 12; "example.test" at 16.
        let q_end = q.len() as u16;
        let mut seed = b"\x04seed".to_vec();
        seed.extend_from_slice(&(0xc000u16 | 16).to_be_bytes());
        let cname = rr(12, 5, &seed);
        // seed.example.test sits in the CNAME's rdata, 12 bytes into the record.
        let a = rr(q_end + 12, 1, &LOCALHOST_A);
        // The CNAME comes first: the A record's owner points into it.
        vec![dns_reply(q, 0x8180, 2, &[cname, a].concat())]
    });
    let s = Server::start();
    let url = Url::parse(&format!("http://www.example.test:{}/user-data", s.port)).unwrap();
    let mut report = Report::new();
    let resolver = Resolver::new(vec![Ipv4Addr::LOCALHOST]).with_port(port);
    let r = http::get(&url, &resolver, deadline(10_000), &mut report);
    assert_eq!(found(r), USER_DATA);
    assert_eq!(outcomes(&report, "dns"), ["ok"]);
    assert_eq!(outcomes(&report, "http"), ["200"]);
}

#[test]
fn dns_silent_server_then_next_one() {
    // 127.0.0.2 says nothing; 127.0.0.1 on the same port answers.
    let mut pair = None;
    for _ in 0..20 {
        let silent = UdpSocket::bind("127.0.0.2:0").unwrap();
        let port = silent.local_addr().unwrap().port();
        if let Ok(live) = UdpSocket::bind(("127.0.0.1", port)) {
            pair = Some((silent, live, port));
            break;
        }
    }
    let (_silent, live, port) = pair.expect("a port free on 127.0.0.1 and 127.0.0.2");
    responder(live, |q| {
        vec![dns_reply(q, 0x8180, 1, &rr(12, 1, &LOCALHOST_A))]
    });
    let mut report = Report::new();
    let r = Resolver::new(vec![Ipv4Addr::new(127, 0, 0, 2), Ipv4Addr::LOCALHOST])
        .with_port(port)
        .resolve("seed.example.test", deadline(10_000), &mut report);
    assert_eq!(r.unwrap(), Ipv4Addr::LOCALHOST);
    assert_eq!(outcomes(&report, "dns"), ["timeout", "ok"]);
}

#[test]
fn dns_deadline_is_respected() {
    let (_silent, port) = local_udp();
    let (r, _) = resolve(port, "seed.example.test", 1_500);
    let e = r.expect_err("an error");
    assert!(matches!(e, Error::Timeout { .. }), "{e}");
}

#[test]
fn literal_address_skips_dns() {
    let mut report = Report::new();
    let r = Resolver::new(vec![]).resolve("10.0.2.2", deadline(1_000), &mut report);
    assert_eq!(r.unwrap(), Ipv4Addr::new(10, 0, 2, 2));
    assert!(report.attempts.is_empty());
}
