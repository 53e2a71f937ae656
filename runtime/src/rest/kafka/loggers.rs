//! `/admin/loggers…`: log levels read and changed while the worker runs.

#[allow(unused_imports, reason = "named by the API description's attributes")]
use crate::rest::openapi::{AnyJson, CreateRequest, KafkaError, Offsets};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
#[allow(unused_imports, reason = "named by the API description's attributes")]
use std::collections::BTreeMap;

use super::{bad_request, json_with};
use crate::log_levels::{self, LoggerLevel};
use crate::rest::body::Body;

fn shown(level: &LoggerLevel) -> serde_json::Value {
    json!({ "level": level.level, "last_modified": level.last_modified })
}

/// `GET /admin/loggers`: `root` and every logger set.
#[utoipa::path(get, path = "/admin/loggers", tag = "kafka", responses((status = 200, description = "level and last_modified by logger", body = AnyJson), (status = "default", description = "an error: error_code and message", body = KafkaError)))]
pub async fn list() -> HttpResponse {
    let all: serde_json::Map<String, serde_json::Value> = log_levels::all()
        .iter()
        .map(|(name, level)| (name.clone(), shown(level)))
        .collect();
    json_with(StatusCode::OK, &all)
}

/// `GET /admin/loggers/{logger}`: the level it logs at.
#[utoipa::path(get, path = "/admin/loggers/{logger}", tag = "kafka", params(("logger" = String, Path,)), responses((status = 200, description = "the level it logs at", body = AnyJson), (status = "default", description = "an error: error_code and message", body = KafkaError)))]
pub async fn get(path: web::Path<String>) -> HttpResponse {
    match log_levels::effective(&path) {
        Some(level) => json_with(StatusCode::OK, &shown(&level)),
        None => bad_request("this process's log levels are not managed here"),
    }
}

#[derive(Debug, Deserialize)]
struct NewLevel {
    level: String,
}

/// `PUT /admin/loggers/{logger}` with `{"level": "DEBUG"}`: the loggers changed. Kafka
/// Connect's `?scope=cluster` is answered for this worker only (204, as Kafka Connect does).
#[utoipa::path(put, path = "/admin/loggers/{logger}", tag = "kafka", params(("logger" = String, Path,), ("scope" = Option<String>, Query,)), request_body(content = AnyJson, description = "{level: INFO}", content_type = "application/json"), responses((status = 200, description = "the loggers changed", body = Vec<String>), (status = 204, description = "scope=cluster"), (status = "default", description = "an error: error_code and message", body = KafkaError)))]
pub async fn set(path: web::Path<String>, request: HttpRequest, body: Body) -> HttpResponse {
    let wanted: NewLevel = match serde_json::from_slice(&body) {
        Ok(wanted) => wanted,
        Err(e) => {
            return bad_request(format!(
                "the request body must be {{\"level\": \"INFO\"}} (OFF, ERROR, WARN, INFO, DEBUG, TRACE): {e}"
            ));
        }
    };
    let cluster = request.query_string().contains("scope=cluster");
    match log_levels::set(&path, &wanted.level) {
        Ok(_) if cluster => HttpResponse::NoContent().finish(),
        Ok(changed) => json_with(StatusCode::OK, &changed),
        Err(e) => bad_request(e),
    }
}
