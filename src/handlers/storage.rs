//! `/admin/storage/{assets,temp}/{key}` (HEAD, GET, PUT, DELETE) and the read-only
//! `/storage/{assets,temp}/{key}` (reference 4.5, with RFC 9110 ranges and UTC dates).

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use http_body::Body;
use serde_json::json;

use super::{Ctx, random_hex};
use crate::host::Host;
use crate::http::body::declared_too_large;
use crate::http::error::ApiError;
use crate::http::response::{Response, json_response};
use crate::store::storage::blob_store::{BlobMeta, BlobStore};
use crate::store::storage::blob_stream::BlobStream;
use crate::store::storage::range::{self, RangeRequest};
use crate::store::storage::{Bucket, content_type, key};
use crate::time::{http_date, parse_http_date};

fn not_found() -> ApiError {
    ApiError::NotFound("Not Found".into())
}

fn empty(status: StatusCode) -> Response {
    let mut r = http::Response::new(Bytes::new());
    *r.status_mut() = status;
    r
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn set(resp: &mut Response, name: header::HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        resp.headers_mut().insert(name, v);
    }
}

/// Headers every successful read carries.
fn describe(resp: &mut Response, key: &str, meta: &BlobMeta) {
    set(resp, header::LAST_MODIFIED, &http_date(meta.modified));
    set(resp, header::ETAG, &format!("\"{}\"", meta.upload));
    set(resp, header::ACCEPT_RANGES, "bytes");
    set(resp, header::CONTENT_TYPE, content_type::for_key(key));
}

/// `GET`/`HEAD`: 200 whole, 206 one range, 304 not modified, 416 unsatisfiable.
pub async fn read<H: Host>(
    ctx: &Ctx<'_, H>,
    bucket: Bucket,
    raw_key: &str,
    headers: &HeaderMap,
    head: bool,
) -> Result<http::Response<crate::Body<'static>>, ApiError> {
    let key = key::validate(raw_key)?;
    let store = BlobStore::new(ctx.host);
    let meta = store.meta(bucket, &key).await?.ok_or_else(not_found)?;

    let modified_secs = meta.modified.div_euclid(1_000_000);
    if let Some(since) = header_str(headers, header::IF_MODIFIED_SINCE).and_then(parse_http_date)
        && headers.get(header::IF_NONE_MATCH).is_none()
        && modified_secs <= since
    {
        let mut resp = empty(StatusCode::NOT_MODIFIED);
        describe(&mut resp, &key, &meta);
        resp.headers_mut().remove(header::CONTENT_TYPE);
        return Ok(resp.map(crate::Body::from));
    }

    let (status, start, end) = match range::parse(header_str(headers, header::RANGE), meta.size) {
        RangeRequest::Full => (StatusCode::OK, 0, meta.size.saturating_sub(1)),
        RangeRequest::Partial(s, e) => (StatusCode::PARTIAL_CONTENT, s, e),
        RangeRequest::Unsatisfiable => {
            let mut resp = json_response(
                StatusCode::RANGE_NOT_SATISFIABLE,
                &json!({"detail": "Range Not Satisfiable"}),
            );
            set(
                &mut resp,
                header::CONTENT_RANGE,
                &format!("bytes */{}", meta.size),
            );
            return Ok(resp.map(crate::Body::from));
        }
    };
    // HEAD never loads the object. More than one chunk streams when the host can give the
    // body a handle on the store: a slow reader then holds one chunk, not the object.
    let streamed = !head && meta.size > 0 && end / meta.chunk_size > start / meta.chunk_size;
    let body = match ctx.host.chunk_source() {
        Some(source) if streamed => crate::Body::stream(BlobStream::new(source, &meta, start, end)),
        _ if head || meta.size == 0 => crate::Body::from(Bytes::new()),
        _ => crate::Body::from(store.read(&meta, start, end).await?),
    };
    // HEAD tells the length GET would send (RFC 9110 9.3.2); downloaders show progress from it.
    let length = if meta.size == 0 { 0 } else { end - start + 1 };
    let mut resp = empty(status);
    describe(&mut resp, &key, &meta);
    set(&mut resp, header::CONTENT_LENGTH, &length.to_string());
    if status == StatusCode::PARTIAL_CONTENT {
        set(
            &mut resp,
            header::CONTENT_RANGE,
            &format!("bytes {start}-{end}/{}", meta.size),
        );
    }
    Ok(resp.map(|_| body))
}

/// `PUT`: the body becomes the object (overwriting), streamed in chunks; 200 with an empty
/// body, as NodeTool answers. 409 when a DELETE of the key cancelled the upload while it ran
/// (see `BlobStore::put`).
pub async fn write<H, B>(
    ctx: &Ctx<'_, H>,
    bucket: Bucket,
    raw_key: &str,
    headers: &HeaderMap,
    body: B,
) -> Result<Response, ApiError>
where
    H: Host,
    B: Body<Data = Bytes>,
{
    let key = key::validate(raw_key)?;
    let limit = ctx.config.max_upload_bytes;
    declared_too_large(headers, usize::try_from(limit).unwrap_or(usize::MAX))?;
    let upload = random_hex(ctx.host, 16);
    BlobStore::new(ctx.host)
        .put(bucket, &key, body, limit, upload, ctx.host.now_micros())
        .await?;
    Ok(empty(StatusCode::OK))
}

/// `DELETE`: 204, or 404 when there is no such object. Either way uploads of the key still
/// in progress are cancelled, which is how a crashed one's chunks are deleted.
pub async fn delete<H: Host>(
    ctx: &Ctx<'_, H>,
    bucket: Bucket,
    raw_key: &str,
) -> Result<Response, ApiError> {
    let key = key::validate(raw_key)?;
    if BlobStore::new(ctx.host).delete(bucket, &key).await? {
        Ok(empty(StatusCode::NO_CONTENT))
    } else {
        Err(not_found())
    }
}
