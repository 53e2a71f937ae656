//! [`TopicSubscriptions`] for source tasks over the worker's message queue: a listener reads
//! every queue of a topic — from the positions the task kept, else from its end — outside any
//! consumer group (it never commits: the task keeps the positions in its own offsets), so a
//! task can follow a side channel such as the CDC plugin's signal topic.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use connect_api::{ConnectResult, SideMessage, SidePositions, TopicMessages, TopicSubscriptions};

use super::{ConsumeFrom, MqClient, MqConsumer, QueueRef};

/// A queue's name in side positions: `broker:queue_id`.
fn queue_name(queue: &QueueRef) -> String {
    format!("{}:{}", queue.broker_name, queue.queue_id)
}

/// Subscriptions through `client`, named after the task that listens.
#[derive(Debug)]
pub struct SideTopics {
    pub client: Arc<dyn MqClient>,
    /// Names the readers (the task's name).
    pub listener: String,
}

#[derive(Debug)]
struct Listener {
    reader: Box<dyn MqConsumer>,
}

#[async_trait]
impl TopicMessages for Listener {
    async fn poll(&mut self, timeout: Duration) -> ConnectResult<Vec<SideMessage>> {
        Ok(self
            .reader
            .poll(timeout)
            .await?
            .into_iter()
            .map(|m| SideMessage {
                queue: queue_name(&m.queue),
                next_offset: m.queue_offset + 1,
                key: m.keys,
                body: m.body,
            })
            .collect())
    }
}

#[async_trait]
impl TopicSubscriptions for SideTopics {
    async fn subscribe(
        &self,
        topic: &str,
        resume: &SidePositions,
    ) -> ConnectResult<Box<dyn TopicMessages>> {
        self.client.ensure_topic(topic, 1).await?;
        let mut reader = self
            .client
            .reader(
                &format!("{}-{topic}", self.listener),
                topic,
                ConsumeFrom::LastOffset,
            )
            .await?;
        for queue in reader.assignment().await {
            if let Some(offset) = resume.get(&queue_name(&queue))
                && let Err(e) = reader.seek(&queue, *offset).await
            {
                // Out of the queue's range (retention deleted it, or the topic was made
                // again): read from the end rather than never start.
                tracing::warn!(topic, queue = %queue_name(&queue), offset, error = %e, "cannot resume the side topic there; reading from its end");
            }
        }
        Ok(Box::new(Listener { reader }))
    }
}
