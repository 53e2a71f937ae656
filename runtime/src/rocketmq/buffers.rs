//! Batch buffers kept for reuse.
//!
//! A batch of large messages is up to a megabyte, written once and dropped after the send.
//! Freed, that memory goes back to the OS (the allocator purges it within 100 ms, which
//! keeps the worker's footprint small) and the next batch faults every page in again:
//! streaming CDC (2.9 KB messages), page faults under the batch copy were 12% of the
//! RocketMQ client thread (perf). A sent batch's buffer therefore comes back here, and the
//! next batch is written into it. What is kept is bounded: a few buffers, none oversized, for
//! the whole process however many tasks it runs.

use bytes::Bytes;
use parking_lot::Mutex;

/// Buffers kept at most: enough for every queue of a topic to have a batch in flight.
const KEPT_BUFFERS: usize = 8;
/// The largest buffer kept (a batch is at most 1 MiB unless it is one larger message).
const LARGEST_KEPT: usize = 2 << 20;

/// A bounded set of empty buffers.
#[derive(Debug)]
pub(super) struct BufferPool {
    free: Mutex<Vec<Vec<u8>>>,
}

/// The process's pool for batch buffers.
pub(super) static BATCH_BUFFERS: BufferPool = BufferPool::new();

impl BufferPool {
    pub(super) const fn new() -> Self {
        Self {
            free: parking_lot::const_mutex(Vec::new()),
        }
    }

    /// An empty buffer with room for `capacity` bytes: a kept one when there is one.
    pub(super) fn take(&self, capacity: usize) -> Vec<u8> {
        if capacity > LARGEST_KEPT {
            return Vec::with_capacity(capacity);
        }
        // Popped first: growing a kept buffer must not hold the process-wide lock.
        let kept = self.free.lock().pop();
        match kept {
            Some(mut buffer) => {
                buffer.reserve_exact(capacity);
                buffer
            }
            None => Vec::with_capacity(capacity),
        }
    }

    /// The buffer as bytes that return it to this pool when the last of them is dropped.
    pub(super) fn lend(&'static self, buffer: Vec<u8>) -> Bytes {
        Bytes::from_owner(Returning { pool: self, buffer })
    }

    fn give_back(&self, mut buffer: Vec<u8>) {
        if buffer.capacity() > LARGEST_KEPT {
            return;
        }
        buffer.clear();
        let mut free = self.free.lock();
        if free.len() < KEPT_BUFFERS {
            free.push(buffer);
        }
    }

    #[cfg(test)]
    fn kept(&self) -> usize {
        self.free.lock().len()
    }
}

/// The owner behind a batch's bytes.
struct Returning {
    pool: &'static BufferPool,
    buffer: Vec<u8>,
}

impl AsRef<[u8]> for Returning {
    fn as_ref(&self) -> &[u8] {
        &self.buffer
    }
}

impl Drop for Returning {
    fn drop(&mut self) {
        self.pool.give_back(std::mem::take(&mut self.buffer));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool() -> &'static BufferPool {
        Box::leak(Box::new(BufferPool::new()))
    }

    /// A sent batch's buffer is the next batch's, once every clone of its bytes is gone.
    #[test]
    fn a_dropped_batch_buffer_is_reused() {
        let pool = pool();
        let mut buffer = pool.take(1000);
        buffer.extend_from_slice(b"first batch");
        let address = buffer.as_ptr();
        let bytes = pool.lend(buffer);
        let clone = bytes.slice(0..5);
        drop(bytes);
        assert_eq!(pool.kept(), 0, "a clone still reads the buffer");
        assert_eq!(&clone[..], b"first");
        drop(clone);
        assert_eq!(pool.kept(), 1);
        let again = pool.take(500);
        assert_eq!(again.as_ptr(), address);
        assert!(again.is_empty() && again.capacity() >= 1000);
    }

    /// The pool keeps a few buffers and none oversized; a small kept buffer grows on demand.
    #[test]
    fn what_is_kept_is_bounded() {
        let pool = pool();
        let all: Vec<Bytes> = (0..KEPT_BUFFERS + 3)
            .map(|_| pool.lend(pool.take(64)))
            .collect();
        drop(all);
        assert_eq!(pool.kept(), KEPT_BUFFERS);
        let grown = pool.take(LARGEST_KEPT);
        assert!(grown.capacity() >= LARGEST_KEPT);
        assert_eq!(pool.kept(), KEPT_BUFFERS - 1);
        drop(pool.lend(Vec::with_capacity(LARGEST_KEPT + 1)));
        assert_eq!(
            pool.kept(),
            KEPT_BUFFERS - 1,
            "an oversized buffer is freed"
        );
        let huge = pool.take(LARGEST_KEPT + 1);
        assert_eq!(
            pool.kept(),
            KEPT_BUFFERS - 1,
            "a huge batch does not take a kept one"
        );
        drop(huge);
    }
}
