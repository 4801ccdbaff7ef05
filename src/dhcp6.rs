//! Pure sans-I/O DHCPv6 client (RFC 8415): packets and a clock in, packets
//! and events out, on the same poll loop as the DHCPv4 client.
//!
//! Stateful: SOLICIT (with Rapid Commit) → ADVERTISE → REQUEST → REPLY, or
//! SOLICIT → REPLY when the server commits at once. Stateless: one
//! INFORMATION-REQUEST → REPLY for DNS. Teardown: RELEASE → REPLY. Every
//! exchange retransmits as RFC 8415 section 15 says (IRT/MRT/MRC with a
//! ±10 % random factor); randomness is injected at construction, time is an
//! argument, and the shell bounds it all by the one deadline. Every message
//! goes to ff02::1:2 port 547 from the link-local address, port 546.
//!
//! Deliberate gaps: the first SOLICIT is not delayed by up to SOL_MAX_DELAY
//! (18.2.1 SHOULD; an initramfs has one client per link and a deadline), and
//! there is no RENEW/REBIND: the lease lives as long as the initramfs, and
//! the root system's client takes over.

use crate::prelude::*;

use crate::cmdline::Mac;
use crate::time::Instant;
use crate::wire::dhcpv6::{self, opt, status, IaAddr, IaNa, Message, MessageType, Options};
use core::net::Ipv6Addr;
use core::time::Duration;

/// RFC 8415 7.6 transmission parameters, in milliseconds.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct Params {
    irt: u64,
    mrt: u64,
    /// Maximum transmissions; 0 means unbounded (the deadline ends it).
    mrc: u32,
}
const SOLICIT: Params = Params {
    irt: 1_000,
    mrt: 3_600_000,
    mrc: 0,
};
const REQUEST: Params = Params {
    irt: 1_000,
    mrt: 30_000,
    mrc: 10,
};
const INFORM: Params = Params {
    irt: 1_000,
    mrt: 3_600_000,
    mrc: 0,
};
const RELEASE: Params = Params {
    irt: 1_000,
    mrt: 0,
    mrc: 4,
};

/// What we ask for: DNS servers, domain list, and the options 18.2.1 and
/// 18.2.6 say a client MUST request.
const ORO_STATEFUL: [u16; 3] = [opt::DNS_SERVERS, opt::DOMAIN_LIST, opt::SOL_MAX_RT];
const ORO_STATELESS: [u16; 4] = [
    opt::DNS_SERVERS,
    opt::DOMAIN_LIST,
    opt::INFORMATION_REFRESH_TIME,
    opt::INF_MAX_RT,
];

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// An address from IA_NA (`ip6=dhcp`, `ip=dhcp6`, an RA with M set).
    Stateful,
    /// DNS only (an RA with O set and no M).
    Stateless,
}

/// What the server gave us, in the shape the shell applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    /// `None` for a stateless exchange.
    pub address: Option<IaAddr>,
    pub server_id: Vec<u8>,
    pub dns: Vec<Ipv6Addr>,
    pub domains: Vec<String>,
    pub acquired: Instant,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// An ADVERTISE was chosen; a REQUEST is due now.
    Advertised {
        address: Ipv6Addr,
    },
    /// The REPLY to a REQUEST carried no address (NoAddrsAvail, NotOnLink):
    /// we start over with a SOLICIT.
    Refused {
        code: u16,
    },
    Bound(Lease),
    /// The server answered our RELEASE.
    Released,
}

/// An ADVERTISE we may REQUEST from.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Advert {
    preference: u8,
    server_id: Vec<u8>,
    addr: Ipv6Addr,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum State {
    /// Sending SOLICITs; the best ADVERTISE so far waits for the first RT.
    Soliciting {
        best: Option<Advert>,
    },
    Requesting(Advert),
    Informing,
    Bound(Lease),
    Releasing(Lease),
    Stopped,
}

/// One exchange's retransmission state (RFC 8415 section 15).
#[derive(Clone, Debug)]
struct Exchange {
    params: Params,
    xid: u32,
    started: Instant,
    /// The current RT in ms; 0 before the first transmission.
    rt: u64,
    sent: u32,
    next: Instant,
}

pub struct Client {
    mac: Mac,
    state: State,
    ex: Exchange,
    rng: u32,
}

/// A DHCPv6 payload for the shell to send from [fe80::…]:546 to
/// [ff02::1:2]:547 on the link.
pub type Transmit = Vec<u8>;

