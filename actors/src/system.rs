//! Starting a standalone worker: a linear sequence, each step depending on the last.
//!
//! 1. Open the three stores (a corrupt document stops startup with its path).
//! 2. Start them on their own `SyncArbiter` threads (blocking, durable writes).
//! 3. Start the controller, which creates the worker (wired to report task configurations
//!    back to it) and the rebalancer, then restores stored connectors.

use std::sync::Arc;

use actix::prelude::*;
use parking_lot::Mutex;

use crate::catalog::Catalog;
use crate::config_store::ConfigStore;
use crate::controller::handle::ControllerHandle;
use crate::controller::{ConnectController, ControllerDeps};
use crate::offset_committer::OffsetCommitter;
use crate::ports::DocumentStore;
use crate::rebalancer::Rebalancer;
use crate::settings::WorkerSettings;
use crate::state_manager::StateManager;
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

/// Starts a standalone worker; must be called inside a running actix `System`.
pub fn start_standalone(
    settings: WorkerSettings,
    catalog: Catalog,
    stores: Stores,
    mq: Option<Arc<dyn crate::mq::MqClient>>,
) -> Result<ControllerHandle, String> {
    let settings = Arc::new(settings);
    let catalog = Arc::new(catalog);
    let config_store = start_sync(ConfigStore::open(stores.configs)?);
    let state_manager = start_sync(StateManager::open(
        stores.statuses,
        settings.worker_id.clone(),
    )?);
    let (committer, positions) = OffsetCommitter::open(stores.positions)?;
    let committer = start_sync(committer);

    let controller = ConnectController::create(|ctx| {
        let worker = Worker::new(WorkerDeps {
            settings: settings.clone(),
            catalog: catalog.clone(),
            state_manager: state_manager.clone(),
            committer: committer.clone(),
            positions,
            task_configs: ctx.address().recipient(),
            mq: mq.clone(),
        })
        .start();
        let rebalancer = Rebalancer::standalone(settings.worker_id.clone(), worker.clone()).start();
        ConnectController::new(ControllerDeps {
            settings: settings.clone(),
            catalog: catalog.clone(),
            config_store,
            state_manager,
            committer,
            worker,
            rebalancer,
            data_plane: mq.is_some(),
        })
    });
    Ok(ControllerHandle::new(controller))
}
