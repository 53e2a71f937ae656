//! Starting a worker: a linear sequence, each step depending on the last.
//!
//! Standalone:
//!
//! 1. Open the three stores (a corrupt document stops startup with its path).
//! 2. Start them on their own `SyncArbiter` threads (blocking, durable writes).
//! 3. Start the controller, which creates the worker (wired to report task configurations
//!    back to it) and the rebalancer, then restores stored connectors.

use std::sync::Arc;

use actix::prelude::*;
use connect_dataplane::metrics::WorkerMetrics;
use parking_lot::Mutex;

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use crate::catalog::Catalog;
use crate::cluster::log::{ReplicatedLog, StateMachine};
use crate::cluster::membership::Membership;
use crate::cluster::{ClusterSettings, ControlLogs, Members};
use crate::config_store::ConfigLogState;
use crate::config_store::ConfigStore;
use crate::controller::handle::ControllerHandle;
use crate::controller::messages::{ConfigsChanged, RestartsRequested};
use crate::controller::{ConnectController, ControllerDeps};
use crate::offset_committer::OffsetCommitter;
use crate::offset_committer::{PositionLogState, PositionTable};
use crate::ports::DocumentStore;
use crate::rebalancer::Rebalancer;
use crate::rebalancer::{ClaimsChanged, SetMembership};
use crate::settings::WorkerSettings;
use crate::state_manager::StateManager;
use crate::state_manager::StatusLogState;
use crate::worker::{Worker, WorkerDeps};

/// Where a worker keeps its state.
#[derive(Debug)]
pub struct Stores {
    pub configs: Box<dyn DocumentStore>,
    pub statuses: Box<dyn DocumentStore>,
    pub positions: Box<dyn DocumentStore>,
}

/// Starts a sync actor from an already-opened instance (the arbiter's one thread takes it).
fn start_sync<A>(actor: A) -> Addr<A>
where
    A: Actor<Context = SyncContext<A>> + Send,
{
    let slot = Mutex::new(Some(actor));
    SyncArbiter::start(1, move || {
        slot.lock()
            .take()
            .unwrap_or_else(|| unreachable!("a one-thread SyncArbiter builds its actor once"))
    })
}

/// What the controller, worker and rebalancer are wired to (the same in both modes; only the
/// stores' backends and the rebalancer differ).
struct Wiring {
    settings: Arc<WorkerSettings>,
    catalog: Arc<Catalog>,
    config_store: Addr<ConfigStore>,
    state_manager: Addr<StateManager>,
    committer: Addr<OffsetCommitter>,
    positions: PositionTable,
    mq: Option<Arc<dyn connect_dataplane::mq::MqClient>>,
    data_plane: bool,
    members: Option<Members>,
    control_logs: Option<ControlLogs>,
    metrics: Arc<WorkerMetrics>,
}

/// Starts the controller, which creates the worker (reporting task configurations back to
/// the controller) and the rebalancer `rebalancer` builds for that worker.
fn start_actors(
    wiring: Wiring,
    rebalancer: impl FnOnce(Addr<Worker>) -> Rebalancer,
) -> (Addr<ConnectController>, Addr<Rebalancer>) {
    let mut started = None;
    let controller = ConnectController::create(|ctx| {
        let worker = Worker::new(WorkerDeps {
            settings: wiring.settings.clone(),
            catalog: wiring.catalog.clone(),
            state_manager: wiring.state_manager.clone(),
            committer: wiring.committer.clone(),
            positions: wiring.positions,
            task_configs: ctx.address().recipient(),
            mq: wiring.mq,
            metrics: wiring.metrics,
        })
        .start();
        let rebalancer = rebalancer(worker.clone()).start();
        started = Some(rebalancer.clone());
        ConnectController::new(ControllerDeps {
            settings: wiring.settings,
            catalog: wiring.catalog,
            config_store: wiring.config_store,
            state_manager: wiring.state_manager,
            committer: wiring.committer,
            worker,
            rebalancer,
            data_plane: wiring.data_plane,
            members: wiring.members,
            control_logs: wiring.control_logs,
        })
    });
    let rebalancer =
        started.unwrap_or_else(|| unreachable!("ConnectController::create runs its closure"));
    (controller, rebalancer)
}

/// Starts a standalone worker; must be called inside a running actix `System`.
pub fn start_standalone(
    settings: WorkerSettings,
    catalog: Catalog,
    stores: Stores,
    mq: Option<Arc<dyn connect_dataplane::mq::MqClient>>,
) -> Result<ControllerHandle, String> {
    let settings = Arc::new(settings);
    let catalog = Arc::new(catalog);
    let metrics = WorkerMetrics::new();
    let config_store = start_sync(ConfigStore::open(stores.configs)?);
    let state_manager = start_sync(StateManager::open(
        stores.statuses,
        settings.worker_id.clone(),
    )?);
    let (committer, positions) = OffsetCommitter::open(stores.positions)?;
    let committer = start_sync(committer);

    let worker_id = settings.worker_id.clone();
    let (controller, _) = start_actors(
        Wiring {
            settings,
            catalog,
            config_store,
            state_manager,
            committer,
            positions,
            data_plane: mq.is_some(),
            mq,
            members: None,
            control_logs: None,
            metrics: metrics.clone(),
        },
        |worker| Rebalancer::standalone(worker_id, worker),
    );
    Ok(ControllerHandle::new(controller, metrics))
}

