//! The worker's metrics: `GET /metrics` in Prometheus text format, `GET /admin/metrics` as
//! JSON entries under the Kafka Connect / Java runtime names (group, name, type, tags, value).

use actix_web::HttpResponse;
use connect_dataplane::metrics::exposition::PROMETHEUS_CONTENT_TYPE;
use connect_dataplane::metrics::prometheus_text;

use super::connectors::Handle;
use super::response::ok;

pub async fn prometheus(handle: Handle) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(PROMETHEUS_CONTENT_TYPE)
        .body(prometheus_text(&handle.metrics().samples()))
}

pub async fn json(handle: Handle) -> HttpResponse {
    ok(handle.metrics().entries())
}
