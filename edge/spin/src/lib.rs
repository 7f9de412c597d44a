//! Spin adapter: translates Spin's request, key-value store and variables into the core's
//! ports. No behaviour lives here.

use nodetool_edge::config::{BUNDLED_VARIABLE, unbundle_variables};
use nodetool_edge::host::{
    Clock, Entropy, KeyValue, KvError, Logger, ModelCache, Outbound, OutboundError,
    OutboundRequest, Variables,
};
use spin_sdk::http::{IntoResponse, Request};
use spin_sdk::{http_service, key_value, variables};

struct SpinHost {
    store: key_value::Store,
    /// Every variable at once, when the host hands them over bundled (the native runner does).
    bundled: Option<Vec<(String, String)>>,
}

impl KeyValue for SpinHost {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.store
            .get(key)
            .await
            .map_err(|e| KvError(format!("{e:?}")))
    }

    async fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.store
            .set(key, value)
            .await
            .map_err(|e| KvError(format!("{e:?}")))
    }

    async fn delete(&self, key: &str) -> Result<(), KvError> {
        self.store
            .delete(key)
            .await
            .map_err(|e| KvError(format!("{e:?}")))
    }

    async fn list_prefix(&self, prefix: &str) -> Result<Vec<String>, KvError> {
        // Spin's interface lists every key; the prefix is applied here.
        let mut keys = self.store.get_keys().await;
        let mut out = Vec::new();
        while let Some(k) = keys.next().await {
            if k.starts_with(prefix) {
                out.push(k);
            }
        }
        keys.result().await.map_err(|e| KvError(format!("{e:?}")))?;
        Ok(out)
    }
}

impl Variables for SpinHost {
    async fn variable(&self, name: &str) -> Option<String> {
        if let Some(bundled) = &self.bundled {
            return bundled
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone());
        }
        // Spin variable names are lower case; an undefined one means unset.
        variables::get(name.to_ascii_lowercase()).await.ok()
    }
}

impl Clock for SpinHost {
    fn now_micros(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as i64)
            .unwrap_or(0)
    }
}

impl Entropy for SpinHost {
    fn fill(&self, buf: &mut [u8]) {
        // wasi:random's secure source; a host without one cannot serve tokens safely.
        getrandom::fill(buf).expect("the host provides wasi:random");
    }
}

/// Where the host maps the model cache into the component: the native runner preopens it
/// read-only; on Spin it is a `files` mount in spin.toml.
const MODEL_CACHE: &str = "/hf-cache";

impl ModelCache for SpinHost {
    fn model_cache_size(&self) -> Option<Result<u64, String>> {
        let root = std::path::Path::new(MODEL_CACHE);
        if !root.is_dir() {
            return None;
        }
        Some(regular_file_bytes(root).map_err(|e| e.to_string()))
    }
}

/// Bytes of the regular files below `root`, without following symbolic links (Hugging Face's
/// snapshots link to blobs, which are counted once, where they are).
fn regular_file_bytes(root: &std::path::Path) -> std::io::Result<u64> {
    let mut total = 0u64;
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let meta = std::fs::symlink_metadata(entry.path())?;
            if meta.is_dir() {
                pending.push(entry.path());
            } else if meta.is_file() {
                total = total.saturating_add(meta.len());
            }
        }
    }
    Ok(total)
}

impl Logger for SpinHost {
    fn log(&self, line: &str) {
        eprintln!("{line}");
    }
}

/// The answer body of an outgoing request, with wasi:http's error codes in the core's terms.
/// Dropping it drops the incoming stream, which abandons the request upstream.
pub struct SpinBody(spin_sdk::wasip3::http_compat::IncomingResponseBody);

impl http_body::Body for SpinBody {
    type Data = bytes::Bytes;
    type Error = OutboundError;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, OutboundError>>> {
        std::pin::Pin::new(&mut self.0)
            .poll_frame(cx)
            .map(|f| f.map(|r| r.map_err(outbound_error)))
    }
}

fn outbound_error(e: spin_sdk::wasip3::http::types::ErrorCode) -> OutboundError {
    use spin_sdk::wasip3::http::types::ErrorCode as E;
    match e {
        E::HttpRequestDenied => OutboundError::Denied,
        E::ConnectionTimeout | E::ConnectionReadTimeout => OutboundError::Timeout,
        E::DnsTimeout
        | E::DnsError(_)
        | E::DestinationNotFound
        | E::DestinationUnavailable
        | E::DestinationIpProhibited
        | E::DestinationIpUnroutable
        | E::ConnectionRefused
        | E::TlsProtocolError
        | E::TlsCertificateError
        | E::TlsAlertReceived(_) => OutboundError::Unreachable(format!("{e:?}")),
        other => OutboundError::Failed(format!("{other:?}")),
    }
}

impl Outbound for SpinHost {
    type Body = SpinBody;

    async fn send(
        &self,
        request: OutboundRequest,
    ) -> Result<http::Response<SpinBody>, OutboundError> {
        use spin_sdk::wasip3::http::types::RequestOptions;
        use spin_sdk::wasip3::http_compat::RequestOptionsExtension;

        let builder = request.builder();
        let options = RequestOptions::new();
        let ms = |v: u32| Some(u64::from(v) * 1_000_000);
        // A host that does not support a timeout keeps its own default.
        let _ = options.set_connect_timeout(ms(request.connect_timeout_ms));
        let _ = options.set_first_byte_timeout(ms(request.idle_timeout_ms));
        let _ = options.set_between_bytes_timeout(ms(request.idle_timeout_ms));
        let http_request = builder
            .extension(RequestOptionsExtension(options))
            .body(http_body_util::Full::new(bytes::Bytes::from(request.body)))
            .map_err(|e| OutboundError::Failed(e.to_string()))?;
        let response = spin_sdk::http::send(http_request)
            .await
            .map_err(outbound_error)?;
        Ok(response.map(SpinBody))
    }
}

#[http_service]
async fn handle(req: Request) -> impl IntoResponse {
    let store = match key_value::Store::open_default().await {
        Ok(store) => store,
        Err(e) => {
            eprintln!("key-value store 'default' could not be opened: {e:?}");
            return nodetool_edge::error::ApiError::Unavailable(
                "Storage is unavailable, try again later",
            )
            .into_response()
            .map(nodetool_edge::Body::from);
        }
    };
    let bundled = variables::get(BUNDLED_VARIABLE.to_string())
        .await
        .ok()
        .and_then(|text| unbundle_variables(&text));
    nodetool_edge::handle(req, &SpinHost { store, bundled }).await
}
