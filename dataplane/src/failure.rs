//! A record's failure: where in the pipeline (the Java runtime's stage names), which class,
//! what error — and where the record came from. What the error policy, the logs and the
//! dead-letter context properties are made of.

use connect_api::ConnectError;

/// Where in the pipeline a record failed (the Java runtime's stage names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    KeyConverter,
    ValueConverter,
    Transformation,
    TaskPut,
    RocketmqProduce,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::KeyConverter => "KEY_CONVERTER",
            Self::ValueConverter => "VALUE_CONVERTER",
            Self::Transformation => "TRANSFORMATION",
            Self::TaskPut => "TASK_PUT",
            Self::RocketmqProduce => "ROCKETMQ_PRODUCE",
        }
    }
}

/// A failure: stage, the class that failed there, and the error.
#[derive(Debug, Clone)]
pub struct Failure {
    pub stage: Stage,
    pub class_name: String,
    pub error: ConnectError,
}

/// Where the failed record came from: a queue position (sink side) or a source position.
#[derive(Debug, Clone)]
pub struct Origin {
    pub topic: String,
    pub partition: String,
    pub offset: String,
}
