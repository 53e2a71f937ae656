//! `/connectors/*` and `/allocated/*`: connector management, as the seed shows it, plus the
//! routes Kafka Connect users expect (PUT config, DELETE, restart, offsets).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use connect_actors::ControllerHandle;
use connect_actors::controller::messages::PutMode;
use connect_actors::model::{TargetState, TaskId, WorkerTaskState};
use serde::Deserialize;
use serde_json::json;

use super::body::{Body, config_from_json, parse_config};
use super::openapi::{AnyJson, CreateRequest, Envelope, ErrorEnvelope, Health, Offsets};
use super::response::{bad_request, error, ok, reply, with_status};
#[allow(unused_imports, reason = "named by the API description's attributes")]
use connect_actors::controller::messages::ConnectorDetails;
#[allow(unused_imports, reason = "named by the API description's attributes")]
use connect_actors::model::{ConnectorInfo, ConnectorStateInfo, TaskInfo, TaskState};
#[allow(unused_imports, reason = "named by the API description's attributes")]
use std::collections::BTreeMap;

pub(super) type Handle = web::Data<ControllerHandle>;

/// The raw `config` query parameter of a GET (a HEAD never creates anything).
fn config_param(request: &HttpRequest) -> Option<String> {
    if request.method() != actix_web::http::Method::GET {
        return None;
    }
    web::Query::<std::collections::HashMap<String, String>>::from_query(request.query_string())
        .ok()
        .and_then(|q| q.get("config").cloned())
}

async fn put(handle: &ControllerHandle, name: &str, bytes: &[u8], what: &str) -> HttpResponse {
    match parse_config(bytes, what) {
        Ok(config) => reply(
            handle
                .put_connector(name, config, PutMode::CreateOrUpdate)
                .await
                .map(|o| o.info),
        ),
        Err(message) => bad_request(message),
    }
}

/// `GET /connectors/{name}?config=…` (the seed's create form), or the connector's info.
#[utoipa::path(get, path = "/connectors/{name}", tag = "connectors", params(("name" = String, Path, description = "the name of the connector"), ("config" = Option<String>, Query, description = "the create form of the seed: a JSON configuration creates or updates the connector")), responses((status = 200, description = "the info of the connector (ConnectorInfo), created or updated first when config is given", body = Envelope<AnyJson>), (status = "default", description = "an error: errorCode, message, errors per key", body = ErrorEnvelope)))]
pub async fn get_or_create(
    handle: Handle,
    path: web::Path<String>,
    request: HttpRequest,
) -> HttpResponse {
    let name = path.into_inner();
    match config_param(&request) {
        Some(config) => put(&handle, &name, config.as_bytes(), "query param 'config'").await,
        None => reply(handle.connector_info(&name).await),
    }
}

/// `POST /connectors/{name}` with the configuration as the body: create or update.
#[utoipa::path(post, path = "/connectors/{name}", tag = "connectors", params(("name" = String, Path, description = "the name of the connector")), request_body(content = BTreeMap<String, String>, description = "the configuration of the connector: keys and values", content_type = "application/json"), responses((status = 200, description = "the result, in the envelope", body = Envelope<ConnectorInfo>), (status = "default", description = "an error: errorCode, message, errors per key", body = ErrorEnvelope)))]
pub async fn create_or_update(handle: Handle, path: web::Path<String>, body: Body) -> HttpResponse {
    put(&handle, &path.into_inner(), &body, "the request body").await
}

/// `POST /connectors/list`: create or update the connector named `list`.
#[utoipa::path(post, path = "/connectors/list", tag = "connectors", request_body(content = BTreeMap<String, String>, description = "the configuration of the connector: keys and values", content_type = "application/json"), responses((status = 200, description = "the connector named list, created or updated", body = Envelope<ConnectorInfo>), (status = "default", description = "an error: errorCode, message, errors per key", body = ErrorEnvelope)))]
pub async fn create_or_update_list(handle: Handle, body: Body) -> HttpResponse {
    put(&handle, "list", &body, "the request body").await
}

