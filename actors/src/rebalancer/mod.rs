//! The `Rebalancer` actor: turns (members, configurations) into this worker's assignment and
//! hands it to the worker, which stops and starts only what changed.
//!
//! Standalone has one member. Distributed: the members come from `Membership`, and before
//! running a unit this worker does not run yet it *claims* it in the position log; units whose
//! newest claim belongs to another worker are dropped at once (fenced) and not claimed back
//! for a session timeout, so two workers with briefly different views cannot take a unit from
//! each other in a loop. Claims that fail (broker away) are retried on the next tick.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use actix::prelude::*;

use crate::allocation::{Assignment, Strategy};
use crate::cluster::log::ReplicatedLog;
use crate::cluster::membership::{Leave, MembersChanged};
use crate::model::{ConfigSnapshot, TaskId, Unit};
use crate::offset_committer::{PositionLogState, PositionOp, PositionOutcome};
use crate::worker::{ApplyAssignment, Worker};

/// How often a distributed rebalancer re-checks (failed claims, fencing).
const TICK: Duration = Duration::from_secs(2);

/// The distributed parts.
#[derive(Debug)]
struct Cluster {
    claims: ReplicatedLog<PositionLogState>,
    /// Whether the members are known yet.
    ready: bool,
    cooldown: HashMap<Unit, Instant>,
    hold_off: Duration,
    deadline: Duration,
    membership: Option<Recipient<Leave>>,
}

#[derive(Debug)]
pub struct Rebalancer {
    worker_id: String,
    members: Vec<String>,
    snapshot: ConfigSnapshot,
    strategy: Strategy,
    worker: Addr<Worker>,
    /// What the worker was last told to run.
    current: Assignment,
    cluster: Option<Cluster>,
    stopped: bool,
}

impl Rebalancer {
    /// A rebalancer for a one-member (standalone) cluster.
    pub fn standalone(worker_id: String, worker: Addr<Worker>) -> Self {
        Self {
            members: vec![worker_id.clone()],
            worker_id,
            snapshot: ConfigSnapshot::new(),
            strategy: Strategy::RoundRobin,
            worker,
            current: Assignment::default(),
            cluster: None,
            stopped: false,
        }
    }

    /// A distributed rebalancer; it assigns nothing until the members are known.
    pub fn distributed(
        worker_id: String,
        worker: Addr<Worker>,
        strategy: Strategy,
        claims: ReplicatedLog<PositionLogState>,
        settings: &crate::cluster::ClusterSettings,
    ) -> Self {
        Self {
            members: Vec::new(),
            worker_id,
            snapshot: ConfigSnapshot::new(),
            strategy,
            worker,
            current: Assignment::default(),
            cluster: Some(Cluster {
                claims,
                ready: false,
                cooldown: HashMap::new(),
                hold_off: settings.session_timeout,
                deadline: settings.write_deadline,
                membership: None,
            }),
            stopped: false,
        }
    }

    /// What this worker should run now (without claims).
    fn desired(&self) -> Assignment {
        if self.stopped || self.cluster.as_ref().is_some_and(|c| !c.ready) {
            return Assignment::default();
        }
        self.strategy
            .allocate(&self.members, &self.snapshot)
            .remove(&self.worker_id)
            .unwrap_or_default()
    }

    /// Computes the assignment, claims what is new (distributed) and applies it.
    fn rebalance(&mut self) -> AtomicResponse<Self, ()> {
        let mut wanted = self.desired();
        let Some(cluster) = &mut self.cluster else {
            return self.apply(wanted);
        };
        // Fenced: units this worker runs whose newest claim is someone else's.
        let fenced: Vec<Unit> = cluster.claims.read(|state| {
            self.current
                .epochs
                .iter()
                .filter(|(unit, epoch)| {
                    state
                        .claims
                        .get(*unit)
                        .is_some_and(|(newest, _)| newest != *epoch)
                })
                .map(|(unit, _)| unit.clone())
                .collect()
        });
        let now = Instant::now();
        for unit in fenced {
            tracing::warn!(%unit, "another worker claimed it: stopping it here");
            cluster.cooldown.insert(unit.clone(), now);
            self.current.epochs.remove(&unit);
        }
        let hold_off = cluster.hold_off;
        cluster
            .cooldown
            .retain(|_, since| now.duration_since(*since) < hold_off);
        let cooling = |unit: &Unit| cluster.cooldown.contains_key(unit);
        wanted
            .connectors
            .retain(|name, _| !cooling(&Unit::Connector(name.clone())));
        wanted
            .tasks
            .retain(|id, _| !cooling(&Unit::Task(id.clone())));
        let units = units_of(&wanted);
        let mut to_claim = Vec::new();
        for unit in units {
            match self.current.epochs.get(&unit) {
                Some(epoch) => {
                    wanted.epochs.insert(unit, *epoch);
                }
                None => to_claim.push(unit),
            }
        }
        if to_claim.is_empty() {
            return self.apply(wanted);
        }
        let claims = cluster.claims.clone();
        let deadline = cluster.deadline;
        let op = PositionOp::Claim {
            worker: self.worker_id.clone(),
            units: to_claim.clone(),
        };
        AtomicResponse::new(Box::pin(
            async move { claims.append(op, deadline).await }
                .into_actor(self)
                .then(move |claimed, actor, _ctx| {
                    match claimed {
                        Ok(applied) => {
                            if let PositionOutcome::Claimed { epoch } = applied.outcome {
                                for unit in to_claim {
                                    wanted.epochs.insert(unit, epoch);
                                }
                            }
                        }
                        Err(e) => {
                            // Run only what is already claimed; the next tick tries again.
                            tracing::warn!(error = %e, units = to_claim.len(), "could not claim units; retrying");
                            for unit in &to_claim {
                                match unit {
                                    Unit::Connector(name) => {
                                        wanted.connectors.remove(name);
                                    }
                                    Unit::Task(id) => {
                                        wanted.tasks.remove(id);
                                    }
                                }
                            }
                        }
                    }
                    actor.send_to_worker(wanted)
                }),
        ))
    }

