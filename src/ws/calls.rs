//! The requests a host makes to the core on a socket's behalf, and how their answers read.
//! Every host that holds sockets builds them here, so a socket's run, cancel, reconnect and
//! token check are the same requests on every host.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use serde_json::{Value, json};

use super::frame::{Close, close};
use super::session;
use crate::handlers::jobs::CANCEL_HEADER;
use crate::handlers::run::JOB_HEADER;
use crate::handlers::websocket::{CAPABLE_HEADER, UPGRADE_MARK, api_key_as_bearer};
use crate::http::router::encode_segment as segment;

/// The headers of the upgrade request a socket's later requests carry: its token (from
/// `?api_key=` when the client sent that), `Host`, an admin token, and the client's address
/// where a host put it.
pub fn caller_headers(upgrade: &HeaderMap, query: Option<&str>) -> HeaderMap {
    let mut out = HeaderMap::new();
    for name in [
        header::HOST,
        header::AUTHORIZATION,
        http::HeaderName::from_static("x-admin-token"),
        http::HeaderName::from_static("spin-client-addr"),
        http::HeaderName::from_static("cf-connecting-ip"),
    ] {
        if let Some(v) = upgrade.get(&name) {
            out.insert(name, v.clone());
        }
    }
    api_key_as_bearer(query, &mut out);
    out
}

/// A request of the socket's caller to the core.
pub fn request(
    caller: &HeaderMap,
    method: Method,
    uri: &str,
    body: Option<&Value>,
) -> http::Request<Bytes> {
    let mut req = http::Request::new(body.map_or_else(Bytes::new, |b| Bytes::from(b.to_string())));
    *req.method_mut() = method;
    *req.uri_mut() = uri.parse().unwrap_or_default();
    *req.headers_mut() = caller.clone();
    if body.is_some() {
        req.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    req
}

/// The run of job `job_id`: the streamed run route, with the job's id so the core records it.
pub fn run(
    caller: &HeaderMap,
    job_id: &str,
    workflow_id: &str,
    params: &Value,
) -> http::Request<Bytes> {
    let uri = format!("/api/workflows/{}/run?stream=true", segment(workflow_id));
    let mut req = request(caller, Method::POST, &uri, Some(&json!({"params": params})));
    if let Ok(v) = HeaderValue::from_str(job_id) {
        req.headers_mut().insert(JOB_HEADER, v);
    }
    req
}

/// When a cancel that came before the run recorded its job is sent again (milliseconds
/// after the one before): the run writes its record within the first few.
pub const CANCEL_RETRY_MS: [u64; 4] = [100, 400, 1500, 5000];

pub fn cancel(caller: &HeaderMap, job_id: &str) -> http::Request<Bytes> {
    let uri = format!("/api/jobs/{}/cancel", segment(job_id));
    request(caller, Method::POST, &uri, None)
}

/// Whether a cancel's answer says the core recorded it now, while the job ran (and so the
/// host is to stop the job).
pub fn cancel_recorded(answer: &http::response::Parts) -> bool {
    answer.status == StatusCode::OK && answer.headers.contains_key(CANCEL_HEADER)
}

/// The stored record of job `job_id`, for a reconnect to a job the host no longer holds.
pub fn stored_job(caller: &HeaderMap, job_id: &str) -> http::Request<Bytes> {
    let uri = format!("/api/jobs/{}", segment(job_id));
    request(caller, Method::GET, &uri, None)
}

/// The upgrade's check again, to see whether the socket's token still holds.
pub fn recheck(caller: &HeaderMap) -> http::Request<Bytes> {
    let mut req = request(caller, Method::GET, "/ws", None);
    req.headers_mut()
        .insert(CAPABLE_HEADER, HeaderValue::from_static(UPGRADE_MARK));
    req
}

/// How a recheck's answer ends the socket of `user_id`: a refused or different identity
/// closes it with 1008; anything else (a busy server) keeps it until the next check.
pub fn recheck_verdict(status: StatusCode, body: &[u8], user_id: &str) -> Option<Close> {
    if status == StatusCode::OK {
        let same = serde_json::from_slice::<Value>(body)
            .ok()
            .is_some_and(|v| v["user_id"] == user_id);
        return (!same).then(|| Close::new(close::POLICY, "Invalid authentication"));
    }
    (status == StatusCode::UNAUTHORIZED).then(|| Close::new(close::POLICY, &detail_of(body)))
}

/// The `user_id` a granted upgrade (`GET /ws` answering 200) names.
pub fn granted_user(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v["user_id"].as_str().map(str::to_string))
}

pub fn detail_of(body: &[u8]) -> String {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v["detail"].as_str().map(str::to_string))
        .unwrap_or_else(|| "The run could not start".into())
}

