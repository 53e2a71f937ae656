//! `/connector-plugins…` as Kafka Connect answers them: the plugins, a plugin's keys
//! (`ConfigKeyInfo`) and validation (`ConfigInfos`).

use std::collections::BTreeMap;

#[allow(unused_imports, reason = "named by the API description's attributes")]
use crate::rest::openapi::{AnyJson, CreateRequest, KafkaError, Offsets};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use connect_actors::ControllerError;
use connect_api::config_def::ConfigKey;
use connect_api::{ConfigDef, PluginKind};
use serde_json::json;

use super::{Handle, bad_request, fail, json_with};
use crate::plugins::{PluginInfo, all_plugins, config_def_of};
use crate::rest::body::{Body, parse_config};

/// Kafka Connect's plugin type names.
fn type_name(kind: PluginKind) -> &'static str {
    match kind {
        PluginKind::Source => "source",
        PluginKind::Sink => "sink",
        PluginKind::Transformation => "transformation",
        PluginKind::Predicate => "predicate",
        PluginKind::Converter => "converter",
    }
}

fn row(p: &PluginInfo) -> serde_json::Value {
    json!({ "class": p.class_name, "type": type_name(p.kind), "version": p.version })
}

/// `GET /connector-plugins[?connectorsOnly=false]`: connectors; with `false`, transforms,
/// predicates and converters too. Task classes (direct mode's) are not plugins here.
#[utoipa::path(get, path = "/connector-plugins", tag = "kafka", params(("connectorsOnly" = Option<bool>, Query,)), responses((status = 200, description = "class, type, version", body = Vec<AnyJson>), (status = "default", description = "an error: error_code and message", body = KafkaError)))]
pub async fn list(request: HttpRequest) -> HttpResponse {
    let only = web::Query::<BTreeMap<String, String>>::from_query(request.query_string())
        .ok()
        .and_then(|q| q.get("connectorsOnly").cloned());
    let connectors_only = match only.as_deref() {
        None => true,
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(v) => {
            return bad_request(format!(
                "query param 'connectorsOnly' must be true or false, not {v:?}"
            ));
        }
    };
    let rows: Vec<serde_json::Value> = all_plugins()
        .iter()
        .filter(|p| !p.is_task)
        .filter(|p| !connectors_only || matches!(p.kind, PluginKind::Source | PluginKind::Sink))
        .map(row)
        .collect();
    json_with(StatusCode::OK, &rows)
}

/// `ConfigKeyInfo`.
fn key_info(key: &ConfigKey, order: usize) -> serde_json::Value {
    json!({
        "name": key.name,
        "type": key.ty,
        "required": key.is_required(),
        "default_value": key.default,
        "importance": key.importance,
        "documentation": key.documentation,
        "group": null,
        "order_in_group": order,
        "width": "NONE",
        "display_name": key.name,
        "dependents": [],
        "validators": key.validator.as_ref().and_then(|v| v.describe()).into_iter().collect::<Vec<_>>(),
    })
}

fn plugin(name: &str) -> Result<(PluginInfo, ConfigDef), ControllerError> {
    config_def_of(name)
        .filter(|(info, _)| !info.is_task)
        .ok_or_else(|| {
            ControllerError::NotFound(format!(
                "Unknown plugin {name}; GET /connector-plugins?connectorsOnly=false lists them"
            ))
        })
}

/// `GET /connector-plugins/{plugin}/config`: the plugin's keys.
#[utoipa::path(get, path = "/connector-plugins/{plugin}/config", tag = "kafka", params(("plugin" = String, Path,)), responses((status = 200, description = "ConfigKeyInfo per key", body = Vec<AnyJson>), (status = "default", description = "an error: error_code and message", body = KafkaError)))]
pub async fn config(path: web::Path<String>) -> HttpResponse {
    match plugin(&path) {
        Ok((_, def)) => {
            let keys: Vec<serde_json::Value> = def
                .keys()
                .iter()
                .enumerate()
                .map(|(i, k)| key_info(k, i))
                .collect();
            json_with(StatusCode::OK, &keys)
        }
        Err(e) => fail(&e),
    }
}

/// `PUT /connector-plugins/{plugin}/config/validate`: each key with its value and errors.
/// A configuration without `connector.class` is validated as the plugin in the path; one
/// naming another plugin is refused.
#[utoipa::path(put, path = "/connector-plugins/{plugin}/config/validate", tag = "kafka", params(("plugin" = String, Path,)), request_body(content = BTreeMap<String, String>, content_type = "application/json"), responses((status = 200, description = "ConfigInfos", body = AnyJson), (status = "default", description = "an error: error_code and message", body = KafkaError)))]
pub async fn validate(handle: Handle, path: web::Path<String>, body: Body) -> HttpResponse {
    let (info, def) = match plugin(&path) {
        Ok(found) => found,
        Err(e) => return fail(&e),
    };
    if !matches!(info.kind, PluginKind::Source | PluginKind::Sink) {
        return bad_request(format!("{} is not a connector plugin", info.class_name));
    }
    let mut config = match parse_config(&body, "the request body") {
        Ok(config) => config,
        Err(e) => return bad_request(e),
    };
    match config.get("connector.class").map(str::to_owned) {
        Some(given) if given != info.class_name && !info.aliases.contains(&given.as_str()) => {
            return bad_request(format!(
                "Included connector type {given} does not match request type {}",
                path.as_str()
            ));
        }
        Some(_) => {}
        None => config.put("connector.class".to_owned(), info.class_name.to_owned()),
    }
    let errors = match handle.validate(config.clone()).await {
        Ok(errors) => errors,
        Err(e) => return fail(&e),
    };
    let mut by_key: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for error in &errors {
        by_key
            .entry(error.key.as_str())
            .or_default()
            .push(error.message.clone());
    }
    let masked = config.masked();
    let mut configs: Vec<serde_json::Value> = def
        .keys()
        .iter()
        .enumerate()
        .map(|(i, key)| {
            let value = masked
                .get(&key.name)
                .map(str::to_owned)
                .or(key.default.clone());
            json!({
                "definition": key_info(key, i),
                "value": {
                    "name": key.name,
                    "value": value,
                    "recommended_values": [],
                    "errors": by_key.remove(key.name.as_str()).unwrap_or_default(),
                    "visible": true,
                },
            })
        })
        .collect();
    // Errors of keys the plugin does not declare (the worker's common keys, transforms…).
    for (key, messages) in by_key {
        configs.push(json!({
            "value": {
                "name": key,
                "value": masked.get(key),
                "recommended_values": [],
                "errors": messages,
                "visible": true,
            },
        }));
    }
    json_with(
        StatusCode::OK,
        &json!({
            "name": info.class_name,
            "error_count": errors.len(),
            "groups": ["Common"],
            "configs": configs,
        }),
    )
}
