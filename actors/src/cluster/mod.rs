//! Distributed mode: the control plane on RocketMQ topics.
//!
//! - [`log`]: `ReplicatedLog`, a deterministic state machine replicated through a one-queue
//!   topic; the config store, the state manager and the offset committer use one each
//!   (`configStoreTopic`, `connectStatusTopic`, `positionStoreTopic`).
//! - [`membership`]: the `Membership` actor: heartbeats on `clusterStoreTopic`, the live
//!   members, self-fencing when this worker cannot see its own heartbeats.
//!
//! How the pieces fence each other: the rebalancer claims the units it is about to run in the
//! position log; a claim's epoch is its place in that log, commits and statuses carry it, and
//! the newest claim wins everywhere (see `offset_committer::replicated`).

pub mod log;
pub mod membership;

use std::sync::Arc;
use std::time::Duration;

use parking_lot::RwLock;

use crate::allocation::Strategy;

/// The live members as this worker sees them (for `/getClusterInfo`).
pub type Members = Arc<RwLock<Vec<String>>>;

/// The distributed worker's cluster configuration.
#[derive(Debug, Clone)]
pub struct ClusterSettings {
    /// `connectClusterId`: names the cluster's groups.
    pub cluster_id: String,
    pub config_topic: String,
    pub position_topic: String,
    pub status_topic: String,
    pub cluster_topic: String,
    pub strategy: Strategy,
    /// How often a worker announces itself (`heartbeatIntervalMs`).
    pub heartbeat_interval: Duration,
    /// A member not heard from for this long is gone (`sessionTimeoutMs`); a worker that has
    /// not seen its own heartbeat for half of it stops its tasks (it is cut off).
    pub session_timeout: Duration,
    /// Longest a control-plane write waits for its record to come back.
    pub write_deadline: Duration,
    /// When the control logs are snapshotted (`controlLogSnapshotRecords`,
    /// `controlLogSnapshotIntervalMs`).
    pub snapshots: log::SnapshotPolicy,
}

impl Default for ClusterSettings {
    fn default() -> Self {
        Self {
            cluster_id: "DefaultConnectCluster".to_owned(),
            config_topic: "connector-config-topic".to_owned(),
            position_topic: "connector-position-topic".to_owned(),
            status_topic: "connector-status-topic".to_owned(),
            cluster_topic: "connector-cluster-topic".to_owned(),
            strategy: Strategy::default(),
            heartbeat_interval: Duration::from_millis(1000),
            session_timeout: Duration::from_millis(6000),
            write_deadline: Duration::from_secs(15),
            snapshots: log::SnapshotPolicy::default(),
        }
    }
}
