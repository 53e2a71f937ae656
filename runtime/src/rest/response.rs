//! Response shapes: `{"status": 200, "body": …}` on success (as the Java runtime), and
//! `{"errorCode": …, "message": …}` on failure — with a real HTTP status, unlike Java, which
//! answers 200 for errors too. Kafka Connect's API ([`Flavour::Kafka`]) answers bare JSON and
//! `{"error_code", "message"}`. The one place errors map to HTTP statuses.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use connect_actors::ControllerError;
use connect_api::secrets::{mask_value, scrub_text};
use serde::Serialize;
use serde_json::json;

/// Which API a server speaks: its error shape (app data; the seed's when absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flavour {
    #[default]
    Seed,
    Kafka,
}

impl Flavour {
    /// The flavour of the server `request` came to.
    pub fn of(request: &HttpRequest) -> Self {
        request
            .app_data::<web::Data<Flavour>>()
            .map_or(Self::Seed, |f| *f.get_ref())
    }

    /// An error with any status and message (secrets in the message masked), in this
    /// flavour's shape.
    pub fn error(self, status: StatusCode, message: &str) -> HttpResponse {
        match self {
            Self::Seed => error_with(status, message),
            Self::Kafka => HttpResponse::build(status).json(KafkaError {
                error_code: status.as_u16(),
                message: scrub_text(message).into_owned(),
            }),
        }
    }
}

/// 200 with the body in the envelope.
pub fn ok<T: Serialize>(body: T) -> HttpResponse {
    with_status(StatusCode::OK, body)
}

/// `{"status", "body"}` in that order, as the Java runtime writes it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Envelope<T> {
    /// The HTTP status again.
    pub status: u16,
    pub body: T,
}

/// `{"errorCode", "message", "errors"?}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorEnvelope {
    #[serde(rename = "errorCode")]
    error_code: u16,
    message: String,
    /// Configuration errors: `{"key", "value", "message"}` per problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<Vec<serde_json::Value>>,
}

/// Kafka Connect's `ErrorMessage`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KafkaError {
    error_code: u16,
    message: String,
}

/// `status` with the body in the envelope.
pub fn with_status<T: Serialize>(status: StatusCode, body: T) -> HttpResponse {
    HttpResponse::build(status).json(Envelope {
        status: status.as_u16(),
        body,
    })
}

/// The HTTP status of a controller error.
pub fn status_of(error: &ControllerError) -> StatusCode {
    match error {
        ControllerError::BadConfig(_) | ControllerError::BadRequest(_) => StatusCode::BAD_REQUEST,
        ControllerError::NotFound(_) => StatusCode::NOT_FOUND,
        ControllerError::Conflict(_) => StatusCode::CONFLICT,
        ControllerError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        ControllerError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The error envelope; configuration errors also list each key.
pub fn error(error: &ControllerError) -> HttpResponse {
    let status = status_of(error);
    let errors = match error {
        ControllerError::BadConfig(errors) => Some(
            errors
                .iter()
                .map(|e| {
                    let value = e.value.as_deref().map(|v| mask_value(&e.key, v));
                    json!({ "key": e.key, "value": value, "message": scrub_text(&e.message) })
                })
                .collect(),
        ),
        _ => None,
    };
    HttpResponse::build(status).json(ErrorEnvelope {
        error_code: status.as_u16(),
        message: scrub_text(&error.to_string()).into_owned(),
        errors,
    })
}

/// An error envelope with any status and message (secrets in the message masked).
pub fn error_with(status: StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(ErrorEnvelope {
        error_code: status.as_u16(),
        message: scrub_text(message).into_owned(),
        errors: None,
    })
}

/// 400 with a message.
pub fn bad_request(message: impl Into<String>) -> HttpResponse {
    error(&ControllerError::BadRequest(message.into()))
}

/// Maps a controller result to a response.
pub fn reply<T: Serialize>(result: Result<T, ControllerError>) -> HttpResponse {
    match result {
        Ok(body) => ok(body),
        Err(e) => error(&e),
    }
}
