//! The RocketMQ adapter: the actors' message-queue ports ([`MqClient`], [`MqProducer`],
//! [`MqConsumer`]) implemented with `rocketmq-client-rust`.
//!
//! The client runs on its own multi-thread runtime (a `RuntimeOwner`, as the client requires);
//! every client call is spawned there and awaited from the task's isolate, so client I/O never
//! depends on which thread a task runs on. Shut it down after the actix system has stopped.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use connect_actors::mq::memory::queue_for_key;
use connect_actors::mq::{
    ConsumeFrom, IncomingMessage, MqClient, MqConsumer, MqProducer, OutgoingMessage, QueueRef,
};
use connect_api::{ConnectError, ConnectResult, SendMetadata};
use rocketmq_client_rust::{
    ClientRuntime, ClientRuntimeConfig, DefaultLitePullConsumer, DefaultMQProducer,
};
use rocketmq_model::common::consumer::consume_from_where::ConsumeFromWhere;
use rocketmq_model::common::message::STRING_HASH_SET;
use rocketmq_model::common::message::message_ext::MessageExt;
use rocketmq_model::common::message::message_single::Message;
use rocketmq_model::message::MessageQueue;
use rocketmq_runtime::{RuntimeConfig, RuntimeOwner};
use tokio::runtime::Handle;
use tokio::sync::RwLock;

/// How long one send may take.
const SEND_TIMEOUT_MS: u64 = 3000;
/// Queues of a topic created on demand (RocketMQ's default).
const NEW_TOPIC_QUEUES: i32 = 4;

/// The client's runtime and telemetry; keep it alive while the worker runs.
pub struct RocketMqRuntime {
    owner: RuntimeOwner,
    client_runtime: Arc<ClientRuntime>,
    _telemetry: rocketmq_observability::TelemetryRuntimeGuard,
}

impl std::fmt::Debug for RocketMqRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RocketMqRuntime").finish_non_exhaustive()
    }
}

impl RocketMqRuntime {
    /// Starts the client runtime and returns it with a client for `namesrv`.
    pub fn start(namesrv: &str) -> Result<(Self, RocketMq), String> {
        let owner = RuntimeOwner::plan(RuntimeConfig {
            thread_name: "rocketmq-client".to_owned(),
            ..Default::default()
        })
        .map_err(|e| format!("RocketMQ client runtime: {e}"))?
        .build()
        .map_err(|e| format!("RocketMQ client runtime: {e}"))?;
        let telemetry = rocketmq_observability::install_global(
            &rocketmq_observability::TelemetryBootstrapConfig::default(),
        )
        .map_err(|e| format!("RocketMQ client telemetry: {e}"))?;
        let client_runtime = ClientRuntime::try_new(
            owner.root_context().component("client"),
            ClientRuntimeConfig::default(),
            telemetry.handle(),
        )
        .map_err(|e| format!("RocketMQ client: {e}"))?;
        let handle = owner.block_on(async { Handle::current() });
        let client = RocketMq {
            handle,
            client_runtime: client_runtime.clone(),
            namesrv: namesrv.to_owned(),
        };
        Ok((
            Self {
                owner,
                client_runtime,
                _telemetry: telemetry,
            },
            client,
        ))
    }

    /// Stops the client (call outside any runtime, after the worker stopped).
    pub fn shutdown(self) {
        let client_runtime = self.client_runtime;
        self.owner.block_on(async move {
            let _ = client_runtime.shutdown().await;
        });
        let _ = self
            .owner
            .shutdown_runtime_blocking_with_timeout(Duration::from_secs(5));
    }
}

/// Producers and consumers on one cluster.
#[derive(Clone)]
pub struct RocketMq {
    handle: Handle,
    client_runtime: Arc<ClientRuntime>,
    namesrv: String,
}

impl std::fmt::Debug for RocketMq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RocketMq")
            .field("namesrv", &self.namesrv)
            .finish()
    }
}

