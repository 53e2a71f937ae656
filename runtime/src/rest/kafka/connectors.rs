//! `/connectors…` as Kafka Connect answers them.

use std::collections::BTreeMap;

#[allow(unused_imports, reason = "named by the API description's attributes")]
use crate::rest::openapi::{AnyJson, CreateRequest, KafkaError, Offsets};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use connect_actors::ControllerError;
use connect_actors::controller::messages::PutMode;
use connect_actors::model::{TargetState, TaskId};
use connect_api::Config;
use serde_json::json;

use super::shapes::{Info, Status, Task, TaskStateOut, with_name};
use super::{Handle, bad_request, done, fail, json_with, reply};
use crate::rest::body::{Body, config_from_json};

/// The values of a query parameter that may repeat (`?expand=status&expand=info`).
fn query_values(request: &HttpRequest, name: &str) -> Result<Vec<String>, String> {
    let pairs = web::Query::<Vec<(String, String)>>::from_query(request.query_string())
        .map_err(|e| e.to_string())?
        .into_inner();
    Ok(pairs
        .into_iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v)
        .collect())
}

/// A `true`/`false` query parameter (absent: false).
fn flag(request: &HttpRequest, name: &str) -> Result<bool, String> {
    match query_values(request, name)?.last().map(String::as_str) {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(format!(
            "query param '{name}' must be true or false, not {v:?}"
        )),
    }
}

/// `GET /connectors[?expand=status][&expand=info]`: names, or each connector's details.
#[utoipa::path(get, path = "/connectors", tag = "kafka", params(("expand" = Option<Vec<String>>, Query, explode = true, description = "status and/or info: a map of details by name instead of the names")), responses((status = 200, description = "the names, or details by name", body = AnyJson), (status = "default", description = "an error: error_code and message", body = KafkaError)))]
pub async fn list(handle: Handle, request: HttpRequest) -> HttpResponse {
    let expand = match query_values(&request, "expand") {
        Ok(expand) => expand,
        Err(e) => return bad_request(e),
    };
    let (status, info) = (
        expand.iter().any(|e| e == "status"),
        expand.iter().any(|e| e == "info"),
    );
    if !status && !info {
        return reply(handle.list().await);
    }
    match handle.list_details().await {
        Ok(details) => {
            let expanded: BTreeMap<String, serde_json::Value> = details
                .into_iter()
                .map(|(name, d)| {
                    let mut entry = serde_json::Map::new();
                    if status {
                        entry.insert("status".into(), json!(Status::from(d.status)));
                    }
                    if info {
                        entry.insert("info".into(), json!(Info::from(d.info)));
                    }
                    (name, serde_json::Value::Object(entry))
                })
                .collect();
            json_with(StatusCode::OK, &expanded)
        }
        Err(e) => fail(&e),
    }
}

/// A configuration body whose `name`, if any, must be `name` (then dropped: the connector's
/// name is not part of its stored configuration).
fn named_config(json: &serde_json::Value, name: &str, what: &str) -> Result<Config, String> {
    let mut config = config_from_json(json, what)?;
    match config.remove("name") {
        Some(given) if given != name => Err(format!(
            "Connector name configuration ({given}) doesn't match connector name in the URL ({name})"
        )),
        _ => Ok(config),
    }
}

fn parse_json(body: &[u8]) -> Result<serde_json::Value, String> {
    serde_json::from_slice(body).map_err(|e| format!("the request body is not valid JSON: {e}"))
}

