//! A batch as the broker reads it, written straight from our messages.
//!
//! The client's batch path turns every message into a `Message` (a property hash map), checks
//! each one's topic against its deny list, gives each a message id built char by char, and
//! encodes them into a buffer that grows (and copies) as it goes. Profiled on the CDC stream
//! (2.9 KB messages) that was a third of the client thread's time. Here a message's
//! properties are written as text once, on the caller's thread ([`WireMessage::all`]); a batch
//! is written into one buffer of its exact size, reused across batches ([`encode_batch`],
//! [`super::buffers`]), sent as the client's own
//! `MessageBatch`, so the client checks the topic once per batch.
//!
//! The layout is the Java client's `MessageDecoder.encodeMessage`, per message: total size,
//! magic code 0, body CRC 0, flag, body length and body, properties length (i16) and the
//! properties as `name\u{1}value\u{2}…`. Message ids keep the Java shape (the client's
//! prefix, then milliseconds since the month began and a counter, in hex), from a prefix one
//! bit apart from the client's own so the two generators never produce the same id.

use std::sync::atomic::{AtomicU16, Ordering};

use bytes::{BufMut, Bytes};
use connect_api::{ConnectError, ConnectResult, MessageIds};
use connect_dataplane::mq::{OutgoingMessage, TIMESTAMP_PROPERTY};
use rocketmq_model::common::message::STRING_HASH_SET;
use rocketmq_model::common::message::message_batch::MessageBatch;
use rocketmq_model::common::message::message_client_id_setter::MessageClientIDSetter;
use rocketmq_model::common::message::message_single::Message;
use rocketmq_model::common::message::{MessageConst, MessageTrait};

use super::buffers::BATCH_BUFFERS;

/// Largest single message the broker accepts by default.
pub(super) const MAX_MESSAGE_BYTES: usize = 4 << 20;

/// The fixed part of a message's entry: total size, magic code, body CRC, flag, body length
/// and properties length.
const ENTRY_OVERHEAD: usize = 4 + 4 + 4 + 4 + 4 + 2;
/// A message id: hex of ip + pid + a hash, then 4 bytes of time and 2 of counter.
const ID_SUFFIX_HEX: usize = 12;
/// `UNIQ_KEY\u{1}<id>\u{2}` without the id.
const ID_PROPERTY_OVERHEAD: usize = MessageConst::PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX.len() + 2;
/// A message's properties length is an i16 on the wire, and the broker appends the batch's
/// own properties (`WAIT`, `CLUSTER`, …, under a hundred bytes) to each message when it
/// stores it: what we write leaves that much room.
const MAX_PROPERTIES_BYTES: usize = i16::MAX as usize - 1024;
/// How much of a refused value an error quotes.
const QUOTED_CHARS: usize = 64;

const NAME_VALUE: u8 = 1;
const PROPERTY_END: u8 = 2;

/// A message with its properties already written, waiting for its id and its batch.
#[derive(Debug, Clone)]
pub(super) struct WireMessage {
    body: Bytes,
    /// `name\u{1}value\u{2}` for every property but the id; a slice of the buffer every
    /// message of its call was written into.
    properties: Bytes,
}

impl WireMessage {
    /// One message on its own (see [`WireMessage::all`]).
    #[cfg(test)]
    pub(super) fn new(message: &OutgoingMessage) -> ConnectResult<Self> {
        Self::all(std::slice::from_ref(message))
            .pop()
            .unwrap_or_else(|| Err(ConnectError::other("no message")))
    }

    /// Writes each message's properties: keys, tags, `WAIT=true` (as the client's builder
    /// does), the timestamp and the caller's own — all messages into one buffer, so a call
    /// costs one allocation for them, not one per message. Errors are problems of their
    /// message alone.
    pub(super) fn all(messages: &[OutgoingMessage]) -> Vec<ConnectResult<Self>> {
        let mut buffer = Vec::with_capacity(messages.len() * 64);
        let mut timestamp = TimestampText::default();
        let written: Vec<ConnectResult<std::ops::Range<usize>>> = messages
            .iter()
            .map(|message| {
                let start = buffer.len();
                let written = write_properties(message, &mut timestamp, &mut buffer);
                if written.is_err() {
                    buffer.truncate(start);
                }
                written.map(|()| start..buffer.len())
            })
            .collect();
        let shared = Bytes::from(buffer);
        messages
            .iter()
            .zip(written)
            .map(|(message, range)| {
                let wire = Self {
                    body: message.body.clone(),
                    properties: shared.slice(range?),
                };
                if wire.size() > MAX_MESSAGE_BYTES {
                    return Err(ConnectError::data(format!(
                        "the message is {} bytes; the broker takes at most {MAX_MESSAGE_BYTES}",
                        wire.size()
                    )));
                }
                Ok(wire)
            })
            .collect()
    }

