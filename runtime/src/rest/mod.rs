//! The REST API (actix-web). Handlers parse, call the [`ControllerHandle`], and map the
//! result; they never hold state. Every route of the seed (reference §1.2) with its path,
//! method and `{"status", "body"}` shape, plus Kafka Connect's PUT/DELETE/restart/offsets and
//! `/health`, the metrics (`/metrics`, `/admin/metrics`) and the dashboard (`/ui/`). Static routes are registered before `{name}` routes so `/connectors/list`,
//! `/connectors/stop/all` … win, while a connector named `list` stays reachable
//! (`/connectors/list/status`, `POST /connectors/list`, `GET /connectors/list?config=`).
//!
//! Each path is one resource listing its methods: a wrong method is a 405 with `Allow`, and
//! `HEAD` answers wherever a GET has no side effect. The seed's state-changing GETs
//! (`/connectors/{name}?config=`, `…/stop`, `…/pause`, `…/resume`, `/connectors/*/all`,
//! `/plugin/reload`) are refused to browsers of other sites by [`guard`]. Every error, the web
//! framework's own included, is a `{"errorCode", "message"}` envelope.

mod auth;
mod body;
mod connectors;
mod guard;
pub mod kafka;
mod metrics;
pub mod openapi;
mod plugins;
mod resource;
mod response;
mod ui;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::Method;
use actix_web::http::header;
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::web;
use resource::Resource;

pub use auth::Users;
pub use body::BodyLimits;
pub use guard::{HttpGuard, guard};
pub use response::{Flavour, status_of};

/// Registers every route.
pub fn routes(config: &mut web::ServiceConfig) {
    for resource in resources().into_iter().chain(ui::resources()) {
        config.service(resource.done());
    }
    config.service(openapi::seed_ui());
    config.default_service(web::to(|| async {
        response::error(&connect_actors::ControllerError::NotFound(
            "no such route; see the README for the API".to_owned(),
        ))
    }));
}

/// The seed's API, one resource per path.
fn resources() -> Vec<Resource> {
    use connectors as c;
    vec![
        Resource::new("/getClusterInfo").get(c::cluster_info),
        Resource::new("/health").get(c::health),
        Resource::new("/metrics").get(metrics::prometheus),
        Resource::new("/admin/metrics").get(metrics::json),
        Resource::new("/plugin/list").get(plugins::list),
        Resource::new("/plugin/list/connectors").get(plugins::list_connectors),
        Resource::new("/plugin/reload").on(Method::GET, plugins::reload),
        Resource::new("/plugin/config").get(plugins::config),
        Resource::new("/plugin/config/validate")
            .get(plugins::validate)
            .on(Method::POST, plugins::validate)
            .on(Method::PUT, plugins::validate),
        Resource::new("/allocated/connectors").get(c::allocated_connectors),
        Resource::new("/allocated/tasks").get(c::allocated_tasks),
        Resource::new("/connectors")
            .get(c::names)
            .on(Method::POST, c::create),
        // `?config=` creates a connector named `list` (GET only; HEAD never creates).
        Resource::new("/connectors/list")
            .get(c::list)
            .on(Method::POST, c::create_or_update_list)
            .on(Method::DELETE, c::delete_list),
        Resource::new("/connectors/stop/all").on(Method::GET, c::delete_all),
        Resource::new("/connectors/pause/all").on(Method::GET, c::pause_all),
        Resource::new("/connectors/resume/all").on(Method::GET, c::resume_all),
        // `?config=` creates or updates (GET only; HEAD never creates).
        Resource::new("/connectors/{name}")
            .get(c::get_or_create)
            .on(Method::POST, c::create_or_update)
            .on(Method::DELETE, c::delete),
        Resource::new("/connectors/{name}/config")
            .get(c::config)
            .on(Method::PUT, c::put_config),
        Resource::new("/connectors/{name}/status").get(c::status),
        Resource::new("/connectors/{name}/tasks").get(c::tasks),
        Resource::new("/connectors/{name}/tasks/{task}/status").get(c::task_status),
        Resource::new("/connectors/{name}/tasks/{task}/restart").on(Method::POST, c::restart_task),
        Resource::new("/connectors/{name}/stop").on(Method::GET, c::stop),
        Resource::new("/connectors/{name}/pause")
            .on(Method::GET, c::pause)
            .on(Method::PUT, c::pause),
        Resource::new("/connectors/{name}/resume")
            .on(Method::GET, c::resume)
            .on(Method::PUT, c::resume),
        Resource::new("/connectors/{name}/restart").on(Method::POST, c::restart),
        Resource::new("/connectors/{name}/offsets").get(c::offsets),
    ]
}

/// Puts every error response not already in the envelope (the web framework's own: a query
/// that does not parse, a malformed header…) into `{"errorCode", "message"}`.
pub fn error_envelopes<B: MessageBody + 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(envelope)
}

fn envelope<B: MessageBody + 'static>(
    response: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json {
        return Ok(ErrorHandlerResponse::Response(
            response.map_into_left_body(),
        ));
    }
    let status = response.status();
    let message = response.response().error().map_or_else(
        || status.canonical_reason().unwrap_or("error").to_owned(),
        ToString::to_string,
    );
    let (request, old) = response.into_parts();
    let mut new = Flavour::of(&request).error(status, &message);
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            new.headers_mut().insert(name.clone(), value.clone());
        }
    }
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(request, new).map_body(|_, body| EitherBody::right(body)),
    ))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use utoipa::OpenApi;

    use super::*;

    /// `(path, method)` of every operation an OpenAPI description documents.
    pub(crate) fn documented(api: &utoipa::openapi::OpenApi) -> BTreeSet<(String, &'static str)> {
        let mut out = BTreeSet::new();
        for (path, item) in &api.paths.paths {
            let operations = [
                ("GET", item.get.is_some()),
                ("PUT", item.put.is_some()),
                ("POST", item.post.is_some()),
                ("DELETE", item.delete.is_some()),
                ("PATCH", item.patch.is_some()),
            ];
            for (method, present) in operations {
                if present {
                    out.insert((path.clone(), method));
                }
            }
        }
        out
    }

    /// Every route a server answers is in its API description, and every description entry
    /// is answered (HEAD, the dashboard and Swagger UI aside): the description cannot drift.
    pub(crate) fn assert_described(resources: Vec<Resource>, api: &utoipa::openapi::OpenApi) {
        let served: BTreeSet<(String, &'static str)> = resources
            .iter()
            .flat_map(Resource::routes)
            .filter(|(_, method)| *method != "HEAD")
            .collect();
        let described = documented(api);
        let undocumented: Vec<_> = served.difference(&described).collect();
        let unserved: Vec<_> = described.difference(&served).collect();
        assert!(
            undocumented.is_empty(),
            "served but not described: {undocumented:?}"
        );
        assert!(
            unserved.is_empty(),
            "described but not served: {unserved:?}"
        );
    }

    #[test]
    fn the_seed_api_description_lists_every_route() {
        assert_described(resources(), &openapi::SeedApi::openapi());
    }

    #[test]
    fn the_kafka_api_description_lists_every_route() {
        assert_described(kafka::resources(), &openapi::KafkaApi::openapi());
    }
}