/// `POST /connectors` with `{"name", "config"}`: 201 with the info; 409 if it exists.
#[utoipa::path(post, path = "/connectors", tag = "kafka", request_body(content = CreateRequest, content_type = "application/json"), responses((status = 201, description = "created", body = Info), (status = "default", description = "an error: error_code and message", body = KafkaError)))]
pub async fn create(handle: Handle, body: Body) -> HttpResponse {
    let json = match parse_json(&body) {
        Ok(json) => json,
        Err(e) => return bad_request(e),
    };
    let name = json
        .get("name")
        .and_then(|n| n.as_str())
        .or_else(|| json.get("config")?.get("name")?.as_str());
    let (Some(name), Some(config)) = (name, json.get("config")) else {
        return bad_request("the request body needs a string \"name\" and a \"config\" object");
    };
    let config = match named_config(config, name, "\"config\"") {
        Ok(config) => config,
        Err(e) => return bad_request(e),
    };
    match handle
        .put_connector(name, config, PutMode::CreateOnly)
        .await
    {
        Ok(outcome) => json_with(StatusCode::CREATED, &Info::from(outcome.info)),
        Err(e) => fail(&e),
    }
}

/// `GET /connectors/{name}`.
#[utoipa::path(get, path = "/connectors/{name}", tag = "kafka", params(("name" = String, Path, description = "the name of the connector")), responses((status = 200, description = "the connector", body = Info), (status = "default", description = "an error: error_code and message", body = KafkaError)))]
pub async fn info(handle: Handle, path: web::Path<String>) -> HttpResponse {
    reply(handle.connector_info(&path).await.map(Info::from))
}

/// `DELETE /connectors/{name}`: 204.
#[utoipa::path(delete, path = "/connectors/{name}", tag = "kafka", params(("name" = String, Path, description = "the name of the connector")), responses((status = 204, description = "deleted"), (status = "default", description = "an error: error_code and message", body = KafkaError)))]
pub async fn delete(handle: Handle, path: web::Path<String>) -> HttpResponse {
    done(handle.delete_connector(&path).await, StatusCode::NO_CONTENT)
}

/// `GET /connectors/{name}/config`: the configuration (secrets masked), `name` included.
#[utoipa::path(get, path = "/connectors/{name}/config", tag = "kafka", params(("name" = String, Path, description = "the name of the connector")), responses((status = 200, description = "the configuration, name included, secrets masked", body = BTreeMap<String, String>), (status = "default", description = "an error: error_code and message", body = KafkaError)))]
pub async fn config(handle: Handle, path: web::Path<String>) -> HttpResponse {
    reply(
        handle
            .connector_info(&path)
            .await
            .map(|info| with_name(&info.config, &info.name)),
    )
}

async fn put(handle: &Handle, name: &str, config: Config, mode: PutMode) -> HttpResponse {
    match handle.put_connector(name, config, mode).await {
        Ok(outcome) => {
            let status = if outcome.created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            json_with(status, &Info::from(outcome.info))
        }
        Err(e) => fail(&e),
    }
}

/// `PUT /connectors/{name}/config`: create (201) or update (200). A masked secret written
/// back keeps the stored one, so get-edit-put works.
#[utoipa::path(put, path = "/connectors/{name}/config", tag = "kafka", params(("name" = String, Path, description = "the name of the connector")), request_body(content = BTreeMap<String, String>, description = "the configuration of the connector", content_type = "application/json"), responses((status = 200, description = "updated", body = Info), (status = 201, description = "created", body = Info), (status = "default", description = "an error: error_code and message", body = KafkaError)))]
pub async fn put_config(handle: Handle, path: web::Path<String>, body: Body) -> HttpResponse {
    let config = match parse_json(&body).and_then(|j| named_config(&j, &path, "the request body")) {
        Ok(config) => config,
        Err(e) => return bad_request(e),
    };
    put(&handle, &path, config, PutMode::CreateOrUpdate).await
}

