//! Pure time arithmetic: instants are milliseconds on a monotonic clock that
//! the shell reads (`sys::now`). Nothing here reads a clock, so the DHCP client,
//! retry loops and deadlines are testable with made-up times.

use core::time::Duration;

/// Milliseconds since an arbitrary monotonic origin (CLOCK_MONOTONIC in the shell).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Instant(u64);

impl Instant {
    pub const ZERO: Instant = Instant(0);

    pub const fn from_millis(ms: u64) -> Self {
        Instant(ms)
    }
    pub const fn millis(self) -> u64 {
        self.0
    }
    #[allow(clippy::should_implement_trait)]
    pub fn add(self, d: Duration) -> Self {
        Instant(
            self.0
                .saturating_add(d.as_millis().min(u64::MAX as u128) as u64),
        )
    }
    /// Time from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: Instant) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

/// A point in time after which work must stop.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Deadline {
    at: Instant,
}

impl Deadline {
    pub fn at(at: Instant) -> Self {
        Deadline { at }
    }
    pub fn after(now: Instant, d: Duration) -> Self {
        Deadline { at: now.add(d) }
    }
    pub fn instant(self) -> Instant {
        self.at
    }
    /// Time left at `now`; zero once passed.
    pub fn remaining(self, now: Instant) -> Duration {
        self.at.since(now)
    }
    pub fn expired(self, now: Instant) -> bool {
        now >= self.at
    }
    /// The earlier of this deadline and `now + d`: a per-step bound that never
    /// outlives the overall one.
    pub fn min_after(self, now: Instant, d: Duration) -> Deadline {
        Deadline {
            at: self.at.min(now.add(d)),
        }
    }
}

/// Exponential backoff with jitter: `base * 2^attempt`, capped, then a random
/// part of up to a quarter added or removed (`jitter` is any random u32).
/// Attempt 0 is the first retry.
pub fn backoff(attempt: u32, base: Duration, cap: Duration, jitter: u32) -> Duration {
    let base_ms = base.as_millis().min(u64::MAX as u128) as u64;
    let cap_ms = cap.as_millis().min(u64::MAX as u128) as u64;
    let exp = base_ms.saturating_mul(1u64 << attempt.min(32)).min(cap_ms);
    let quarter = exp / 4;
    if quarter == 0 {
        return Duration::from_millis(exp);
    }
    // jitter in [-quarter, +quarter]
    let span = quarter * 2 + 1;
    let offset = (jitter as u64) % span;
    Duration::from_millis((exp - quarter + offset).min(cap_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_remaining_saturates() {
        let d = Deadline::after(Instant::from_millis(100), Duration::from_millis(50));
        assert_eq!(
            d.remaining(Instant::from_millis(120)),
            Duration::from_millis(30)
        );
        assert_eq!(d.remaining(Instant::from_millis(500)), Duration::ZERO);
        assert!(d.expired(Instant::from_millis(150)));
        assert!(!d.expired(Instant::from_millis(149)));
    }

    #[test]
    fn min_after_never_extends() {
        let d = Deadline::at(Instant::from_millis(1000));
        let now = Instant::from_millis(900);
        assert_eq!(
            d.min_after(now, Duration::from_secs(5)).instant(),
            Instant::from_millis(1000)
        );
        assert_eq!(
            d.min_after(now, Duration::from_millis(10)).instant(),
            Instant::from_millis(910)
        );
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let b = |a, j| backoff(a, Duration::from_secs(1), Duration::from_secs(64), j);
        // jitter = quarter => exactly the nominal value
        assert_eq!(b(0, 250), Duration::from_millis(1000));
        assert_eq!(b(1, 500), Duration::from_millis(2000));
        assert_eq!(b(10, 16000), Duration::from_secs(64));
        for j in [0, 1, 77, u32::MAX] {
            let v = b(3, j).as_millis();
            assert!((6000..=10000).contains(&v), "{v}");
            assert!(b(40, j) <= Duration::from_secs(64));
        }
    }
}
