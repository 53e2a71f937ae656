//! The worker's allocator: mimalloc (version 3, the crate's default), process-wide for every
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
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
