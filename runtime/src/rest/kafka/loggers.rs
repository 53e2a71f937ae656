//! `/admin/loggers…`: log levels read and changed while the worker runs.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::{bad_request, json_with};
use crate::log_levels::{self, LoggerLevel};
use crate::rest::body::Body;

fn shown(level: &LoggerLevel) -> serde_json::Value {
    json!({ "level": level.level, "last_modified": level.last_modified })
}

/// `GET /admin/loggers`: `root` and every logger set.
pub async fn list() -> HttpResponse {
    let all: serde_json::Map<String, serde_json::Value> = log_levels::all()
        .iter()
        .map(|(name, level)| (name.clone(), shown(level)))
        .collect();
    json_with(StatusCode::OK, &all)
}

/// `GET /admin/loggers/{logger}`: the level it logs at.
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
