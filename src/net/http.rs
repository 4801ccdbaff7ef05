//! A small HTTP/1.1 client for `cloud-config-url=` and NoCloud seeds.
//!
//! Layers: pure request/head/chunked codecs; `fetch_once` over any
//! `Read + Write` (unit tests feed it canned bytes); `get`, which owns the
//! deadline, redirects and retries over real TCP. Bodies are framed by
//! Content-Length or chunked: QEMU's guestfwd never passes the server's close
//! on, so EOF framing is only the last resort.

use crate::prelude::*;

use crate::error::{Error, Result};
use crate::net::resolve::Resolver;
use crate::os::io::{self, Read, Write};
use crate::os::net::TcpStream;
use crate::report::{AttemptKind, Outcome, Report};
use crate::sys;
use crate::time::{self, Deadline};
use crate::url::{Scheme, Url};
use core::time::Duration;
use log::{debug, info};

/// Largest body we hold (same cap as a seed file on a volume).
pub const MAX_BODY: usize = 16 << 20;
/// Largest response head, and most header lines in it.
pub const MAX_HEAD: usize = 16 << 10;
pub const MAX_HEADERS: usize = 64;
/// A chunk-size line (with extensions) or trailer line longer than this is hostile.
const MAX_LINE: usize = 4096;
const MAX_REDIRECTS: usize = 5;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const READ_TIMEOUT: Duration = Duration::from_secs(10);
const BACKOFF_BASE: Duration = Duration::from_millis(500);
const BACKOFF_CAP: Duration = Duration::from_secs(8);
/// The longest `Retry-After` honoured: a server asking for more gets this
/// (and the overall deadline still decides whether there is a retry at all).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

pub enum Body {
    Found(Vec<u8>),
    /// HTTP 404 or 410: the file is absent (optional NoCloud files may be).
    NotFound,
}

/// The parts of a response head that the client acts on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Head {
    pub status: u16,
    pub content_length: Option<u64>,
    pub chunked: bool,
    pub location: Option<String>,
    /// Retry-After in delta-seconds; HTTP-dates are ignored (default backoff).
    pub retry_after: Option<u64>,
    /// Bytes of the head, including the blank line.
    pub len: usize,
}

