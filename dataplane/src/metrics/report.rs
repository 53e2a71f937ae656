//! Reporters: the Java runtime's periodic metric reporters behind one small trait — the log
//! reporter (`openLogMetricReporter`) and the RocketMQ-topic reporter (`metrics.topic`: one
//! message per metric, key = the Java metric name, body = the value as a decimal).

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::exposition::Entry;
use super::registry::WorkerMetrics;
use connect_api::ConnectResult;

use crate::mq::{DEFAULT_QUEUES, MqClient, MqProducer, OutgoingMessage};

/// Receives every metric at every report.
#[async_trait]
pub trait MetricsReporter: Send + Sync + Debug {
    async fn report(&self, entries: &[Entry]);
}

/// Logs one line per metric under the target `ROCKETMQ_CONNECT_STATS` (the Java logger).
#[derive(Debug, Default)]
pub struct LogReporter;

#[async_trait]
impl MetricsReporter for LogReporter {
    async fn report(&self, entries: &[Entry]) {
        for entry in entries {
            tracing::info!(target: "ROCKETMQ_CONNECT_STATS", metric = %entry.java_name(), value = entry.value);
        }
    }
}

/// Sends one message per metric to a topic, as the Java `RocketMQScheduledReporter`. The topic
/// and the producer are set up at the first report (and again after a failure), so a broker
/// that is away when the worker starts only delays the reports.
#[derive(Debug)]
pub struct TopicReporter {
    client: Arc<dyn MqClient>,
    topic: String,
    group: String,
    create_topic: bool,
    producer: tokio::sync::Mutex<Option<Arc<dyn MqProducer>>>,
}

impl TopicReporter {
    /// `group`: the producer group; `create_topic`: whether the worker creates topics.
    pub fn new(
        client: Arc<dyn MqClient>,
        topic: String,
        group: String,
        create_topic: bool,
    ) -> Self {
        Self {
            client,
            topic,
            group,
            create_topic,
            producer: tokio::sync::Mutex::new(None),
        }
    }

    async fn producer(&self) -> ConnectResult<Arc<dyn MqProducer>> {
        let mut producer = self.producer.lock().await;
        if let Some(producer) = producer.as_ref() {
            return Ok(producer.clone());
        }
        if self.create_topic {
            self.client
                .ensure_topic(&self.topic, DEFAULT_QUEUES)
                .await?;
        }
        let started = self.client.producer(&self.group).await?;
        *producer = Some(started.clone());
        Ok(started)
    }
}

/// The message body of a value: a decimal as Java's `Double.toString` writes small values.
pub fn value_text(value: f64) -> String {
    format!("{value:?}")
}

#[async_trait]
impl MetricsReporter for TopicReporter {
    async fn report(&self, entries: &[Entry]) {
        let producer = match self.producer().await {
            Ok(producer) => producer,
            Err(error) => {
                tracing::warn!(topic = %self.topic, %error, "metrics not reported to the topic; retrying at the next report");
                return;
            }
        };
        let messages: Vec<OutgoingMessage> = entries
            .iter()
            .map(|entry| OutgoingMessage {
                topic: self.topic.clone(),
                keys: Some(entry.java_name()),
                body: value_text(entry.value).into_bytes().into(),
                ..OutgoingMessage::default()
            })
            .collect();
        let failed = producer
            .send(&messages)
            .await
            .into_iter()
            .filter_map(Result::err)
            .next_back();
        if let Some(error) = failed {
            // The next report sends fresh values; nothing is owed for this one.
            tracing::warn!(topic = %self.topic, %error, "metrics not reported to the topic");
        }
    }
}

/// Samples the rated counters every `interval` until the future is dropped.
pub async fn sample_every(metrics: Arc<WorkerMetrics>, interval: Duration) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        metrics.sample_rates();
    }
}

/// Reports every `interval` until the future is dropped.
pub async fn report_every(
    metrics: Arc<WorkerMetrics>,
    reporters: Vec<Arc<dyn MetricsReporter>>,
    interval: Duration,
) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let entries = metrics.entries();
        for reporter in &reporters {
            reporter.report(&entries).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mq::memory::MemoryMq;

    fn entry(value: f64) -> Entry {
        Entry {
            group: "source-task-metrics",
            name: "source-record-write-total".to_owned(),
            measure: "none",
            tags: vec![("connector", "c".to_owned()), ("task", "0".to_owned())],
            value,
        }
    }

    /// A broker away at a report costs that report only: the next one sets the reporter up
    /// and delivers, one message per metric, keyed by the Java name.
    #[tokio::test]
    async fn the_topic_reporter_rides_out_a_broker_outage() {
        let mq = MemoryMq::new();
        let reporter =
            TopicReporter::new(Arc::new(mq.clone()), "metrics".into(), "group".into(), true);
        mq.set_down(true);
        reporter.report(&[entry(1.0)]).await;
        assert!(mq.refused() > 0, "the outage was felt");
        assert!(mq.messages("metrics").iter().all(Vec::is_empty));
        mq.set_down(false);
        reporter.report(&[entry(180.0)]).await;
        let sent: Vec<_> = mq.messages("metrics").into_iter().flatten().collect();
        assert_eq!(sent.len(), 1);
        assert_eq!(
            sent[0].keys.as_deref(),
            Some(
                "rocketmq.connect:source-task-metrics,source-record-write-total,none,connector=c,task=0"
            )
        );
        assert_eq!(sent[0].body, b"180.0");
    }
}
