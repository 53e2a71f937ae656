//! The `ConfigStore` actor: connector configurations, target states and task configurations,
//! changed by [`ConfigOp`]s. Only the controller sends it writes.
//!
//! Standalone keeps them in a crash-safe file (a change is a blocking, durable write, hence the
//! `SyncArbiter`). Distributed appends the operations to the config topic and answers once this
//! worker has replayed them (`ConfigLogState` is the replicated state), so every worker applies
//! every change in the same order; changes made through other workers reach the controller
//! through the log's listener.

pub mod ops;

use std::collections::VecDeque;
use std::time::Duration;

use actix::prelude::*;
use serde::{Deserialize, Serialize};

use crate::cluster::log::{ReplicatedLog, StateMachine};
use crate::model::ConfigSnapshot;
use crate::ports::{DocumentStore, load_json, save_json};
pub use ops::{ConfigOp, RestartRequest, apply_op};

#[derive(Debug, Default, Serialize, Deserialize)]
struct Document {
    connectors: ConfigSnapshot,
}

/// The configurations at some version (versions only grow; a newer view replaces an older).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigView {
    pub version: u64,
    pub connectors: ConfigSnapshot,
}

/// Restart requests a replica remembers (the owners act on them as they are read).
const RESTART_REQUESTS: usize = 1024;

/// The replicated configuration state of a distributed worker.
#[derive(Debug, Default)]
pub struct ConfigLogState {
    pub view: ConfigView,
    /// The latest restart requests with their offsets, oldest first. Not part of snapshots:
    /// a request is acted on when read, by the workers running its units then.
    pub restarts: VecDeque<(i64, RestartRequest)>,
}

impl ConfigLogState {
    /// Restart requests read after `offset`.
    pub fn restarts_after(&self, offset: i64) -> impl Iterator<Item = &(i64, RestartRequest)> {
        self.restarts.iter().filter(move |(at, _)| *at > offset)
    }
}

impl StateMachine for ConfigLogState {
    type Op = Vec<ConfigOp>;
    /// The version after the operations. Not the view itself: replaying a long log would clone
    /// every connector's configuration once per operation.
    type Outcome = u64;
    /// Configurations, target states and task configurations, with their version.
    type Snapshot = ConfigView;

    fn apply(&mut self, offset: i64, ops: &Vec<ConfigOp>) -> u64 {
        let mut changed = false;
        for op in ops {
            if let ConfigOp::Restart(request) = op {
                if self.restarts.len() == RESTART_REQUESTS {
                    self.restarts.pop_front();
                }
                self.restarts.push_back((offset, request.clone()));
            }
            changed |= apply_op(&mut self.view.connectors, op);
        }
        if changed {
            self.view.version = u64::try_from(offset).unwrap_or(0) + 1;
        }
        self.view.version
    }

    fn snapshot(&self) -> ConfigView {
        self.view.clone()
    }

    fn restore(&mut self, snapshot: ConfigView) {
        self.view = snapshot;
        self.restarts.clear();
    }
}

enum Backend {
    File {
        store: Box<dyn DocumentStore>,
        document: Document,
        version: u64,
    },
    Log {
        log: ReplicatedLog<ConfigLogState>,
        arbiter: ArbiterHandle,
        deadline: Duration,
    },
}

pub struct ConfigStore {
    backend: Backend,
}

impl std::fmt::Debug for ConfigStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigStore").finish_non_exhaustive()
    }
}

impl ConfigStore {
    /// A standalone store in `store`.
    pub fn open(store: Box<dyn DocumentStore>) -> Result<Self, String> {
        let document = load_json(store.as_ref())?;
        Ok(Self {
            backend: Backend::File {
                store,
                document,
                version: 0,
            },
        })
    }

    /// A distributed store over the config log; `arbiter` runs the appends.
    pub fn replicated(
        log: ReplicatedLog<ConfigLogState>,
        arbiter: ArbiterHandle,
        deadline: Duration,
    ) -> Self {
        Self {
            backend: Backend::Log {
                log,
                arbiter,
                deadline,
            },
        }
    }

