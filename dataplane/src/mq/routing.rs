//! Which queue a keyed message goes to: RocketMQ's `SelectMessageQueueByHash`, shared by the
//! RocketMQ producer and the in-memory queue so both keep per-key order the same way.

/// Java's `String.hashCode`, as RocketMQ's `SelectMessageQueueByHash` uses it: the sum of
/// each UTF-16 unit times 31 to the power of the units after it, modulo 2^32.
pub fn java_hash(key: &str) -> i32 {
    if !key.is_ascii() {
        return key
            .encode_utf16()
            .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)));
    }
    // An ASCII byte is its UTF-16 unit. Four at a time (h·31⁴ + a·31³ + b·31² + c·31 + d,
    // the same sum): a key with its JSON schema runs to hundreds of bytes, and one unit at
    // a time each step waits on the previous multiplication.
    let mut chunks = key.as_bytes().chunks_exact(4);
    let mut h = 0i32;
    for c in &mut chunks {
        h = h
            .wrapping_mul(923_521)
            .wrapping_add(i32::from(c[0]) * 29_791)
            .wrapping_add(i32::from(c[1]) * 961)
            .wrapping_add(i32::from(c[2]) * 31)
            .wrapping_add(i32::from(c[3]));
    }
    chunks
        .remainder()
        .iter()
        .fold(h, |h, &b| h.wrapping_mul(31).wrapping_add(i32::from(b)))
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
        // By the definition (s[0]·31^(n-1) + … + s[n-1], UTF-16 units), worked out apart.
        assert_eq!(java_hash("{\"id\":42}"), 1_742_110_021);
        assert_eq!(java_hash("ü-key"), 234_173_966);
    }

    proptest::proptest! {
        /// The four-at-a-time sum is Java's one-at-a-time sum, for every length and text.
        #[test]
        fn the_ascii_path_is_the_definition(key in "[ -~]{0,200}", other in "\\PC{0,20}") {
            let definition = |s: &str| {
                s.encode_utf16()
                    .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
            };
            proptest::prop_assert_eq!(java_hash(&key), definition(&key));
            proptest::prop_assert_eq!(java_hash(&other), definition(&other));
        }
    }
}