/// `PUT /connectors/{name}/config` (Kafka Connect): create or update.
#[utoipa::path(put, path = "/connectors/{name}/config", tag = "connectors", params(("name" = String, Path, description = "the name of the connector")), request_body(content = BTreeMap<String, String>, description = "the configuration of the connector: keys and values", content_type = "application/json"), responses((status = 200, description = "the result, in the envelope", body = Envelope<ConnectorInfo>), (status = "default", description = "an error: errorCode, message, errors per key", body = ErrorEnvelope)))]
pub async fn put_config(handle: Handle, path: web::Path<String>, body: Body) -> HttpResponse {
    put(&handle, &path.into_inner(), &body, "the request body").await
}

/// `POST /connectors` with `{"name", "config"}` (Kafka Connect): create only; 409 if it exists.
#[utoipa::path(post, path = "/connectors", tag = "connectors", request_body(content = CreateRequest, content_type = "application/json"), responses((status = 201, description = "created", body = Envelope<ConnectorInfo>), (status = "default", description = "an error: errorCode, message, errors per key", body = ErrorEnvelope)))]
pub async fn create(handle: Handle, body: Body) -> HttpResponse {
    let json: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(json) => json,
        Err(e) => return bad_request(format!("the request body is not valid JSON: {e}")),
    };
    let Some(name) = json.get("name").and_then(|n| n.as_str()) else {
        return bad_request("the request body needs a string \"name\" and a \"config\" object");
    };
    let config = match json
        .get("config")
        .map(|c| config_from_json(c, "\"config\""))
    {
        Some(Ok(config)) => config,
        Some(Err(message)) => return bad_request(message),
        None => return bad_request("the request body needs a \"config\" object"),
    };
    match handle
        .put_connector(name, config, PutMode::CreateOnly)
        .await
    {
        Ok(outcome) => with_status(StatusCode::CREATED, outcome.info),
        Err(e) => error(&e),
    }
}

/// `GET /connectors/list`: every connector's status and info (`?config=` creates a
/// connector literally named `list`, since that is what the create route would mean).
#[utoipa::path(get, path = "/connectors/list", tag = "connectors", params(("config" = Option<String>, Query, description = "the create form of the seed: a JSON configuration creates or updates the connector")), responses((status = 200, description = "status and info of every connector by name (a connector named list when config is given)", body = Envelope<AnyJson>), (status = "default", description = "an error: errorCode, message, errors per key", body = ErrorEnvelope)))]
pub async fn list(handle: Handle, request: HttpRequest) -> HttpResponse {
    if let Some(config) = config_param(&request) {
        return put(&handle, "list", config.as_bytes(), "query param 'config'").await;
    }
    reply(handle.list_details().await)
}

/// `GET /connectors`: the names (Kafka Connect).
#[utoipa::path(get, path = "/connectors", tag = "connectors", responses((status = 200, description = "the result, in the envelope", body = Envelope<Vec<String>>), (status = "default", description = "an error: errorCode, message, errors per key", body = ErrorEnvelope)))]
pub async fn names(handle: Handle) -> HttpResponse {
    reply(handle.list().await)
}

#[utoipa::path(get, path = "/connectors/{name}/config", tag = "connectors", params(("name" = String, Path, description = "the name of the connector")), responses((status = 200, description = "the result, in the envelope", body = Envelope<ConnectorInfo>), (status = "default", description = "an error: errorCode, message, errors per key", body = ErrorEnvelope)))]
pub async fn config(handle: Handle, path: web::Path<String>) -> HttpResponse {
    reply(handle.connector_info(&path.into_inner()).await)
}

#[utoipa::path(get, path = "/connectors/{name}/status", tag = "connectors", params(("name" = String, Path, description = "the name of the connector")), responses((status = 200, description = "the result, in the envelope", body = Envelope<ConnectorStateInfo>), (status = "default", description = "an error: errorCode, message, errors per key", body = ErrorEnvelope)))]
pub async fn status(handle: Handle, path: web::Path<String>) -> HttpResponse {
    reply(handle.connector_status(&path.into_inner()).await)
}

