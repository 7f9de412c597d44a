//! `GET /admin/cache/size`: the size of the model cache this host exposes (reference 4.6).
//! NodeTool measures any `cache_dir` a caller names, a filesystem probe (reference 9.2); here
//! the host decides the one directory, and naming another is refused.

use serde_json::json;

use super::{Ctx, query_pairs};
use crate::host::Host;
use crate::http::error::ApiError;
use crate::http::response::{Response, ok_json};

const GIB: f64 = (1u64 << 30) as f64;

pub async fn size<H: Host>(ctx: &Ctx<'_, H>, query: Option<&str>) -> Result<Response, ApiError> {
    let configured = ctx.config.model_cache_dir.as_deref();
    if let Some((_, asked)) = query_pairs(query)
        .into_iter()
        .find(|(k, v)| k == "cache_dir" && !v.is_empty())
        && Some(asked.trim_end_matches('/')) != configured.map(|c| c.trim_end_matches('/'))
    {
        return Err(ApiError::BadRequest(
            "cache_dir cannot be chosen: this server measures only its own model cache".into(),
        ));
    }
    let body = match (ctx.host.model_cache_size(), configured) {
        (Some(Ok(bytes)), dir) => json!({
            "success": true, "cache_dir": dir.unwrap_or("/hf-cache"),
            "total_size_bytes": bytes, "size_gb": round2(bytes as f64 / GIB),
        }),
        (Some(Err(e)), _) => {
            ctx.host
                .log(&format!("measuring the model cache failed: {e}"));
            return Err(ApiError::Internal("The model cache could not be measured"));
        }
        // A configured cache that does not exist (yet) holds nothing, as in NodeTool.
        (None, Some(dir)) => json!({
            "success": true, "cache_dir": dir, "total_size_bytes": 0, "size_gb": 0.0,
        }),
        (None, None) => json!({
            "success": true, "cache_dir": null, "total_size_bytes": 0, "size_gb": 0.0,
            "note": "This host exposes no model cache",
        }),
    };
    Ok(ok_json(&body))
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