    fn apply(&mut self, wanted: Assignment) -> AtomicResponse<Self, ()> {
        AtomicResponse::new(Box::pin(self.send_to_worker(wanted)))
    }

    fn send_to_worker(
        &mut self,
        wanted: Assignment,
    ) -> impl ActorFuture<Self, Output = ()> + use<> {
        let worker = self.worker.clone();
        let sent = wanted.clone();
        async move {
            if let Err(e) = worker.send(ApplyAssignment { assignment: sent }).await {
                tracing::error!(error = %e, "worker did not take the assignment");
            }
        }
        .into_actor(self)
        .map(move |(), actor, _| actor.current = wanted)
    }
}

/// Every unit of an assignment.
fn units_of(assignment: &Assignment) -> Vec<Unit> {
    assignment
        .connectors
        .keys()
        .map(|name| Unit::Connector(name.clone()))
        .chain(
            assignment
                .tasks
                .keys()
                .map(|id: &TaskId| Unit::Task(id.clone())),
        )
        .collect()
}

impl Actor for Rebalancer {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        if self.cluster.is_some() {
            ctx.run_interval(TICK, |_, ctx| ctx.notify(Tick));
        }
    }
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
        self.snapshot = msg.snapshot;
        self.rebalance()
    }
}

impl Handler<MembersChanged> for Rebalancer {
    type Result = AtomicResponse<Self, ()>;

    fn handle(&mut self, msg: MembersChanged, _ctx: &mut Self::Context) -> Self::Result {
        self.members = msg.members;
        if let Some(cluster) = &mut self.cluster {
            cluster.ready = true;
        }
        self.rebalance()
    }
}

/// The claims in the position log changed (someone may have taken a unit from here).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct ClaimsChanged;

impl Handler<ClaimsChanged> for Rebalancer {
    type Result = AtomicResponse<Self, ()>;
    fn handle(&mut self, _msg: ClaimsChanged, _ctx: &mut Self::Context) -> Self::Result {
        self.rebalance()
    }
}

#[derive(Debug, Message)]
#[rtype(result = "()")]
struct Tick;

impl Handler<Tick> for Rebalancer {
    type Result = AtomicResponse<Self, ()>;
    fn handle(&mut self, _msg: Tick, _ctx: &mut Self::Context) -> Self::Result {
        self.rebalance()
    }
}

/// Where a distributed rebalancer announces that this worker leaves.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct SetMembership(pub Recipient<Leave>);

impl Handler<SetMembership> for Rebalancer {
    type Result = ();
    fn handle(&mut self, msg: SetMembership, _ctx: &mut Self::Context) {
        if let Some(cluster) = &mut self.cluster {
            cluster.membership = Some(msg.0);
        }
    }
}

/// Stops every unit here (final commits included), then leaves the cluster; no more
/// assignments afterwards.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct StopAll;

impl Handler<StopAll> for Rebalancer {
    type Result = AtomicResponse<Self, ()>;
    fn handle(&mut self, _msg: StopAll, _ctx: &mut Self::Context) -> Self::Result {
        self.stopped = true;
        let leave = self.cluster.as_ref().and_then(|c| c.membership.clone());
        AtomicResponse::new(Box::pin(self.send_to_worker(Assignment::default()).then(
            move |(), actor, _| {
                async move {
                    if let Some(leave) = leave {
                        let _ = leave.send(Leave).await;
                    }
                }
                .into_actor(actor)
            },
        )))
    }
}
