//! The APIs describe themselves: `GET /openapi.json` (OpenAPI 3.1) on each listener — the
//! seed's API on `httpPort`, Kafka Connect's on `kafkaRestPort` — made by utoipa from the
//! handlers' own attributes and types, and Swagger UI at `/swagger-ui/` (its assets are
//! compiled in: nothing is fetched at build or run time). Also the small bodies only the API
//! description needs a type for.

use connect_actors::controller::messages::ConnectorDetails;
use connect_actors::model::{
    AllocatedTask, Allocation, ConnectorInfo, ConnectorKindName, ConnectorState,
    ConnectorStateInfo, State, TaskInfo, TaskRef, TaskState, WorkerTaskState,
};
use connect_api::{RecordOffset, RecordPartition};
use serde::Serialize;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

pub use super::response::{Envelope, ErrorEnvelope, KafkaError};

/// Any JSON value (a body the description does not detail).
#[derive(Debug, utoipa::ToSchema)]
pub struct AnyJson(pub serde_json::Value);

/// `GET /health`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `UP` while the worker answers.
    pub status: &'static str,
    /// How many connectors the cluster has.
    pub connectors: usize,
}

/// `{"offsets": [{"partition", "offset"}]}`: committed source positions.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Offsets {
    pub offsets: Vec<PartitionOffset>,
}

/// One partition's committed offset.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PartitionOffset {
    #[schema(value_type = Object)]
    pub partition: RecordPartition,
    #[schema(value_type = Object)]
    pub offset: RecordOffset,
}

impl From<Vec<(RecordPartition, RecordOffset)>> for Offsets {
    fn from(positions: Vec<(RecordPartition, RecordOffset)>) -> Self {
        Self {
            offsets: positions
                .into_iter()
                .map(|(partition, offset)| PartitionOffset { partition, offset })
                .collect(),
        }
    }
}

/// `POST /connectors`: `{"name", "config"}`.
#[derive(Debug, utoipa::ToSchema)]
#[allow(
    dead_code,
    reason = "the body is parsed by hand, to name what is wrong"
)]
pub struct CreateRequest {
    pub name: String,
    pub config: std::collections::BTreeMap<String, String>,
}

/// The seed's API.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "RocketMQ Connect (seed API)",
        description = "Connector management as the Java RocketMQ Connect runtime serves it: every success in `{\"status\", \"body\"}`, every error in `{\"errorCode\", \"message\"}`."
    ),
    paths(
        super::connectors::cluster_info,
        super::connectors::health,
        super::metrics::prometheus,
        super::metrics::json,
        super::plugins::list,
        super::plugins::list_connectors,
        super::plugins::reload,
        super::plugins::config,
        super::plugins::validate,
        super::connectors::allocated_connectors,
        super::connectors::allocated_tasks,
        super::connectors::names,
        super::connectors::create,
        super::connectors::list,
        super::connectors::create_or_update_list,
        super::connectors::delete_list,
        super::connectors::delete_all,
        super::connectors::pause_all,
        super::connectors::resume_all,
        super::connectors::get_or_create,
        super::connectors::create_or_update,
        super::connectors::delete,
        super::connectors::config,
        super::connectors::put_config,
        super::connectors::status,
        super::connectors::tasks,
        super::connectors::task_status,
        super::connectors::restart_task,
        super::connectors::stop,
        super::connectors::pause,
        super::connectors::resume,
        super::connectors::restart,
        super::connectors::offsets,
    ),
    components(schemas(
        ErrorEnvelope,
        Health,
        Offsets,
        PartitionOffset,
        CreateRequest,
        ConnectorInfo,
        ConnectorStateInfo,
        ConnectorState,
        TaskState,
        TaskInfo,
        TaskRef,
        State,
        ConnectorKindName,
        ConnectorDetails,
        Allocation,
        AllocatedTask,
        WorkerTaskState
    ))
)]
pub struct SeedApi;

/// Kafka Connect's API.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "RocketMQ Connect (Kafka Connect API)",
        description = "Kafka Connect's REST API (3.x/4.x): bare JSON bodies, errors as `{\"error_code\", \"message\"}`."
    ),
    paths(
        super::kafka::root,
        super::kafka::health,
        super::kafka::connectors::list,
        super::kafka::connectors::create,
        super::kafka::connectors::info,
        super::kafka::connectors::delete,
        super::kafka::connectors::config,
        super::kafka::connectors::put_config,
        super::kafka::connectors::patch_config,
        super::kafka::connectors::status,
        super::kafka::connectors::restart,
        super::kafka::connectors::pause,
        super::kafka::connectors::resume,
        super::kafka::connectors::stop,
        super::kafka::connectors::tasks,
        super::kafka::connectors::task_status,
        super::kafka::connectors::restart_task,
        super::kafka::connectors::topics,
        super::kafka::connectors::reset_topics,
        super::kafka::offsets::get,
        super::kafka::offsets::alter,
        super::kafka::offsets::reset,
        super::kafka::plugins::list,
        super::kafka::plugins::config,
        super::kafka::plugins::validate,
        super::kafka::loggers::list,
        super::kafka::loggers::get,
        super::kafka::loggers::set,
    ),
    components(schemas(
        KafkaError,
        Offsets,
        PartitionOffset,
        TaskRef,
        State,
        super::kafka::shapes::Info,
        super::kafka::shapes::Status,
        super::kafka::shapes::Task,
        super::kafka::shapes::StateOut,
        super::kafka::shapes::TaskStateOut
    ))
)]
pub struct KafkaApi;

/// `GET /openapi.json` and Swagger UI for the seed's API.
pub fn seed_ui() -> SwaggerUi {
    SwaggerUi::new("/swagger-ui/{_:.*}").url("/openapi.json", SeedApi::openapi())
}

/// `GET /openapi.json` and Swagger UI for Kafka Connect's API.
pub fn kafka_ui() -> SwaggerUi {
    SwaggerUi::new("/swagger-ui/{_:.*}").url("/openapi.json", KafkaApi::openapi())
}
