//! Reading outbound answers: whole (bounded) for small JSON documents, piece by piece for
//! streams. Hosts only open requests; how much of an answer is read is the core's decision.

use bytes::Bytes;
use http_body_util::BodyExt;

use crate::host::{Outbound, OutboundError, OutboundRequest, OutboundResponse};

/// Sends `request` and collects the answer, refusing bodies over `max_bytes` as soon as they
/// pass it (a hostile or broken upstream cannot make us buffer without end).
pub async fn fetch<H: Outbound + ?Sized>(
    host: &H,
    request: OutboundRequest,
    max_bytes: usize,
) -> Result<OutboundResponse, OutboundError> {
    let response = host.send(request).await?;
    let status = response.status().as_u16();
    let body = collect(response.into_body(), max_bytes).await?;
    Ok(OutboundResponse { status, body })
}

/// The data of `body`, at most `max_bytes` of it.
pub async fn collect<B>(body: B, max_bytes: usize) -> Result<Vec<u8>, OutboundError>
where
    B: http_body::Body<Data = Bytes, Error: Into<OutboundError>>,
{
    let mut body = std::pin::pin!(body);
    let mut out = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(Into::into)?;
        if let Ok(data) = frame.into_data() {
            if out.len() + data.len() > max_bytes {
                return Err(OutboundError::TooLarge);
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(out)
}
