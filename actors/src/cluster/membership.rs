//! The `Membership` actor: who is in the cluster, from heartbeats on `clusterStoreTopic`.
//!
//! Every worker sends a heartbeat each `heartbeat_interval` and reads everyone's (from the
//! topic's end: only live heartbeats matter). A member unheard for `session_timeout` is gone —
//! a killed worker's units move after that; a worker that shuts down says so and its units move
//! at once. Liveness is judged by when a heartbeat *arrives here*, so clocks need not agree.
//!
//! Self-fencing: a worker that has not read back its *own* heartbeat for half the session
//! timeout is cut off from the broker (or too slow to be trusted); it reports no members, so
//! the rebalancer stops everything it runs — before the others, who wait the full timeout,
//! start those units elsewhere.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use serde::{Deserialize, Serialize};

use super::{ClusterSettings, Members};
use connect_dataplane::mq::{ConsumeFrom, MqClient, MqConsumer, MqProducer, OutgoingMessage};

/// Longest the heartbeat reader waits for messages before looking whether to stop.
const READ_POLL: Duration = Duration::from_millis(250);

/// One heartbeat.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Beat {
    worker: String,
    /// Differs between two runs of one worker id (and between two processes sharing an id).
    incarnation: String,
    #[serde(default)]
    leaving: bool,
}

/// The members changed (sorted; empty when this worker is cut off).
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct MembersChanged {
    pub members: Vec<String>,
}

/// Announces that this worker leaves (after it stopped its units), then stops heartbeats.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Leave;

#[derive(Debug, Message)]
#[rtype(result = "()")]
struct Heard(Beat);

pub struct Membership {
    me: String,
    incarnation: String,
    settings: ClusterSettings,
    producer: Arc<dyn MqProducer>,
    heard: HashMap<String, (Instant, String)>,
    members: Members,
    rebalancer: Recipient<MembersChanged>,
    started: Instant,
    published: Option<Vec<String>>,
    leaving: bool,
    reader: Option<Box<dyn MqConsumer>>,
    /// Set by [`Leave`]: the heartbeat reader lets go of the topic.
    stop_reading: Arc<std::sync::atomic::AtomicBool>,
    /// Becomes true once the heartbeat reader has closed.
    reader_closed: tokio::sync::watch::Sender<bool>,
    /// Becomes true when the reader is told to stop (wakes it from a poll).
    stopping: tokio::sync::watch::Sender<bool>,
}

impl std::fmt::Debug for Membership {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Membership")
            .field("me", &self.me)
            .finish_non_exhaustive()
    }
}

impl Membership {
    /// Connects to the cluster topic; start the actor to begin heartbeats.
    pub async fn connect(
        client: &Arc<dyn MqClient>,
        me: String,
        incarnation: String,
        settings: ClusterSettings,
        members: Members,
        rebalancer: Recipient<MembersChanged>,
    ) -> connect_api::ConnectResult<Self> {
        client.ensure_topic(&settings.cluster_topic, 1).await?;
        let group = format!("{}-cluster-{me}", settings.cluster_id);
        let producer = client
            .producer(&super::control_producer_group(&settings.cluster_id, &me))
            .await?;
        let reader = client
            .reader(&group, &settings.cluster_topic, ConsumeFrom::LastOffset)
            .await?;
        Ok(Self {
            me,
            incarnation,
            settings,
            producer,
            heard: HashMap::new(),
            members,
            rebalancer,
            started: Instant::now(),
            published: None,
            leaving: false,
            reader: Some(reader),
            stop_reading: Arc::default(),
            reader_closed: tokio::sync::watch::channel(false).0,
            stopping: tokio::sync::watch::channel(false).0,
        })
    }

