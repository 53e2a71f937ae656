//! The REST API (actix-web). Handlers parse, call the [`ControllerHandle`], and map the
//! result; they never hold state. Every route of the seed (reference §1.2) with its path,
//! method and `{"status", "body"}` shape, plus Kafka Connect's PUT/DELETE/restart/offsets and
//! `/health`. Static routes are registered before `{name}` routes so `/connectors/list`,
//! `/connectors/stop/all` … win, while a connector named `list` stays reachable
//! (`/connectors/list/status`, `POST /connectors/list`, `GET /connectors/list?config=`).

mod body;
mod connectors;
mod plugins;
mod response;

use actix_web::web;

pub use response::status_of;

/// Registers every route.
pub fn routes(config: &mut web::ServiceConfig) {
    use connectors as c;
    config
        .app_data(web::PayloadConfig::new(4 * 1024 * 1024))
        .route("/getClusterInfo", web::get().to(c::cluster_info))
        .route("/health", web::get().to(c::health))
        .route("/plugin/list", web::get().to(plugins::list))
        .route(
            "/plugin/list/connectors",
            web::get().to(plugins::list_connectors),
        )
        .route("/plugin/reload", web::get().to(plugins::reload))
        .route("/plugin/config", web::get().to(plugins::config))
        .route("/plugin/config/validate", web::get().to(plugins::validate))
        .route("/plugin/config/validate", web::post().to(plugins::validate))
        .route("/plugin/config/validate", web::put().to(plugins::validate))
        .route(
            "/allocated/connectors",
            web::get().to(c::allocated_connectors),
        )
        .route("/allocated/tasks", web::get().to(c::allocated_tasks))
        .route("/connectors", web::get().to(c::names))
        .route("/connectors", web::post().to(c::create))
        .route("/connectors/list", web::get().to(c::list))
        .route("/connectors/stop/all", web::get().to(c::delete_all))
        .route("/connectors/pause/all", web::get().to(c::pause_all))
        .route("/connectors/resume/all", web::get().to(c::resume_all))
        .route("/connectors/{name}", web::get().to(c::get_or_create))
        .route("/connectors/{name}", web::post().to(c::create_or_update))
        .route("/connectors/{name}", web::delete().to(c::delete))
        .route("/connectors/{name}/config", web::get().to(c::config))
        .route("/connectors/{name}/config", web::put().to(c::put_config))
        .route("/connectors/{name}/status", web::get().to(c::status))
        .route("/connectors/{name}/tasks", web::get().to(c::tasks))
        .route(
            "/connectors/{name}/tasks/{task}/status",
            web::get().to(c::task_status),
        )
        .route(
            "/connectors/{name}/tasks/{task}/restart",
            web::post().to(c::restart_task),
        )
        .route("/connectors/{name}/stop", web::get().to(c::delete))
        .route("/connectors/{name}/pause", web::get().to(c::pause))
        .route("/connectors/{name}/pause", web::put().to(c::pause))
        .route("/connectors/{name}/resume", web::get().to(c::resume))
        .route("/connectors/{name}/resume", web::put().to(c::resume))
        .route("/connectors/{name}/restart", web::post().to(c::restart))
        .route("/connectors/{name}/offsets", web::get().to(c::offsets))
        .default_service(web::to(|| async {
            response::error(&connect_actors::ControllerError::NotFound(
                "no such route; see the README for the API".to_owned(),
            ))
        }));
}