fn client_error(what: &str, error: impl std::fmt::Display) -> ConnectError {
    // The broker or name server being away is the common cause: retry.
    ConnectError::retriable(format!("{what}: {error}"))
}

/// Runs a client future on the client's runtime.
async fn on_client<T: Send + 'static>(
    handle: &Handle,
    future: impl std::future::Future<Output = T> + Send + 'static,
) -> ConnectResult<T> {
    handle
        .spawn(future)
        .await
        .map_err(|e| ConnectError::other(format!("RocketMQ client call failed: {e}")))
}

#[async_trait]
impl MqClient for RocketMq {
    async fn producer(&self, group: &str) -> ConnectResult<Arc<dyn MqProducer>> {
        let mut producer = DefaultMQProducer::builder(self.client_runtime.clone())
            .producer_group(group.to_owned())
            .name_server_addr(self.namesrv.clone())
            .build();
        let producer = on_client(&self.handle, async move {
            producer.start().await.map(|()| producer)
        })
        .await?
        .map_err(|e| client_error("cannot start the producer", e))?;
        Ok(Arc::new(RocketProducer {
            handle: self.handle.clone(),
            producer: Arc::new(RwLock::new(producer)),
            queues: Arc::new(parking_lot::Mutex::new(HashMap::new())),
        }))
    }

    async fn consumer(
        &self,
        group: &str,
        topics: &[String],
        from: ConsumeFrom,
    ) -> ConnectResult<Box<dyn MqConsumer>> {
        let consumer = DefaultLitePullConsumer::builder(self.client_runtime.clone())
            .consumer_group(group.to_owned())
            .name_server_addr(self.namesrv.clone())
            .auto_commit(false)
            .pull_batch_size(32)
            .broker_suspend_max_time_millis(1000)
            .consume_from_where(match from {
                ConsumeFrom::FirstOffset => ConsumeFromWhere::ConsumeFromFirstOffset,
                ConsumeFrom::LastOffset => ConsumeFromWhere::ConsumeFromLastOffset,
            })
            .build()
            .map_err(|e| client_error("cannot build the consumer", e))?;
        let consumer = Arc::new(consumer);
        let topics = topics.to_vec();
        let started = consumer.clone();
        on_client(&self.handle, async move {
            for topic in &topics {
                started.subscribe(topic).await?;
            }
            started.start().await
        })
        .await?
        .map_err(|e| client_error("cannot start the consumer", e))?;
        Ok(Box::new(RocketConsumer {
            handle: self.handle.clone(),
            consumer,
        }))
    }
}

/// A producer; keyed messages go to `queue_for_key(key)` of the topic's queues.
struct RocketProducer {
    handle: Handle,
    producer: Arc<RwLock<DefaultMQProducer>>,
    queues: Arc<parking_lot::Mutex<HashMap<String, Vec<MessageQueue>>>>,
}

impl std::fmt::Debug for RocketProducer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RocketProducer").finish_non_exhaustive()
    }
}

/// The topic's writable queues, creating the topic when it has no route yet.
async fn topic_queues(
    producer: &RwLock<DefaultMQProducer>,
    topic: &str,
) -> ConnectResult<Vec<MessageQueue>> {
    let mut producer = producer.write().await;
    let mut created = false;
    for attempt in 0..30 {
        match producer.fetch_publish_message_queues(topic).await {
            Ok(queues) if !queues.is_empty() => {
                let mut queues = queues;
                queues.sort_by(|a, b| {
                    (a.broker_name().as_str(), a.queue_id())
                        .cmp(&(b.broker_name().as_str(), b.queue_id()))
                });
                return Ok(queues);
            }
            _ if !created => {
                created = true;
                producer
                    .create_topic("TBW102", topic, NEW_TOPIC_QUEUES, HashMap::new())
                    .await
                    .map_err(|e| client_error(&format!("cannot create topic {topic}"), e))?;
            }
            _ => tokio::time::sleep(Duration::from_millis(50 * (attempt + 1))).await,
        }
    }
    Err(ConnectError::retriable(format!(
        "topic {topic} has no route yet"
    )))
}

