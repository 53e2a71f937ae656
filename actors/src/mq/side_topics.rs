//! [`TopicSubscriptions`] for source tasks over the worker's message queue: a listener reads
//! every queue of a topic from its end, outside any consumer group (it never commits), so a
//! task can follow a side channel such as the CDC plugin's signal topic.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use connect_api::{ConnectResult, TopicMessages, TopicSubscriptions};

use super::{ConsumeFrom, MqClient, MqConsumer};

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
    async fn poll(&mut self, timeout: Duration) -> ConnectResult<Vec<(Option<String>, Vec<u8>)>> {
        Ok(self
            .reader
            .poll(timeout)
            .await?
            .into_iter()
            .map(|m| (m.keys, m.body))
            .collect())
    }
}

#[async_trait]
impl TopicSubscriptions for SideTopics {
    async fn subscribe(&self, topic: &str) -> ConnectResult<Box<dyn TopicMessages>> {
        self.client.ensure_topic(topic, 1).await?;
        let reader = self
            .client
            .reader(
                &format!("{}-{topic}", self.listener),
                topic,
                ConsumeFrom::LastOffset,
            )
            .await?;
        Ok(Box::new(Listener { reader }))
    }
}
