//! The REST APIs' HTTP servers — the seed's on `httpPort`, Kafka Connect's on
//! `kafkaRestPort` — where they listen, over HTTP or HTTPS, and the guards in front of the
//! routes: authentication, cross-site refusal, body limits, error envelopes. A worker that
//! would expose an unauthenticated API beyond this host refuses to start.

use std::net::SocketAddr;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use connect_actors::ControllerHandle;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::rest::kafka::ServerInfo;
use crate::rest::{self, BodyLimits, Flavour, HttpGuard, Users};
use crate::worker_config::WorkerConfig;

/// The servers bound and ready to run.
#[allow(missing_debug_implementations, reason = "actix's Server has no Debug")]
pub struct Bound {
    /// The seed's API (`httpPort`).
    pub server: Server,
    pub addrs: Vec<SocketAddr>,
    /// Kafka Connect's API (`kafkaRestPort`), when set.
    pub kafka: Option<(Server, Vec<SocketAddr>)>,
    /// `http` or `https`.
    pub scheme: &'static str,
}

/// True for the addresses only this host can reach.
fn is_loopback(address: &str) -> bool {
    let address = address.trim().trim_start_matches('[').trim_end_matches(']');
    address.eq_ignore_ascii_case("localhost")
        || address
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Binds the REST APIs as `config` says: the seed's, and Kafka Connect's beside it with the
/// same address, TLS, authentication, cross-site protection and limits.
pub fn bind(config: &WorkerConfig, handle: ControllerHandle) -> Result<Bound, String> {
    let http = &config.http;
    let loopback_only = is_loopback(&config.http_bind_address);
    let users = http.users_file.as_deref().map(Users::load).transpose()?;
    if users.is_none() && !loopback_only && !http.allow_anonymous {
        return Err(format!(
            "httpBindAddress={} lets other hosts reach the REST API, which then needs authentication: set httpAuthUsersFile (lines user:<argon2 or bcrypt hash>), or httpAllowAnonymous=true to serve it without",
            config.http_bind_address
        ));
    }
    let shared = Shared {
        guard: web::Data::new(HttpGuard {
            users,
            allowed_origins: http.allowed_origins.clone(),
            loopback_only,
        }),
        limits: web::Data::new(BodyLimits {
            max_bytes: http.max_body_bytes,
            read_timeout: http.body_read_timeout,
        }),
        handle: web::Data::new(handle),
    };
    let tls = match (&http.tls_cert_file, &http.tls_key_file) {
        (Some(cert), Some(key)) => Some(tls_config(cert, key)?),
        _ => None,
    };
    let (server, addrs) = serve(
        config,
        config.http_port,
        Flavour::Seed,
        &shared,
        tls.clone(),
    )?;
    let kafka = match config.kafka_rest_port {
        Some(port) => Some(serve(config, port, Flavour::Kafka, &shared, tls.clone())?),
        None => None,
    };
    Ok(Bound {
        server,
        addrs,
        kafka,
        scheme: if tls.is_some() { "https" } else { "http" },
    })
}

/// What both APIs' servers share.
struct Shared {
    guard: web::Data<HttpGuard>,
    limits: web::Data<BodyLimits>,
    handle: web::Data<ControllerHandle>,
}

/// One API's server on `port`.
fn serve(
    config: &WorkerConfig,
    port: u16,
    flavour: Flavour,
    shared: &Shared,
    tls: Option<rustls::ServerConfig>,
) -> Result<(Server, Vec<SocketAddr>), String> {
    let (guard, limits, data) = (
        shared.guard.clone(),
        shared.limits.clone(),
        shared.handle.clone(),
    );
    let info = web::Data::new(ServerInfo {
        cluster_id: config.cluster.cluster_id.clone(),
    });
    let http = &config.http;
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(guard.clone())
            .app_data(limits.clone())
            .app_data(info.clone())
            .app_data(web::Data::new(flavour))
            .wrap(from_fn(rest::guard))
            .wrap(rest::error_envelopes())
            // Kafka Connect (Jersey) answers `/connectors/x/` as `/connectors/x`; clients rely
            // on it. The seed's paths stay exact.
            .wrap(actix_web::middleware::Condition::new(
                flavour == Flavour::Kafka,
                actix_web::middleware::NormalizePath::trim(),
            ))
            .configure(match flavour {
                Flavour::Seed => rest::routes,
                Flavour::Kafka => rest::kafka::routes,
            })
    })
    .workers(2)
    .disable_signals()
    .shutdown_timeout(5)
    .client_request_timeout(http.body_read_timeout)
    .client_disconnect_timeout(std::time::Duration::from_secs(2));
    let address = (config.http_bind_address.as_str(), port);
    let cannot =
        |e: std::io::Error| format!("cannot listen on {}:{port}: {e}", config.http_bind_address);
    let server = match tls {
        Some(tls) => server.bind_rustls_0_23(address, tls).map_err(cannot)?,
        None => server.bind(address).map_err(cannot)?,
    };
    let addrs = server.addrs();
    Ok((server.run(), addrs))
}

/// The TLS configuration from PEM files, with the aws-lc-rs provider the build already has.
fn tls_config(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> Result<rustls::ServerConfig, String> {
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("httpTlsCertFile {}: {e}", cert.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "httpTlsCertFile {}: no certificate in it",
            cert.display()
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("httpTlsKeyFile {}: {e}", key.display()))?;
    rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .and_then(|builder| builder.with_no_client_auth().with_single_cert(certs, key))
    .map_err(|e| format!("httpTlsCertFile/httpTlsKeyFile: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_addresses() {
        for a in ["127.0.0.1", "::1", "[::1]", "localhost", "127.1.2.3"] {
            assert!(is_loopback(a), "{a}");
        }
        for a in ["0.0.0.0", "::", "10.1.2.3", "example.com"] {
            assert!(!is_loopback(a), "{a}");
        }
    }
}