    /// The bytes this message takes in a batch.
    pub(super) fn size(&self) -> usize {
        ENTRY_OVERHEAD + self.body.len() + self.properties.len() + ID_PROPERTY_OVERHEAD + id_len()
    }
}

/// The last timestamp written and its text: a call's messages nearly all carry the same
/// millisecond (one poll's records), and formatting it for each cost 80 instructions.
#[derive(Debug, Default)]
struct TimestampText {
    value: Option<i64>,
    text: String,
}

impl TimestampText {
    fn of(&mut self, timestamp: i64) -> &str {
        if self.value != Some(timestamp) {
            self.value = Some(timestamp);
            self.text.clear();
            self.text.push_str(itoa::Buffer::new().format(timestamp));
        }
        &self.text
    }
}

/// Appends `message`'s properties to `out` (see [`WireMessage::all`]); on an error what was
/// appended is the caller's to drop.
fn write_properties(
    message: &OutgoingMessage,
    timestamps: &mut TimestampText,
    out: &mut Vec<u8>,
) -> ConnectResult<()> {
    if message.body.is_empty() {
        return Err(ConnectError::data(
            "the message body is empty: RocketMQ cannot carry a null or empty value",
        ));
    }
    let start = out.len();
    if let Some(keys) = &message.keys {
        put(out, MessageConst::PROPERTY_KEYS, keys)?;
    }
    if let Some(tags) = &message.tags {
        put(out, MessageConst::PROPERTY_TAGS, tags)?;
    }
    // Names and values written here are ours, and hold no separator: no scan for them.
    out.extend_from_slice(WAIT_PROPERTY);
    if let Some(timestamp) = message.timestamp {
        put_unchecked(out, TIMESTAMP_PROPERTY, timestamps.of(timestamp));
    }
    for (name, value) in &message.properties {
        // Names RocketMQ reserves (UNIQ_KEY, MIN_OFFSET, …) are set by the client and the
        // broker; they only arrive here on a consumed message forwarded to a dead-letter
        // topic. Our own names are prefixed and never reserved.
        if STRING_HASH_SET.contains(name.as_str()) {
            continue;
        }
        put(out, name, value)?;
    }
    let properties_len = out.len() - start + ID_PROPERTY_OVERHEAD + id_len();
    if properties_len > MAX_PROPERTIES_BYTES {
        return Err(ConnectError::data(format!(
            "the message's properties and keys take {properties_len} bytes; RocketMQ \
             carries at most {MAX_PROPERTIES_BYTES}"
        )));
    }
    Ok(())
}

/// `WAIT=true`, as the client's builder sets it on every message.
const WAIT_PROPERTY: &[u8] = b"WAIT\x01true\x02";

/// Appends `name\u{1}value\u{2}`, refusing a name or value that holds a separator.
fn put(out: &mut Vec<u8>, name: &str, value: &str) -> ConnectResult<()> {
    if let Some(text) = [name, value]
        .into_iter()
        .find(|t| memchr::memchr2(NAME_VALUE, PROPERTY_END, t.as_bytes()).is_some())
    {
        let quoted: String = text.chars().take(QUOTED_CHARS).collect();
        return Err(ConnectError::data(format!(
            "message {name} contains \\u0001 or \\u0002, which RocketMQ uses to \
             separate properties: {quoted:?}"
        )));
    }
    put_unchecked(out, name, value);
    Ok(())
}

/// Appends `name\u{1}value\u{2}` for a name and value known to hold no separator.
fn put_unchecked(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.push(NAME_VALUE);
    out.extend_from_slice(value.as_bytes());
    out.push(PROPERTY_END);
}