/// `PATCH /connectors/{name}/config` (KIP-477): keys given replace, `null` removes.
#[utoipa::path(patch, path = "/connectors/{name}/config", tag = "kafka", params(("name" = String, Path, description = "the name of the connector")), request_body(content = BTreeMap<String, Option<String>>, description = "keys to set; null removes a key", content_type = "application/json"), responses((status = 200, description = "updated", body = Info), (status = "default", description = "an error: error_code and message", body = KafkaError)))]
pub async fn patch_config(handle: Handle, path: web::Path<String>, body: Body) -> HttpResponse {
    let patch = match parse_json(&body) {
        Ok(serde_json::Value::Object(patch)) => patch,
        Ok(_) => {
            return bad_request("the request body must be a JSON object of configuration keys");
        }
        Err(e) => return bad_request(e),
    };
    let current = match handle.connector_info(&path).await {
        Ok(info) => info.config,
        Err(e) => return fail(&e),
    };
    let mut merged: serde_json::Map<String, serde_json::Value> = current
        .iter()
        .map(|(k, v)| (k.to_owned(), json!(v)))
        .collect();
    for (key, value) in patch {
        if value.is_null() {
            merged.remove(&key);
        } else {
            merged.insert(key, value);
        }
    }
    match named_config(
        &serde_json::Value::Object(merged),
        &path,
        "the patched configuration",
    ) {
        Ok(config) => put(&handle, &path, config, PutMode::UpdateOnly).await,
        Err(e) => bad_request(e),
    }
}

/// `GET /connectors/{name}/status`.
#[utoipa::path(get, path = "/connectors/{name}/status", tag = "kafka", params(("name" = String, Path, description = "the name of the connector")), responses((status = 200, description = "the states", body = Status), (status = "default", description = "an error: error_code and message", body = KafkaError)))]
pub async fn status(handle: Handle, path: web::Path<String>) -> HttpResponse {
    reply(handle.connector_status(&path).await.map(Status::from))
}

/// `POST /connectors/{name}/restart[?includeTasks=&onlyFailed=]`: 204 for the connector
/// alone; 202 with the status when tasks are included.
#[utoipa::path(post, path = "/connectors/{name}/restart", tag = "kafka", params(("name" = String, Path, description = "the name of the connector"), ("includeTasks" = Option<bool>, Query,), ("onlyFailed" = Option<bool>, Query,)), responses((status = 202, description = "restarting, with tasks", body = Status), (status = 204, description = "the connector restarted"), (status = "default", description = "an error: error_code and message", body = KafkaError)))]
pub async fn restart(
    handle: Handle,
    path: web::Path<String>,
    request: HttpRequest,
) -> HttpResponse {
    let (include, failed) = match (flag(&request, "includeTasks"), flag(&request, "onlyFailed")) {
        (Ok(i), Ok(f)) => (i, f),
        (Err(e), _) | (_, Err(e)) => return bad_request(e),
    };
    match handle.restart_connector(&path, include, failed).await {
        Ok(_) if !include && !failed => HttpResponse::NoContent().finish(),
        Ok(status) => json_with(StatusCode::ACCEPTED, &Status::from(status)),
        Err(e) => fail(&e),
    }
}

async fn set_target(handle: &Handle, name: &str, target: TargetState) -> HttpResponse {
    done(
        handle.set_target(Some(name), target).await,
        StatusCode::ACCEPTED,
    )
}

/// `PUT /connectors/{name}/pause`: 202.
#[utoipa::path(put, path = "/connectors/{name}/pause", tag = "kafka", params(("name" = String, Path, description = "the name of the connector")), responses((status = 202, description = "pausing"), (status = "default", description = "an error: error_code and message", body = KafkaError)))]
pub async fn pause(handle: Handle, path: web::Path<String>) -> HttpResponse {
    set_target(&handle, &path, TargetState::Paused).await
}

/// `PUT /connectors/{name}/resume`: 202 (from PAUSED or STOPPED).
#[utoipa::path(put, path = "/connectors/{name}/resume", tag = "kafka", params(("name" = String, Path, description = "the name of the connector")), responses((status = 202, description = "resuming"), (status = "default", description = "an error: error_code and message", body = KafkaError)))]
pub async fn resume(handle: Handle, path: web::Path<String>) -> HttpResponse {
    set_target(&handle, &path, TargetState::Started).await
}

