//! The RocketMQ adapter: the actors' message-queue ports ([`MqClient`], [`MqProducer`],
//! [`MqConsumer`]) implemented with `rocketmq-client-rust`.
//!
//! The client runs on its own multi-thread runtime (a `RuntimeOwner`, as the client requires);
//! every client call is spawned there and awaited from the task's isolate, so client I/O never
//! depends on which thread a task runs on. Shut it down after the actix system has stopped.
//!
//! - `mod.rs`: the runtime and [`RocketMq`], the [`MqClient`] (producers, consumers, topics).
//! - `producer.rs`: batched, key-ordered sends.
//! - `wire.rs`: a batch written straight in the broker's layout (no client message per record).
//! - `buffers.rs`: batch buffers reused across sends (no page faults per batch).
//! - `consumer.rs`: the lite-pull consumer with manual commits.

mod buffers;
mod consumer;
mod producer;
mod wire;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use connect_api::{ConnectError, ConnectResult};
use connect_dataplane::mq::{ConsumeFrom, MqClient, MqConsumer, MqProducer};
use rocketmq_client_rust::{
    ClientRuntime, ClientRuntimeConfig, DefaultLitePullConsumer, DefaultMQProducer,
};
use rocketmq_model::common::consumer::consume_from_where::ConsumeFromWhere;
use rocketmq_runtime::{RuntimeConfig, RuntimeOwner};
use tokio::runtime::Handle;
use tokio::sync::OnceCell;

use consumer::RocketConsumer;
pub use producer::NEW_TOPIC_QUEUES;
use producer::{RocketProducer, Routes};

/// How long the broker holds a sink consumer's pull open when there is nothing to read.
const CONSUMER_SUSPEND: Duration = Duration::from_secs(1);
/// The same for readers (the control logs): shorter, because a consumer shutting down waits
/// for its pull to come back, and a distributed worker closes its readers on its way out.
const READER_SUSPEND: Duration = Duration::from_millis(250);