/// What a reconnect sends for a job the host no longer holds, from the stored record's
/// answer (`None` when the request failed).
pub fn reconnect_fallback(
    job_id: &str,
    workflow_id: Option<&str>,
    stored: Option<(StatusCode, &[u8])>,
) -> Value {
    let wf = workflow_id.unwrap_or_default();
    let record = stored
        .filter(|(status, _)| *status == StatusCode::OK)
        .and_then(|(_, body)| serde_json::from_slice::<Value>(body).ok());
    match &record {
        Some(j) => session::expired(
            job_id,
            j["workflow_id"].as_str().unwrap_or(wf),
            Some((
                j["status"].as_str().unwrap_or("failed"),
                j["error"].as_str(),
            )),
        ),
        None => session::expired(job_id, wf, None),
    }
}

/// The reply to a `run_job` over the caller's limit of running jobs; `setting` names how
/// the operator raises it.
pub fn too_many_running(limit: usize, workflow_id: &str, setting: &str) -> Value {
    json!({
        "error": format!("Too many running jobs: one user may run {limit} at once ({setting})"),
        "workflow_id": workflow_id,
    })
}

/// The messages that end a job whose run broke off or was refused with `text`: an `error`
/// and the failed `job_update`.
pub fn failure(job_id: &str, workflow_id: &str, text: &str) -> (Value, Value) {
    (
        session::job_message(
            job_id,
            workflow_id,
            json!({"type": "error", "message": text}),
        ),
        session::job_message(
            job_id,
            workflow_id,
            json!({"type": "job_update", "status": "failed", "error": text}),
        ),
    )
}

/// How a run ended, when `message` is its last one (`job_completed` or `job_failed`).
pub fn run_end(message: &Value) -> Option<&'static str> {
    match message["type"].as_str() {
        Some("job_completed") => Some("completed"),
        Some("job_failed") => Some("failed"),
        _ => None,
    }
}

/// A run's NDJSON, cut into messages as its pieces arrive.
#[derive(Debug, Default)]
pub struct Lines {
    carry: Vec<u8>,
    end: Option<&'static str>,
}

impl Lines {
    /// The whole messages `data` completes, each with the size of its line.
    pub fn push(&mut self, data: &[u8]) -> Vec<(Value, usize)> {
        self.carry.extend_from_slice(data);
        let mut out = Vec::new();
        while let Some(at) = self.carry.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.carry.drain(..=at).collect();
            let Ok(v) = serde_json::from_slice::<Value>(&line) else {
                continue;
            };
            if let Some(end) = run_end(&v) {
                self.end = Some(end);
            }
            out.push((v, line.len()));
        }
        out
    }

    /// How the run ended, once its last message came (`None`: it broke off before one).
    pub fn end(&self) -> Option<&'static str> {
        self.end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_cross_pieces_and_find_the_end() {
        let mut lines = Lines::default();
        assert!(lines.push(b"{\"type\":\"job_update\"}\n{\"ty").len() == 1);
        assert_eq!(lines.end(), None);
        let rest = lines.push(b"pe\":\"job_completed\"}\nnot json\n");
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].1, 25);
        assert_eq!(lines.end(), Some("completed"));
    }

    #[test]
    fn ids_stay_one_segment_and_api_key_becomes_the_token() {
        assert_eq!(segment("../x y/ü"), "%2E%2E%2Fx%20y%2F%C3%BC");
        let mut upgrade = HeaderMap::new();
        upgrade.insert("cookie", HeaderValue::from_static("secret"));
        let h = caller_headers(&upgrade, Some("api_key=tok"));
        assert_eq!(h.get(header::AUTHORIZATION).unwrap(), "Bearer tok");
        assert!(h.get("cookie").is_none());
        let req = run(&h, "j1", "a/b", &json!({"x": 1}));
        assert_eq!(req.uri(), "/api/workflows/a%2Fb/run?stream=true");
        assert_eq!(req.headers().get(JOB_HEADER).unwrap(), "j1");
    }

    #[test]
    fn a_recheck_closes_only_on_a_refusal_or_another_user() {
        let ok = br#"{"user_id": "u"}"#;
        assert_eq!(recheck_verdict(StatusCode::OK, ok, "u"), None);
        assert_eq!(
            recheck_verdict(StatusCode::OK, ok, "v").map(|c| c.code),
            Some(1008)
        );
        let refused = recheck_verdict(StatusCode::UNAUTHORIZED, br#"{"detail": "Expired"}"#, "u");
        assert_eq!(refused.map(|c| c.reason), Some("Expired".into()));
        assert_eq!(
            recheck_verdict(StatusCode::SERVICE_UNAVAILABLE, b"", "u"),
            None
        );
    }
}