    fn beat(&self, leaving: bool) -> impl Future<Output = ()> + 'static {
        let producer = self.producer.clone();
        let beat = Beat {
            worker: self.me.clone(),
            incarnation: self.incarnation.clone(),
            leaving,
        };
        let message = OutgoingMessage {
            topic: self.settings.cluster_topic.clone(),
            keys: Some(self.me.clone()),
            body: serde_json::to_vec(&beat).unwrap_or_default().into(),
            // One queue for every worker's heartbeats, whatever the topic's queue count now is:
            // readers read only the queues that existed when they started.
            queue: Some(0),
            ..OutgoingMessage::default()
        };
        async move {
            if let Some(Err(e)) = producer.send(&[message]).await.pop() {
                tracing::debug!(error = %e, "heartbeat not sent");
            }
        }
    }

    /// Recomputes the live members and tells the rebalancer when they changed.
    fn review(&mut self) {
        let now = Instant::now();
        // Before one round of heartbeats has gone by, this worker does not know who is there.
        if self.leaving || now.duration_since(self.started) < self.settings.heartbeat_interval * 2 {
            return;
        }
        let session = self.settings.session_timeout;
        self.heard
            .retain(|_, (at, _)| now.duration_since(*at) < session);
        let own_fresh = self
            .heard
            .get(&self.me)
            .is_some_and(|(at, _)| now.duration_since(*at) < session / 2);
        let members: Vec<String> = if own_fresh {
            let mut members: Vec<String> = self.heard.keys().cloned().collect();
            members.sort();
            members
        } else {
            Vec::new()
        };
        if self.published.as_ref() != Some(&members) {
            if members.is_empty() {
                tracing::warn!(worker = %self.me, "own heartbeats are not coming back: cut off from the cluster, stopping every task here");
            } else {
                tracing::info!(?members, "cluster members");
            }
            *self.members.write() = members.clone();
            self.published = Some(members.clone());
            self.rebalancer.do_send(MembersChanged { members });
        }
    }
}

impl Membership {
    /// Tells the heartbeat reader to stop and waits (at most `bound`) until it has closed.
    pub fn reader_closer(
        &self,
        bound: Duration,
    ) -> impl Fn() -> super::Closing + Send + Sync + use<> {
        let stop = self.stop_reading.clone();
        let closed = self.reader_closed.clone();
        let stopping = self.stopping.clone();
        move || {
            stop.store(true, std::sync::atomic::Ordering::SeqCst);
            let _ = stopping.send(true);
            let mut closed = closed.subscribe();
            Box::pin(async move {
                let _ = tokio::time::timeout(bound, closed.wait_for(|done| *done)).await;
            })
        }
    }
}

impl Actor for Membership {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        if let Some(mut reader) = self.reader.take() {
            let me = ctx.address();
            let stop = self.stop_reading.clone();
            let closed = self.reader_closed.clone();
            let mut stopping = self.stopping.subscribe();
            actix::spawn(async move {
                loop {
                    if stop.load(std::sync::atomic::Ordering::SeqCst) {
                        reader.close().await;
                        let _ = closed.send(true);
                        return;
                    }
                    let polled = tokio::select! {
                        polled = reader.poll(READ_POLL) => polled,
                        // Told to stop: let go now rather than after the poll.
                        _ = stopping.wait_for(|stopping| *stopping) => continue,
                    };
                    match polled {
                        Ok(messages) => {
                            for message in messages {
                                if let Ok(beat) = serde_json::from_slice::<Beat>(&message.body)
                                    && me.try_send(Heard(beat)).is_err()
                                    && !me.connected()
                                {
                                    reader.close().await;
                                    let _ = closed.send(true);
                                    return;
                                }
                            }
                        }
                        Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
                    }
                    if !me.connected() {
                        reader.close().await;
                        let _ = closed.send(true);
                        return;
                    }
                }
            });
        }
        ctx.spawn(self.beat(false).into_actor(self));
        ctx.run_interval(self.settings.heartbeat_interval, |actor, ctx| {
            if !actor.leaving {
                ctx.spawn(actor.beat(false).into_actor(actor));
            }
        });
        let check = (self.settings.heartbeat_interval / 4).max(Duration::from_millis(50));
        ctx.run_interval(check, |actor, _| actor.review());
    }
}

impl Handler<Heard> for Membership {
    type Result = ();
    fn handle(&mut self, Heard(beat): Heard, _ctx: &mut Self::Context) {
        if beat.worker == self.me && beat.incarnation != self.incarnation {
            tracing::error!(worker = %self.me, "another process uses this workerId: give every worker its own");
            return;
        }
        if beat.leaving {
            self.heard.remove(&beat.worker);
            self.review();
        } else {
            let known = self.heard.contains_key(&beat.worker);
            self.heard
                .insert(beat.worker, (Instant::now(), beat.incarnation));
            if !known {
                self.review();
            }
        }
    }
}

impl Handler<Leave> for Membership {
    type Result = ResponseFuture<()>;
    fn handle(&mut self, _msg: Leave, _ctx: &mut Self::Context) -> Self::Result {
        self.leaving = true;
        let beat = self.beat(true);
        // The reader lets go now; shutdown waits for it with the control logs' readers.
        self.stop_reading
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = self.stopping.send(true);
        Box::pin(async move {
            let _ = tokio::time::timeout(Duration::from_secs(3), beat).await;
        })
    }
}