#[utoipa::path(get, path = "/connectors/{name}/tasks", tag = "connectors", params(("name" = String, Path, description = "the name of the connector")), responses((status = 200, description = "the result, in the envelope", body = Envelope<Vec<TaskInfo>>), (status = "default", description = "an error: errorCode, message, errors per key", body = ErrorEnvelope)))]
pub async fn tasks(handle: Handle, path: web::Path<String>) -> HttpResponse {
    reply(handle.task_infos(&path.into_inner()).await)
}

fn task_id(path: (String, String)) -> Result<TaskId, String> {
    let (name, task) = path;
    task.parse::<u32>()
        .map(|task| TaskId::new(name, task))
        .map_err(|_| format!("task id {task:?} is not a non-negative integer"))
}

#[utoipa::path(get, path = "/connectors/{name}/tasks/{task}/status", tag = "connectors", params(("name" = String, Path, description = "the name of the connector"), ("task" = u32, Path, description = "the number of the task")), responses((status = 200, description = "the result, in the envelope", body = Envelope<TaskState>), (status = "default", description = "an error: errorCode, message, errors per key", body = ErrorEnvelope)))]
pub async fn task_status(handle: Handle, path: web::Path<(String, String)>) -> HttpResponse {
    match task_id(path.into_inner()) {
        Ok(id) => reply(handle.task_status(id).await),
        Err(message) => bad_request(message),
    }
}

/// `DELETE /connectors/{name}`.
#[utoipa::path(delete, path = "/connectors/{name}", tag = "connectors", params(("name" = String, Path, description = "the name of the connector")), responses((status = 200, description = "the result, in the envelope", body = Envelope<String>), (status = "default", description = "an error: errorCode, message, errors per key", body = ErrorEnvelope)))]
pub async fn delete(handle: Handle, path: web::Path<String>) -> HttpResponse {
    delete_named(&handle, path.into_inner()).await
}

/// `GET /connectors/{name}/stop`: the seed's stop, which deletes the connector.
#[utoipa::path(get, path = "/connectors/{name}/stop", tag = "connectors", params(("name" = String, Path, description = "the name of the connector")), responses((status = 200, description = "deleted (the seed: stop means delete)", body = Envelope<String>), (status = "default", description = "an error: errorCode, message, errors per key", body = ErrorEnvelope)))]
pub async fn stop(handle: Handle, path: web::Path<String>) -> HttpResponse {
    delete_named(&handle, path.into_inner()).await
}

/// `DELETE /connectors/list`: the connector named `list`.
#[utoipa::path(delete, path = "/connectors/list", tag = "connectors", responses((status = 200, description = "the result, in the envelope", body = Envelope<String>), (status = "default", description = "an error: errorCode, message, errors per key", body = ErrorEnvelope)))]
pub async fn delete_list(handle: Handle) -> HttpResponse {
    delete_named(&handle, "list".to_owned()).await
}

async fn delete_named(handle: &ControllerHandle, name: String) -> HttpResponse {
    reply(
        handle
            .delete_connector(&name)
            .await
            .map(|()| format!("Connector [{name}] deleted successfully")),
    )
}

#[utoipa::path(get, path = "/connectors/stop/all", tag = "connectors", responses((status = 200, description = "the result, in the envelope", body = Envelope<String>), (status = "default", description = "an error: errorCode, message, errors per key", body = ErrorEnvelope)))]
pub async fn delete_all(handle: Handle) -> HttpResponse {
    reply(handle.delete_all().await.map(|names| {
        if names.is_empty() {
            "No connector needs to be deleted, please add connector first".to_owned()
        } else {
            format!("[{}] connectors are deleted", names.join(", "))
        }
    }))
}