/// Producer group of the producer that creates topics.
const ADMIN_GROUP: &str = "connect-admin";

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
    /// `auto_create_topics`: the worker's `autoCreateTopicEnable`.
    pub fn start(namesrv: &str, auto_create_topics: bool) -> Result<(Self, RocketMq), String> {
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
            routes: Arc::new(Routes::new(auto_create_topics)),
            admin: Arc::new(OnceCell::new()),
            producers: Arc::default(),
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

    /// The client runtime, for raw clients (the benchmark's baseline).
    pub fn client_runtime(&self) -> Arc<ClientRuntime> {
        self.client_runtime.clone()
    }

    /// Runs `future` on the client's runtime from outside any runtime (tests, tools).
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.owner.block_on(future)
    }

    /// Stops the client (call outside any runtime, after the worker stopped).
    pub fn shutdown(self) {
        let client_runtime = self.client_runtime;
        // Bounded: with consumers still registered (a distributed worker's control-topic
        // readers) the client's shutdown can keep retrying lookups; the process is leaving.
        self.owner.block_on(async move {
            let _ = tokio::time::timeout(Duration::from_secs(5), client_runtime.shutdown()).await;
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
    routes: Arc<Routes>,
    /// Producer used for topic administration, started on first use.
    admin: Arc<OnceCell<DefaultMQProducer>>,
    /// One producer per producer group, started by its first user and shared by every task
    /// of the worker (a clone shares the started client).
    producers: Arc<parking_lot::Mutex<HashMap<String, Arc<OnceCell<DefaultMQProducer>>>>>,
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

impl RocketMq {
    /// A lite-pull consumer with manual commits; `instance` names its client instance (one
    /// per consumer, so every consumer is its own group member).
    fn lite_pull(
        &self,
        group: &str,
        instance: String,
        from: ConsumeFrom,
        suspend: Duration,
    ) -> ConnectResult<Arc<DefaultLitePullConsumer>> {
        DefaultLitePullConsumer::builder(self.client_runtime.clone())
            .consumer_group(group.to_owned())
            .instance_name(instance)
            .name_server_addr(self.namesrv.clone())
            .auto_commit(false)
            .pull_batch_size(32)
            .broker_suspend_max_time_millis(u64::try_from(suspend.as_millis()).unwrap_or(1000))
            .consume_from_where(match from {
                ConsumeFrom::FirstOffset => ConsumeFromWhere::ConsumeFromFirstOffset,
                ConsumeFrom::LastOffset => ConsumeFromWhere::ConsumeFromLastOffset,
            })
            .build()
            .map(Arc::new)
            .map_err(|e| client_error("cannot build the consumer", e))
    }

    async fn start_producer(&self, group: &str) -> ConnectResult<DefaultMQProducer> {
        let mut producer = DefaultMQProducer::builder(self.client_runtime.clone())
            .producer_group(group.to_owned())
            .name_server_addr(self.namesrv.clone())
            .build();
        let producer = on_client(&self.handle, async move {
            producer.start().await.map(|()| producer)
        })
        .await?
        .map_err(|e| client_error("cannot start the producer", e))?;
        Ok(producer)
    }
}

#[async_trait]
impl MqClient for RocketMq {
    /// The group's producer, started by its first user and shared by the rest: a producer
    /// is a client instance with its own connections, heartbeats and route tables, and sends
    /// take it shared (one task's slow send does not hold up another's). Tasks come and go
    /// without starting or leaking one each.
    async fn producer(&self, group: &str) -> ConnectResult<Arc<dyn MqProducer>> {
        let cell = self
            .producers
            .lock()
            .entry(group.to_owned())
            .or_default()
            .clone();
        // Started once per group; a failed start is tried again by the next caller.
        let producer = cell
            .get_or_try_init(|| self.start_producer(group))
            .await?
            .clone();
        Ok(Arc::new(RocketProducer {
            handle: self.handle.clone(),
            producer,
            routes: self.routes.clone(),
            sticky: parking_lot::Mutex::new(producer::Sticky::new()),
        }))
    }

    async fn ensure_topic(&self, topic: &str, queues: i32) -> ConnectResult<()> {
        let admin = self
            .admin
            .get_or_try_init(|| self.start_producer(ADMIN_GROUP))
            .await?
            .clone();
        let routes = self.routes.clone();
        let topic = topic.to_owned();
        on_client(&self.handle, async move {
            routes.queues(&admin, &topic, queues).await.map(drop)
        })
        .await?
    }

    async fn consumer(
        &self,
        group: &str,
        topics: &[String],
        from: ConsumeFrom,
    ) -> ConnectResult<Box<dyn MqConsumer>> {
        // Consumers of one process share a client instance unless named apart, and a group
        // sees one member per instance: the tasks of a sink connector would not split the
        // queues. Every consumer gets its own instance.
        static CONSUMERS: AtomicUsize = AtomicUsize::new(0);
        let instance = format!(
            "{group}-{}-{}",
            std::process::id(),
            CONSUMERS.fetch_add(1, Ordering::Relaxed)
        );
        let consumer = self.lite_pull(group, instance, from, CONSUMER_SUSPEND)?;
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

    async fn reader(
        &self,
        name: &str,
        topic: &str,
        from: ConsumeFrom,
    ) -> ConnectResult<Box<dyn MqConsumer>> {
        static READERS: AtomicUsize = AtomicUsize::new(0);
        let instance = format!(
            "{name}-{}-{}",
            std::process::id(),
            READERS.fetch_add(1, Ordering::Relaxed)
        );
        let consumer = self.lite_pull(name, instance, from, READER_SUSPEND)?;
        let started = consumer.clone();
        let topic = topic.to_owned();
        // Assigned queues (no group rebalancing), positioned explicitly: a reader never
        // depends on offsets committed by anyone.
        on_client(&self.handle, async move {
            started.start().await?;
            let queues = started.fetch_message_queues(&topic).await?;
            started.assign(queues.clone()).await?;
            for queue in &queues {
                match from {
                    ConsumeFrom::FirstOffset => started.seek_to_begin(queue).await?,
                    ConsumeFrom::LastOffset => started.seek_to_end(queue).await?,
                }
            }
            Ok::<_, rocketmq_client_rust::ClientError>(())
        })
        .await?
        .map_err(|e| client_error("cannot start the reader", e))?;
        Ok(Box::new(RocketConsumer {
            handle: self.handle.clone(),
            consumer,
        }))
    }
}