/// The length of a message id (the client's prefix depends on the host's address family).
fn id_len() -> usize {
    static LEN: std::sync::LazyLock<usize> =
        std::sync::LazyLock::new(|| MessageClientIDSetter::create_uniq_id().len());
    *LEN
}

/// The counter part of our ids (the client keeps its own).
static COUNTER: AtomicU16 = AtomicU16::new(0);

/// Ids for a batch of `count` messages ([`MessageIds::Counted`]'s head and first counter):
/// the client's prefix with its last digit changed, the client's current time part, then our
/// counter, reserved for the whole batch at once.
fn batch_ids(count: usize) -> (String, u16) {
    let mut head = MessageClientIDSetter::create_uniq_id();
    let prefix_end = head.len() - ID_SUFFIX_HEX;
    let last = &head[prefix_end - 1..prefix_end];
    let flipped = u32::from_str_radix(last, 16).map_or(0, |digit| digit ^ 1);
    head.replace_range(prefix_end - 1..prefix_end, &upper_hex(flipped).to_string());
    // Keep the time part (4 bytes, 8 digits); the counter is ours.
    head.truncate(prefix_end + 8);
    // A batch takes far fewer ids than the counter has (`BATCH_MESSAGES`), and wrapping
    // is the id's own rule (Java's counter is a short too).
    debug_assert!(count <= 4096, "a batch of {count} messages");
    let first = COUNTER.fetch_add(count as u16, Ordering::Relaxed);
    (head, first)
}

/// The low four bits of `value` as an upper-case hex digit (the Java id's alphabet).
fn upper_hex(value: u32) -> char {
    char::from_digit(value & 0xF, 16).map_or('0', |c| c.to_ascii_uppercase())
}

/// A batch ready for `send_to_queue`, and its messages' ids.
pub(super) struct EncodedBatch {
    pub batch: MessageBatch,
    pub ids: MessageIds,
}

