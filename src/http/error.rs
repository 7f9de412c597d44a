//! Errors as values that know their status and exact `detail` (the axum `IntoResponse` habit):
//! handlers return `Result<Response, ApiError>` and this is the one place mapping them.

use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use serde_json::json;

use crate::http::response::{Response, json_response};

/// One failed field of a request body, FastAPI-style (`loc`, `msg`, `type`); the offending input
/// is never echoed back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub loc: Vec<String>,
    pub msg: String,
    pub kind: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// 401 with `WWW-Authenticate: Bearer`.
    Unauthorized(&'static str),
    Forbidden(&'static str),
    NotFound(String),
    MethodNotAllowed {
        allow: &'static str,
    },
    BadRequest(String),
    /// 409: the target exists (a collection name, an asset id of another user).
    Conflict(String),
    /// 422 with a plain `detail`: the request was well-formed but its values cannot be used
    /// (a workflow run that fails on its inputs).
    Unprocessable(String),
    PayloadTooLarge {
        limit: usize,
    },
    UnsupportedMediaType,
    Validation(Vec<FieldError>),
    /// A failure of ours or the host's; `detail` is generic, the cause goes to the log.
    Internal(&'static str),
    Unavailable(&'static str),
    /// 403 naming a per-user quota the request would exceed.
    QuotaExceeded(String),
    /// 501: the route exists but not under this configuration.
    NotImplemented(&'static str),
}

pub const AUTH_REQUIRED: &str =
    "Authorization header required. Use 'Authorization: Bearer YOUR_TOKEN'";
pub const AUTH_MALFORMED: &str =
    "Invalid authorization header format. Use 'Authorization: Bearer YOUR_TOKEN'";
pub const AUTH_INVALID: &str = "Invalid authentication token";
pub const ADMIN_TOKEN_REQUIRED: &str = "Admin token required. Use X-Admin-Token header.";
pub const ADMIN_TOKEN_INVALID: &str = "Invalid admin token.";

impl ApiError {
    /// A 422 for one field of the JSON body (`loc` = `["body", ...path]`).
    pub fn body_field(path: &[&str], msg: impl Into<String>, kind: &'static str) -> Self {
        let mut loc = vec!["body".to_string()];
        loc.extend(path.iter().map(|p| p.to_string()));
        ApiError::Validation(vec![FieldError {
            loc,
            msg: msg.into(),
            kind,
        }])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::QuotaExceeded(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Validation(_) | Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::NotImplemented(_) => StatusCode::NOT_IMPLEMENTED,
        }
    }

    /// The `detail` text the response carries.
    pub fn detail(&self) -> String {
        let resp = self.clone().into_response();
        serde_json::from_slice::<serde_json::Value>(resp.body())
            .ok()
            .and_then(|v| v.get("detail").and_then(|d| d.as_str()).map(str::to_string))
            .unwrap_or_default()
    }

    pub fn into_response(self) -> Response {
        let status = self.status();
        let body = match &self {
            Self::Unauthorized(d)
            | Self::Forbidden(d)
            | Self::Internal(d)
            | Self::Unavailable(d)
            | Self::NotImplemented(d) => {
                json!({ "detail": d })
            }
            Self::NotFound(d)
            | Self::BadRequest(d)
            | Self::Conflict(d)
            | Self::QuotaExceeded(d)
            | Self::Unprocessable(d) => {
                json!({ "detail": d })
            }
            Self::MethodNotAllowed { .. } => json!({ "detail": "Method Not Allowed" }),
            Self::PayloadTooLarge { limit } => {
                json!({ "detail": format!("Request body too large: the limit is {limit} bytes") })
            }
            Self::UnsupportedMediaType => {
                json!({ "detail": "Request body must be JSON (Content-Type: application/json)" })
            }
            Self::Validation(errors) => json!({
                "detail": "Request validation failed",
                "errors": errors.iter().map(|e| json!({
                    "type": e.kind, "loc": e.loc, "msg": e.msg,
                })).collect::<Vec<_>>(),
            }),
        };
        let mut resp = json_response(status, &body);
        match self {
            Self::Unauthorized(_) => {
                resp.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::MethodNotAllowed { allow } => {
                resp.headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static(allow));
            }
            _ => {}
        }
        resp
    }
}

impl From<crate::host::KvError> for ApiError {
    fn from(_: crate::host::KvError) -> Self {
        ApiError::Unavailable("Storage is unavailable, try again later")
    }
}

/// `HEAD` answers carry the headers of `GET` and no body.
pub fn strip_body(
    resp: http::Response<crate::http::response::Body<'_>>,
) -> http::Response<crate::http::response::Body<'_>> {
    let (parts, _) = resp.into_parts();
    http::Response::from_parts(parts, Bytes::new().into())
}
