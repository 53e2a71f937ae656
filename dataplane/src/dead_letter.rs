//! The dead-letter queue (`errors.deadletterqueue.*`): with `errors.tolerance=all`, a record
//! that fails — in a converter, a transform, the produce call of a source task, or reported by
//! a sink task through its `ErrorRecordReporter` — is sent to a dead-letter topic instead of
//! being dropped, with `__connect.errors.*` properties saying where it came from and why.
//!
//! Unlike the Java runtime (whose dead-letter producer is never started and sends to the
//! original topic), letters really go to the dead-letter topic, on both the sink and the
//! source side. A letter carries the original bytes where they exist (sink side: the consumed
//! message), else the record encoded by the task's converters.

use std::sync::Arc;

use connect_api::config_def::{ConfigDef, ConfigType};
use connect_api::{Config, ConnectError, ConnectResult};

use crate::control::LoopControl;
use crate::failure::{Failure, Origin};
use crate::ids::TaskId;
use crate::mq::{MqClient, MqProducer, OutgoingMessage};
use crate::policy::ErrorPolicy;
use crate::settings::DataPlaneSettings;

pub const TOPIC: &str = "errors.deadletterqueue.topic.name";
pub const READ_QUEUES: &str = "errors.deadletterqueue.read.queue.nums";
pub const WRITE_QUEUES: &str = "errors.deadletterqueue.write.queue.nums";
pub const CONTEXT_PROPERTIES: &str = "errors.deadletterqueue.context.properties.enable";

/// Context property names (the Java runtime's).
pub const ERROR_TOPIC: &str = "__connect.errors.topic";
pub const ERROR_PARTITION: &str = "__connect.errors.partition";
pub const ERROR_OFFSET: &str = "__connect.errors.offset";
pub const ERROR_STAGE: &str = "__connect.errors.stage";
pub const ERROR_CLASS: &str = "__connect.errors.class.name";
pub const ERROR_CONNECTOR: &str = "__connect.errors.connector.name";
pub const ERROR_TASK: &str = "__connect.errors.task.id";
pub const ERROR_EXCEPTION: &str = "__connect.errors.exception.class.name";
pub const ERROR_MESSAGE: &str = "__connect.errors.exception.message";
pub const ERROR_TRACE: &str = "__connect.errors.exception.stacktrace";

/// The keys, for validation.
pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .optional(
            TOPIC,
            ConfigType::String,
            "",
            "Topic failed records go to (with errors.tolerance=all); empty: none",
        )
        .optional(
            READ_QUEUES,
            ConfigType::Int,
            "8",
            "Read queues of the dead-letter topic when it is created",
        )
        .optional(
            WRITE_QUEUES,
            ConfigType::Int,
            "8",
            "Write queues of the dead-letter topic when it is created",
        )
        .optional(
            CONTEXT_PROPERTIES,
            ConfigType::Boolean,
            "false",
            "Add __connect.errors.* properties saying where and why a record failed",
        )
}

/// The exception class a Java tool reading the properties would expect.
fn exception_class(error: &ConnectError) -> &'static str {
    match error {
        ConnectError::Config(_) => "org.apache.rocketmq.connect.runtime.errors.ConfigException",
        ConnectError::Schema(_) | ConnectError::Data(_) => {
            "io.openmessaging.connector.api.errors.ConnectException$DataException"
        }
        ConnectError::Retriable(_) => "io.openmessaging.connector.api.errors.RetriableException",
        ConnectError::Other(_) => "io.openmessaging.connector.api.errors.ConnectException",
    }
}

/// The dead-letter settings of a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetterConfig {
    pub topic: String,
    pub write_queues: i32,
    pub context_properties: bool,
}

impl DeadLetterConfig {
    /// `None` when no dead-letter topic is set.
    pub fn from_config(config: &Config) -> ConnectResult<Option<Self>> {
        let errors = config_def().validate(config);
        if !errors.is_empty() {
            return Err(ConnectError::Config(errors));
        }
        let Some(topic) = config.get_trimmed(TOPIC) else {
            return Ok(None);
        };
        let write_queues = config.get_i64_or(WRITE_QUEUES, 8)?;
        Ok(Some(Self {
            topic: topic.to_owned(),
            write_queues: i32::try_from(write_queues.clamp(1, 1024)).unwrap_or(8),
            context_properties: config.get_bool_or(CONTEXT_PROPERTIES, false)?,
        }))
    }
}

/// Sends letters to the dead-letter topic of one task.
#[derive(Debug)]
pub struct DeadLetterQueue {
    producer: Arc<dyn MqProducer>,
    config: DeadLetterConfig,
    connector: String,
    task: u32,
}

impl DeadLetterQueue {
    /// Creates the topic if needed (and allowed) and starts a producer.
    pub async fn open(
        client: &dyn MqClient,
        settings: &DataPlaneSettings,
        config: DeadLetterConfig,
        id: &TaskId,
    ) -> ConnectResult<Self> {
        if settings.auto_create_topics {
            client
                .ensure_topic(&config.topic, config.write_queues)
                .await?;
        }
        Ok(Self {
            producer: client.producer(&settings.producer_group).await?,
            config,
            connector: id.connector.clone(),
            task: id.task,
        })
    }

    /// Opens the dead-letter queue the task's plan asks for, retrying through broker
    /// outages (shown in the status). `Ok(Some(None))`: none configured; `Ok(None)`: the task
    /// was stopped meanwhile.
    pub async fn open_configured(
        control: &mut LoopControl,
        policy: &ErrorPolicy,
        client: &dyn MqClient,
        settings: &DataPlaneSettings,
        wanted: Option<DeadLetterConfig>,
        id: &TaskId,
    ) -> ConnectResult<Option<Option<Self>>> {
        let Some(wanted) = wanted else {
            return Ok(Some(None));
        };
        let opened = control
            .until_ok("opening the dead-letter topic", policy, || {
                Self::open(client, settings, wanted.clone(), id)
            })
            .await?;
        Ok(opened.map(Some))
    }

