//! The three data loops — [`source`] (task → RocketMQ), [`sink`] (RocketMQ → task) and
//! [`direct`] (task → task) — and [`run`], which starts the one a [`TaskPlan`] names. They
//! share polling with retries ([`LoopControl::polled`]), putting
//! ([`LoopControl::put_until_accepted`]), record retries (`control::record_with_retries!`) and
//! committing ([`crate::commit`]), so the failure policy is the same in every mode.

pub mod direct;
pub mod sink;
pub mod source;

#[cfg(test)]
mod tests;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use connect_api::{ConnectError, ConnectResult};

use crate::control::LoopControl;
use crate::mq::MqClient;
use crate::plan::{Mode, TaskPlan};
use crate::ports::PositionStore;
use crate::settings::DataPlaneSettings;

/// What a loop is connected to.
#[derive(Debug)]
pub struct LoopPorts {
    pub settings: Arc<DataPlaneSettings>,
    pub control: LoopControl,
    /// Source positions (source and direct loops).
    pub positions: Arc<dyn PositionStore>,
    /// The message queue (`None`: a worker without RocketMQ, direct mode only).
    pub mq: Option<Arc<dyn MqClient>>,
}

/// A loop, ready to be spawned on the task's thread.
pub type LoopFuture = Pin<Box<dyn Future<Output = ConnectResult<()>> + Send>>;

/// The loop `plan` describes; it runs until told to stop, and an `Err` fails the task.
pub fn run(plan: TaskPlan, ports: LoopPorts) -> LoopFuture {
    let TaskPlan {
        id,
        config,
        policy,
        pipeline,
        mode,
    } = plan;
    let LoopPorts {
        settings,
        control,
        positions,
        mq,
    } = ports;
    let no_mq = || -> LoopFuture {
        Box::pin(std::future::ready(Err(ConnectError::other(
            "this worker has no RocketMQ data plane: run the connector in direct mode \
             (connector.direct.enable=true)",
        ))))
    };
    match mode {
        Mode::Direct(direct) => Box::pin(
            direct::DirectLoop {
                id,
                direct,
                settings,
                control,
                positions,
            }
            .run(policy, pipeline.transforms),
        ),
        Mode::Source(source) => match mq {
            Some(client) => Box::pin(
                source::SourceLoop {
                    id,
                    config,
                    source,
                    settings,
                    control,
                    positions,
                    client,
                }
                .run(policy, pipeline),
            ),
            None => no_mq(),
        },
        Mode::Sink(sink) => match mq {
            Some(client) => Box::pin(
                sink::SinkLoop {
                    id,
                    config,
                    sink,
                    settings,
                    control,
                    client,
                }
                .run(policy, pipeline),
            ),
            None => no_mq(),
        },
    }
}
