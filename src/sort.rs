//! One small in-place sort for the whole binary. core's `sort_unstable`
//! (pattern-defeating quicksort with its small-sort networks and a heapsort
//! fallback) costs 1.5–3 KiB of code per element type and comparator, about
//! 14 KiB for cloudseed's seven sorts; this heapsort is a few hundred bytes
//! each. O(n log n) in every case (FAT cluster chains reach 32,768 entries),
//! no allocation, unstable: callers that care about ties break them in `cmp`.

use core::cmp::Ordering;

/// Sorts `v` in place by `cmp` (heapsort).
pub fn sort_by<T, F: FnMut(&T, &T) -> Ordering>(v: &mut [T], mut cmp: F) {
    let n = v.len();
    for start in (0..n / 2).rev() {
        sift_down(v, start, n, &mut cmp);
    }
    for end in (1..n).rev() {
        v.swap(0, end);
        sift_down(v, 0, end, &mut cmp);
    }
}

/// Sorts `v` in place by `Ord`.
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

/// Moves `v[root]` down the max-heap `v[..end]` to its place.
fn sift_down<T, F: FnMut(&T, &T) -> Ordering>(
    v: &mut [T],
    mut root: usize,
    end: usize,
    cmp: &mut F,
) {
    loop {
        let mut child = 2 * root + 1;
        if child >= end {
            return;
        }
        if child + 1 < end && cmp(&v[child], &v[child + 1]) == Ordering::Less {
            child += 1;
        }
        if cmp(&v[root], &v[child]) != Ordering::Less {
            return;
        }
        v.swap(root, child);
        root = child;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    #[test]
    fn sorts_like_core_on_many_shapes() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for len in (0..40).chain([255, 256, 1000, 4097]) {
            for modulo in [2u64, 7, 1 << 20] {
                let mut v: Vec<u64> = (0..len)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        x % modulo
                    })
                    .collect();
                let mut want = v.clone();
                want.sort_unstable();
                sort(&mut v);
                assert_eq!(v, want, "len {len} modulo {modulo}");
            }
        }
        let mut asc: Vec<u32> = (0..500).collect();
        sort_by(&mut asc, |a, b| b.cmp(a));
        assert!(asc.windows(2).all(|w| w[0] > w[1]));
    }
}
