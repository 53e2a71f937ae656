//! `/plugin/*`: what this worker can run, each plugin's configuration keys, and validation of
//! a configuration without creating anything.

use actix_web::{HttpRequest, HttpResponse, web};
use connect_actors::ControllerHandle;
use connect_api::{ConfigDef, PluginKind};
use serde_json::json;

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
pub async fn list() -> HttpResponse {
    ok(rows(all_plugins().into_iter()))
}

pub async fn list_connectors() -> HttpResponse {
    ok(rows(all_plugins().into_iter().filter(|p| {
        matches!(p.kind, PluginKind::Source | PluginKind::Sink) && !p.is_task
    })))
}

/// Plugins are compiled into this binary; there is nothing to rescan.
pub async fn reload() -> HttpResponse {
    ok("Plugin reload succeeded")
}

fn query(request: &HttpRequest) -> std::collections::HashMap<String, String> {
    web::Query::<std::collections::HashMap<String, String>>::from_query(request.query_string())
        .map(web::Query::into_inner)
        .unwrap_or_default()
}

/// `GET /plugin/config?className=…`: the plugin's configuration keys.
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
