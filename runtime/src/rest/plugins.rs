//! `/plugin/*`: what this worker can run, each plugin's configuration keys, and validation of
//! a configuration without creating anything.

#[allow(unused_imports, reason = "named by the API description's attributes")]
use super::openapi::{AnyJson, Envelope, ErrorEnvelope};
use actix_web::{HttpRequest, HttpResponse, web};
use connect_actors::ControllerHandle;
use connect_api::{ConfigDef, PluginKind};
use serde_json::json;
#[allow(unused_imports, reason = "named by the API description's attributes")]
use std::collections::BTreeMap;

use super::body::parse_config;
use super::response::{bad_request, error, ok};
use crate::plugins::{PluginInfo, all_plugins, config_def_of};

type Handle = web::Data<ControllerHandle>;

fn rows(plugins: impl Iterator<Item = PluginInfo>) -> Vec<serde_json::Value> {
    plugins
        .map(|p| {
            let mut row = json!({ "className": p.class_name, "type": p.kind, "version": p.version, "aliases": p.aliases });
            if p.is_task {
                row["task"] = json!(true);
            }
            row
        })
        .collect()
}

/// Connectors, their task classes (marked `"task": true`, for direct mode), transforms,
/// predicates and converters.
#[utoipa::path(get, path = "/plugin/list", tag = "plugins", responses((status = 200, description = "every plugin: className, type, version, aliases (task classes marked task)", body = Envelope<Vec<AnyJson>>), (status = "default", description = "an error: errorCode, message, errors per key", body = ErrorEnvelope)))]
pub async fn list() -> HttpResponse {
    ok(rows(all_plugins().into_iter()))
}

#[utoipa::path(get, path = "/plugin/list/connectors", tag = "plugins", responses((status = 200, description = "the result, in the envelope", body = Envelope<Vec<AnyJson>>), (status = "default", description = "an error: errorCode, message, errors per key", body = ErrorEnvelope)))]
pub async fn list_connectors() -> HttpResponse {
    ok(rows(all_plugins().into_iter().filter(|p| {
        matches!(p.kind, PluginKind::Source | PluginKind::Sink) && !p.is_task
    })))
}

/// Plugins are compiled into this binary; there is nothing to rescan.
#[utoipa::path(get, path = "/plugin/reload", tag = "plugins", responses((status = 200, description = "the result, in the envelope", body = Envelope<String>), (status = "default", description = "an error: errorCode, message, errors per key", body = ErrorEnvelope)))]
pub async fn reload() -> HttpResponse {
    ok("Plugin reload succeeded")
}

fn query(request: &HttpRequest) -> std::collections::HashMap<String, String> {
    web::Query::<std::collections::HashMap<String, String>>::from_query(request.query_string())
        .map(web::Query::into_inner)
        .unwrap_or_default()
}

/// `GET /plugin/config?className=…`: the plugin's configuration keys.
#[utoipa::path(get, path = "/plugin/config", tag = "plugins", params(("className" = Option<String>, Query, description = "a plugin class name or alias")), responses((status = 200, description = "the keys of the plugin", body = Envelope<AnyJson>), (status = "default", description = "an error: errorCode, message, errors per key", body = ErrorEnvelope)))]
pub async fn config(request: HttpRequest) -> HttpResponse {
    let params = query(&request);
    let Some(class) = ["className", "class", "plugin", "connector.class"]
        .iter()
        .find_map(|k| params.get(*k))
    else {
        return bad_request("query param 'className' is required (a plugin class name or alias)");
    };
    match config_def_of(class) {
        Some((info, def)) => ok(
            json!({ "className": info.class_name, "type": info.kind, "configs": describe(&def) }),
        ),
        None => error(&connect_actors::ControllerError::NotFound(format!(
            "no plugin named {class}; GET /plugin/list shows them"
        ))),
    }
}

fn describe(def: &ConfigDef) -> Vec<serde_json::Value> {
    def.keys()
        .iter()
        .map(|k| {
            json!({
                "name": k.name,
                "type": k.ty,
                "required": k.is_required(),
                "defaultValue": k.default,
                "importance": k.importance,
                "documentation": k.documentation,
                "validValues": k.validator.as_ref().and_then(|v| v.describe()),
            })
        })
        .collect()
}

/// `GET /plugin/config/validate?config=…` or a body: every problem, per key.
#[utoipa::path(method(get, post, put), path = "/plugin/config/validate", tag = "plugins", params(("config" = Option<String>, Query, description = "the configuration as JSON, instead of the body")), request_body(content = Option<BTreeMap<String, String>>, content_type = "application/json"), responses((status = 200, description = "className, errorCount, errors per key", body = Envelope<AnyJson>), (status = "default", description = "an error: errorCode, message, errors per key", body = ErrorEnvelope)))]
pub async fn validate(
    handle: Handle,
    request: HttpRequest,
    body: super::body::Body,
) -> HttpResponse {
    let raw = query(&request)
        .remove("config")
        .map_or_else(|| body.to_vec(), String::into_bytes);
    let config = match parse_config(&raw, "the configuration (query param 'config' or the body)") {
        Ok(config) => config,
        Err(message) => return bad_request(message),
    };
    let class = config.get("connector.class").map(str::to_owned);
    match handle.validate(config).await {
        Ok(errors) => ok(json!({
            "className": class,
            "errorCount": errors.len(),
            "errors": errors.iter().map(|e| json!({ "key": e.key, "value": e.value, "message": e.message })).collect::<Vec<_>>(),
        })),
        Err(e) => error(&e),
    }
}
