//! `/connectors/{name}/offsets` (KIP-875): a source connector's committed positions, read
//! any time, altered or reset only while it is STOPPED.

#[allow(unused_imports, reason = "named by the API description's attributes")]
use crate::rest::openapi::{AnyJson, CreateRequest, KafkaError, Offsets};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use connect_actors::offset_committer::PositionChange;
use connect_api::{RecordOffset, RecordPartition};
use serde::Deserialize;
use serde_json::json;
#[allow(unused_imports, reason = "named by the API description's attributes")]
use std::collections::BTreeMap;

use super::{Handle, bad_request, fail, json_with};
use crate::rest::body::Body;

/// `GET`: `{"offsets": [{"partition", "offset"}]}`.
#[utoipa::path(get, path = "/connectors/{name}/offsets", tag = "kafka", params(("name" = String, Path, description = "the name of the connector")), responses((status = 200, description = "committed offsets", body = Offsets), (status = "default", description = "an error: error_code and message", body = KafkaError)))]
pub async fn get(handle: Handle, path: web::Path<String>) -> HttpResponse {
    match handle.offsets(&path).await {
        Ok(positions) => {
            let offsets: Vec<serde_json::Value> = positions
                .into_iter()
                .map(|(partition, offset)| json!({ "partition": partition, "offset": offset }))
                .collect();
            json_with(StatusCode::OK, &json!({ "offsets": offsets }))
        }
        Err(e) => fail(&e),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Alteration {
    offsets: Vec<PartitionOffset>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PartitionOffset {
    partition: RecordPartition,
    /// `null` forgets the partition.
    offset: Option<RecordOffset>,
}

/// `PATCH` with `{"offsets": [{"partition": {…}, "offset": {…} | null}]}`.
#[utoipa::path(patch, path = "/connectors/{name}/offsets", tag = "kafka", params(("name" = String, Path, description = "the name of the connector")), request_body(content = AnyJson, description = "{offsets: [{partition: {...}, offset: {...} or null}]}", content_type = "application/json"), responses((status = 200, description = "altered", body = Object), (status = "default", description = "an error: error_code and message", body = KafkaError)))]
pub async fn alter(handle: Handle, path: web::Path<String>, body: Body) -> HttpResponse {
    let alteration: Alteration = match serde_json::from_slice(&body) {
        Ok(a) => a,
        Err(e) => {
            return bad_request(format!(
                "the request body must be {{\"offsets\": [{{\"partition\": {{…}}, \"offset\": {{…}} or null}}]}}: {e}"
            ));
        }
    };
    if alteration.offsets.is_empty() {
        return bad_request("the request body lists no offsets to alter");
    }
    let change = PositionChange::Patch(
        alteration
            .offsets
            .into_iter()
            .map(|o| (o.partition, o.offset))
            .collect(),
    );
    match handle.alter_offsets(&path, change).await {
        Ok(()) => json_with(
            StatusCode::OK,
            &json!({ "message": "The offsets for this connector have been altered successfully" }),
        ),
        Err(e) => fail(&e),
    }
}

/// `DELETE`: every position forgotten; the connector starts over when resumed.
#[utoipa::path(delete, path = "/connectors/{name}/offsets", tag = "kafka", params(("name" = String, Path, description = "the name of the connector")), responses((status = 200, description = "reset", body = Object), (status = "default", description = "an error: error_code and message", body = KafkaError)))]
pub async fn reset(handle: Handle, path: web::Path<String>) -> HttpResponse {
    match handle.alter_offsets(&path, PositionChange::Reset).await {
        Ok(()) => json_with(
            StatusCode::OK,
            &json!({ "message": "The offsets for this connector have been reset successfully" }),
        ),
        Err(e) => fail(&e),
    }
}
