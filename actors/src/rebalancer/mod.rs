//! The `Rebalancer` actor: turns (members, configurations) into this worker's assignment and
//! hands it to the worker. Standalone has one member; distributed membership plugs in here.

pub mod allocation;

use actix::prelude::*;

use crate::model::ConfigSnapshot;
use crate::worker::{ApplyAssignment, Worker};
use allocation::round_robin;

#[derive(Debug)]
pub struct Rebalancer {
    worker_id: String,
    members: Vec<String>,
    worker: Addr<Worker>,
}

impl Rebalancer {
    /// A rebalancer for a one-member (standalone) cluster.
    pub fn standalone(worker_id: String, worker: Addr<Worker>) -> Self {
        Self {
            members: vec![worker_id.clone()],
            worker_id,
            worker,
        }
    }
}

impl Actor for Rebalancer {
    type Context = Context<Self>;
}

/// Recompute and apply the assignment; replies once the worker has applied it.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Rebalance {
    pub snapshot: ConfigSnapshot,
}

impl Handler<Rebalance> for Rebalancer {
    type Result = AtomicResponse<Self, ()>;

    fn handle(&mut self, msg: Rebalance, _ctx: &mut Self::Context) -> Self::Result {
        let mut all = round_robin(&self.members, &msg.snapshot);
        let mine = all.remove(&self.worker_id).unwrap_or_default();
        let worker = self.worker.clone();
        AtomicResponse::new(Box::pin(
            async move {
                if let Err(e) = worker.send(ApplyAssignment { assignment: mine }).await {
                    tracing::error!(error = %e, "worker did not take the assignment");
                }
            }
            .into_actor(self),
        ))
    }
}
