//! The worker's metrics: `GET /metrics` in Prometheus text format, `GET /admin/metrics` as
//! JSON entries under the Kafka Connect / Java runtime names (group, name, type, tags, value).

#[allow(unused_imports, reason = "named by the API description's attributes")]
use super::openapi::{AnyJson, Envelope, ErrorEnvelope};
use actix_web::HttpResponse;
use connect_dataplane::metrics::exposition::PROMETHEUS_CONTENT_TYPE;
use connect_dataplane::metrics::prometheus_text;
#[allow(unused_imports, reason = "named by the API description's attributes")]
use std::collections::BTreeMap;

use super::connectors::Handle;
use super::response::ok;

#[utoipa::path(get, path = "/metrics", tag = "worker", responses((status = 200, description = "Prometheus text exposition 0.0.4", body = String, content_type = "text/plain"), (status = "default", description = "an error: errorCode, message, errors per key", body = ErrorEnvelope)))]
pub async fn prometheus(handle: Handle) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(PROMETHEUS_CONTENT_TYPE)
        .body(prometheus_text(&handle.metrics().samples()))
}

#[utoipa::path(get, path = "/admin/metrics", tag = "worker", responses((status = 200, description = "entries under the Kafka Connect / Java names: group, name, type, tags, value", body = Envelope<Vec<AnyJson>>), (status = "default", description = "an error: errorCode, message, errors per key", body = ErrorEnvelope)))]
pub async fn json(handle: Handle) -> HttpResponse {
    ok(handle.metrics().entries())
}