#[async_trait]
impl MqProducer for RocketProducer {
    async fn send(&self, messages: &[OutgoingMessage]) -> Vec<ConnectResult<SendMetadata>> {
        let producer = self.producer.clone();
        let cache = self.queues.clone();
        let messages = messages.to_vec();
        let count = messages.len();
        let sent = on_client(&self.handle, async move {
            let mut results = Vec::with_capacity(messages.len());
            let mut failed_queues: HashSet<(String, i32)> = HashSet::new();
            let mut round_robin = 0usize;
            for message in messages {
                let known = cache.lock().get(&message.topic).cloned();
                let queues = match known {
                    Some(queues) => queues,
                    None => match topic_queues(&producer, &message.topic).await {
                        Ok(queues) => {
                            cache.lock().insert(message.topic.clone(), queues.clone());
                            queues
                        }
                        Err(e) => {
                            results.push(Err(e));
                            continue;
                        }
                    },
                };
                let count = i32::try_from(queues.len()).unwrap_or(i32::MAX);
                let index = match &message.keys {
                    Some(key) => queue_for_key(key, count) as usize,
                    None => {
                        round_robin = round_robin.wrapping_add(1);
                        round_robin % queues.len()
                    }
                };
                let queue = queues[index].clone();
                let queue_key = (message.topic.clone(), queue.queue_id());
                if failed_queues.contains(&queue_key) {
                    // Keep per-queue order: nothing after a failed message of its queue is sent.
                    results.push(Err(ConnectError::retriable(
                        "not sent: an earlier message for its queue failed",
                    )));
                    continue;
                }
                let mut builder = Message::builder()
                    .topic(message.topic.as_str())
                    .body_slice(&message.body);
                if let Some(keys) = &message.keys {
                    builder = builder.keys(vec![keys.clone()]);
                }
                if let Some(tags) = &message.tags {
                    builder = builder.tags(tags.as_str());
                }
                let mut reserved = None;
                for (key, value) in &message.properties {
                    // Names RocketMQ reserves are rejected by the builder; check first so a bad
                    // name fails this message only (our own names never are reserved).
                    if STRING_HASH_SET.contains(key.as_str()) {
                        reserved = Some(key.clone());
                        break;
                    }
                    builder = match builder.raw_property(key.as_str(), value.as_str()) {
                        Ok(builder) => builder,
                        Err(_) => unreachable!("checked against the reserved names above"),
                    };
                }
                if let Some(key) = reserved {
                    results.push(Err(ConnectError::data(format!(
                        "message property {key} is reserved by RocketMQ"
                    ))));
                    continue;
                }
                let outcome = producer
                    .read()
                    .await
                    .send_to_queue_with_timeout(
                        builder.build_unchecked(),
                        queue.clone(),
                        SEND_TIMEOUT_MS,
                    )
                    .await;
                match outcome {
                    Ok(Some(result)) => results.push(Ok(SendMetadata {
                        msg_id: result
                            .msg_id
                            .as_ref()
                            .map(ToString::to_string)
                            .unwrap_or_default(),
                        topic: message.topic.clone(),
                        broker_name: queue.broker_name().to_string(),
                        queue_id: queue.queue_id(),
                        queue_offset: i64::try_from(result.queue_offset).unwrap_or(i64::MAX),
                    })),
                    Ok(None) => {
                        failed_queues.insert(queue_key);
                        results.push(Err(ConnectError::retriable(
                            "the broker returned no send result",
                        )));
                    }
                    Err(e) => {
                        failed_queues.insert(queue_key);
                        // The route may have changed (a broker restarted): look it up again.
                        cache.lock().remove(&message.topic);
                        results.push(Err(client_error("send failed", e)));
                    }
                }
            }
            results
        })
        .await;
        match sent {
            Ok(results) => results,
            Err(e) => (0..count).map(|_| Err(e.clone())).collect(),
        }
    }
}