impl Client {
    /// `random` gives the first transaction id (its low 24 bits) and seeds
    /// the random factor (the shell passes `sys::random_u32()`).
    pub fn new(mac: Mac, mode: Mode, now: Instant, random: u32) -> Client {
        let (state, params) = match mode {
            Mode::Stateful => (State::Soliciting { best: None }, SOLICIT),
            Mode::Stateless => (State::Informing, INFORM),
        };
        Client {
            mac,
            state,
            ex: Exchange {
                params,
                xid: random & 0xff_ffff,
                started: now,
                rt: 0,
                sent: 0,
                next: now,
            },
            rng: (random ^ 0x6d2b_79f5).max(1),
        }
    }

    pub fn xid(&self) -> u32 {
        self.ex.xid
    }

    pub fn lease(&self) -> Option<&Lease> {
        match &self.state {
            State::Bound(l) => Some(l),
            _ => None,
        }
    }

    /// When the client next wants `poll`; `None` once bound or stopped.
    pub fn poll_at(&self) -> Option<Instant> {
        match self.state {
            State::Bound(_) | State::Stopped => None,
            _ => Some(self.ex.next),
        }
    }

    fn next_random(&mut self) -> u32 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.rng = x;
        x
    }

    /// `RAND * base`, RAND uniform in [-0.1, +0.1] (in (0, 0.1] for the
    /// first SOLICIT: 18.2.1 wants RT strictly greater than IRT).
    fn rand_part(&mut self, base: u64, positive: bool) -> i64 {
        let tenth = (base / 10) as i64;
        let r = i64::from(self.next_random());
        if positive {
            1 + r % tenth.max(1)
        } else {
            r % (2 * tenth + 1) - tenth
        }
    }

    fn begin(&mut self, now: Instant, params: Params) {
        let xid = self.next_random() & 0xff_ffff;
        self.ex = Exchange {
            params,
            xid,
            started: now,
            rt: 0,
            sent: 0,
            next: now,
        };
    }

    /// Advances RT as section 15 says and schedules the next transmission.
    fn schedule(&mut self, now: Instant) {
        let p = self.ex.params;
        let rt = if self.ex.rt == 0 {
            let solicit = matches!(self.state, State::Soliciting { .. });
            p.irt as i64 + self.rand_part(p.irt, solicit)
        } else {
            let prev = self.ex.rt;
            let rt = 2 * prev as i64 + self.rand_part(prev, false);
            if p.mrt != 0 && rt > p.mrt as i64 {
                p.mrt as i64 + self.rand_part(p.mrt, false)
            } else {
                rt
            }
        };
        self.ex.rt = rt.max(1) as u64;
        self.ex.sent += 1;
        self.ex.next = now.add(Duration::from_millis(self.ex.rt));
    }

    fn client_id(&self) -> Vec<u8> {
        dhcpv6::duid_ll(&self.mac)
    }

    /// IAID: the MAC's low four octets, stable for the link (RFC 8415 12).
    fn iaid(&self) -> u32 {
        u32::from_be_bytes([self.mac[2], self.mac[3], self.mac[4], self.mac[5]])
    }

    fn ia(&self, addr: Option<Ipv6Addr>) -> IaNa {
        IaNa {
            iaid: self.iaid(),
            t1: 0,
            t2: 0,
            // Lifetimes in a client's IAADDR are hints; 0 means none (21.6).
            addrs: addr
                .map(|addr| IaAddr {
                    addr,
                    preferred_s: 0,
                    valid_s: 0,
                })
                .into_iter()
                .collect(),
            status: None,
        }
    }

    fn message(&self, now: Instant, kind: MessageType, options: Options) -> Vec<u8> {
        // 21.9: hundredths of a second since the exchange began, 0 first.
        let elapsed = if self.ex.sent == 0 {
            0
        } else {
            (now.since(self.ex.started).as_millis() / 10).min(0xffff) as u16
        };
        Message {
            kind,
            xid: self.ex.xid,
            options: Options {
                client_id: Some(self.client_id()),
                elapsed: Some(elapsed),
                ..options
            },
        }
        .emit()
    }

    /// Sends what is due at `now`: the first transmission or a retransmission
    /// of the current exchange, or moves on when the exchange is over.
    pub fn poll(&mut self, now: Instant) -> Option<Transmit> {
        if now < self.ex.next {
            return None;
        }
        let p = self.ex.params;
        let exhausted = p.mrc != 0 && self.ex.sent >= p.mrc;
        let (kind, options) = match &self.state {
            State::Soliciting { best: Some(adv) } => {
                // The first RT is over: take the best ADVERTISE (18.2.9).
                let adv = adv.clone();
                self.request(now, adv);
                return self.poll(now);
            }
            State::Soliciting { best: None } => (
                MessageType::Solicit,
                Options {
                    ia_na: vec![self.ia(None)],
                    oro: ORO_STATEFUL.to_vec(),
                    rapid_commit: true,
                    ..Options::default()
                },
            ),
            State::Requesting(_) if exhausted => {
                // 18.2.10.1: no answer to REQUEST: start over.
                self.solicit(now);
                return self.poll(now);
            }
            State::Requesting(adv) => (
                MessageType::Request,
                Options {
                    server_id: Some(adv.server_id.clone()),
                    ia_na: vec![self.ia(Some(adv.addr))],
                    oro: ORO_STATEFUL.to_vec(),
                    ..Options::default()
                },
            ),
            State::Informing => (
                MessageType::InformationRequest,
                Options {
                    oro: ORO_STATELESS.to_vec(),
                    ..Options::default()
                },
            ),
            State::Releasing(_) if exhausted => {
                // 18.2.7: after REL_MAX_RC the release is considered done.
                self.state = State::Stopped;
                return None;
            }
            State::Releasing(lease) => (
                MessageType::Release,
                Options {
                    server_id: Some(lease.server_id.clone()),
                    ia_na: vec![self.ia(lease.address.as_ref().map(|a| a.addr))],
                    ..Options::default()
                },
            ),
            State::Bound(_) | State::Stopped => return None,
        };
        let bytes = self.message(now, kind, options);
        self.schedule(now);
        Some(bytes)
    }

    fn solicit(&mut self, now: Instant) {
        self.state = State::Soliciting { best: None };
        self.begin(now, SOLICIT);
    }

    fn request(&mut self, now: Instant, adv: Advert) {
        self.state = State::Requesting(adv);
        self.begin(now, REQUEST);
    }

    /// Feeds one UDP payload received on port 546. Anything not for us or
    /// not well-formed is ignored: `None`.
    pub fn handle(&mut self, now: Instant, payload: &[u8]) -> Option<Event> {
        let msg = dhcpv6::parse(payload).ok()?;
        let o = &msg.options;
        // 16.3 / 16.10: the transaction id and our client id must match, and
        // a server must say who it is.
        if msg.xid != self.ex.xid
            || o.client_id.as_deref() != Some(&self.client_id()[..])
            || o.server_id.is_none()
        {
            return None;
        }
        let server_id = o.server_id.clone()?;
        let addr = first_address(o);
        match (&self.state, msg.kind) {
            (State::Soliciting { best }, MessageType::Advertise) => {
                // 18.2.9: an ADVERTISE without an address is ignored.
                let addr = addr?.addr;
                let adv = Advert {
                    preference: o.preference.unwrap_or(0),
                    server_id,
                    addr,
                };
                // Preference 255, or any ADVERTISE after the first RT: now.
                // Otherwise keep the most preferred until the first RT ends.
                if adv.preference == 255 || self.ex.sent > 1 {
                    self.request(now, adv);
                    return Some(Event::Advertised { address: addr });
                }
                if !best
                    .as_ref()
                    .is_some_and(|b| adv.preference <= b.preference)
                {
                    self.state = State::Soliciting { best: Some(adv) };
                }
                None
            }
            (State::Soliciting { .. }, MessageType::Reply) if o.rapid_commit => {
                self.bind(now, &msg, addr)
            }
            (State::Requesting(adv), MessageType::Reply) => {
                if server_id != adv.server_id {
                    return None;
                }
                self.bind(now, &msg, addr)
            }
            (State::Informing, MessageType::Reply) => self.bind(now, &msg, None),
            (State::Releasing(_), MessageType::Reply) => {
                self.state = State::Stopped;
                Some(Event::Released)
            }
            _ => None,
        }
    }

    fn bind(&mut self, now: Instant, msg: &Message, addr: Option<IaAddr>) -> Option<Event> {
        let o = &msg.options;
        let stateful = !matches!(self.state, State::Informing);
        if stateful && addr.is_none() {
            let code = o
                .ia_na
                .iter()
                .find_map(|ia| ia.status.as_ref())
                .or(o.status.as_ref())
                .map_or(status::NO_ADDRS_AVAIL, |s| s.code);
            self.solicit(now);
            return Some(Event::Refused { code });
        }
        let lease = Lease {
            address: addr,
            server_id: o.server_id.clone().unwrap_or_default(),
            dns: o.dns.clone(),
            domains: o.domains.clone(),
            acquired: now,
        };
        self.state = State::Bound(lease.clone());
        Some(Event::Bound(lease))
    }

    /// Gives up the address: a RELEASE to send when bound statefully, then
    /// retransmitted by `poll` until the REPLY or REL_MAX_RC. Nothing for a
    /// stateless lease. The client is inert afterwards.
    pub fn release(&mut self, now: Instant) -> Option<Transmit> {
        match core::mem::replace(&mut self.state, State::Stopped) {
            State::Bound(lease) if lease.address.is_some() => {
                self.state = State::Releasing(lease);
                self.begin(now, RELEASE);
                self.poll(now)
            }
            _ => None,
        }
    }
}

