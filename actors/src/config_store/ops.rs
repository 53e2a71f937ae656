//! Configuration changes as operations, applied the same way by the standalone file store and
//! by every worker replaying the distributed config log.
//!
//! Operations say what the writer meant, not the whole resulting entry, so two workers writing
//! at once cannot undo each other: a pause does not carry task configurations that a concurrent
//! reconfiguration replaced, and task configurations computed from an older connector
//! configuration are dropped (`SetTasks::computed_from`).

use connect_api::Config;
use serde::{Deserialize, Serialize};

use crate::model::{ConfigSnapshot, ConnectorEntry, TargetState};

/// One change to the connector configurations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum ConfigOp {
    /// Creates a connector (target STARTED) or replaces its configuration (target kept, task
    /// configurations cleared until the connector computes new ones).
    PutConfig { name: String, config: Config },
    /// Pauses, resumes or stops an existing connector; stopping drops its task configurations.
    SetTarget { name: String, target: TargetState },
    /// Task configurations, applied only if the connector still has `computed_from` and is
    /// not stopped (a reconfiguration racing a stop must not bring its tasks back).
    SetTasks {
        name: String,
        computed_from: Config,
        tasks: Vec<Config>,
    },
    /// Removes a connector (its positions are kept).
    Delete { name: String },
    /// Asks whichever worker runs them to restart a connector instance and/or some of its
    /// tasks (distributed: any worker's REST API reaches the owner through the log); changes
    /// no configuration.
    Restart(RestartRequest),
}

/// What a restart request names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestartRequest {
    pub name: String,
    /// Restart the connector instance.
    pub connector: bool,
    /// Restart these tasks.
    pub tasks: Vec<u32>,
}

impl ConfigOp {
    /// The connector it changes.
    pub fn name(&self) -> &str {
        match self {
            Self::PutConfig { name, .. }
            | Self::SetTarget { name, .. }
            | Self::SetTasks { name, .. }
            | Self::Delete { name }
            | Self::Restart(RestartRequest { name, .. }) => name,
        }
    }
}

/// Applies `op`; returns whether anything changed.
pub fn apply_op(snapshot: &mut ConfigSnapshot, op: &ConfigOp) -> bool {
    match op {
        ConfigOp::PutConfig { name, config } => match snapshot.get_mut(name) {
            Some(entry) if entry.config == *config => false,
            Some(entry) => {
                entry.config = config.clone();
                entry.tasks.clear();
                true
            }
            None => {
                snapshot.insert(
                    name.clone(),
                    ConnectorEntry {
                        config: config.clone(),
                        target: TargetState::Started,
                        tasks: Vec::new(),
                    },
                );
                true
            }
        },
        ConfigOp::SetTarget { name, target } => match snapshot.get_mut(name) {
            Some(entry) => {
                let stopping = *target == TargetState::Stopped && !entry.tasks.is_empty();
                if stopping {
                    entry.tasks.clear();
                }
                let changed = entry.target != *target;
                entry.target = *target;
                changed || stopping
            }
            None => false,
        },
        ConfigOp::SetTasks {
            name,
            computed_from,
            tasks,
        } => match snapshot.get_mut(name) {
            Some(entry)
                if entry.config == *computed_from
                    && entry.tasks != *tasks
                    && entry.target != TargetState::Stopped =>
            {
                entry.tasks = tasks.clone();
                true
            }
            _ => false,
        },
        ConfigOp::Delete { name } => snapshot.remove(name).is_some(),
        ConfigOp::Restart(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(class: &str) -> Config {
        Config::new().with("connector.class", class)
    }

    #[test]
    fn stopping_drops_task_configs_and_refuses_late_ones_until_resumed() {
        let mut snap = ConfigSnapshot::new();
        let put = ConfigOp::PutConfig {
            name: "a".into(),
            config: config("X"),
        };
        let tasks = ConfigOp::SetTasks {
            name: "a".into(),
            computed_from: config("X"),
            tasks: vec![Config::new(); 2],
        };
        let target = |target| ConfigOp::SetTarget {
            name: "a".into(),
            target,
        };
        assert!(apply_op(&mut snap, &put));
        assert!(apply_op(&mut snap, &tasks));
        assert!(apply_op(&mut snap, &target(TargetState::Stopped)));
        assert_eq!(snap["a"].target, TargetState::Stopped);
        assert!(snap["a"].tasks.is_empty());
        // Task configurations computed before the stop arrive late: refused.
        assert!(!apply_op(&mut snap, &tasks));
        assert!(snap["a"].tasks.is_empty());
        assert!(!apply_op(&mut snap, &target(TargetState::Stopped)));
        // Resumed, the connector computes them again.
        assert!(apply_op(&mut snap, &target(TargetState::Started)));
        assert!(apply_op(&mut snap, &tasks));
        assert_eq!(snap["a"].tasks.len(), 2);
    }

    #[test]
    fn stale_task_configs_and_concurrent_pauses_do_not_undo_newer_state() {
        let mut snap = ConfigSnapshot::new();
        assert!(apply_op(
            &mut snap,
            &ConfigOp::PutConfig {
                name: "a".into(),
                config: config("X")
            }
        ));
        assert!(apply_op(
            &mut snap,
            &ConfigOp::SetTasks {
                name: "a".into(),
                computed_from: config("X"),
                tasks: vec![Config::new()]
            }
        ));
        // Reconfigured: the old tasks go, and tasks computed from the old config are refused.
        assert!(apply_op(
            &mut snap,
            &ConfigOp::PutConfig {
                name: "a".into(),
                config: config("Y")
            }
        ));
        assert!(snap["a"].tasks.is_empty());
        assert!(!apply_op(
            &mut snap,
            &ConfigOp::SetTasks {
                name: "a".into(),
                computed_from: config("X"),
                tasks: vec![Config::new(); 3]
            }
        ));
        assert!(snap["a"].tasks.is_empty());
        // A pause keeps the configuration and tasks written concurrently.
        assert!(apply_op(
            &mut snap,
            &ConfigOp::SetTasks {
                name: "a".into(),
                computed_from: config("Y"),
                tasks: vec![Config::new(); 2]
            }
        ));
        assert!(apply_op(
            &mut snap,
            &ConfigOp::SetTarget {
                name: "a".into(),
                target: TargetState::Paused
            }
        ));
        assert_eq!(snap["a"].tasks.len(), 2);
        assert_eq!(snap["a"].target, TargetState::Paused);
        // Re-putting the same config changes nothing; target survives reconfiguration.
        assert!(!apply_op(
            &mut snap,
            &ConfigOp::PutConfig {
                name: "a".into(),
                config: config("Y")
            }
        ));
        assert!(apply_op(
            &mut snap,
            &ConfigOp::PutConfig {
                name: "a".into(),
                config: config("Z")
            }
        ));
        assert_eq!(snap["a"].target, TargetState::Paused);
        // Operations on a deleted connector are no-ops.
        assert!(apply_op(&mut snap, &ConfigOp::Delete { name: "a".into() }));
        assert!(!apply_op(
            &mut snap,
            &ConfigOp::SetTarget {
                name: "a".into(),
                target: TargetState::Started
            }
        ));
        assert!(!apply_op(&mut snap, &ConfigOp::Delete { name: "a".into() }));
        assert!(snap.is_empty());
    }
}
