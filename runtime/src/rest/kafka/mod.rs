//! Kafka Connect's REST API (3.x/4.x), served on its own listener (`kafkaRestPort`) so tools
//! written for Kafka Connect — kcctl, Kafka Connect UIs, client libraries, scripts — work
//! unchanged: root paths, bare JSON bodies, snake_case fields (`worker_id`, `error_code`),
//! lowercase connector types, Kafka Connect's status codes (201 created, 202 accepted, 204 no
//! content), `?expand=status|info`, STOPPED (KIP-875), offsets, connector-plugins and their
//! validation, and `/admin/loggers`. The seed's API, with its `{"status", "body"}` envelope,
//! stays as it is on `httpPort`; both call the same controller.
//!
//! - `shapes`: Kafka Connect's response bodies, from the worker's model.
//! - `connectors`: `/connectors…` (create, configure, lifecycle, status, tasks, topics).
//! - `offsets`: `/connectors/{name}/offsets`.
//! - `plugins`: `/connector-plugins…`.
//! - `loggers`: `/admin/loggers…`.

pub(super) mod connectors;
pub(super) mod loggers;
pub(super) mod offsets;
pub(super) mod plugins;
pub(super) mod shapes;

#[allow(unused_imports, reason = "named by the API description's attributes")]
use crate::rest::openapi::{CreateRequest, KafkaError, Offsets};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpResponse, web};
use connect_actors::{ControllerError, ControllerHandle};
use serde::Serialize;
use serde_json::json;
#[allow(unused_imports, reason = "named by the API description's attributes")]
use std::collections::BTreeMap;

use super::resource::Resource;
use super::response::{Flavour, status_of};

type Handle = web::Data<ControllerHandle>;

/// The Kafka Connect version whose API this listener speaks (`GET /`).
pub const KAFKA_CONNECT_API_VERSION: &str = "3.9.0";

/// `status` with a bare JSON body.
fn json_with<T: Serialize>(status: StatusCode, body: &T) -> HttpResponse {
    HttpResponse::build(status).json(body)
}

/// A controller error as Kafka Connect's `{"error_code", "message"}`.
fn fail(error: &ControllerError) -> HttpResponse {
    Flavour::Kafka.error(status_of(error), &error.to_string())
}

fn bad_request(message: impl Into<String>) -> HttpResponse {
    fail(&ControllerError::BadRequest(message.into()))
}

/// 200 with the result, or the error.
fn reply<T: Serialize>(result: Result<T, ControllerError>) -> HttpResponse {
    match result {
        Ok(body) => json_with(StatusCode::OK, &body),
        Err(e) => fail(&e),
    }
}

/// `status` with no body, or the error.
fn done(result: Result<impl Sized, ControllerError>, status: StatusCode) -> HttpResponse {
    match result {
        Ok(_) => HttpResponse::build(status).finish(),
        Err(e) => fail(&e),
    }
}

/// What `GET /` tells about this worker (app data of the Kafka Connect listener).
#[derive(Debug, Clone)]
pub struct ServerInfo {
    /// `connectClusterId`, answered as `kafka_cluster_id`.
    pub cluster_id: String,
}

/// `GET /`: the server's version and the cluster it belongs to.
#[utoipa::path(get, path = "/", tag = "kafka", responses((status = 200, description = "version, commit and kafka_cluster_id", body = Object), (status = "default", description = "an error: error_code and message", body = KafkaError)))]
pub(super) async fn root(info: web::Data<ServerInfo>) -> HttpResponse {
    json_with(
        StatusCode::OK,
        &json!({
            "version": KAFKA_CONNECT_API_VERSION,
            "commit": concat!("rocketmq-connect-rs-", env!("CARGO_PKG_VERSION")),
            "kafka_cluster_id": info.cluster_id,
        }),
    )
}

/// `GET /health` (KIP-1017).
#[utoipa::path(get, path = "/health", tag = "kafka", responses((status = 200, description = "healthy", body = Object), (status = 503, description = "unhealthy", body = Object), (status = "default", description = "an error: error_code and message", body = KafkaError)))]
pub(super) async fn health(handle: Handle) -> HttpResponse {
    match handle.list().await {
        Ok(_) => json_with(
            StatusCode::OK,
            &json!({ "status": "healthy", "message": "Worker has completed startup and is ready to handle requests." }),
        ),
        Err(e) => json_with(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({ "status": "unhealthy", "message": e.to_string() }),
        ),
    }
}

/// Registers every route of Kafka Connect's API.
pub fn routes(config: &mut web::ServiceConfig) {
    for resource in resources() {
        config.service(resource.done());
    }
    config.service(super::openapi::kafka_ui());
    // This listener trims trailing slashes (as Kafka Connect answers `/connectors/x/`), so
    // `/swagger-ui/` arrives as `/swagger-ui`: sent on to the page itself.
    config.service(web::resource("/swagger-ui").to(|| async {
        HttpResponse::Found()
            .insert_header((actix_web::http::header::LOCATION, "/swagger-ui/index.html"))
            .finish()
    }));
    config.default_service(web::to(|| async {
        Flavour::Kafka.error(StatusCode::NOT_FOUND, "HTTP 404 Not Found")
    }));
}

/// Kafka Connect's API, one resource per path.
pub(super) fn resources() -> Vec<Resource> {
    use connectors as c;
    vec![
        Resource::new("/").get(root),
        Resource::new("/health").get(health),
        Resource::new("/connectors")
            .get(c::list)
            .on(Method::POST, c::create),
        Resource::new("/connectors/{name}")
            .get(c::info)
            .on(Method::DELETE, c::delete),
        Resource::new("/connectors/{name}/config")
            .get(c::config)
            .on(Method::PUT, c::put_config)
            .on(Method::PATCH, c::patch_config),
        Resource::new("/connectors/{name}/status").get(c::status),
        Resource::new("/connectors/{name}/restart").on(Method::POST, c::restart),
        Resource::new("/connectors/{name}/pause").on(Method::PUT, c::pause),
        Resource::new("/connectors/{name}/resume").on(Method::PUT, c::resume),
        Resource::new("/connectors/{name}/stop").on(Method::PUT, c::stop),
        Resource::new("/connectors/{name}/tasks").get(c::tasks),
        Resource::new("/connectors/{name}/tasks/{task}/status").get(c::task_status),
        Resource::new("/connectors/{name}/tasks/{task}/restart").on(Method::POST, c::restart_task),
        Resource::new("/connectors/{name}/topics").get(c::topics),
        Resource::new("/connectors/{name}/topics/reset").on(Method::PUT, c::reset_topics),
        Resource::new("/connectors/{name}/offsets")
            .get(offsets::get)
            .on(Method::PATCH, offsets::alter)
            .on(Method::DELETE, offsets::reset),
        Resource::new("/connector-plugins").get(plugins::list),
        Resource::new("/connector-plugins/{plugin}/config").get(plugins::config),
        Resource::new("/connector-plugins/{plugin}/config/validate")
            .on(Method::PUT, plugins::validate),
        Resource::new("/admin/loggers").get(loggers::list),
        Resource::new("/admin/loggers/{logger}")
            .get(loggers::get)
            .on(Method::PUT, loggers::set),
    ]
}
