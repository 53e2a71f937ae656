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
//! (2 MiB purge granularity) took the worker from ~70 MB to ~190 MB resident while streaming a
//! 1M-row transaction. [`tune`] turns both off: ~100 MB, the same CPU.

/// The process allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_arena_eager_commit` in mimalloc 3's `mi_option_e`.
const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
/// `mi_option_allow_thp` in mimalloc 3's `mi_option_e`.
const ALLOW_THP: libmimalloc_sys::mi_option_t = 43;

/// Commits arenas on demand and uses no transparent huge pages. Call first thing in `main`:
/// memory reserved later follows it.
pub fn tune() {
    for option in [ARENA_EAGER_COMMIT, ALLOW_THP] {
        // SAFETY: `mi_option_set` stores an integer option; mimalloc allows setting options
        // at any time and reads them atomically.
        #[allow(unsafe_code)]
        unsafe {
            libmimalloc_sys::mi_option_set(option, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    /// The indexes are mimalloc 3's: the options read back as set, and their neighbours keep
    /// their documented defaults (a shifted enum would show there).
    #[test]
    fn tune_turns_off_eager_arenas_and_huge_pages() {
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
        assert_eq!(get(super::ALLOW_THP), 1, "default: allowed");
        assert_eq!(get(20), 32, "max_warnings (=32) sits between them");
        super::tune();
        assert_eq!(get(super::ARENA_EAGER_COMMIT), 0);
        assert_eq!(get(super::ALLOW_THP), 0);
    }
}
