//! `/ui/`: the worker's dashboard — three files compiled into the binary (no CDN, no build
//! step): connectors and tasks with state, worker and trace, live rates plotted, dead
//! letters and lag, pause/resume/restart, and the cluster's workers. It calls the seed's API
//! same-origin, so authentication and cross-site refusal apply to it as to any client; the
//! content security policy lets the page load only its own files.

use actix_web::HttpResponse;
use actix_web::http::header;

const INDEX: &str = include_str!("ui/index.html");
const APP: &str = include_str!("ui/app.js");
const STYLE: &str = include_str!("ui/style.css");

fn file(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(body)
}

pub async fn index() -> HttpResponse {
    file("text/html; charset=utf-8", INDEX)
}

pub async fn app() -> HttpResponse {
    file("text/javascript; charset=utf-8", APP)
}

pub async fn style() -> HttpResponse {
    file("text/css; charset=utf-8", STYLE)
}

/// `/ui` → `/ui/`, so the page's relative links resolve.
pub async fn redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/ui/"))
        .finish()
}

/// The dashboard's routes (each a GET, answered for HEAD too).
pub fn resources() -> [super::resource::Resource; 4] {
    use super::resource::Resource;
    [
        Resource::new("/ui").get(redirect),
        Resource::new("/ui/").get(index),
        Resource::new("/ui/app.js").get(app),
        Resource::new("/ui/style.css").get(style),
    ]
}