/// `PUT /connectors/{name}/stop` (KIP-875): 202; the connector and its tasks shut down.
#[utoipa::path(put, path = "/connectors/{name}/stop", tag = "kafka", params(("name" = String, Path, description = "the name of the connector")), responses((status = 202, description = "stopping (KIP-875)"), (status = "default", description = "an error: error_code and message", body = KafkaError)))]
pub async fn stop(handle: Handle, path: web::Path<String>) -> HttpResponse {
    set_target(&handle, &path, TargetState::Stopped).await
}

/// `GET /connectors/{name}/tasks`.
#[utoipa::path(get, path = "/connectors/{name}/tasks", tag = "kafka", params(("name" = String, Path, description = "the name of the connector")), responses((status = 200, description = "the tasks with their configurations", body = Vec<Task>), (status = "default", description = "an error: error_code and message", body = KafkaError)))]
pub async fn tasks(handle: Handle, path: web::Path<String>) -> HttpResponse {
    reply(
        handle
            .task_infos(&path)
            .await
            .map(|tasks| tasks.into_iter().map(Task::from).collect::<Vec<_>>()),
    )
}

fn task_id(path: (String, String)) -> Result<TaskId, ControllerError> {
    let (name, task) = path;
    task.parse::<u32>()
        .map(|task| TaskId::new(name, task))
        .map_err(|_| {
            ControllerError::NotFound(format!("task id {task:?} is not a non-negative integer"))
        })
}

/// `GET /connectors/{name}/tasks/{task}/status`.
#[utoipa::path(get, path = "/connectors/{name}/tasks/{task}/status", tag = "kafka", params(("name" = String, Path, description = "the name of the connector"), ("task" = String, Path, description = "the number of the task")), responses((status = 200, description = "the state of the task", body = TaskStateOut), (status = "default", description = "an error: error_code and message", body = KafkaError)))]
pub async fn task_status(handle: Handle, path: web::Path<(String, String)>) -> HttpResponse {
    match task_id(path.into_inner()) {
        Ok(id) => reply(handle.task_status(id).await.map(TaskStateOut::from)),
        Err(e) => fail(&e),
    }
}

/// `POST /connectors/{name}/tasks/{task}/restart`: 204.
#[utoipa::path(post, path = "/connectors/{name}/tasks/{task}/restart", tag = "kafka", params(("name" = String, Path, description = "the name of the connector"), ("task" = String, Path, description = "the number of the task")), responses((status = 204, description = "restarted"), (status = "default", description = "an error: error_code and message", body = KafkaError)))]
pub async fn restart_task(handle: Handle, path: web::Path<(String, String)>) -> HttpResponse {
    match task_id(path.into_inner()) {
        Ok(id) => done(handle.restart_task(id).await, StatusCode::NO_CONTENT),
        Err(e) => fail(&e),
    }
}

/// `GET /connectors/{name}/topics`: the topics its tasks on this worker produced to or read
/// from (`{"name": {"topics": […]}}`).
#[utoipa::path(get, path = "/connectors/{name}/topics", tag = "kafka", params(("name" = String, Path, description = "the name of the connector")), responses((status = 200, description = "{name: {topics: [...]}}", body = AnyJson), (status = "default", description = "an error: error_code and message", body = KafkaError)))]
pub async fn topics(handle: Handle, path: web::Path<String>) -> HttpResponse {
    let name = path.into_inner();
    if let Err(e) = handle.connector_info(&name).await {
        return fail(&e);
    }
    let topics = handle.metrics().topics_of(&name);
    json_with(StatusCode::OK, &json!({ name: { "topics": topics } }))
}

/// `PUT /connectors/{name}/topics/reset`: 202; the set starts empty again.
#[utoipa::path(put, path = "/connectors/{name}/topics/reset", tag = "kafka", params(("name" = String, Path, description = "the name of the connector")), responses((status = 202, description = "reset"), (status = "default", description = "an error: error_code and message", body = KafkaError)))]
pub async fn reset_topics(handle: Handle, path: web::Path<String>) -> HttpResponse {
    if let Err(e) = handle.connector_info(&path).await {
        return fail(&e);
    }
    handle.metrics().reset_topics_of(&path);
    HttpResponse::Accepted().finish()
}