/// A lite-pull consumer in its group.
struct RocketConsumer {
    handle: Handle,
    consumer: Arc<DefaultLitePullConsumer>,
}

impl std::fmt::Debug for RocketConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RocketConsumer").finish_non_exhaustive()
    }
}

fn to_queue(queue: &QueueRef) -> MessageQueue {
    MessageQueue::from_parts(
        queue.topic.as_str(),
        queue.broker_name.as_str(),
        queue.queue_id,
    )
}

fn from_queue(queue: &MessageQueue) -> QueueRef {
    QueueRef {
        topic: queue.topic_str().to_owned(),
        broker_name: queue.broker_name().to_string(),
        queue_id: queue.queue_id(),
    }
}

fn incoming(message: &MessageExt) -> IncomingMessage {
    IncomingMessage {
        queue: QueueRef {
            topic: message.topic().to_string(),
            broker_name: message.broker_name().to_owned(),
            queue_id: message.queue_id(),
        },
        queue_offset: message.queue_offset(),
        msg_id: message.msg_id().to_string(),
        keys: message.message_inner().keys().map(|keys| keys.join(" ")),
        tags: message.get_tags().map(|t| t.to_string()),
        body: message.body().map(|b| b.to_vec()).unwrap_or_default(),
        properties: message
            .properties()
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "KEYS" | "TAGS"))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        born_timestamp: message.born_timestamp(),
    }
}

#[async_trait]
impl MqConsumer for RocketConsumer {
    async fn poll(&mut self, timeout: Duration) -> ConnectResult<Vec<IncomingMessage>> {
        let consumer = self.consumer.clone();
        let millis = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        let messages = on_client(&self.handle, async move {
            consumer.poll_with_timeout(millis).await
        })
        .await?;
        Ok(messages.iter().map(incoming).collect())
    }

    async fn commit(&mut self, offsets: &HashMap<QueueRef, i64>) -> ConnectResult<()> {
        let consumer = self.consumer.clone();
        let map: HashMap<MessageQueue, i64> =
            offsets.iter().map(|(q, o)| (to_queue(q), *o)).collect();
        on_client(&self.handle, async move {
            consumer.commit_sync_with_map(map, true).await
        })
        .await
    }

    async fn seek(&mut self, queue: &QueueRef, offset: i64) -> ConnectResult<()> {
        let consumer = self.consumer.clone();
        let queue = to_queue(queue);
        on_client(
            &self.handle,
            async move { consumer.seek(&queue, offset).await },
        )
        .await?
        .map_err(|e| client_error("seek failed", e))
    }

    async fn pause(&mut self, queues: &[QueueRef]) {
        let consumer = self.consumer.clone();
        let queues: Vec<MessageQueue> = queues.iter().map(to_queue).collect();
        let _ = on_client(&self.handle, async move { consumer.pause(queues).await }).await;
    }

    async fn resume(&mut self, queues: &[QueueRef]) {
        let consumer = self.consumer.clone();
        let queues: Vec<MessageQueue> = queues.iter().map(to_queue).collect();
        let _ = on_client(&self.handle, async move { consumer.resume(queues).await }).await;
    }

    async fn assignment(&mut self) -> HashSet<QueueRef> {
        let consumer = self.consumer.clone();
        match on_client(&self.handle, async move { consumer.assignment().await }).await {
            Ok(Ok(queues)) => queues.iter().map(from_queue).collect(),
            _ => HashSet::new(),
        }
    }

    async fn close(&mut self) {
        let consumer = self.consumer.clone();
        let _ = on_client(&self.handle, async move { consumer.shutdown().await }).await;
    }
}
