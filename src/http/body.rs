//! Reading a request body under a size limit: 413 before reading when `Content-Length` says
//! so, and 413 as soon as a streamed body passes the limit (nothing beyond it is buffered).

use bytes::{Bytes, BytesMut};
use http_body::Body;
use http_body_util::BodyExt;

use crate::http::error::{ApiError, FieldError};

pub fn declared_too_large(headers: &http::HeaderMap, limit: usize) -> Result<(), ApiError> {
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    match declared {
        Some(n) if n > limit as u64 => Err(ApiError::PayloadTooLarge { limit }),
        _ => Ok(()),
    }
}

pub async fn read_limited<B>(body: B, limit: usize) -> Result<Bytes, ApiError>
where
    B: Body<Data = Bytes>,
{
    let mut body = std::pin::pin!(body);
    let mut buf = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|_| ApiError::BadRequest("Request body could not be read".into()))?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limit {
                return Err(ApiError::PayloadTooLarge { limit });
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf.freeze())
}

/// Any JSON body, or FastAPI's 422 shape for malformed JSON.
pub fn json_value(body: &[u8]) -> Result<serde_json::Value, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::Validation(vec![FieldError {
            loc: vec!["body".into()],
            msg: format!(
                "JSON decode error at line {} column {}",
                e.line(),
                e.column()
            ),
            kind: "json_invalid",
        }])
    })
}

/// A JSON object body, or FastAPI's 422 shapes for malformed JSON and for non-objects.
pub fn json_object(body: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
    match json_value(body)? {
        serde_json::Value::Object(obj) => Ok(obj),
        _ => Err(ApiError::Validation(vec![FieldError {
            loc: vec!["body".into()],
            msg: "Input should be a valid dictionary or object".into(),
            kind: "model_attributes_type",
        }])),
    }
}

/// An optional string field of a JSON object body (`null` counts as absent).
pub fn opt_str(
    obj: &serde_json::Map<String, serde_json::Value>,
    name: &str,
) -> Result<Option<String>, ApiError> {
    opt_str_at(obj, &[name])
}

/// A required, non-empty string field of a JSON object body.
pub fn req_str(
    obj: &serde_json::Map<String, serde_json::Value>,
    name: &str,
) -> Result<String, ApiError> {
    req_str_at(obj, &[name])
}

/// `opt_str` for an object nested in the body: `loc` is the field's path, ending in its name.
pub fn opt_str_at(
    obj: &serde_json::Map<String, serde_json::Value>,
    loc: &[&str],
) -> Result<Option<String>, ApiError> {
    let name = loc.last().copied().unwrap_or_default();
    match obj.get(name) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::body_field(
            loc,
            "Input should be a valid string",
            "string_type",
        )),
    }
}

/// `req_str` for an object nested in the body.
pub fn req_str_at(
    obj: &serde_json::Map<String, serde_json::Value>,
    loc: &[&str],
) -> Result<String, ApiError> {
    opt_str_at(obj, loc)?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::body_field(loc, "Field required", "missing"))
}

/// An optional list field of a JSON object body (`null` counts as absent).
pub fn opt_list<'a>(
    obj: &'a serde_json::Map<String, serde_json::Value>,
    name: &str,
) -> Result<Option<&'a [serde_json::Value]>, ApiError> {
    match obj.get(name) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Array(a)) => Ok(Some(a)),
        Some(_) => Err(ApiError::body_field(
            &[name],
            "Input should be a valid list",
            "list_type",
        )),
    }
}
