//! The thin OS layer: the only place with `unsafe`, and the only reader of the
//! clock and the entropy pool.

use crate::time::Instant;

/// clock_gettime(CLOCK_MONOTONIC), in milliseconds: immune to wall-clock jumps.
pub fn now() -> Instant {
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    Instant::from_millis(ts.tv_sec as u64 * 1000 + ts.tv_nsec as u64 / 1_000_000)
}

/// getrandom(GRND_NONBLOCK): early boot may not have entropy yet and we must
/// never block on it, so fall back to mixing the clock and pid.
pub fn random_u32() -> u32 {
    let mut buf = [0u8; 4];
    match rustix::rand::getrandom(&mut buf, rustix::rand::GetRandomFlags::NONBLOCK) {
        Ok(4) => u32::from_ne_bytes(buf),
        _ => {
            let ts = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
            let pid = rustix::process::getpid().as_raw_nonzero().get() as u32;
            (ts.tv_nsec as u32).rotate_left(13) ^ (ts.tv_sec as u32).wrapping_mul(0x9e37_79b9) ^ pid
        }
    }
}
