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

/// The control logs' readers, closed together when the worker shuts down (after its last
/// commits were read back and its last statuses stored), so the client has no reader left to
/// keep alive.
#[derive(Clone, Default)]
pub struct ControlLogs {
    closers: Arc<parking_lot::Mutex<Vec<Closer>>>,
}

type Closer = Box<dyn Fn() -> Closing + Send + Sync>;

impl std::fmt::Debug for ControlLogs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ControlLogs")
            .field("readers", &self.closers.lock().len())
            .finish()
    }
}

pub type Closing = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// Longest a control log's reader takes to let go of its topic at shutdown.
const CLOSE_BOUND: Duration = Duration::from_secs(2);

impl ControlLogs {
    pub fn add<S: log::StateMachine>(&self, log: &log::ReplicatedLog<S>) {
        let log = log.clone();
        self.add_reader(move || Box::pin(log.close(CLOSE_BOUND)));
    }

    /// Adds another reader: `close` tells it to stop and waits (boundedly) until it has.
    pub fn add_reader(&self, close: impl Fn() -> Closing + Send + Sync + 'static) {
        self.closers.lock().push(Box::new(close));
    }

    /// Closes every log's reader (concurrently) and waits until they have let go.
    pub async fn close(&self) {
        // Every reader is told first, so they let go at the same time.
        let closing: Vec<Closing> = self.closers.lock().iter().map(|close| close()).collect();
        for closed in closing {
            closed.await;
        }
    }
}

/// The producer group of a worker's control records (the three logs and heartbeats share
/// one producer).
pub fn control_producer_group(cluster_id: &str, worker_id: &str) -> String {
    format!("{cluster_id}-control-{worker_id}")
}

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
