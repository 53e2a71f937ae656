//! The consumer: a lite-pull consumer in its group, offsets committed by hand.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use connect_api::ConnectResult;
use connect_dataplane::mq::{IncomingMessage, MqConsumer, QueueRef};
use rocketmq_client_rust::DefaultLitePullConsumer;
use rocketmq_model::common::message::message_ext::MessageExt;
use rocketmq_model::message::MessageQueue;
use tokio::runtime::Handle;

use super::{client_error, on_client};

/// Most messages one poll hands to the sink loop.
const MAX_POLL: usize = 1024;

/// A lite-pull consumer in its group.
pub(super) struct RocketConsumer {
    pub(super) handle: Handle,
    pub(super) consumer: Arc<DefaultLitePullConsumer>,
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
        // One pull result is at most `pull_batch_size` messages; take what else is already
        // buffered too (without waiting) so a sink's put sees batches worth the call.
        let messages = on_client(&self.handle, async move {
            let mut messages: Vec<IncomingMessage> = consumer
                .poll_with_timeout(millis)
                .await
                .iter()
                .map(incoming)
                .collect();
            while !messages.is_empty() && messages.len() < MAX_POLL {
                let more = consumer.poll_with_timeout(0).await;
                if more.is_empty() {
                    break;
                }
                messages.extend(more.iter().map(incoming));
            }
            messages
        })
        .await?;
        // The client's poll reports no errors (it retries pulls itself): an outage is an
        // empty poll here.
        Ok(messages)
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
