//! [`WorkerSettings`]: the parts of the worker configuration the actors use.

use std::time::Duration;

use connect_dataplane::settings::DataPlaneSettings;

use crate::security::{ConfigProviders, FileAccess, Gate, Limits};

/// Timeouts, intervals and policies of one worker.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub worker_id: String,
    /// What every data loop of this worker uses: commit interval and timeout, default
    /// converters, topic creation, producer group.
    pub data: DataPlaneSettings,
    /// Longest a connector or task may take to start (`maxStartTimeoutMills`).
    pub start_timeout: Duration,
    /// Longest a connector or task may take to stop (`maxStopTimeoutMills`).
    pub stop_timeout: Duration,
    /// Task restart policy after failures.
    pub restart: RestartPolicy,
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

impl WorkerSettings {
    /// What the configuration gate (`security::prepare`) applies.
    pub fn gate(&self) -> Gate<'_> {
        Gate {
            files: &self.files,
            providers: &self.providers,
            limits: &self.limits,
        }
    }
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            worker_id: "standalone-worker".to_owned(),
            data: DataPlaneSettings::default(),
            start_timeout: Duration::from_secs(180),
            stop_timeout: Duration::from_secs(10),
            restart: RestartPolicy {
                max_attempts: 10,
                initial_backoff: Duration::from_secs(1),
                max_backoff: Duration::from_secs(60),
                healthy_after: Duration::from_secs(60),
            },
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
