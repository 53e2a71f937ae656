//! The worker's allocator: mimalloc (version 3, `libmimalloc-sys`'s default), process-wide for every
//! binary that links this crate.
//!
//! Why: the data plane allocates per record (values, envelopes, JSON, client messages) on the
//! task thread and frees much of it on the RocketMQ client's threads. With glibc malloc about a
//! third of a CDC task thread's CPU went to its free lists (`_int_free`, `malloc_consolidate`,
//! `unlink_chunk`; perf, PostgreSQL streaming). With mimalloc the worker's CPU per row is about
//! a quarter lower (A/B in one session, README benchmarks).
//!
//! Its defaults trade memory for speed: arenas committed eagerly and transparent huge pages
//! (2 MiB pages behind its arenas) took the worker from ~70 MB to ~190 MB resident while
//! streaming a 1M-row transaction. Huge pages are compiled out (`no_thp`: no `MADV_HUGEPAGE`)
//! and, for hosts whose THP mode is `always`, [`tune`] disables them for the process; it also
//! commits arenas on demand. The options must be set this way, not through mimalloc's own
//! `allow_thp` option: that one is read once, before `main`. Freed memory is returned after
//! 100 ms rather than 1 s.

/// The process allocator.
#[global_allocator]
static ALLOCATOR: Allocator = Allocator;

/// Every block mimalloc hands out is aligned to a pointer's size: its size classes are whole
/// words and its pages start aligned (not so in debug builds with guarded allocation, which
/// this build does not enable).
const NATURAL_ALIGN: usize = std::mem::size_of::<usize>();

/// mimalloc, through its plain entry points where they give the alignment asked for. The
/// `mimalloc` crate's allocator calls the aligned ones for every allocation: 54 instructions
/// per `malloc` against 34 (callgrind, the CDC bench: 33 allocations per streamed row,
/// nearly all 8-aligned, across the worker's threads).
struct Allocator;