#[utoipa::path(method(get, put), path = "/connectors/{name}/pause", tag = "connectors", params(("name" = String, Path, description = "the name of the connector")), responses((status = 200, description = "the result, in the envelope", body = Envelope<String>), (status = "default", description = "an error: errorCode, message, errors per key", body = ErrorEnvelope)))]
pub async fn pause(handle: Handle, path: web::Path<String>) -> HttpResponse {
    let name = path.into_inner();
    reply(
        handle
            .set_target(Some(&name), TargetState::Paused)
            .await
            .map(|_| format!("Connector [{name}] paused successfully")),
    )
}

#[utoipa::path(method(get, put), path = "/connectors/{name}/resume", tag = "connectors", params(("name" = String, Path, description = "the name of the connector")), responses((status = 200, description = "the result, in the envelope", body = Envelope<String>), (status = "default", description = "an error: errorCode, message, errors per key", body = ErrorEnvelope)))]
pub async fn resume(handle: Handle, path: web::Path<String>) -> HttpResponse {
    let name = path.into_inner();
    reply(
        handle
            .set_target(Some(&name), TargetState::Started)
            .await
            .map(|_| format!("Connector [{name}] resumed successfully")),
    )
}

#[utoipa::path(get, path = "/connectors/pause/all", tag = "connectors", responses((status = 200, description = "the result, in the envelope", body = Envelope<String>), (status = "default", description = "an error: errorCode, message, errors per key", body = ErrorEnvelope)))]
pub async fn pause_all(handle: Handle) -> HttpResponse {
    reply(
        handle
            .set_target(None, TargetState::Paused)
            .await
            .map(|names| {
                if names.is_empty() {
                    "No connector needs to be paused, please add connector first".to_owned()
                } else {
                    format!("{} connectors are suspended", names.len())
                }
            }),
    )
}

#[utoipa::path(get, path = "/connectors/resume/all", tag = "connectors", responses((status = 200, description = "the result, in the envelope", body = Envelope<String>), (status = "default", description = "an error: errorCode, message, errors per key", body = ErrorEnvelope)))]
pub async fn resume_all(handle: Handle) -> HttpResponse {
    reply(
        handle
            .set_target(None, TargetState::Started)
            .await
            .map(|names| {
                if names.is_empty() {
                    "No connector needs to be resumed, please add connector first".to_owned()
                } else {
                    format!("{} connectors are resumed", names.len())
                }
            }),
    )
}

#[derive(Debug, Deserialize)]
pub struct RestartQuery {
    #[serde(rename = "includeTasks", default)]
    include_tasks: Option<String>,
    #[serde(rename = "onlyFailed", default)]
    only_failed: Option<String>,
}

fn flag(value: Option<&str>, name: &str) -> Result<bool, String> {
    match value {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(format!(
            "query param '{name}' must be true or false, not {v:?}"
        )),
    }
}

/// `POST /connectors/{name}/restart?includeTasks=&onlyFailed=`.
#[utoipa::path(post, path = "/connectors/{name}/restart", tag = "connectors", params(("name" = String, Path, description = "the name of the connector"), ("includeTasks" = Option<bool>, Query,), ("onlyFailed" = Option<bool>, Query,)), responses((status = 200, description = "the result, in the envelope", body = Envelope<ConnectorStateInfo>), (status = "default", description = "an error: errorCode, message, errors per key", body = ErrorEnvelope)))]
pub async fn restart(
    handle: Handle,
    path: web::Path<String>,
    query: web::Query<RestartQuery>,
) -> HttpResponse {
    let (include, failed) = match (
        flag(query.include_tasks.as_deref(), "includeTasks"),
        flag(query.only_failed.as_deref(), "onlyFailed"),
    ) {
        (Ok(i), Ok(f)) => (i, f),
        (Err(message), _) | (_, Err(message)) => return bad_request(message),
    };
    reply(
        handle
            .restart_connector(&path.into_inner(), include, failed)
            .await,
    )
}