    /// Readdresses `message` (see [`Self::letter`]) and sends it, retrying through broker
    /// outages; `false` when the task was stopped meanwhile (the record stays
    /// unacknowledged). A permanent refusal is logged and the record counts as handled —
    /// `errors.tolerance=all` is consent to skipping it.
    pub async fn deliver(
        &self,
        control: &mut LoopControl,
        policy: &ErrorPolicy,
        message: OutgoingMessage,
        origin: &Origin,
        failure: &Failure,
    ) -> bool {
        let letter = self.letter(message, origin, failure);
        let metrics = control.metrics.clone();
        metrics.dlq_requests.inc();
        match control
            .until_ok("sending to the dead-letter topic", policy, || {
                let (letter, metrics) = (letter.clone(), metrics.clone());
                async move {
                    let sent = self.send(letter).await;
                    if sent.is_err() {
                        metrics.dlq_failures.inc();
                    }
                    sent
                }
            })
            .await
        {
            Ok(Some(())) => true,
            Ok(None) => false,
            Err(e) => {
                tracing::error!(topic = %self.config.topic, error = %e, "a failed record could not be sent to the dead-letter topic; skipped");
                true
            }
        }
    }

    /// Readdresses `message` to the dead-letter topic, with context properties if enabled.
    pub fn letter(
        &self,
        mut message: OutgoingMessage,
        origin: &Origin,
        failure: &Failure,
    ) -> OutgoingMessage {
        message.topic.clone_from(&self.config.topic);
        if self.config.context_properties {
            let error = &failure.error;
            let context = [
                (ERROR_TOPIC, origin.topic.clone()),
                (ERROR_PARTITION, origin.partition.clone()),
                (ERROR_OFFSET, origin.offset.clone()),
                (ERROR_STAGE, failure.stage.as_str().to_owned()),
                (ERROR_CLASS, failure.class_name.clone()),
                (ERROR_CONNECTOR, self.connector.clone()),
                (ERROR_TASK, self.task.to_string()),
                (ERROR_EXCEPTION, exception_class(error).to_owned()),
                (ERROR_MESSAGE, error.to_string()),
                (ERROR_TRACE, format!("{error:?}")),
            ];
            for (key, value) in context {
                message.properties.insert(key.to_owned(), value);
            }
        }
        message
    }

    /// Sends one letter; a retriable error means it was not stored and may be sent again.
    pub async fn send(&self, letter: OutgoingMessage) -> ConnectResult<()> {
        let results = self.producer.send(std::slice::from_ref(&letter)).await;
        results
            .into_iter()
            .next()
            .unwrap_or_else(|| Err(ConnectError::retriable("no send result")))
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::failure::Stage;
    use crate::mq::memory::MemoryMq;

    #[tokio::test]
    async fn letters_go_to_the_dead_letter_topic_with_context() {
        let mq = MemoryMq::new();
        let config = Config::new()
            .with(TOPIC, "dlq")
            .with(CONTEXT_PROPERTIES, "true");
        let dlq = DeadLetterQueue::open(
            &mq,
            &DataPlaneSettings::default(),
            DeadLetterConfig::from_config(&config).unwrap().unwrap(),
            &TaskId::new("c1", 3),
        )
        .await
        .unwrap();
        let original = OutgoingMessage {
            topic: "orders".into(),
            keys: Some("k".into()),
            tags: None,
            body: bytes::Bytes::from_static(b"not json"),
            timestamp: None,
            properties: BTreeMap::new(),
            queue: None,
        };
        let failure = Failure {
            stage: Stage::ValueConverter,
            class_name: "JsonConverter".into(),
            error: ConnectError::data("expected JSON"),
        };
        let origin = Origin {
            topic: "orders".into(),
            partition: "2".into(),
            offset: "17".into(),
        };
        dlq.send(dlq.letter(original, &origin, &failure))
            .await
            .unwrap();
        let stored: Vec<_> = mq.messages("dlq").into_iter().flatten().collect();
        assert_eq!(stored.len(), 1);
        let letter = &stored[0];
        assert_eq!(&letter.body[..], b"not json");
        assert_eq!(letter.keys.as_deref(), Some("k"));
        let property = |k: &str| letter.properties.get(k).map(String::as_str);
        assert_eq!(property(ERROR_TOPIC), Some("orders"));
        assert_eq!(property(ERROR_PARTITION), Some("2"));
        assert_eq!(property(ERROR_OFFSET), Some("17"));
        assert_eq!(property(ERROR_STAGE), Some("VALUE_CONVERTER"));
        assert_eq!(property(ERROR_CONNECTOR), Some("c1"));
        assert_eq!(property(ERROR_TASK), Some("3"));
        assert!(property(ERROR_MESSAGE).unwrap().contains("expected JSON"));
        assert!(mq.messages("orders").is_empty());
    }

    #[test]
    fn no_topic_no_queue() {
        assert_eq!(DeadLetterConfig::from_config(&Config::new()).unwrap(), None);
        let err = DeadLetterConfig::from_config(
            &Config::new()
                .with(TOPIC, "d")
                .with(CONTEXT_PROPERTIES, "yes"),
        )
        .unwrap_err();
        assert!(err.to_string().contains(CONTEXT_PROPERTIES), "{err}");
    }
}