// SAFETY: each function forwards to the mimalloc call that meets the layout's alignment (the
// plain ones for alignments mimalloc always gives, the aligned ones otherwise); every block,
// however it was allocated, is freed and resized by mimalloc, which tells its blocks apart.
#[allow(unsafe_code)]
unsafe impl std::alloc::GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        // SAFETY: plain C calls taking sizes; the layout's size is not zero (GlobalAlloc).
        unsafe {
            if layout.align() <= NATURAL_ALIGN {
                libmimalloc_sys::mi_malloc(layout.size()).cast()
            } else {
                libmimalloc_sys::mi_malloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        unsafe {
            if layout.align() <= NATURAL_ALIGN {
                libmimalloc_sys::mi_zalloc(layout.size()).cast()
            } else {
                libmimalloc_sys::mi_zalloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: std::alloc::Layout) {
        // SAFETY: `ptr` came from this allocator, so from mimalloc.
        unsafe { libmimalloc_sys::mi_free(ptr.cast()) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from this allocator with `layout`; the new block keeps its
        // alignment as `alloc` does.
        unsafe {
            if layout.align() <= NATURAL_ALIGN {
                libmimalloc_sys::mi_realloc(ptr.cast(), new_size).cast()
            } else {
                libmimalloc_sys::mi_realloc_aligned(ptr.cast(), new_size, layout.align()).cast()
            }
        }
    }
}

/// `mi_option_arena_eager_commit` in mimalloc 3's `mi_option_e`.
const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
/// `mi_option_purge_delay` (ms) in mimalloc 3's `mi_option_e`.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
/// Freed memory goes back to the OS after 100 ms instead of 1 s: the MySQL 1M-row benchmark
/// peaked at 114 MB with 1 s and 87 MB with 100 ms, at the same CPU per row (1 ms cost a
/// third more CPU).
const PURGE_DELAY_MS: std::ffi::c_long = 100;

/// Commits arenas on demand and keeps the process off transparent huge pages. Call first
/// thing in `main`: memory reserved later follows it.
pub fn tune() {
    // SAFETY: `mi_option_set` stores an integer option; called before other threads start.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_option_set(ARENA_EAGER_COMMIT, 0);
        libmimalloc_sys::mi_option_set(PURGE_DELAY, PURGE_DELAY_MS);
    }
    // SAFETY: prctl(PR_SET_THP_DISABLE) takes integer arguments and only sets a flag of this
    // process; a kernel without it returns an error, which changes nothing.
    #[allow(unsafe_code)]
    let _ = unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
}

#[cfg(test)]
mod tests {
    use std::alloc::{GlobalAlloc, Layout};

    /// Every alignment is met, by the plain and the aligned paths alike, through allocation,
    /// zeroed allocation and growth and shrinking (contents kept).
    #[test]
    #[allow(unsafe_code)]
    fn every_layout_gets_its_alignment_and_keeps_its_bytes() {
        let allocator = super::Allocator;
        for align in [1, 2, 4, 8, 16, 32, 64, 4096] {
            for size in [1, 3, 8, 12, 24, 40, 100, 1000, 70_000, 1 << 20] {
                let layout = Layout::from_size_align(size, align).unwrap();
                // SAFETY: non-zero sizes; every block is freed with its layout.
                unsafe {
                    let zeroed = allocator.alloc_zeroed(layout);
                    assert!(!zeroed.is_null());
                    assert_eq!(zeroed.addr() % align, 0, "zeroed {size}/{align}");
                    assert!(
                        std::slice::from_raw_parts(zeroed, size)
                            .iter()
                            .all(|&b| b == 0)
                    );
                    allocator.dealloc(zeroed, layout);
                    let block = allocator.alloc(layout);
                    assert!(!block.is_null());
                    assert_eq!(block.addr() % align, 0, "{size}/{align}");
                    for i in 0..size {
                        block.add(i).write((i % 251) as u8);
                    }
                    let grown_layout = Layout::from_size_align(size * 3, align).unwrap();
                    let grown = allocator.realloc(block, layout, grown_layout.size());
                    assert_eq!(grown.addr() % align, 0, "grown {size}/{align}");
                    for i in 0..size {
                        assert_eq!(grown.add(i).read(), (i % 251) as u8);
                    }
                    let shrunk_layout = Layout::from_size_align(size.div_ceil(2), align).unwrap();
                    let shrunk = allocator.realloc(grown, grown_layout, shrunk_layout.size());
                    assert_eq!(shrunk.addr() % align, 0, "shrunk {size}/{align}");
                    for i in 0..shrunk_layout.size() {
                        assert_eq!(shrunk.add(i).read(), (i % 251) as u8);
                    }
                    allocator.dealloc(shrunk, shrunk_layout);
                }
            }
        }
    }

    /// The index is mimalloc 3's: the option reads back as set, and its neighbours keep their
    /// documented defaults (a shifted enum would show there); THP is off for the process.
    #[test]
    fn tune_commits_arenas_on_demand_without_huge_pages() {
        let get = |option| {
            #[allow(unsafe_code)]
            // SAFETY: reading an integer option.
            unsafe {
                libmimalloc_sys::mi_option_get(option)
            }
        };
        assert_eq!(
            get(super::ARENA_EAGER_COMMIT),
            2,
            "default: on overcommit systems"
        );
        assert_eq!(get(20), 32, "max_warnings (=32)");
        assert_eq!(get(super::PURGE_DELAY), 1000, "default purge delay");
        super::tune();
        assert_eq!(get(super::ARENA_EAGER_COMMIT), 0);
        assert_eq!(get(super::PURGE_DELAY), super::PURGE_DELAY_MS);
        #[allow(unsafe_code)]
        // SAFETY: reads a flag of this process.
        let thp_disabled = unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) };
        assert_eq!(thp_disabled, 1);
    }
}
