//! The one place where failures become HTTP responses. Bodies are `{"detail": "..."}`, or
//! `{"detail": [{loc, msg, type}]}` for invalid requests; internal error text never leaves the
//! server: 5xx causes are logged with their whole chain instead.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use safapac_db::DbError;
use serde::Serialize;
use serde_json::Value;
use utoipa::{IntoResponses, ToSchema};

use crate::auth::password::PasswordError;
use crate::auth::tokens::TokenError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(&'static str),
    /// Missing or unusable credentials; answered with `WWW-Authenticate: Bearer`.
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(&'static str),
    #[error("Request body too large")]
    PayloadTooLarge,
    /// The body did not arrive within `SAFAPAC_BODY_TIMEOUT_MS`.
    #[error("Request body not received in time")]
    RequestTimeout,
    #[error("Content-Type must be application/json")]
    UnsupportedMediaType,
    #[error("Request validation failed")]
    Validation(Vec<FieldError>),
    #[error("service temporarily unavailable")]
    Unavailable(#[source] DbError),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// One entry of a 422 `detail` list. `input` is never echoed (it may be a password).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FieldError {
    /// Where the problem is: `["body", "projectName"]`, `["path", "project_id"]`, …
    #[schema(value_type = Vec<LocSegment>)]
    pub loc: Vec<Value>,
    pub msg: String,
    #[serde(rename = "type")]
    pub kind: String,
}

impl FieldError {
    pub fn new(loc: Vec<Value>, msg: impl Into<String>, kind: &str) -> FieldError {
        FieldError {
            loc,
            msg: msg.into(),
            kind: kind.to_owned(),
        }
    }

    /// An error about a top-level body field.
    pub fn body(field: &str, msg: impl Into<String>, kind: &str) -> FieldError {
        FieldError::new(vec!["body".into(), field.into()], msg, kind)
    }
}

/// One step of a `loc` path, as documented: a field name or a list index.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)] // documentation only: `loc` is built as JSON values
pub enum LocSegment {
    Name(String),
    Index(u64),
}

/// `{"detail": "..."}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub detail: String,
}

/// `{"detail": [{loc, msg, type}]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ValidationErrorBody {
    pub detail: Vec<FieldError>,
}

/// The answers every route about one of the caller's objects documents besides its own: no
/// valid token (401), no such object of theirs (404), a malformed id or body (422).
#[derive(IntoResponses)]
#[allow(dead_code)] // documentation only: these answers come from `ApiError`
pub enum OwnedObjectErrors {
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    #[response(status = 404)]
    NotFound(ErrorBody),
    #[response(status = 422)]
    Invalid(ValidationErrorBody),
}

/// The answers every administrator route documents besides its own: no valid token (401),
/// not an administrator (403).
#[derive(IntoResponses)]
#[allow(dead_code)] // documentation only: these answers come from `ApiError`
pub enum AdminErrors {
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    #[response(status = 403)]
    Forbidden(ErrorBody),
}

/// Seconds a client should wait after a 503 before retrying.
const RETRY_AFTER_SECONDS: &str = "2";

impl From<DbError> for ApiError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::ScenarioLimitReached => {
                ApiError::BadRequest("Maximum 3 scenarios per project")
            }
            DbError::ScenarioOrderTaken => ApiError::Conflict("Scenario order already in use"),
            DbError::CalculationInProgress => ApiError::Conflict("Calculation in progress"),
            // A conflict that outlived its retries clears as soon as the other side commits.
            e @ DbError::Conflict { .. } => ApiError::Unavailable(e),
            e if e.is_unavailable() => ApiError::Unavailable(e),
            e => ApiError::Internal(e.into()),
        }
    }
}

impl From<PasswordError> for ApiError {
    fn from(error: PasswordError) -> Self {
        ApiError::Internal(error.into())
    }
}

impl From<TokenError> for ApiError {
    fn from(error: TokenError) -> Self {
        match error {
            TokenError::Invalid(_) => ApiError::Unauthorized("Invalid authentication credentials"),
            e @ (TokenError::Encode(_) | TokenError::Random(_)) => ApiError::Internal(e.into()),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        match self {
            ApiError::Validation(errors) => {
                return response.json(ValidationErrorBody {
                    detail: errors.clone(),
                });
            }
            // The rest of the body is not worth waiting for: the connection is closed, so a
            // client cannot keep it by trickling bytes after the answer.
            ApiError::PayloadTooLarge | ApiError::RequestTimeout => {
                response.force_close();
            }
            ApiError::Unauthorized(_) => {
                response
                    .insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
            }
            ApiError::Unavailable(cause) => {
                tracing::warn!(error = %cause_chain(cause), "database unavailable");
                response.insert_header((
                    header::RETRY_AFTER,
                    HeaderValue::from_static(RETRY_AFTER_SECONDS),
                ));
                return response.json(ErrorBody {
                    detail: "Service temporarily unavailable, please retry".into(),
                });
            }
            ApiError::Internal(cause) => {
                tracing::error!(error = %format!("{cause:#}"), "request failed");
                return response.json(ErrorBody {
                    detail: "Internal server error".into(),
                });
            }
            _ => {}
        }
        response.json(ErrorBody {
            detail: self.to_string(),
        })
    }
}

fn cause_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Path parameters that fail to parse (all of ours are UUIDs): 422 naming the parameter.
pub fn path_error(error: actix_web::error::PathError, req: &HttpRequest) -> actix_web::Error {
    let param = req
        .match_info()
        .iter()
        .find(|(_, value)| uuid::Uuid::parse_str(value).is_err())
        .map(|(name, _)| name.to_owned());
    let mut loc = vec![Value::from("path")];
    loc.extend(param.map(Value::from));
    let msg = match error {
        actix_web::error::PathError::Deserialize(e) => e.to_string(),
        other => other.to_string(),
    };
    ApiError::Validation(vec![FieldError::new(loc, msg, "uuid_parsing")]).into()
}

/// Query strings that fail to parse: 422 naming the field (all our query parameters are
/// UUIDs, so a malformed one is the first value that is not).
pub fn query_error(
    error: actix_web::error::QueryPayloadError,
    req: &HttpRequest,
) -> actix_web::Error {
    let msg = error.to_string();
    let missing = msg
        .split('`')
        .nth(1)
        .filter(|_| msg.contains("missing field"))
        .map(str::to_owned);
    let (field, kind) = match missing {
        Some(field) => (Some(field), "missing"),
        None => (
            req.query_string()
                .split('&')
                .filter_map(|pair| pair.split_once('='))
                .find(|(_, value)| uuid::Uuid::parse_str(value).is_err())
                .map(|(name, _)| name.to_owned()),
            "uuid_parsing",
        ),
    };
    let mut loc = vec![Value::from("query")];
    loc.extend(field.map(Value::from));
    ApiError::Validation(vec![FieldError::new(loc, msg, kind)]).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_conflict_that_outlived_its_retries_answers_503_with_retry_after() {
        let error = ApiError::from(DbError::Conflict {
            attempts: 4,
            source: Box::new(DbError::CalculationInProgress),
        });
        let response = error.error_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            response.headers().get(header::RETRY_AFTER).unwrap(),
            RETRY_AFTER_SECONDS
        );
    }
}