    fn view(&self) -> ConfigView {
        match &self.backend {
            Backend::File {
                document, version, ..
            } => ConfigView {
                version: *version,
                connectors: document.connectors.clone(),
            },
            Backend::Log { log, .. } => log.read(|state| state.view.clone()),
        }
    }
}

impl Actor for ConfigStore {
    type Context = SyncContext<Self>;
}

#[derive(Debug, Message)]
#[rtype(result = "ConfigView")]
pub struct GetConfigs;

/// Applies operations together; replies with the resulting configurations.
#[derive(Debug, Message)]
#[rtype(result = "Result<ConfigView, String>")]
pub struct ApplyOps {
    pub ops: Vec<ConfigOp>,
}

impl Handler<GetConfigs> for ConfigStore {
    type Result = MessageResult<GetConfigs>;
    fn handle(&mut self, _msg: GetConfigs, _ctx: &mut Self::Context) -> Self::Result {
        MessageResult(self.view())
    }
}

impl Handler<ApplyOps> for ConfigStore {
    type Result = Result<ConfigView, String>;
    fn handle(&mut self, msg: ApplyOps, _ctx: &mut Self::Context) -> Self::Result {
        match &mut self.backend {
            Backend::File {
                store,
                document,
                version,
            } => {
                let mut next = Document {
                    connectors: document.connectors.clone(),
                };
                let mut changed = false;
                for op in &msg.ops {
                    changed |= apply_op(&mut next.connectors, op);
                }
                if changed {
                    save_json(store.as_ref(), &next)?;
                    *document = next;
                    *version += 1;
                }
                Ok(self.view())
            }
            Backend::Log {
                log,
                arbiter,
                deadline,
            } => {
                // The view read after the append is at least as new as the append's own
                // version (later operations by others may be in it too; versions only grow).
                log.append_blocking(arbiter, msg.ops, *deadline)
                    .map_err(|e| e.to_string())?;
                Ok(self.view())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use connect_api::Config;

    use super::*;
    use crate::model::TargetState;
    use crate::ports::MemoryDocument;

    /// What was saved is what a new store (a restarted worker) loads.
    #[actix_rt::test]
    async fn saved_entries_survive_a_restart() {
        let doc = MemoryDocument::default();
        let store = SyncArbiter::start(1, {
            let doc = doc.clone();
            move || ConfigStore::open(Box::new(doc.clone())).unwrap()
        });
        let config = Config::new().with("connector.class", "X");
        let put = |name: &str| ConfigOp::PutConfig {
            name: name.to_owned(),
            config: config.clone(),
        };
        let view = store
            .send(ApplyOps {
                ops: vec![put("a"), put("b")],
            })
            .await
            .unwrap()
            .unwrap();
        assert_eq!((view.version, view.connectors.len()), (1, 2));
        let pause = ConfigOp::SetTarget {
            name: "a".to_owned(),
            target: TargetState::Paused,
        };
        let delete = ConfigOp::Delete {
            name: "b".to_owned(),
        };
        let view = store
            .send(ApplyOps {
                ops: vec![pause, delete],
            })
            .await
            .unwrap()
            .unwrap();
        assert_eq!(view.version, 2);

        let reopened = ConfigStore::open(Box::new(doc)).unwrap();
        let connectors = reopened.view().connectors;
        assert_eq!(connectors.len(), 1);
        assert_eq!(connectors["a"].target, TargetState::Paused);
        assert_eq!(connectors["a"].config, config);
    }

    #[test]
    fn a_corrupt_document_is_an_error() {
        let doc = MemoryDocument::default();
        doc.save(b"{not json").unwrap();
        assert!(
            ConfigStore::open(Box::new(doc))
                .unwrap_err()
                .contains("not a valid store document")
        );
    }
}
