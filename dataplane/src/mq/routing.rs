//! Which queue a keyed message goes to: RocketMQ's `SelectMessageQueueByHash`, shared by the
//! RocketMQ producer and the in-memory queue so both keep per-key order the same way.

/// Java's `String.hashCode`, as RocketMQ's `SelectMessageQueueByHash` uses it.
pub fn java_hash(key: &str) -> i32 {
    key.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// The queue a key is sent to among `queues`.
pub fn queue_for_key(key: &str, queues: i32) -> i32 {
    queue_for_hash(java_hash(key), queues)
}

/// The queue of a key whose [`java_hash`] is `hash` (`SelectMessageQueueByHash`).
pub fn queue_for_hash(hash: i32, queues: i32) -> i32 {
    (hash % queues).abs()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_string_hash_matches() {
        // "hello".hashCode() == 99162322 in Java.
        assert_eq!(java_hash("hello"), 99_162_322);
        assert_eq!(java_hash(""), 0);
        assert!((0..4).contains(&queue_for_key("a-very-long-key-that-overflows", 4)));
    }
}