/// Starts a distributed worker; must be called inside a running actix `System`.
///
/// 1. Open the three replicated logs (config, status, position topics) and replay each to
///    its end, so the worker starts from the cluster's current state.
/// 2. Start the stores over them, then the controller, worker and a distributed rebalancer.
/// 3. Wire the logs' listeners: config changes from other workers reach the controller, new
///    claims reach the rebalancer (fencing).
/// 4. Join the cluster (`Membership`); the first assignment comes once the members are known.
pub async fn start_distributed(
    settings: WorkerSettings,
    cluster: ClusterSettings,
    catalog: Catalog,
    mq: Arc<dyn connect_dataplane::mq::MqClient>,
) -> Result<ControllerHandle, String> {
    let settings = Arc::new(settings);
    let catalog = Arc::new(catalog);
    let metrics = WorkerMetrics::new();
    let worker_id = settings.worker_id.clone();
    let incarnation = incarnation();
    let origin = format!("{worker_id}@{incarnation}");
    let open = Opener {
        mq: &mq,
        reader_prefix: format!("{}-", cluster.cluster_id),
        producer_group: crate::cluster::control_producer_group(&cluster.cluster_id, &worker_id),
        snapshots: cluster.snapshots,
        worker_id: &worker_id,
        origin: &origin,
    };
    let configs = open
        .log(&cluster.config_topic, "config", ConfigLogState::default())
        .await?;
    let statuses = open
        .log(&cluster.status_topic, "status", StatusLogState::default())
        .await?;
    let table = PositionTable::default();
    let positions = open
        .log(
            &cluster.position_topic,
            "position",
            PositionLogState::new(table.clone()),
        )
        .await?;
    tracing::info!(
        connectors = configs.read(|s| s.view.connectors.len()),
        "replayed the cluster's configuration"
    );

    let arbiter = Arbiter::current();
    let deadline = cluster.write_deadline;
    let config_store = start_sync(ConfigStore::replicated(
        configs.clone(),
        arbiter.clone(),
        deadline,
    ));
    let state_manager = start_sync(StateManager::replicated(
        statuses.clone(),
        &arbiter,
        worker_id.clone(),
        metrics.clone(),
    ));
    let committer = start_sync(OffsetCommitter::replicated(
        positions.clone(),
        arbiter,
        settings.data.offset_commit_timeout,
    ));
    let control_logs = ControlLogs::default();
    control_logs.add(&configs);
    control_logs.add(&statuses);
    control_logs.add(&positions);
    let members = Members::default();
    let claims = positions.clone();
    let (controller, rebalancer) = start_actors(
        Wiring {
            settings,
            catalog,
            config_store,
            state_manager,
            committer,
            positions: table,
            mq: Some(mq.clone()),
            data_plane: true,
            members: Some(members.clone()),
            control_logs: Some(control_logs.clone()),
            metrics: metrics.clone(),
        },
        |worker| {
            Rebalancer::distributed(
                worker_id.clone(),
                worker,
                cluster.strategy,
                claims,
                &cluster,
            )
        },
    );
    let to_controller = controller.clone();
    // Restart requests already in the log were for the workers of their time.
    let restarts_read = AtomicI64::new(configs.read(|s| s.restarts.back().map_or(-1, |r| r.0)));
    configs.on_change(move |state| {
        to_controller.do_send(ConfigsChanged {
            view: state.view.clone(),
        });
        let after = restarts_read.load(Ordering::Relaxed);
        let requests: Vec<_> = state.restarts_after(after).collect();
        if let Some((last, _)) = requests.last() {
            restarts_read.store(*last, Ordering::Relaxed);
            to_controller.do_send(RestartsRequested {
                requests: requests.into_iter().map(|(_, r)| r.clone()).collect(),
            });
        }
    });
    let to_rebalancer = rebalancer.clone();
    let seen_claims = AtomicU64::new(0);
    positions.on_change(move |state| {
        if seen_claims.swap(state.claims_version, Ordering::Relaxed) != state.claims_version {
            to_rebalancer.do_send(ClaimsChanged);
        }
    });
    let membership = Membership::connect(
        &mq,
        worker_id,
        incarnation,
        cluster,
        members,
        rebalancer.clone().recipient(),
    )
    .await
    .map_err(|e| format!("cannot join the cluster: {e}"))?;
    control_logs.add_reader(membership.reader_closer(std::time::Duration::from_secs(2)));
    let membership = membership.start();
    rebalancer.do_send(SetMembership(membership.recipient()));
    Ok(ControllerHandle::new(controller, metrics))
}

/// Opens this worker's replicated logs (each replayed to its end before it returns).
struct Opener<'a> {
    mq: &'a Arc<dyn connect_dataplane::mq::MqClient>,
    reader_prefix: String,
    worker_id: &'a str,
    origin: &'a str,
    snapshots: crate::cluster::log::SnapshotPolicy,
    producer_group: String,
}

impl Opener<'_> {
    async fn log<S: StateMachine>(
        &self,
        topic: &str,
        purpose: &str,
        state: S,
    ) -> Result<ReplicatedLog<S>, String> {
        let reader = format!("{}{purpose}-{}", self.reader_prefix, self.worker_id);
        ReplicatedLog::open(
            self.mq,
            topic,
            &reader,
            &self.producer_group,
            self.origin,
            state,
            self.snapshots,
        )
        .await
        .map_err(|e| format!("cannot replay the control topic {topic}: {e}"))
    }
}

/// Distinguishes this run of a worker from its earlier runs and from impostors.
fn incarnation() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{:x}-{}", nanos, std::process::id())
}