/// The first usable address of our IA_NA: a status other than success in
/// the IA or the message means none (21.4, 18.2.10.1).
fn first_address(o: &Options) -> Option<IaAddr> {
    if o.status.as_ref().is_some_and(|s| s.code != status::SUCCESS) {
        return None;
    }
    o.ia_na
        .iter()
        .filter(|ia| {
            !ia.status
                .as_ref()
                .is_some_and(|s| s.code != status::SUCCESS)
        })
        .flat_map(|ia| ia.addrs.iter())
        .find(|a| a.valid_s != 0 && a.preferred_s <= a.valid_s)
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::dhcpv6::Status;

    const MAC: Mac = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
    const XID: u32 = 0x0012_3456;

    fn t(ms: u64) -> Instant {
        Instant::from_millis(ms)
    }
    fn a(s: &str) -> Ipv6Addr {
        s.parse().unwrap()
    }
    fn server(n: u8) -> Vec<u8> {
        vec![0, 3, 0, 1, 2, 0, 0, 0, 0, n]
    }

    fn reply(kind: MessageType, xid: u32, srv: u8, addr: Option<&str>) -> Vec<u8> {
        Message {
            kind,
            xid,
            options: Options {
                client_id: Some(dhcpv6::duid_ll(&MAC)),
                server_id: Some(server(srv)),
                ia_na: addr
                    .map(|s| IaNa {
                        iaid: 0x0012_3456,
                        t1: 1800,
                        t2: 2880,
                        addrs: vec![IaAddr {
                            addr: a(s),
                            preferred_s: 3600,
                            valid_s: 7200,
                        }],
                        status: None,
                    })
                    .into_iter()
                    .collect(),
                dns: vec![a("fd00::2")],
                domains: vec!["example.test".into()],
                ..Options::default()
            },
        }
        .emit()
    }

    macro_rules! recv {
        ($c:expr, time $t:expr, []) => {
            assert_eq!($c.poll(t($t)), None, "nothing due at {}", $t)
        };
        ($c:expr, time $t:expr, [$kind:ident]) => {{
            let tx = $c.poll(t($t)).expect(concat!("a ", stringify!($kind)));
            let m = dhcpv6::parse(&tx).unwrap();
            assert_eq!(m.kind, MessageType::$kind);
            assert!($c.poll(t($t)).is_none(), "one packet per due time");
            m
        }};
    }
    macro_rules! send {
        ($c:expr, time $t:expr, $bytes:expr) => {
            $c.handle(t($t), &$bytes)
        };
    }

    #[test]
    fn rapid_commit() {
        let mut c = Client::new(MAC, Mode::Stateful, t(0), XID);
        let s = recv!(c, time 0, [Solicit]);
        assert!(s.options.rapid_commit);
        let mut r = dhcpv6::parse(&reply(MessageType::Reply, XID, 1, Some("fd00::10"))).unwrap();
        // a REPLY without Rapid Commit is not an answer to a SOLICIT
        assert_eq!(send!(c, time 5, r.emit()), None);
        r.options.rapid_commit = true;
        let Some(Event::Bound(l)) = send!(c, time 5, r.emit()) else {
            panic!("not bound")
        };
        assert_eq!(l.address.unwrap().addr, a("fd00::10"));
        assert_eq!(
            (l.dns, l.domains),
            (vec![a("fd00::2")], vec!["example.test".to_string()])
        );
        assert_eq!(c.poll_at(), None);
    }

    #[test]
    fn advertise_waits_for_first_rt_and_takes_the_most_preferred() {
        let mut c = Client::new(MAC, Mode::Stateful, t(0), XID);
        recv!(c, time 0, [Solicit]);
        let rt = c.poll_at().unwrap().millis();
        assert!((1001..=1100).contains(&rt), "first RT > IRT: {rt}");
        let mut low =
            dhcpv6::parse(&reply(MessageType::Advertise, XID, 1, Some("fd00::10"))).unwrap();
        low.options.preference = Some(10);
        let mut high =
            dhcpv6::parse(&reply(MessageType::Advertise, XID, 2, Some("fd00::20"))).unwrap();
        high.options.preference = Some(20);
        assert_eq!(send!(c, time 10, high.emit()), None);
        assert_eq!(send!(c, time 20, low.emit()), None);
        recv!(c, time rt - 1, []);
        let r = recv!(c, time rt, [Request]);
        assert_ne!(r.xid, XID, "a new exchange, a new transaction id");
        assert_eq!(r.options.server_id, Some(server(2)));
        assert_eq!(r.options.ia_na[0].addrs[0].addr, a("fd00::20"));
        assert_eq!(r.options.elapsed, Some(0));
        // the REPLY from the other server is not ours
        assert_eq!(
            send!(c, time rt + 5, reply(MessageType::Reply, r.xid, 1, Some("fd00::10"))),
            None
        );
        assert!(matches!(
            send!(c, time rt + 5, reply(MessageType::Reply, r.xid, 2, Some("fd00::20"))),
            Some(Event::Bound(_))
        ));
    }

    #[test]
    fn preference_255_goes_at_once() {
        let mut c = Client::new(MAC, Mode::Stateful, t(0), XID);
        recv!(c, time 0, [Solicit]);
        let mut adv =
            dhcpv6::parse(&reply(MessageType::Advertise, XID, 1, Some("fd00::10"))).unwrap();
        adv.options.preference = Some(255);
        assert_eq!(
            send!(c, time 3, adv.emit()),
            Some(Event::Advertised {
                address: a("fd00::10")
            })
        );
        recv!(c, time 3, [Request]);
    }

    #[test]
    fn solicit_retransmits_per_rfc_8415_section_15() {
        let mut c = Client::new(MAC, Mode::Stateful, t(0), XID);
        let mut at = 0;
        let mut prev = 0u64;
        for i in 0..14 {
            let s = recv!(c, time at, [Solicit]);
            assert_eq!(s.xid, XID, "same transaction while soliciting");
            assert_eq!(u64::from(s.options.elapsed.unwrap()), (at / 10).min(0xffff));
            let rt = c.poll_at().unwrap().millis() - at;
            if i == 0 {
                assert!((1001..=1100).contains(&rt), "{rt}");
            } else {
                // 2 RTprev ± 0.1 RTprev, capped at SOL_MAX_RT ± 10 %
                let lo = (prev * 19 / 10).min(3_240_000);
                let hi = (prev * 21 / 10).min(3_960_000);
                assert!((lo..=hi).contains(&rt), "RT {i}: {rt} after {prev}");
            }
            prev = rt;
            at += rt;
        }
        // an ADVERTISE after the first RT is taken at once
        assert!(matches!(
            send!(c, time at, reply(MessageType::Advertise, XID, 1, Some("fd00::10"))),
            Some(Event::Advertised { .. })
        ));
        // the REQUEST begins its own exchange
        let r = recv!(c, time at, [Request]);
        assert_eq!(r.options.elapsed, Some(0));
    }

    #[test]
    fn request_gives_up_after_mrc_and_solicits_again() {
        let mut c = Client::new(MAC, Mode::Stateful, t(0), XID);
        recv!(c, time 0, [Solicit]);
        let mut adv =
            dhcpv6::parse(&reply(MessageType::Advertise, XID, 1, Some("fd00::10"))).unwrap();
        adv.options.preference = Some(255);
        send!(c, time 1, adv.emit()).unwrap();
        let mut at = 1;
        let mut rts = vec![];
        for _ in 0..REQUEST.mrc {
            recv!(c, time at, [Request]);
            let next = c.poll_at().unwrap().millis();
            rts.push(next - at);
            at = next;
        }
        // RTs double up to REQ_MAX_RT = 30 s (± 10 %)
        assert!(rts.iter().all(|&rt| rt <= 33_000), "{rts:?}");
        assert!(rts[9] >= 27_000, "{rts:?}");
        let s = recv!(c, time at, [Solicit]);
        assert_eq!(s.options.elapsed, Some(0));
    }

    #[test]
    fn no_addrs_avail_starts_over() {
        let mut c = Client::new(MAC, Mode::Stateful, t(0), XID);
        recv!(c, time 0, [Solicit]);
        // an ADVERTISE with no address is ignored
        let mut none = dhcpv6::parse(&reply(MessageType::Advertise, XID, 1, None)).unwrap();
        none.options.status = Some(Status {
            code: status::NO_ADDRS_AVAIL,
            message: "no addresses".into(),
        });
        assert_eq!(send!(c, time 1, none.emit()), None);
        let rt = c.poll_at().unwrap().millis();
        let adv = reply(MessageType::Advertise, XID, 1, Some("fd00::10"));
        send!(c, time 2, adv);
        let r = recv!(c, time rt, [Request]);
        let mut refuse =
            dhcpv6::parse(&reply(MessageType::Reply, r.xid, 1, Some("fd00::10"))).unwrap();
        refuse.options.ia_na[0].addrs.clear();
        refuse.options.ia_na[0].status = Some(Status {
            code: 4,
            message: "not on link".into(),
        });
        assert_eq!(
            send!(c, time rt + 1, refuse.emit()),
            Some(Event::Refused { code: 4 })
        );
        let s = recv!(c, time rt + 1, [Solicit]);
        assert_ne!(s.xid, r.xid);
    }

    #[test]
    fn foreign_replies_are_ignored() {
        let mut c = Client::new(MAC, Mode::Stateful, t(0), XID);
        recv!(c, time 0, [Solicit]);
        let mut r = dhcpv6::parse(&reply(MessageType::Reply, XID, 1, Some("fd00::10"))).unwrap();
        r.options.rapid_commit = true;
        let good = r.clone();
        r.xid ^= 1;
        assert_eq!(send!(c, time 1, r.emit()), None);
        let mut other = good.clone();
        other.options.client_id = Some(dhcpv6::duid_ll(&[2; 6]));
        assert_eq!(send!(c, time 1, other.emit()), None);
        let mut anon = good.clone();
        anon.options.server_id = None;
        assert_eq!(send!(c, time 1, anon.emit()), None);
        let b = good.emit();
        // cut anywhere before the Rapid Commit option ends: not an answer
        for n in 0..b.len() {
            if dhcpv6::parse(&b[..n]).is_ok_and(|m| m.options.rapid_commit) {
                break;
            }
            assert_eq!(c.handle(t(1), &b[..n]), None);
        }
        assert!(send!(c, time 1, b).is_some());
    }

    #[test]
    fn stateless_information_request() {
        let mut c = Client::new(MAC, Mode::Stateless, t(0), XID);
        let m = recv!(c, time 0, [InformationRequest]);
        assert!(m.options.ia_na.is_empty());
        let rt = c.poll_at().unwrap().millis();
        assert!((900..=1100).contains(&rt), "{rt}");
        recv!(c, time rt, [InformationRequest]);
        let Some(Event::Bound(l)) = send!(c, time rt + 3, reply(MessageType::Reply, XID, 1, None))
        else {
            panic!("no reply")
        };
        assert_eq!((l.address, l.dns), (None, vec![a("fd00::2")]));
        assert_eq!(c.release(t(9)), None, "nothing to release");
        assert_eq!(c.poll_at(), None);
    }

    #[test]
    fn release_is_retransmitted_until_answered() {
        let mut c = Client::new(MAC, Mode::Stateful, t(0), XID);
        recv!(c, time 0, [Solicit]);
        let mut r = dhcpv6::parse(&reply(MessageType::Reply, XID, 1, Some("fd00::10"))).unwrap();
        r.options.rapid_commit = true;
        send!(c, time 1, r.emit()).unwrap();
        let rel = dhcpv6::parse(&c.release(t(100)).unwrap()).unwrap();
        assert_eq!(rel.kind, MessageType::Release);
        assert_eq!(rel.options.ia_na[0].addrs[0].addr, a("fd00::10"));
        assert_eq!(rel.options.server_id, Some(server(1)));
        let mut at = c.poll_at().unwrap().millis();
        for _ in 1..RELEASE.mrc {
            recv!(c, time at, [Release]);
            at = c.poll_at().unwrap().millis();
        }
        // REL_MAX_RC reached: done without an answer
        recv!(c, time at, []);
        assert_eq!(c.poll_at(), None);

        let mut c = Client::new(MAC, Mode::Stateful, t(0), XID);
        recv!(c, time 0, [Solicit]);
        send!(c, time 1, r.emit()).unwrap();
        let rel = dhcpv6::parse(&c.release(t(100)).unwrap()).unwrap();
        assert_eq!(
            send!(c, time 101, reply(MessageType::Reply, rel.xid, 1, None)),
            Some(Event::Released)
        );
        assert_eq!(c.poll_at(), None);
    }

    /// Bytes from annotated hex lines: everything after `#` is a comment.
    fn hex(annotated: &str) -> Vec<u8> {
        annotated
            .lines()
            .flat_map(|l| l.split('#').next().unwrap().split_whitespace())
            .map(|tok| u8::from_str_radix(tok, 16).unwrap())
            .collect()
    }

    const CLIENT_ID: &str = "00 01 00 0a  00 03 00 01 52 54 00 12 34 56  # client id: DUID-LL, MAC";

    /// Golden messages written out from RFC 8415 sections 8 and 21,
    /// independent of the encoder.
    #[test]
    fn golden_solicit_and_information_request() {
        let want = hex(&format!(
            "01 12 34 56                 # SOLICIT, xid
             {CLIENT_ID}
             00 03 00 0c  00 12 34 56 00 00 00 00 00 00 00 00   # IA_NA: IAID, T1 0, T2 0
             00 08 00 02  00 00          # elapsed time 0
             00 06 00 06  00 17 00 18 00 52   # ORO: DNS, domain list, SOL_MAX_RT
             00 0e 00 00                 # rapid commit"
        ));
        let mut c = Client::new(MAC, Mode::Stateful, t(0), 0xff12_3456);
        assert_eq!(c.poll(t(0)).unwrap(), want);

        let want = hex(&format!(
            "0b 12 34 56                 # INFORMATION-REQUEST, xid
             {CLIENT_ID}
             00 08 00 02  00 00          # elapsed time 0
             00 06 00 08  00 17 00 18 00 20 00 53   # ORO: DNS, domains, refresh, INF_MAX_RT"
        ));
        let mut c = Client::new(MAC, Mode::Stateless, t(0), XID);
        assert_eq!(c.poll(t(0)).unwrap(), want);
        // the retransmission carries the elapsed time
        let at = c.poll_at().unwrap().millis();
        let again = c.poll(t(at)).unwrap();
        assert_eq!(&again[22..24], &((at / 10) as u16).to_be_bytes());
    }

    #[test]
    fn golden_request_and_release() {
        let mut c = Client::new(MAC, Mode::Stateful, t(0), XID);
        c.poll(t(0)).unwrap();
        let mut adv =
            dhcpv6::parse(&reply(MessageType::Advertise, XID, 1, Some("fd00::10"))).unwrap();
        adv.options.preference = Some(255);
        c.handle(t(5), &adv.emit()).unwrap();
        let req = c.poll(t(5)).unwrap();
        let xid = &req[1..4];
        let want = hex(&format!(
            "03 {:02x} {:02x} {:02x}     # REQUEST, a fresh xid
             {CLIENT_ID}
             00 02 00 0a  00 03 00 01 02 00 00 00 00 01   # server id from the ADVERTISE
             00 03 00 28  00 12 34 56 00 00 00 00 00 00 00 00   # IA_NA, 12 + 28
             00 05 00 18  fd 00 00 00 00 00 00 00 00 00 00 00 00 00 00 10   # IAADDR fd00::10
                          00 00 00 00 00 00 00 00   # lifetimes 0 (no hint)
             00 08 00 02  00 00          # elapsed time 0
             00 06 00 06  00 17 00 18 00 52   # ORO",
            xid[0], xid[1], xid[2]
        ));
        assert_eq!(req, want);
        let reply = reply(
            MessageType::Reply,
            u32::from_be_bytes([0, xid[0], xid[1], xid[2]]),
            1,
            Some("fd00::10"),
        );
        assert!(matches!(c.handle(t(6), &reply), Some(Event::Bound(_))));
        let rel = c.release(t(6)).unwrap();
        let xid = &rel[1..4];
        let want = hex(&format!(
            "08 {:02x} {:02x} {:02x}     # RELEASE, a fresh xid
             {CLIENT_ID}
             00 02 00 0a  00 03 00 01 02 00 00 00 00 01   # server id
             00 03 00 28  00 12 34 56 00 00 00 00 00 00 00 00   # IA_NA
             00 05 00 18  fd 00 00 00 00 00 00 00 00 00 00 00 00 00 00 10
                          00 00 00 00 00 00 00 00
             00 08 00 02  00 00          # elapsed time 0",
            xid[0], xid[1], xid[2]
        ));
        assert_eq!(rel, want);
    }
}

