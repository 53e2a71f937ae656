//! Ports to the message queue: what the RocketMQ source and sink loops need. The runtime
//! implements them with the RocketMQ client; [`memory`] implements them in-process for tests
//! (feature `memory`).
//!
//! Contracts the loops rely on:
//! - [`MqProducer::send`] sends messages with the same key to the same queue (hash of the key)
//!   and the messages of one queue as one all-or-nothing batch, so after a retriable failure
//!   resending the failed messages in order keeps per-key order.
//! - [`MqConsumer::commit`] stores *next* offsets to consume; a restarted consumer of the same
//!   group resumes from them.

/// In-process queue for tests (feature `memory`); never part of a worker.
#[cfg(any(test, feature = "memory"))]
pub mod memory;
pub mod routing;
pub mod side_topics;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use connect_api::{ConnectResult, SendMetadata};

/// Queues of a topic the runtime creates (RocketMQ's default).
pub const DEFAULT_QUEUES: i32 = 4;

/// Message property carrying the record timestamp ([`OutgoingMessage::timestamp`]).
pub const TIMESTAMP_PROPERTY: &str = "connect.timestamp";

/// A message to produce.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutgoingMessage {
    pub topic: String,
    /// Message keys (the record key as text); keyed messages keep per-key order.
    pub keys: Option<String>,
    pub tags: Option<String>,
    /// Shared bytes: resending or handing it to the client copies nothing.
    pub body: bytes::Bytes,
    /// The record's timestamp, carried as the `connect.timestamp` property. A field of its
    /// own rather than an entry of `properties`: nearly every record has one, and the map
    /// entry cost three allocations per message.
    pub timestamp: Option<i64>,
    pub properties: BTreeMap<String, String>,
    /// Send to this queue id instead of choosing one by key. Control topics pin queue 0: they
    /// are created with one queue, their readers read only the queues that existed when they
    /// started, and a topic re-created with more queues (a broker that lost its topic config)
    /// must not scatter their records where nobody reads.
    pub queue: Option<i32>,
}

/// One queue of a topic on a broker.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QueueRef {
    pub topic: String,
    pub broker_name: String,
    pub queue_id: i32,
}

/// A consumed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingMessage {
    pub queue: QueueRef,
    pub queue_offset: i64,
    pub msg_id: String,
    pub keys: Option<String>,
    pub tags: Option<String>,
    pub body: Vec<u8>,
    pub properties: BTreeMap<String, String>,
    pub born_timestamp: i64,
}

/// Where a consumer group without committed offsets starts (`consume.from.where`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConsumeFrom {
    #[default]
    LastOffset,
    FirstOffset,
}

/// Sends messages.
#[async_trait]
pub trait MqProducer: Send + Sync + Debug {
    /// Sends `messages`; one result per message, in order (see the module contract).
    async fn send(&self, messages: &[OutgoingMessage]) -> Vec<ConnectResult<SendMetadata>>;
}

/// Consumes the queues a group assigns to it.
#[async_trait]
pub trait MqConsumer: Send + Debug {
    /// Messages from assigned, unpaused queues; empty when none arrived within `timeout`.
    async fn poll(&mut self, timeout: Duration) -> ConnectResult<Vec<IncomingMessage>>;
    /// Makes these next-to-consume offsets the group's committed offsets.
    async fn commit(&mut self, offsets: &HashMap<QueueRef, i64>) -> ConnectResult<()>;
    /// The next poll of `queue` starts at `offset`.
    async fn seek(&mut self, queue: &QueueRef, offset: i64) -> ConnectResult<()>;
    async fn pause(&mut self, queues: &[QueueRef]);
    async fn resume(&mut self, queues: &[QueueRef]);
    async fn assignment(&mut self) -> HashSet<QueueRef>;
    /// Leaves the group (queues move to the other members).
    async fn close(&mut self);
}

/// Creates producers and consumers on one cluster.
#[async_trait]
pub trait MqClient: Send + Sync + Debug {
    async fn producer(&self, group: &str) -> ConnectResult<Arc<dyn MqProducer>>;
    /// Makes sure `topic` exists, creating it with `queues` queues if the worker may create
    /// topics (idempotent). Without it a consumer only sees a new topic at its next route
    /// refresh (tens of seconds).
    async fn ensure_topic(&self, topic: &str, queues: i32) -> ConnectResult<()>;
    async fn consumer(
        &self,
        group: &str,
        topics: &[String],
        from: ConsumeFrom,
    ) -> ConnectResult<Box<dyn MqConsumer>>;
    /// A reader of every queue of `topic`, outside any group rebalancing, starting at the
    /// first (`FirstOffset`) or the next (`LastOffset`) message; it never commits. The
    /// distributed worker's replicated logs read their topics with it.
    async fn reader(
        &self,
        name: &str,
        topic: &str,
        from: ConsumeFrom,
    ) -> ConnectResult<Box<dyn MqConsumer>>;
}
