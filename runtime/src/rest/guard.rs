//! The gate every request passes before a handler: requests a browser made on behalf of
//! another site are refused (403), then the caller is authenticated (401) when the worker has
//! users. Programmatic clients (curl, SDKs) send no `Origin` and no `Sec-Fetch-Site`, so they
//! are unaffected, and the seed's state-changing GET routes keep working for them; a page in a
//! browser cannot trigger them (not with a form, an image or a `fetch`), nor POST a
//! `text/plain` "simple request".

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, web};

use super::auth::Users;
use super::response::Flavour;

/// What the gate knows.
#[derive(Debug)]
pub struct HttpGuard {
    /// Users when authentication is on.
    pub users: Option<Users>,
    /// Browser origins allowed to call the API from their pages (`httpAllowedOrigins`).
    pub allowed_origins: Vec<String>,
    /// The worker listens on loopback only: a `Host` other than a loopback name is a page of
    /// another site reaching it through DNS rebinding.
    pub loopback_only: bool,
}

/// Routes anyone may call.
const OPEN_ROUTES: [&str; 1] = ["/health"];

/// Refuses cross-site and unauthenticated requests.
pub async fn guard(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let refusal = request
        .app_data::<web::Data<HttpGuard>>()
        .and_then(|guard| guard.refusal(&request));
    match refusal {
        Some(response) => Ok(request.into_response(response).map_into_right_body()),
        None => next
            .call(request)
            .await
            .map(ServiceResponse::map_into_left_body),
    }
}

impl HttpGuard {
    fn refusal(&self, request: &ServiceRequest) -> Option<actix_web::HttpResponse> {
        let flavour = Flavour::of(request.request());
        if let Some(reason) = self.cross_site(request) {
            return Some(flavour.error(StatusCode::FORBIDDEN, &reason));
        }
        let users = self.users.as_ref()?;
        if OPEN_ROUTES.contains(&request.path()) {
            return None;
        }
        let authorized = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|value| users.verify(value));
        if authorized {
            return None;
        }
        let mut response = flavour.error(
            StatusCode::UNAUTHORIZED,
            "authentication required: send HTTP Basic credentials of a user in the worker's httpAuthUsersFile",
        );
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"rocketmq-connect\", charset=\"UTF-8\""),
        );
        Some(response)
    }

    /// Why a browser request from another site is refused, if it is one.
    fn cross_site(&self, request: &ServiceRequest) -> Option<String> {
        let headers = request.headers();
        // The Host the client sent (HTTP/2: the URI's authority), never `Forwarded` or
        // `X-Forwarded-Host`: a rebound page could send those to pass as localhost.
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .or_else(|| request.uri().authority().map(|a| a.as_str()))
            .unwrap_or("");
        let scheme = if request.app_config().secure() {
            "https"
        } else {
            "http"
        };
        if self.loopback_only && !is_loopback_host(host) {
            return Some(format!(
                "Host {host:?} is not this worker: it listens on loopback only, so only 127.0.0.1, [::1] and localhost reach it"
            ));
        }
        if let Some(origin) = headers.get(header::ORIGIN) {
            let origin = origin.to_str().unwrap_or("");
            let own = format!("{scheme}://{host}");
            if origin.eq_ignore_ascii_case(&own)
                || self
                    .allowed_origins
                    .iter()
                    .any(|allowed| allowed.eq_ignore_ascii_case(origin))
            {
                return None;
            }
            return Some(format!(
                "cross-site request from origin {origin:?} refused: list it in the worker key httpAllowedOrigins to let its pages call this API"
            ));
        }
        match headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
        {
            Some(site) if site.eq_ignore_ascii_case("cross-site") || site.eq_ignore_ascii_case("same-site") => Some(
                "cross-site request refused: a page of another site cannot call this API (open the URL directly, or use curl)".to_owned(),
            ),
            _ => None,
        }
    }
}

fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for host in [
            "127.0.0.1:8082",
            "localhost:1",
            "[::1]:8082",
            "127.0.0.1",
            "LOCALHOST",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "evil.example:8082",
            "10.0.0.1:8082",
            "[2001:db8::1]:1",
            "localhost.evil",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }
}