/// Answers captured from real dnsmasq and Kea (tests/fixtures/dhcpv6/README.md).
#[cfg(test)]
mod captures {
    use super::*;

    const MAC: Mac = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];

    fn t(ms: u64) -> Instant {
        Instant::from_millis(ms)
    }
    macro_rules! table {
        ($($server:literal / $name:literal),*) => {
            fn fixture(server: &str, name: &str) -> Vec<u8> {
                match (server, name) {
                    $(($server, $name) => include_bytes!(concat!(
                        "../tests/fixtures/dhcpv6/", $server, "/", $name, ".bin"
                    )).to_vec(),)*
                    _ => unreachable!("no fixture {server}/{name}"),
                }
            }
        };
    }
    table!(
        "dnsmasq" / "advertise",
        "dnsmasq" / "reply",
        "dnsmasq" / "release-reply",
        "dnsmasq" / "rapid-reply",
        "dnsmasq" / "info-reply",
        "kea" / "advertise",
        "kea" / "reply",
        "kea" / "release-reply",
        "kea" / "rapid-reply",
        "kea" / "info-reply"
    );
    /// The capture client's transaction ids were fixed; ours are random
    /// after the first, so the id is patched in.
    fn with_xid(mut b: Vec<u8>, xid: u32) -> Vec<u8> {
        b[1..4].copy_from_slice(&xid.to_be_bytes()[1..]);
        b
    }

    fn stateful(server: &str, want: &str, lifetimes: (u32, u32)) {
        let mut c = Client::new(MAC, Mode::Stateful, t(0), 0x12_3456);
        c.poll(t(0)).unwrap();
        let adv = fixture(server, "advertise");
        // no preference option: wait for the end of the first RT
        assert_eq!(c.handle(t(2), &adv), None);
        let rt = c.poll_at().unwrap();
        let req = dhcpv6::parse(&c.poll(rt).unwrap()).unwrap();
        assert_eq!(req.kind, MessageType::Request);
        assert_eq!(
            req.options.server_id,
            dhcpv6::parse(&adv).unwrap().options.server_id
        );
        let want: Ipv6Addr = want.parse().unwrap();
        assert_eq!(req.options.ia_na[0].addrs[0].addr, want);
        let Some(Event::Bound(l)) = c.handle(rt, &with_xid(fixture(server, "reply"), req.xid))
        else {
            panic!("{server}: not bound")
        };
        let a = l.address.clone().unwrap();
        assert_eq!(
            (a.addr, a.preferred_s, a.valid_s),
            (want, lifetimes.0, lifetimes.1)
        );
        assert_eq!(l.dns, vec!["fd00::1".parse::<Ipv6Addr>().unwrap()]);
        assert_eq!(l.domains, vec!["example.test", "test"]);
        let rel = dhcpv6::parse(&c.release(t(5000)).unwrap()).unwrap();
        assert_eq!(
            c.handle(
                t(5001),
                &with_xid(fixture(server, "release-reply"), rel.xid)
            ),
            Some(Event::Released)
        );
    }

    #[test]
    fn dnsmasq_stateful() {
        stateful("dnsmasq", "fd00::190", (3600, 3600));
    }

    #[test]
    fn kea_stateful() {
        stateful("kea", "fd00::1000", (3000, 4000));
    }

    #[test]
    fn rapid_commit_and_stateless() {
        for (server, addr) in [("dnsmasq", "fd00::190"), ("kea", "fd00::1001")] {
            let mut c = Client::new(MAC, Mode::Stateful, t(0), 0x22_2222);
            c.poll(t(0)).unwrap();
            let Some(Event::Bound(l)) = c.handle(t(3), &fixture(server, "rapid-reply")) else {
                panic!("{server}: rapid commit not taken")
            };
            assert_eq!(l.address.unwrap().addr, addr.parse::<Ipv6Addr>().unwrap());

            let mut c = Client::new(MAC, Mode::Stateless, t(0), 0x33_3333);
            c.poll(t(0)).unwrap();
            let Some(Event::Bound(l)) = c.handle(t(3), &fixture(server, "info-reply")) else {
                panic!("{server}: no information reply")
            };
            assert_eq!((l.address, l.domains.len()), (None, 2));
            assert_eq!(l.dns, vec!["fd00::1".parse::<Ipv6Addr>().unwrap()]);
        }
    }

    #[test]
    fn every_capture_round_trips_and_survives_cuts() {
        for server in ["dnsmasq", "kea"] {
            for name in [
                "advertise",
                "reply",
                "rapid-reply",
                "info-reply",
                "release-reply",
            ] {
                let b = fixture(server, name);
                let m = dhcpv6::parse(&b).unwrap();
                assert_eq!(dhcpv6::parse(&m.emit()).unwrap(), m, "{server}/{name}");
                for n in 0..b.len() {
                    let _ = dhcpv6::parse(&b[..n]);
                }
            }
        }
    }
}
