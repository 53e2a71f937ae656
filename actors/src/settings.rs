//! [`WorkerSettings`]: the parts of the worker configuration the actors use.

use std::time::Duration;

use crate::security::{ConfigProviders, FileAccess, Limits};

/// Timeouts, intervals and policies of one worker.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub worker_id: String,
    /// How often tasks commit positions (`offsetCommitIntervalMsConfig`).
    pub offset_commit_interval: Duration,
    /// Longest a commit may take (`offsetCommitTimeoutMsConfig`).
    pub offset_commit_timeout: Duration,
    /// Longest a connector or task may take to start (`maxStartTimeoutMills`).
    pub start_timeout: Duration,
    /// Longest a connector or task may take to stop (`maxStopTimeoutMills`).
    pub stop_timeout: Duration,
    /// Task restart policy after failures.
    pub restart: RestartPolicy,
    /// Default converters (`keyConverter`, `valueConverter`).
    pub key_converter: String,
    pub value_converter: String,
    /// Whether tasks create missing topics (`autoCreateTopicEnable`).
    pub auto_create_topics: bool,
    /// Producer group of source tasks and dead-letter producers (`rmqProducerGroup`).
    pub producer_group: String,
    /// Directories connectors may read and write (`allowedPaths`), never the store.
    pub files: FileAccess,
    /// Configuration providers enabled (`configProviders`).
    pub providers: ConfigProviders,
    /// Bounds on connectors, tasks and configuration size.
    pub limits: Limits,
}

/// Exponential backoff for restarting failed tasks.
#[derive(Debug, Clone, Copy)]
pub struct RestartPolicy {
    /// Restarts before a task stays FAILED (`taskRestartMaxAttempts`).
    pub max_attempts: u32,
    /// First delay (`taskRestartBackoffInitialMs`), doubled each attempt…
    pub initial_backoff: Duration,
    /// …up to this (`taskRestartBackoffMaxMs`).
    pub max_backoff: Duration,
    /// A task that ran this long before failing starts counting attempts afresh.
    pub healthy_after: Duration,
}

impl RestartPolicy {
    /// The delay before restart number `attempt` (1-based).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            worker_id: "standalone-worker".to_owned(),
            offset_commit_interval: Duration::from_secs(30),
            offset_commit_timeout: Duration::from_secs(5),
            start_timeout: Duration::from_secs(180),
            stop_timeout: Duration::from_secs(10),
            restart: RestartPolicy {
                max_attempts: 10,
                initial_backoff: Duration::from_secs(1),
                max_backoff: Duration::from_secs(60),
                healthy_after: Duration::from_secs(60),
            },
            key_converter: crate::pipeline::DEFAULT_CONVERTER.to_owned(),
            value_converter: crate::pipeline::DEFAULT_CONVERTER.to_owned(),
            auto_create_topics: true,
            producer_group: "connector-producer-group".to_owned(),
            files: FileAccess::default(),
            providers: ConfigProviders::default(),
            limits: Limits::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = WorkerSettings::default().restart;
        let delays: Vec<u64> = (1..=8).map(|n| policy.backoff(n).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 60, 60]);
    }
}