/// Encodes the messages (one topic) as one batch: one buffer of exactly their size.
pub(super) fn encode_batch<'a>(
    topic: &str,
    messages: impl Iterator<Item = &'a WireMessage> + Clone,
) -> EncodedBatch {
    let total: usize = messages.clone().map(WireMessage::size).sum();
    let mut body = BATCH_BUFFERS.take(total);
    let count = messages.clone().count();
    let (head, first) = batch_ids(count);
    for (index, message) in messages.enumerate() {
        let size = message.size();
        let properties_len = size - ENTRY_OVERHEAD - message.body.len();
        // Sizes were bounded in `WireMessage::all`: each fits its field.
        body.put_i32(size as i32);
        body.put_i32(0);
        body.put_u32(0);
        body.put_i32(0);
        body.put_i32(message.body.len() as i32);
        body.extend_from_slice(&message.body);
        body.put_i16(properties_len as i16);
        body.extend_from_slice(&message.properties);
        body.extend_from_slice(MessageConst::PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX.as_bytes());
        body.push(NAME_VALUE);
        // The id `MessageIds::Counted` gives the message, written without building it.
        body.extend_from_slice(head.as_bytes());
        body.extend_from_slice(&MessageIds::counter_at(first, index));
        body.push(PROPERTY_END);
    }
    debug_assert_eq!(body.len(), total);
    // No id on the batch itself: the broker appends the batch's properties to every message
    // it stores from it, and an id there would replace each message's own.
    let mut final_message = Message::default();
    final_message.set_topic(topic.into());
    final_message.set_wait_store_msg_ok(true);
    let mut batch = MessageBatch {
        final_message,
        messages: Vec::new(),
    };
    batch.set_body(BATCH_BUFFERS.lend(body));
    EncodedBatch {
        batch,
        ids: MessageIds::Counted { head, first },
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap, HashSet};

    use rocketmq_protocol::common::message::message_decoder::{decode_messages, encode_messages};

    use super::*;

    fn outgoing(body: &str, keys: Option<&str>, properties: &[(&str, &str)]) -> OutgoingMessage {
        OutgoingMessage {
            topic: "orders".to_owned(),
            keys: keys.map(str::to_owned),
            tags: Some("tag-a".to_owned()),
            body: Bytes::copy_from_slice(body.as_bytes()),
            timestamp: None,
            properties: properties
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<BTreeMap<_, _>>(),
            queue: None,
        }
    }

    /// What the client's own batch path puts on the wire for the message.
    fn client_encoding(message: &OutgoingMessage) -> Message {
        let mut builder = Message::builder()
            .topic(message.topic.as_str())
            .body(message.body.clone());
        if let Some(keys) = &message.keys {
            builder = builder.keys(vec![keys.clone()]);
        }
        if let Some(tags) = &message.tags {
            builder = builder.tags(tags.as_str());
        }
        if let Some(timestamp) = message.timestamp {
            builder = builder
                .raw_property(TIMESTAMP_PROPERTY, timestamp.to_string().as_str())
                .unwrap();
        }
        for (key, value) in &message.properties {
            if !STRING_HASH_SET.contains(key.as_str()) {
                builder = builder.raw_property(key.as_str(), value.as_str()).unwrap();
            }
        }
        let mut built = builder.build_unchecked();
        MessageClientIDSetter::set_uniq_id(&mut built);
        decode_messages(&mut encode_messages(&[built])).remove(0)
    }

    fn properties_but_id(message: &Message) -> HashMap<String, String> {
        message
            .properties()
            .as_map()
            .iter()
            .filter(|(k, _)| *k != MessageConst::PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX)
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_batch_reads_back_as_the_clients_own_encoding_of_the_same_messages() {
        let timestamped = OutgoingMessage {
            timestamp: Some(1_700_000_000_123),
            ..outgoing("{\"a\":1}", Some("k1"), &[("connect-ext-x", "1")])
        };
        // The second shares the first's timestamp (its text is written once), the third's
        // differs.
        let messages = [
            timestamped.clone(),
            OutgoingMessage {
                timestamp: timestamped.timestamp,
                ..outgoing("second", None, &[("UNIQ_KEY", "forwarded"), ("p", "v w")])
            },
            OutgoingMessage {
                timestamp: Some(1_700_000_000_124),
                ..outgoing(&"x".repeat(5000), Some("key with spaces"), &[])
            },
        ];
        // Written together, as a send call writes them: each a slice of one buffer.
        let wires: Vec<WireMessage> = WireMessage::all(&messages)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let encoded = encode_batch("orders", wires.iter());
        let mut body = encoded.batch.final_message.body().unwrap().clone();
        assert_eq!(
            body.len(),
            wires.iter().map(WireMessage::size).sum::<usize>()
        );
        let decoded = decode_messages(&mut body);
        assert_eq!(decoded.len(), 3);
        for (index, (ours, message)) in decoded.iter().zip(&messages).enumerate() {
            let id = encoded.ids.id(index);
            let theirs = client_encoding(message);
            assert_eq!(ours.body(), theirs.body());
            assert_eq!(ours.flag(), theirs.flag());
            assert_eq!(properties_but_id(ours), properties_but_id(&theirs));
            assert_eq!(
                MessageClientIDSetter::get_uniq_id(ours).unwrap().as_str(),
                id.as_str()
            );
        }
        // The batch carries the topic and WAIT, and no id (the broker would give it to
        // every message it stores from the batch).
        let final_message = &encoded.batch.final_message;
        assert_eq!(final_message.topic().as_str(), "orders");
        assert!(final_message.is_wait_store_msg_ok());
        assert_eq!(MessageClientIDSetter::get_uniq_id(final_message), None);
    }

    /// The `WAIT=true` written without a scan is the client's own property.
    #[test]
    fn the_fixed_wait_property_is_the_clients() {
        let mut expected = MessageConst::PROPERTY_WAIT_STORE_MSG_OK.as_bytes().to_vec();
        expected.extend_from_slice(b"\x01true\x02");
        assert_eq!(WAIT_PROPERTY, expected.as_slice());
    }

    #[test]
    fn ids_have_the_clients_shape_and_never_repeat_its_own() {
        let client = MessageClientIDSetter::create_uniq_id();
        let time_at = client.len() - ID_SUFFIX_HEX;
        let client_ms = u32::from_str_radix(&client[time_at..time_at + 8], 16).unwrap();
        let wire = WireMessage::new(&outgoing("b", None, &[])).unwrap();
        let mut seen = HashSet::new();
        // 40 batches of 512 take the counter over 20,000 steps: over a wrap when the counter
        // starts (it is process-wide) within that of 65,536.
        for _ in 0..40 {
            let encoded = encode_batch("orders", std::iter::repeat_n(&wire, 512));
            let mut body = encoded.batch.final_message.body().unwrap().clone();
            let written: Vec<String> = decode_messages(&mut body)
                .iter()
                .map(|m| MessageClientIDSetter::get_uniq_id(m).unwrap().to_string())
                .collect();
            let reported: Vec<String> = (0..512).map(|index| encoded.ids.id(index)).collect();
            assert_eq!(written, reported, "the body carries the ids reported");
            for id in reported {
                assert_eq!(id.len(), client.len());
                assert_eq!(id.len(), id_len());
                assert!(
                    id.bytes()
                        .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
                );
                let prefix = client.len() - ID_SUFFIX_HEX;
                assert_eq!(
                    id[..prefix - 1],
                    client[..prefix - 1],
                    "the client's address and pid"
                );
                assert_ne!(id[..prefix], client[..prefix], "a prefix of our own");
                // The time part (milliseconds since the month began) is the client's clock.
                let ms = u32::from_str_radix(&id[prefix..prefix + 8], 16).unwrap();
                assert!(ms.abs_diff(client_ms) < 60_000, "{ms} vs {client_ms}");
                assert!(seen.insert(id), "an id repeated");
            }
        }
        assert!(
            client
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
        );
    }

    #[test]
    fn a_message_the_wire_cannot_carry_is_refused_naming_why() {
        let empty = WireMessage::new(&outgoing("", None, &[])).unwrap_err();
        assert!(empty.to_string().contains("body is empty"), "{empty}");
        let separator = WireMessage::new(&outgoing("b", Some("a\u{2}b"), &[])).unwrap_err();
        assert!(
            separator.to_string().contains("message KEYS"),
            "{separator}"
        );
        let long = format!("{}\u{1}", "v".repeat(1000));
        let quoted = WireMessage::new(&outgoing("b", None, &[("p", &long)])).unwrap_err();
        assert!(
            quoted.to_string().contains("message p contains"),
            "{quoted}"
        );
        assert!(
            quoted.to_string().len() < 200,
            "quotes at most 64 characters: {quoted}"
        );
        // Among others, a refused message does not disturb the next one's properties.
        let mixed = WireMessage::all(&[
            outgoing("one", Some("k1"), &[]),
            // Refused at its last property, after others were written.
            outgoing("b", Some("k2"), &[("p", "a\u{2}b")]),
            outgoing("three", Some("k3"), &[]),
        ]);
        assert!(mixed[1].is_err());
        for (wire, key) in [(&mixed[0], "k1"), (&mixed[2], "k3")] {
            let alone = WireMessage::new(&outgoing("x", Some(key), &[])).unwrap();
            assert_eq!(wire.as_ref().unwrap().properties, alone.properties);
        }
        // A reserved name is dropped, whatever it holds.
        WireMessage::new(&outgoing("b", None, &[("UNIQ_KEY", "a\u{1}b")])).unwrap();
        // Properties up to the limit pass, one byte more is refused.
        let base = WireMessage::new(&outgoing("b", Some("k1"), &[("p", "")])).unwrap();
        let room = MAX_PROPERTIES_BYTES - (base.properties.len() + ID_PROPERTY_OVERHEAD + id_len());
        let fits = "v".repeat(room);
        WireMessage::new(&outgoing("b", Some("k1"), &[("p", &fits)])).unwrap();
        let over = "v".repeat(room + 1);
        let too_long = WireMessage::new(&outgoing("b", Some("k1"), &[("p", &over)])).unwrap_err();
        assert!(
            too_long
                .to_string()
                .contains(&format!("at most {MAX_PROPERTIES_BYTES}")),
            "{too_long}"
        );
        let huge = "x".repeat(MAX_MESSAGE_BYTES);
        let too_big = WireMessage::new(&outgoing(&huge, None, &[])).unwrap_err();
        assert!(too_big.to_string().contains("at most 4194304"), "{too_big}");
    }
}
