//! Request bodies, read within the worker's limits ([`Body`]: `httpMaxBodyBytes`,
//! `httpBodyReadTimeoutMs`), and connector configurations from bodies and `?config=`
//! parameters: a JSON object whose values become strings (numbers and booleans as their text,
//! nested values as JSON text, as the Java runtime does); `null` values are rejected with the
//! key named.

use std::time::Duration;

use actix_web::error::InternalError;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, web};
use connect_api::Config;
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;

use super::response::Flavour;

/// How much of a body a request may send, and how long it may take.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub max_bytes: usize,
    pub read_timeout: Duration,
}

/// A request body read whole within [`BodyLimits`]: too large is a 413, too slow a 408, each
/// naming the worker key that sets the limit.
#[derive(Debug)]
pub struct Body(pub web::Bytes);

impl std::ops::Deref for Body {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

fn refuse(flavour: Flavour, status: StatusCode, message: String) -> actix_web::Error {
    InternalError::from_response(message.clone(), flavour.error(status, &message)).into()
}

impl FromRequest for Body {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let limits = request.app_data::<web::Data<BodyLimits>>().map_or(
            BodyLimits {
                max_bytes: 1024 * 1024,
                read_timeout: Duration::from_secs(10),
            },
            |l| *l.get_ref(),
        );
        let declared = request
            .headers()
            .get(actix_web::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        let flavour = Flavour::of(request);
        Box::pin(async move {
            let too_large = || {
                refuse(
                    flavour,
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!(
                        "the request body is over this worker's limit of {} bytes (worker key httpMaxBodyBytes)",
                        limits.max_bytes
                    ),
                )
            };
            if declared.is_some_and(|n| n > limits.max_bytes) {
                return Err(too_large());
            }
            let read = async {
                let mut body = web::BytesMut::new();
                while let Some(chunk) = payload.next().await {
                    let chunk = chunk.map_err(|e| {
                        refuse(
                            flavour,
                            StatusCode::BAD_REQUEST,
                            format!("cannot read the request body: {e}"),
                        )
                    })?;
                    if body.len() + chunk.len() > limits.max_bytes {
                        return Err(too_large());
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(Body(body.freeze()))
            };
            match tokio::time::timeout(limits.read_timeout, read).await {
                Ok(result) => result,
                Err(_) => Err(refuse(
                    flavour,
                    StatusCode::REQUEST_TIMEOUT,
                    format!(
                        "the request body did not arrive within {} ms (worker key httpBodyReadTimeoutMs)",
                        limits.read_timeout.as_millis()
                    ),
                )),
            }
        })
    }
}

/// Parses a JSON object of configuration keys.
pub fn parse_config(bytes: &[u8], what: &str) -> Result<Config, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(format!(
            "{what} is required: a JSON object of configuration keys"
        ));
    }
    let json: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("{what} is not valid JSON: {e}"))?;
    config_from_json(&json, what)
}

/// Converts a JSON object into a configuration.
pub fn config_from_json(json: &serde_json::Value, what: &str) -> Result<Config, String> {
    let object = json.as_object().ok_or_else(|| {
        format!(
            "{what} must be a JSON object of configuration keys, not {}",
            kind(json)
        )
    })?;
    let mut config = Config::new();
    for (key, value) in object {
        let text = match value {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => {
                return Err(format!(
                    "config key '{key}' is null; give it a value or leave it out"
                ));
            }
            other => other.to_string(),
        };
        config.put(key.clone(), text);
    }
    Ok(config)
}

fn kind(json: &serde_json::Value) -> &'static str {
    match json {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_become_strings_and_bad_bodies_are_explained() {
        let config = parse_config(
            br#"{"max.tasks": 2, "flag": true, "nested": {"a": 1}, "s": "x"}"#,
            "the request body",
        )
        .unwrap();
        assert_eq!(config.get("max.tasks"), Some("2"));
        assert_eq!(config.get("flag"), Some("true"));
        assert_eq!(config.get("nested"), Some(r#"{"a":1}"#));
        assert!(
            parse_config(b"{oops", "the body")
                .unwrap_err()
                .contains("not valid JSON")
        );
        assert!(
            parse_config(b"[1]", "the body")
                .unwrap_err()
                .contains("not an array")
        );
        assert!(
            parse_config(br#"{"k": null}"#, "the body")
                .unwrap_err()
                .contains("'k' is null")
        );
        assert!(
            parse_config(b"  ", "the body")
                .unwrap_err()
                .contains("is required")
        );
    }
}
