//! The heap: the C library's malloc (musl's, in the static binary), as the
//! binary's `#[global_allocator]` (src/main.rs). Alignments above what
//! malloc guarantees go through posix_memalign, as std's `System` does.

use core::alloc::{GlobalAlloc, Layout};
use core::ffi::{c_int, c_void};
use core::ptr;

// The C library, which std would otherwise link: static (musl's libc.a,
// self-contained in the target) when the target links statically.
#[cfg_attr(
    target_feature = "crt-static",
    link(name = "c", kind = "static", modifiers = "-bundle")
)]
#[cfg_attr(not(target_feature = "crt-static"), link(name = "c"))]
extern "C" {
    fn malloc(size: usize) -> *mut c_void;
    fn calloc(n: usize, size: usize) -> *mut c_void;
    fn realloc(p: *mut c_void, size: usize) -> *mut c_void;
    fn free(p: *mut c_void);
    fn posix_memalign(out: *mut *mut c_void, align: usize, size: usize) -> c_int;
}

/// What malloc's results are aligned to on x86_64 and aarch64 (musl, glibc).
const MIN_ALIGN: usize = 16;

/// `#[global_allocator] static A: Malloc = Malloc;`
pub struct Malloc;

fn plain(layout: &Layout, size: usize) -> bool {
    layout.align() <= MIN_ALIGN && layout.align() <= size
}

unsafe fn aligned(layout: Layout) -> *mut u8 {
    let mut out: *mut c_void = ptr::null_mut();
    let align = layout.align().max(core::mem::size_of::<usize>());
    // SAFETY: `align` is a power of two (a Layout's) and a multiple of
    // sizeof(void *), as posix_memalign requires.
    if unsafe { posix_memalign(&mut out, align, layout.size()) } != 0 {
        return ptr::null_mut();
    }
    out.cast()
}

// SAFETY: malloc/calloc/realloc/free are the C library's thread-safe heap;
// every block comes back aligned as the layout asks (MIN_ALIGN for malloc,
// or posix_memalign) and is released with free.
unsafe impl GlobalAlloc for Malloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if plain(&layout, layout.size()) {
            // SAFETY: a size of 0 never reaches a GlobalAlloc.
            unsafe { malloc(layout.size()).cast() }
        } else {
            // SAFETY: see `aligned`.
            unsafe { aligned(layout) }
        }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if plain(&layout, layout.size()) {
            // SAFETY: as `alloc`; calloc zeroes.
            unsafe { calloc(layout.size(), 1).cast() }
        } else {
            // SAFETY: see `aligned`; the block is zeroed before use.
            let p = unsafe { aligned(layout) };
            if !p.is_null() {
                // SAFETY: `p` holds `layout.size()` writable bytes.
                unsafe { ptr::write_bytes(p, 0, layout.size()) };
            }
            p
        }
    }
    unsafe fn dealloc(&self, p: *mut u8, _: Layout) {
        // SAFETY: `p` came from malloc, calloc, realloc or posix_memalign.
        unsafe { free(p.cast()) }
    }
    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if plain(&layout, new_size) {
            // SAFETY: `p` is a live block of ours; realloc keeps MIN_ALIGN.
            unsafe { realloc(p.cast(), new_size).cast() }
        } else {
            // SAFETY: the new layout is valid (GlobalAlloc's contract); the
            // old block holds `layout.size()` bytes and is freed after the copy.
            unsafe {
                let new = Layout::from_size_align_unchecked(new_size, layout.align());
                let q = aligned(new);
                if !q.is_null() {
                    ptr::copy_nonoverlapping(p, q, layout.size().min(new_size));
                    free(p.cast());
                }
                q
            }
        }
    }
}