/// `POST /connectors/{name}/tasks/{task}/restart`.
#[utoipa::path(post, path = "/connectors/{name}/tasks/{task}/restart", tag = "connectors", params(("name" = String, Path, description = "the name of the connector"), ("task" = u32, Path, description = "the number of the task")), responses((status = 200, description = "the result, in the envelope", body = Envelope<String>), (status = "default", description = "an error: errorCode, message, errors per key", body = ErrorEnvelope)))]
pub async fn restart_task(handle: Handle, path: web::Path<(String, String)>) -> HttpResponse {
    match task_id(path.into_inner()) {
        Ok(id) => {
            let text = format!("Task {id} restarted");
            reply(handle.restart_task(id).await.map(|()| text))
        }
        Err(message) => bad_request(message),
    }
}

/// `GET /connectors/{name}/offsets`: committed source positions.
#[utoipa::path(get, path = "/connectors/{name}/offsets", tag = "connectors", params(("name" = String, Path, description = "the name of the connector")), responses((status = 200, description = "the result, in the envelope", body = Envelope<Offsets>), (status = "default", description = "an error: errorCode, message, errors per key", body = ErrorEnvelope)))]
pub async fn offsets(handle: Handle, path: web::Path<String>) -> HttpResponse {
    reply(handle.offsets(&path.into_inner()).await.map(Offsets::from))
}

#[utoipa::path(get, path = "/allocated/connectors", tag = "worker", responses((status = 200, description = "the result, in the envelope", body = Envelope<BTreeMap<String, BTreeMap<String, String>>>), (status = "default", description = "an error: errorCode, message, errors per key", body = ErrorEnvelope)))]
pub async fn allocated_connectors(handle: Handle) -> HttpResponse {
    reply(handle.allocation().await.map(|a| a.connectors))
}

/// `/allocated/tasks` in the Java shape: tasks grouped by worker-side state.
#[utoipa::path(get, path = "/allocated/tasks", tag = "worker", responses((status = 200, description = "tasks grouped by state: pendingTasks, runningTasks, stoppingTasks, stoppedTasks, errorTasks", body = Envelope<AnyJson>), (status = "default", description = "an error: errorCode, message, errors per key", body = ErrorEnvelope)))]
pub async fn allocated_tasks(handle: Handle) -> HttpResponse {
    match handle.allocation().await {
        Ok(allocation) => {
            let group = |states: &[WorkerTaskState]| -> Vec<serde_json::Value> {
                allocation
                    .tasks
                    .iter()
                    .filter(|t| states.contains(&t.state))
                    .map(|t| json!({ "connectorName": t.connector_name, "id": t.id, "config": t.config, "taskState": t.state }))
                    .collect()
            };
            ok(json!({
                "pendingTasks": group(&[WorkerTaskState::Pending]),
                "runningTasks": group(&[WorkerTaskState::Running, WorkerTaskState::Paused]),
                "stoppingTasks": group(&[WorkerTaskState::Stopping]),
                "stoppedTasks": group(&[WorkerTaskState::Stopped]),
                "errorTasks": group(&[WorkerTaskState::Error]),
            }))
        }
        Err(e) => error(&e),
    }
}

#[utoipa::path(get, path = "/getClusterInfo", tag = "worker", responses((status = 200, description = "the ids of the live workers", body = Envelope<Vec<String>>), (status = "default", description = "an error: errorCode, message, errors per key", body = ErrorEnvelope)))]
pub async fn cluster_info(handle: Handle) -> HttpResponse {
    reply(handle.cluster_info().await)
}

#[utoipa::path(get, path = "/health", tag = "worker", responses((status = 200, description = "the result, in the envelope", body = Envelope<Health>), (status = "default", description = "an error: errorCode, message, errors per key", body = ErrorEnvelope)))]
pub async fn health(handle: Handle) -> HttpResponse {
    match handle.list().await {
        Ok(names) => ok(Health {
            status: "UP",
            connectors: names.len(),
        }),
        Err(e) => error(&e),
    }
}