/// The request, byte for byte. The target is the only place the query string goes.
pub fn request_bytes(url: &Url) -> Result<Vec<u8>> {
    if url.target.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(Error::malformed("url: space or control byte in path"));
    }
    // user:password@ in the URL: Basic auth, as python-requests sends it
    let auth = match url.basic_auth() {
        Some(a) => format!("Authorization: {a}\r\n"),
        None => String::new(),
    };
    let req = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: cloudseed/{}\r\n{auth}\
         Accept: */*\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n",
        url.target,
        url.host_header(),
        env!("CARGO_PKG_VERSION"),
    );
    Ok(req.into_bytes())
}

/// Parses a response head from the start of `bytes`; `None` = need more bytes.
pub fn parse_head(bytes: &[u8]) -> Result<Option<Head>> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut headers);
    let len = match resp.parse(bytes) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) if bytes.len() >= MAX_HEAD => {
            return Err(Error::limit("http response head over 16 KiB"));
        }
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(Error::limit("http response over 64 headers"))
        }
        Err(e) => return Err(Error::malformed(format!("http response head: {e}"))),
    };
    if len > MAX_HEAD {
        return Err(Error::limit("http response head over 16 KiB"));
    }
    let mut head = Head {
        status: resp.code.unwrap_or(0),
        len,
        ..Head::default()
    };
    for h in resp.headers.iter() {
        let name = h.name.to_ascii_lowercase();
        if !matches!(
            name.as_str(),
            "content-length" | "transfer-encoding" | "location" | "retry-after"
        ) {
            // Other fields may carry any bytes; they are not our business.
            continue;
        }
        let value = core::str::from_utf8(h.value)
            .map_err(|_| Error::malformed("http header value"))?
            .trim();
        if name == "content-length" {
            let n = parse_content_length(value)?;
            // Repeated but equal values are allowed (RFC 9110 8.6).
            if head.content_length.is_some_and(|old| old != n) {
                return Err(Error::malformed("http: conflicting content-length"));
            }
            head.content_length = Some(n);
        } else if name == "transfer-encoding" {
            // Only "chunked" (last) is understood; gzip & co were not asked for.
            let last = value.rsplit(',').next().unwrap_or("").trim();
            if !last.eq_ignore_ascii_case("chunked") || value.contains(',') {
                return Err(Error::unsupported(format!("transfer-encoding {value}")));
            }
            head.chunked = true;
        } else if name == "location" {
            head.location = Some(value.to_string());
        } else {
            head.retry_after = value.parse::<u64>().ok();
        }
    }
    // RFC 9112 6.3: chunked wins over a Content-Length sent alongside it.
    if head.chunked {
        head.content_length = None;
    }
    Ok(Some(head))
}

fn parse_content_length(v: &str) -> Result<u64> {
    // Some servers fold duplicates into "n, n".
    let mut it = v.split(',').map(str::trim);
    let first = it.next().unwrap_or("");
    if first.is_empty() || !first.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::malformed("http content-length"));
    }
    let n = first
        .parse::<u64>()
        .map_err(|_| Error::limit("http content-length"))?;
    if it.any(|o| o != first) {
        return Err(Error::malformed("http: conflicting content-length"));
    }
    Ok(n)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Chunk {
    /// Reading the hex size line (and extensions) into `line`.
    Size,
    Data(u64),
    /// The CRLF after a chunk's data.
    DataEnd,
    /// Trailer lines until an empty one.
    Trailer,
    Done,
}

/// Incremental chunked decoder (RFC 9112 7.1). Feed it bytes as they arrive;
/// it appends data to `out` and never lets `out` pass `cap`.
pub struct ChunkedDecoder {
    state: Chunk,
    line: Vec<u8>,
    cap: usize,
}

impl ChunkedDecoder {
    pub fn new(cap: usize) -> Self {
        ChunkedDecoder {
            state: Chunk::Size,
            line: Vec::new(),
            cap,
        }
    }

    pub fn is_done(&self) -> bool {
        self.state == Chunk::Done
    }

    /// Consumes what it can of `input`; returns how many bytes it used
    /// (fewer than given only once done: the rest is not ours).
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<usize> {
        let mut i = 0;
        while i < input.len() {
            match self.state {
                Chunk::Done => break,
                Chunk::Data(left) => {
                    let avail = input.len() - i;
                    let take = (left.min(avail as u64)) as usize;
                    if out.len() + take > self.cap {
                        return Err(Error::limit("http body over 16 MiB"));
                    }
                    out.extend_from_slice(&input[i..i + take]);
                    i += take;
                    let left = left - take as u64;
                    self.state = if left == 0 {
                        Chunk::DataEnd
                    } else {
                        Chunk::Data(left)
                    };
                }
                Chunk::Size | Chunk::DataEnd | Chunk::Trailer => {
                    let b = input[i];
                    i += 1;
                    if b != b'\n' {
                        if self.line.len() >= MAX_LINE {
                            return Err(Error::limit("http chunk line"));
                        }
                        self.line.push(b);
                        continue;
                    }
                    // A line is complete; a bare LF is tolerated like CRLF.
                    let mut line = core::mem::take(&mut self.line);
                    if line.last() == Some(&b'\r') {
                        line.pop();
                    }
                    self.state = self.on_line(&line, out.len())?;
                }
            }
        }
        Ok(i)
    }

    fn on_line(&self, line: &[u8], have: usize) -> Result<Chunk> {
        match self.state {
            Chunk::DataEnd if line.is_empty() => Ok(Chunk::Size),
            Chunk::DataEnd => Err(Error::malformed("http chunk: data longer than its size")),
            Chunk::Trailer if line.is_empty() => Ok(Chunk::Done),
            // Trailer fields are read and dropped.
            Chunk::Trailer => Ok(Chunk::Trailer),
            Chunk::Size => {
                let size = parse_chunk_size(line)?;
                if size == 0 {
                    return Ok(Chunk::Trailer);
                }
                if size > (self.cap - have.min(self.cap)) as u64 {
                    return Err(Error::limit("http body over 16 MiB"));
                }
                Ok(Chunk::Data(size))
            }
            Chunk::Data(_) | Chunk::Done => Err(Error::malformed("http chunk state")),
        }
    }
}

/// `1a3f[ ;ext=val]`: hex digits, then optional whitespace and extensions.
fn parse_chunk_size(line: &[u8]) -> Result<u64> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 {
        return Err(Error::malformed("http chunk size"));
    }
    if digits > 15 {
        return Err(Error::limit("http chunk size"));
    }
    let rest = &line[digits..];
    let rest = &rest[rest
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count()..];
    if !rest.is_empty() && rest[0] != b';' {
        return Err(Error::malformed("http chunk size"));
    }
    let mut n: u64 = 0;
    for &b in &line[..digits] {
        // 15 hex digits fit in 60 bits: no overflow possible.
        n = n * 16 + (b as char).to_digit(16).unwrap_or(0) as u64;
    }
    Ok(n)
}

/// Decodes a whole chunked body held in memory (for tests and fuzzing).
pub fn decode_chunked(input: &[u8], cap: usize) -> Result<Vec<u8>> {
    let mut d = ChunkedDecoder::new(cap);
    let mut out = Vec::new();
    d.feed(input, &mut out)?;
    if !d.is_done() {
        return Err(Error::truncated("http chunked body"));
    }
    Ok(out)
}

/// One response: its head and, for 2xx only, its body.
#[derive(Debug)]
pub struct Response {
    pub head: Head,
    pub body: Vec<u8>,
}

/// Sends the request for `url` on `stream` and reads the response. Only 2xx
/// bodies are read; for anything else the head is enough (we close anyway).
pub fn fetch_once<S: Read + Write>(mut stream: S, url: &Url, cap: usize) -> Result<Response> {
    let req = request_bytes(url)?;
    stream
        .write_all(&req)
        .map_err(|e| io_error("send to", url, e))?;
    stream.flush().map_err(|e| io_error("send to", url, e))?;

    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 8192];
    let head = loop {
        match parse_head(&buf)? {
            // 1xx interim responses (103 Early Hints …) precede the real one.
            Some(h) if (100..200).contains(&h.status) => {
                buf.drain(..h.len);
            }
            Some(h) => break h,
            None => {
                let n = read_some(&mut stream, &mut chunk, url)?;
                if n == 0 {
                    return Err(Error::truncated(format!("http response head from {url}")));
                }
                buf.extend_from_slice(&chunk[..n]);
            }
        }
    };
    let mut rest = buf.split_off(head.len);
    if !(200..300).contains(&head.status) || head.status == 204 {
        return Ok(Response {
            head,
            body: Vec::new(),
        });
    }

    let body = if head.chunked {
        let mut d = ChunkedDecoder::new(cap);
        let mut out = Vec::new();
        d.feed(&rest, &mut out)?;
        while !d.is_done() {
            let n = read_some(&mut stream, &mut chunk, url)?;
            if n == 0 {
                return Err(Error::truncated(format!("http chunked body from {url}")));
            }
            d.feed(&chunk[..n], &mut out)?;
        }
        out
    } else if let Some(len) = head.content_length {
        if len > cap as u64 {
            return Err(Error::limit(format!("http body of {len} bytes from {url}")));
        }
        // Checked just above: len fits in usize.
        let len = len as usize;
        rest.truncate(len);
        while rest.len() < len {
            let want = (len - rest.len()).min(chunk.len());
            let n = read_some(&mut stream, &mut chunk[..want], url)?;
            if n == 0 {
                return Err(Error::truncated(format!(
                    "http body from {url}: {} of {len} bytes",
                    rest.len()
                )));
            }
            rest.extend_from_slice(&chunk[..n]);
        }
        rest
    } else {
        // No framing: the body ends when the server closes.
        loop {
            // Checked after every append, so an over-cap body is never returned.
            if rest.len() > cap {
                return Err(Error::limit(format!("http body from {url} over 16 MiB")));
            }
            let n = read_some(&mut stream, &mut chunk, url)?;
            if n == 0 {
                break rest;
            }
            rest.extend_from_slice(&chunk[..n]);
        }
    };
    Ok(Response { head, body })
}

fn read_some<S: Read>(stream: &mut S, buf: &mut [u8], url: &Url) -> Result<usize> {
    loop {
        match stream.read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_error("read from", url, e)),
        }
    }
}

/// A socket error of one HTTP step: `Timeout` for a timeout, `Interrupted`
/// for a caught signal, else `Io` keeping the `io::Error`, whose kind the
/// report's outcome is read from (`outcome_of`).
fn io_error(op: &'static str, url: &Url, e: io::Error) -> Error {
    use io::ErrorKind as K;
    if matches!(e.kind(), K::TimedOut | K::WouldBlock) {
        return Error::timeout(format!("http {op} {url}"));
    }
    Error::io(format!("http {op}"), url, e)
}

/// A TCP stream whose every read and write is bounded by both a per-call
/// timeout and the overall deadline; past the deadline it reports TimedOut.
/// Reads wait in `sys::poll_readable`, so SIGTERM ends a slow body at once.
struct Bounded {
    tcp: TcpStream,
    deadline: Deadline,
}

impl Bounded {
    fn left(&self) -> io::Result<Duration> {
        sys::interrupted()?;
        let left = self.deadline.remaining(sys::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        Ok(left.min(READ_TIMEOUT))
    }
}

impl Read for Bounded {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use rustix::fd::AsFd;
        let t = self.left()?;
        if !sys::poll_readable(&[self.tcp.as_fd()], t)?[0] {
            return Err(io::ErrorKind::TimedOut.into());
        }
        // Readable: this read does not block (the timeout is a backstop).
        self.tcp.set_read_timeout(Some(t))?;
        self.tcp.read(buf)
    }
}

impl Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let t = self.left()?;
        self.tcp.set_write_timeout(Some(t))?;
        self.tcp.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.tcp.flush()
    }
}

/// Connects (RFC 8305 over `ips`) and fetches once.
fn attempt(url: &Url, ips: &[core::net::IpAddr], deadline: Deadline) -> Result<Response> {
    let now = sys::now();
    if deadline.expired(now) {
        return Err(Error::timeout(format!("http connect to {url}")));
    }
    let addrs: Vec<core::net::SocketAddr> = ips
        .iter()
        .map(|&ip| core::net::SocketAddr::new(ip, url.port))
        .collect();
    let tcp = super::happy::connect(&addrs, deadline.min_after(now, CONNECT_TIMEOUT))
        .map_err(|e| io_error("connect to", url, e))?;
    let _ = tcp.set_nodelay(true);
    fetch_once(Bounded { tcp, deadline }, url, MAX_BODY)
}

/// What to do after one attempt.
enum Next {
    Done(Result<Body>),
    Redirect(Url),
    /// Retry after the default backoff, or the server's Retry-After.
    Retry(Error, Option<u64>),
}

fn judge(url: &Url, r: Result<Response>) -> Next {
    let resp = match r {
        Ok(resp) => resp,
        // A single attempt's timeout, a refused or reset connection, a cut
        // body: worth another go. A signal, or bytes we refuse, are not.
        Err(e @ (Error::Timeout { .. } | Error::Io { .. } | Error::Truncated { .. })) => {
            return Next::Retry(e, None)
        }
        Err(e) => return Next::Done(Err(e)),
    };
    let status = resp.head.status;
    match status {
        200..=299 => Next::Done(Ok(Body::Found(resp.body))),
        404 | 410 => Next::Done(Ok(Body::NotFound)),
        301 | 302 | 303 | 307 | 308 => match resp.head.location.as_deref() {
            None => Next::Done(Err(Error::net(format!(
                "http {status} without location from {url}"
            )))),
            Some(loc) => match url.join_location(loc) {
                Ok(next) => Next::Redirect(next),
                Err(e) => Next::Done(Err(e)),
            },
        },
        429 | 500..=599 => Next::Retry(
            Error::net(format!("http {status} from {url}")),
            resp.head.retry_after,
        ),
        _ => Next::Done(Err(Error::net(format!("http {status} from {url}")))),
    }
}

/// The report's word for one attempt: the status, or what went wrong, from
/// the error's kind (and a socket error's `io::ErrorKind`), never its text.
fn outcome_of(r: &Result<Response>) -> Outcome {
    use crate::error::ErrorKind as K;
    match r {
        Ok(resp) => Outcome::Status(resp.head.status),
        Err(Error::Io { source, .. }) => Outcome::of_io(source.kind()),
        Err(e) => match e.kind() {
            K::Timeout => Outcome::Timeout,
            K::Truncated => Outcome::Truncated,
            K::Limit => Outcome::OverLimit,
            K::Malformed => Outcome::Malformed,
            K::Unsupported => Outcome::Unsupported,
            K::Interrupted => Outcome::Interrupted,
            K::Io | K::Net | K::Panicked | K::Integrity => Outcome::Failed,
        },
    }
}

/// Exponential backoff with jitter; a server's Retry-After (delta-seconds)
/// raises it but never lowers it, so "Retry-After: 0" is no busy loop, and
/// never past `MAX_RETRY_AFTER`.
fn retry_delay(retries: u32, retry_after: Option<u64>, jitter: u32) -> Duration {
    let backoff = time::backoff(retries, BACKOFF_BASE, BACKOFF_CAP, jitter);
    let asked = Duration::from_secs(retry_after.unwrap_or(0)).min(MAX_RETRY_AFTER);
    backoff.max(asked)
}

fn check_scheme(url: &Url) -> Result<()> {
    if url.scheme != Scheme::Http {
        return Err(Error::unsupported(format!("{url} (only http is fetched)")));
    }
    Ok(())
}

/// GET `url` with redirects and retries, never past `deadline`.
pub fn get(
    url: &Url,
    resolver: &Resolver,
    deadline: Deadline,
    report: &mut Report,
) -> Result<Body> {
    check_scheme(url)?;
    let mut current = url.clone();
    let mut seen = vec![current.as_str().to_string()];
    let mut retries = 0u32;
    // Resolve each host once per call; retries reuse the address.
    let mut resolved: Option<(String, Vec<core::net::IpAddr>)> = None;
    loop {
        let ips = match &resolved {
            Some((h, ips)) if *h == current.host => ips.clone(),
            _ => {
                let ips = resolver.resolve_all(&current.host, deadline, report)?;
                resolved = Some((current.host.clone(), ips.clone()));
                ips
            }
        };
        let start = sys::now();
        let r = attempt(&current, &ips, deadline);
        let end = sys::now();
        let ms = end.since(start).as_millis() as u64;
        let outcome = outcome_of(&r);
        debug!("http: GET {current}: {outcome} in {ms} ms");
        report.attempt(AttemptKind::Http, current.to_string(), ms, outcome);
        let (err, retry_after) = match judge(&current, r) {
            Next::Done(Ok(body)) => {
                if let Body::Found(b) = &body {
                    info!("http: fetched {current} ({} bytes)", b.len());
                }
                return Ok(body);
            }
            Next::Done(Err(e)) => return Err(e),
            Next::Redirect(next) => {
                if next.scheme != Scheme::Http {
                    return Err(Error::unsupported(format!(
                        "redirect from {current} to {next}"
                    )));
                }
                check_scheme(&next)?;
                if seen.iter().any(|s| s == next.as_str()) {
                    return Err(Error::net(format!("http redirect loop at {next}")));
                }
                if seen.len() > MAX_REDIRECTS {
                    return Err(Error::limit(format!(
                        "http: over {MAX_REDIRECTS} redirects from {url}"
                    )));
                }
                debug!("http: {current} redirects to {next}");
                seen.push(next.as_str().to_string());
                current = next;
                continue;
            }
            Next::Retry(e, after) => (e, after),
        };
        let delay = retry_delay(retries, retry_after, sys::random_u32());
        retries += 1;
        let now = sys::now();
        // Never sleep past the deadline: give up with the last error instead.
        if delay >= deadline.remaining(now) {
            return Err(err);
        }
        debug!("http: {current}: {err}; retry in {} ms", delay.as_millis());
        sys::sleep(delay).map_err(|e| io_error("wait to retry", &current, e))?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::os::io::Cursor;

    /// Canned server: reads go to `input`, writes are recorded.
    struct Canned {
        input: Cursor<Vec<u8>>,
        sent: Vec<u8>,
    }
    impl Canned {
        fn new(resp: &[u8]) -> Self {
            Canned {
                input: Cursor::new(resp.to_vec()),
                sent: Vec::new(),
            }
        }
    }
    impl Read for Canned {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            // Dribble 7 bytes at a time to exercise the incremental paths.
            let n = buf.len().min(7);
            self.input.read(&mut buf[..n])
        }
    }
    impl Write for Canned {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.sent.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn run(resp: &[u8]) -> Result<Response> {
        let mut c = Canned::new(resp);
        fetch_once(&mut c, &url("http://h/x"), 1000)
    }

    #[test]
    fn request_golden() {
        let r = request_bytes(&url("http://10.0.2.2:8000/seed/user-data?tok=a%20b")).unwrap();
        let want = format!(
            "GET /seed/user-data?tok=a%20b HTTP/1.1\r\nHost: 10.0.2.2:8000\r\n\
             User-Agent: cloudseed/{}\r\nAccept: */*\r\nAccept-Encoding: identity\r\n\
             Connection: close\r\n\r\n",
            env!("CARGO_PKG_VERSION")
        );
        assert_eq!(String::from_utf8(r).unwrap(), want);
        // spaces are percent-encoded as python-requests does; userinfo is Basic auth
        let r = String::from_utf8(request_bytes(&url("http://u:p@h/a b")).unwrap()).unwrap();
        assert!(r.starts_with("GET /a%20b HTTP/1.1\r\nHost: h\r\n"), "{r}");
        assert!(r.contains("\r\nAuthorization: Basic dTpw\r\n"), "{r}");
        let mut c = Canned::new(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        fetch_once(&mut c, &url("http://h:80/"), 10).unwrap();
        assert!(c.sent.starts_with(b"GET / HTTP/1.1\r\nHost: h\r\n"));
    }

    #[test]
    fn head_parsing() {
        assert_eq!(parse_head(b"HTTP/1.1 200 OK\r\nContent-Le").unwrap(), None);
        let raw = b"HTTP/1.1 302 Found\r\nLocation: /b\r\ncontent-length: 3, 3\r\nRetry-After: 7\r\n\r\nabc";
        let h = parse_head(raw).unwrap().unwrap();
        assert_eq!(h.status, 302);
        assert_eq!(h.location.as_deref(), Some("/b"));
        assert_eq!(h.content_length, Some(3));
        assert_eq!(h.retry_after, Some(7));
        assert_eq!(h.len, raw.len() - 3);
        let h = parse_head(b"HTTP/1.1 503 x\r\nRetry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(h.retry_after, None);
        let h = parse_head(
            b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\nTransfer-Encoding: chunked\r\n\r\n",
        )
        .unwrap()
        .unwrap();
        assert!(h.chunked && h.content_length.is_none());
    }

    #[test]
    fn head_rejects() {
        let bad: [&[u8]; 6] = [
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            b"HTTX/1.1 200 OK\r\n\r\n",
            b"HTTP/1.1 2000 OK\r\n\r\n",
        ];
        for b in bad {
            assert!(parse_head(b).is_err(), "{}", String::from_utf8_lossy(b));
        }
        let mut many = b"HTTP/1.1 200 OK\r\n".to_vec();
        for i in 0..65 {
            many.extend_from_slice(format!("X-{i}: y\r\n").as_bytes());
        }
        many.extend_from_slice(b"\r\n");
        assert!(matches!(parse_head(&many), Err(Error::Limit { .. })));
        let mut huge = b"HTTP/1.1 200 OK\r\nX: ".to_vec();
        huge.resize(MAX_HEAD + 1, b'a');
        assert!(matches!(parse_head(&huge), Err(Error::Limit { .. })));
    }

    #[test]
    fn chunked_decoding() {
        let body = b"4;name=val\r\nWiki\r\n5\r\npedia\r\nE \t; x\r\n in\r\n\r\nchunks.\r\n0\r\nX-Trailer: 1\r\n\r\n";
        assert_eq!(
            decode_chunked(body, 100).unwrap(),
            b"Wikipedia in\r\n\r\nchunks."
        );
        // Bare LF line ends are tolerated; upper-case hex works.
        assert_eq!(
            decode_chunked(b"A\n0123456789\n0\n\n", 100).unwrap(),
            b"0123456789"
        );
        // Byte at a time gives the same result.
        let mut d = ChunkedDecoder::new(100);
        let mut out = Vec::new();
        for b in body.iter() {
            d.feed(core::slice::from_ref(b), &mut out).unwrap();
        }
        assert!(d.is_done());
        assert_eq!(out, b"Wikipedia in\r\n\r\nchunks.");
        // Bytes after the end are not consumed.
        let mut d = ChunkedDecoder::new(100);
        assert_eq!(d.feed(b"0\r\n\r\nHTTP", &mut Vec::new()).unwrap(), 5);
    }

    #[test]
    fn chunked_rejects() {
        let cases: [(&[u8], &str); 7] = [
            (b"", "truncated"),
            (b"4\r\nWi", "truncated"),
            (b"4\r\nWiki\r\n", "truncated"),
            (b"zz\r\n", "malformed"),
            (b"4\r\nWikiX\r\n0\r\n\r\n", "malformed"),
            (b"4 x\r\nWiki\r\n0\r\n\r\n", "malformed"),
            (b"ffffffffffffffffff\r\n", "over limit"),
        ];
        for (input, kind) in cases {
            let e = decode_chunked(input, 100).unwrap_err().to_string();
            assert!(
                e.starts_with(kind),
                "{e} for {:?}",
                String::from_utf8_lossy(input)
            );
        }
        // Chunk larger than the cap, and the sum of chunks over it.
        assert!(matches!(
            decode_chunked(b"65\r\n", 100),
            Err(Error::Limit { .. })
        ));
        assert!(matches!(
            decode_chunked(b"32\r\n", 40),
            Err(Error::Limit { .. })
        ));
        let mut two = b"1e\r\n".to_vec();
        two.extend_from_slice(&[b'a'; 30]);
        two.extend_from_slice(b"\r\n1e\r\n");
        assert!(matches!(decode_chunked(&two, 40), Err(Error::Limit { .. })));
        let long_ext = [b"1;".as_slice(), &[b'x'; 5000]].concat();
        assert!(matches!(
            decode_chunked(&long_ext, 100),
            Err(Error::Limit { .. })
        ));
    }

    #[test]
    fn framing() {
        let r = run(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA").unwrap();
        assert_eq!(r.body, b"hello");
        let r =
            run(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
                .unwrap();
        assert_eq!(r.body, b"hello");
        let r = run(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\nuntil eof").unwrap();
        assert_eq!(r.body, b"until eof");
        let body = [b'x'; 1000];
        let r = run(&[
            b"HTTP/1.1 200 OK\r\nX-Latin1: caf\xe9\r\n\r\n".as_slice(),
            &body,
        ]
        .concat());
        assert_eq!(r.unwrap().body.len(), 1000, "EOF framing up to the cap");
        let r = run(b"HTTP/1.1 404 Not Found\r\nContent-Length: 1000000\r\n\r\n").unwrap();
        assert_eq!((r.head.status, r.body.len()), (404, 0));
    }

    #[test]
    fn framing_errors_and_cap() {
        let e = run(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort").unwrap_err();
        assert!(matches!(e, Error::Truncated { .. }), "{e}");
        let e = run(b"HTTP/1.1 200 OK\r\nContent-Length: 1001\r\n\r\n").unwrap_err();
        assert!(matches!(e, Error::Limit { .. }), "{e}");
        let e = run(&[b"HTTP/1.1 200 OK\r\n\r\n".as_slice(), &[b'x'; 1001]].concat()).unwrap_err();
        assert!(matches!(e, Error::Limit { .. }), "{e}");
        let e = run(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel").unwrap_err();
        assert!(matches!(e, Error::Truncated { .. }), "{e}");
        let e = run(b"HTTP/1.1 200 OK\r\nContent-").unwrap_err();
        assert!(matches!(e, Error::Truncated { .. }), "{e}");
        let e = run(b"").unwrap_err();
        assert!(matches!(e, Error::Truncated { .. }), "{e}");
    }

    #[test]
    fn judging_statuses_and_redirects() {
        let u = url("http://h/a/b");
        let resp = |raw: &[u8]| {
            let head = parse_head(raw).unwrap().unwrap();
            Ok(Response {
                head,
                body: b"x".to_vec(),
            })
        };
        assert!(matches!(
            judge(&u, resp(b"HTTP/1.1 200 OK\r\n\r\n")),
            Next::Done(Ok(Body::Found(_)))
        ));
        assert!(matches!(
            judge(&u, resp(b"HTTP/1.1 410 Gone\r\n\r\n")),
            Next::Done(Ok(Body::NotFound))
        ));
        assert!(matches!(
            judge(&u, resp(b"HTTP/1.1 403 No\r\n\r\n")),
            Next::Done(Err(_))
        ));
        assert!(matches!(
            judge(&u, resp(b"HTTP/1.1 302 F\r\n\r\n")),
            Next::Done(Err(_))
        ));
        match judge(&u, resp(b"HTTP/1.1 429 Slow\r\nRetry-After: 3\r\n\r\n")) {
            Next::Retry(_, after) => assert_eq!(after, Some(3)),
            _ => panic!("429 is retried"),
        }
        assert!(matches!(
            judge(&u, resp(b"HTTP/1.1 503 x\r\n\r\n")),
            Next::Retry(_, None)
        ));
        match judge(&u, resp(b"HTTP/1.1 301 M\r\nLocation: c?q=1\r\n\r\n")) {
            Next::Redirect(n) => assert_eq!(n.as_str(), "http://h/a/c?q=1"),
            _ => panic!("redirect"),
        }
        assert!(matches!(
            judge(&u, Err(Error::malformed("x"))),
            Next::Done(Err(_))
        ));
        assert!(matches!(
            judge(&u, Err(Error::timeout("x"))),
            Next::Retry(..)
        ));
        assert!(check_scheme(&url("https://h/")).is_err());
    }

    #[test]
    fn outcomes_come_from_error_kinds() {
        let u = url("http://h/x");
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        let e = io_error("connect to", &u, refused);
        assert_eq!(
            e.to_string(),
            "http connect to http://h/x: connection refused"
        );
        assert_eq!(outcome_of(&Err(e)), Outcome::Refused);
        let e = io_error("read from", &u, io::ErrorKind::ConnectionReset.into());
        assert!(matches!(judge(&u, Err(e)), Next::Retry(..)));
        let e = io_error("read from", &u, io::ErrorKind::TimedOut.into());
        assert_eq!(outcome_of(&Err(e)), Outcome::Timeout);
        let sig = io::Error::signal(crate::error::Signal::Term);
        let e = io_error("read from", &u, sig);
        assert_eq!(outcome_of(&Err(e)), Outcome::Interrupted);
        let sig = io::Error::signal(crate::error::Signal::Term);
        assert!(matches!(
            judge(&u, Err(io_error("read from", &u, sig))),
            Next::Done(Err(Error::Interrupted { .. }))
        ));
        // A message that merely ends in a cause word is no longer parsed.
        assert_eq!(outcome_of(&Err(Error::net("x: refused"))), Outcome::Failed);
        assert_eq!(
            outcome_of(&Err(Error::limit("http body over 16 MiB"))),
            Outcome::OverLimit
        );
    }

    #[test]
    fn retry_delays() {
        // jitter 125 = no jitter at 500 ms (a quarter is 125).
        assert_eq!(retry_delay(0, None, 125), Duration::from_millis(500));
        assert_eq!(retry_delay(2, None, 500), Duration::from_millis(2000));
        assert_eq!(retry_delay(9, None, 2000), BACKOFF_CAP);
        assert_eq!(retry_delay(0, Some(3), 0), Duration::from_secs(3));
        assert_eq!(retry_delay(3, Some(0), 1000), Duration::from_secs(4));
        assert_eq!(retry_delay(0, Some(60), 0), MAX_RETRY_AFTER);
        assert_eq!(retry_delay(0, Some(61), 0), MAX_RETRY_AFTER);
        assert_eq!(retry_delay(0, Some(u64::MAX), 0), MAX_RETRY_AFTER);
    }

    #[test]
    fn garbage_heads_never_panic() {
        let mut s = 0x2545_f491_4f6c_dd1du64;
        let base = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n4\r\nabcd\r\n0\r\n\r\n";
        for _ in 0..20_000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let mut b = base.to_vec();
            let i = (s as usize) % b.len();
            b[i] = (s >> 32) as u8;
            b.truncate((s >> 40) as usize % (base.len() + 1));
            let _ = run(&b);
            let _ = decode_chunked(&b, 64);
        }
    }
}
