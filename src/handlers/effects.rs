//! What a workflow run may ask of the world, for the caller running it: language models over
//! the provider's own wire protocol, SerpApi searches and the caller's asset store. Keys come
//! from the caller's secrets under NodeTool's names (`OPENAI_API_KEY`, `ANTHROPIC_API_KEY`,
//! `GEMINI_API_KEY`, `SERPAPI_API_KEY`) and else from the server's settings; every request goes
//! through the host, under its outbound allow-list.

use bytes::Bytes;
use http::Method;
use http_body_util::{BodyExt, Full};
use serde_json::{Value, json};

use super::Ctx;
use super::chat::complete_whole;
use super::random_hex;
use super::tasks::{State, TaskQueue};
use crate::chat::config::{Provider, Service};
use crate::chat::error::ChatError;
use crate::chat::provider::{CONNECT_TIMEOUT_MS, Upstream, caller_secret, split_model};
use crate::config::quotas::Quota;
use crate::graph::effects::{Effects, Fetch, Fetched, Media};
use crate::host::{Host, OutboundError, OutboundRequest};
use crate::http::query::encode;
use crate::llm::stream::Reader;
use crate::llm::{self, Wire, anthropic, gemini, openai};
use crate::store::assets::{AssetRecord, AssetStore, BYTES_KIND, FORMAT};
use crate::store::index::Counter;
use crate::store::storage::Bucket;
use crate::store::storage::blob_store::BlobStore;
use crate::time::naive_iso;

/// Longest answer read from a model or search service.
const MAX_ANSWER_BYTES: usize = 16 * 1024 * 1024;

/// The message of a FastAPI-style error (fal.ai's): `{"detail": "..."}`, or the first of
/// `{"detail": [{"msg": "..."}]}`.
fn detail_message(answer: &Value) -> Option<&str> {
    let detail = answer.get("detail")?;
    detail
        .as_str()
        .or_else(|| detail.get(0)?.get("msg")?.as_str())
}

pub struct WorkflowEffects<'c, 'a, H> {
    pub ctx: &'c Ctx<'a, H>,
    pub workflow_id: &'c str,
}

fn describe(provider: &str, e: ChatError) -> String {
    match e {
        ChatError::Invalid { message, .. }
        | ChatError::BadGateway(message)
        | ChatError::Timeout(message) => message,
        ChatError::Upstream { status, error } => format!(
            "the {provider} provider refused the request (HTTP {status}): {}",
            error.get("message").and_then(Value::as_str).unwrap_or("")
        ),
        ChatError::Api(e) => e.detail(),
    }
}

impl<H: Host> WorkflowEffects<'_, '_, H> {
    /// The caller's key `name`, else the server's.
    pub(super) async fn key(
        &self,
        name: &str,
        service: &Service,
    ) -> Result<Option<String>, String> {
        let own = caller_secret(self.ctx, name)
            .await
            .map_err(|e| e.detail())?;
        Ok(own.or_else(|| service.key.clone()))
    }

    /// The bytes at `url`, which a provider named for what it made (under the outbound
    /// allow-list, like any URL a node reads).
    pub(super) async fn download(&self, url: &str) -> Result<Vec<u8>, String> {
        let got = self
            .fetch(Fetch {
                method: "GET",
                url: url.to_string(),
                headers: Vec::new(),
                body: Vec::new(),
            })
            .await?;
        if !(200..300).contains(&got.status) {
            return Err(format!("HTTP {} from {url}", got.status));
        }
        Ok(got.body)
    }

    /// Sends one JSON request and reads the JSON answer; a non-2xx answer becomes an error
    /// carrying the service's own message.
    pub(super) async fn exchange(
        &self,
        service: &str,
        method: Method,
        url: String,
        headers: Vec<(&'static str, String)>,
        body: Option<&Value>,
    ) -> Result<Value, String> {
        let response = self
            .open(service, method, url, headers, body, "application/json")
            .await?;
        let raw = crate::outbound::collect(response.into_body(), MAX_ANSWER_BYTES)
            .await
            .map_err(|_| format!("{service}'s answer could not be read"))?;
        let answer: Value = serde_json::from_slice(&raw).unwrap_or(Value::Null);
        if answer.is_null() {
            return Err(format!("{service} answered with something other than JSON"));
        }
        Ok(answer)
    }

    /// Sends one request; answers the response when it is 2xx, else an error carrying the
    /// service's own message.
    async fn open(
        &self,
        service: &str,
        method: Method,
        url: String,
        headers: Vec<(&'static str, String)>,
        body: Option<&Value>,
        accept: &str,
    ) -> Result<http::Response<H::Body>, String> {
        let mut headers = headers;
        headers.push(("accept", accept.into()));
        if body.is_some() {
            headers.push(("content-type", "application/json".into()));
        }
        let timeout = self.ctx.config.chat.timeout_secs.saturating_mul(1000);
        let request = OutboundRequest {
            method,
            url,
            headers,
            body: body.map(|b| b.to_string().into_bytes()).unwrap_or_default(),
            connect_timeout_ms: CONNECT_TIMEOUT_MS,
            idle_timeout_ms: timeout.min(u64::from(u32::MAX)) as u32,
        };
        let host = self.ctx.host;
        let response = host.send(request).await.map_err(|e| {
            host.log(&format!("workflow: {service} could not be reached: {e}"));
            format!("{service} could not be reached")
        })?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(response);
        }
        let raw = crate::outbound::collect(response.into_body(), MAX_ANSWER_BYTES)
            .await
            .unwrap_or_default();
        let answer: Value = serde_json::from_slice(&raw).unwrap_or(Value::Null);
        host.log(&format!("workflow: {service} answered HTTP {status}"));
        let said = anthropic::error_message(&answer)
            .or_else(|| answer.get("error").and_then(Value::as_str))
            .or_else(|| detail_message(&answer))
            .unwrap_or("");
        Err(format!(
            "{service} refused the request (HTTP {status}): {said}"
        ))
    }

    /// Reads a streamed answer of `wire`'s protocol, handing each piece of its text to
    /// `on_text` as it arrives. A server that answers whole (JSON) instead is read as such.
    async fn read_streamed(
        &self,
        wire: Wire,
        response: http::Response<H::Body>,
        on_text: &dyn Fn(&str),
    ) -> Result<llm::Reply, String> {
        let events = response
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/event-stream"));
        let mut body = std::pin::pin!(response.into_body());
        if !events {
            let raw = crate::outbound::collect(body, MAX_ANSWER_BYTES)
                .await
                .map_err(|e| format!("it could not be read ({e})"))?;
            let answer: Value = serde_json::from_slice(&raw)
                .map_err(|_| "it is neither events nor JSON".to_string())?;
            let reply = llm::reply(wire, &answer)?;
            if !reply.text.is_empty() {
                on_text(&reply.text);
            }
            return Ok(reply);
        }
        let mut reader = Reader::new(wire);
        let mut read = 0usize;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| {
                let e: OutboundError = e.into();
                self.ctx
                    .host
                    .log(&format!("workflow: a streamed answer failed: {e}"));
                format!("it stopped arriving ({e})")
            })?;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            read += data.len();
            if read > MAX_ANSWER_BYTES {
                return Err(format!("it is longer than {MAX_ANSWER_BYTES} bytes"));
            }
            reader.feed(&data, on_text)?;
        }
        reader.finish(on_text)
    }

    /// One model call over the wire protocol `provider` speaks; streamed when `on_text` wants
    /// the pieces.
    async fn model_call(
        &self,
        provider: &str,
        req: llm::Request,
        on_text: Option<&dyn Fn(&str)>,
    ) -> Result<llm::Reply, String> {
        match provider.to_ascii_lowercase().as_str() {
            "anthropic" => self.anthropic(req, on_text).await,
            "gemini" | "google" => self.gemini(req, on_text).await,
            other => self.openai_wire(other, req, on_text).await,
        }
    }

    async fn openai_wire(
        &self,
        provider: &str,
        req: llm::Request,
        on_text: Option<&dyn Fn(&str)>,
    ) -> Result<llm::Reply, String> {
        let chat = &self.ctx.config.chat;
        let model = if req.model.is_empty() {
            chat.default_model.clone()
        } else {
            req.model.clone()
        };
        let (p, model) = match provider {
            "" => {
                let (p, m) = split_model(chat, &model);
                (p, m.to_string())
            }
            name => (
                Provider::parse(name).ok_or_else(|| {
                    format!(
                        "provider '{name}' is not available on this server \
                         (use ollama, openai, anthropic or gemini)"
                    )
                })?,
                model,
            ),
        };
        let mut body = openai::body(&llm::Request { model, ..req });
        let upstream = Upstream::resolve(self.ctx, p)
            .await
            .map_err(|e| describe(p.name(), e))?;
        let answer = |e: String| format!("the {p} provider's answer: {e}");
        let Some(on_text) = on_text else {
            let forward = serde_json::to_vec(&body).unwrap_or_default();
            let completion = complete_whole(self.ctx.host, &upstream, forward)
                .await
                .map_err(|e| describe(p.name(), e))?;
            return openai::reply(&completion).map_err(answer);
        };
        body["stream"] = json!(true);
        let forward = serde_json::to_vec(&body).unwrap_or_default();
        let host = self.ctx.host;
        let response = upstream
            .open(host, Method::POST, "/chat/completions", forward, EVENTS)
            .await
            .map_err(|e| describe(p.name(), e))?;
        self.read_streamed(Wire::OpenAi, response, on_text)
            .await
            .map_err(answer)
    }

    async fn anthropic(
        &self,
        req: llm::Request,
        on_text: Option<&dyn Fn(&str)>,
    ) -> Result<llm::Reply, String> {
        let service = &self.ctx.config.chat.anthropic;
        let key = self.key("ANTHROPIC_API_KEY", service).await?.ok_or(
            "ANTHROPIC_API_KEY is not set: store it as a secret or in the server's settings",
        )?;
        let headers = vec![
            ("x-api-key", key),
            ("anthropic-version", anthropic::VERSION.to_string()),
        ];
        let url = format!("{}/v1/messages", service.base);
        let mut body = anthropic::body(&req);
        if on_text.is_some() {
            body["stream"] = json!(true);
        }
        self.keyed_call("Anthropic", Wire::Anthropic, url, headers, body, on_text)
            .await
    }

    async fn gemini(
        &self,
        req: llm::Request,
        on_text: Option<&dyn Fn(&str)>,
    ) -> Result<llm::Reply, String> {
        let service = &self.ctx.config.chat.gemini;
        let key = self
            .key("GEMINI_API_KEY", service)
            .await?
            .ok_or("GEMINI_API_KEY is not set: store it as a secret or in the server's settings")?;
        let url = format!(
            "{}{}",
            service.base,
            gemini::path(&req.model, on_text.is_some())
        );
        let headers = vec![("x-goog-api-key", key)];
        let body = gemini::body(&req);
        self.keyed_call("Gemini", Wire::Gemini, url, headers, body, on_text)
            .await
    }

    /// A model call to a service that takes its key in a header (Anthropic, Gemini), read
    /// whole or, given `on_text`, as it streams.
    async fn keyed_call(
        &self,
        service: &str,
        wire: Wire,
        url: String,
        headers: Vec<(&'static str, String)>,
        body: Value,
        on_text: Option<&dyn Fn(&str)>,
    ) -> Result<llm::Reply, String> {
        let answer = |e: String| format!("{service}'s answer: {e}");
        let Some(on_text) = on_text else {
            let whole = self
                .exchange(service, Method::POST, url, headers, Some(&body))
                .await?;
            return llm::reply(wire, &whole).map_err(answer);
        };
        let response = self
            .open(service, Method::POST, url, headers, Some(&body), EVENTS)
            .await?;
        self.read_streamed(wire, response, on_text)
            .await
            .map_err(answer)
    }
}

/// What a streamed model call accepts.
const EVENTS: &str = "text/event-stream";

/// A `multipart/form-data` body of text fields and one file.
/// `file` is `(field name, file name, content type, bytes)`.
fn multipart(boundary: &str, fields: &[(&str, &str)], file: (&str, &str, &str, &[u8])) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    let (field, name, content_type, bytes) = file;
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\n\
             Content-Type: {content_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

fn base64_decode(text: &str) -> Result<Vec<u8>, String> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|_| "the provider's image is not valid base64".to_string())
}

impl<H: Host> WorkflowEffects<'_, '_, H> {
    /// Reads a whole answer from the OpenAI-compatible provider.
    async fn openai_call(
        &self,
        upstream: &Upstream,
        path: &str,
        body: Vec<u8>,
        content_type: &str,
    ) -> Result<Vec<u8>, String> {
        let describe_err = |e| describe("openai", e);
        let response = upstream
            .open_typed(self.ctx.host, Method::POST, path, body, content_type, "*/*")
            .await
            .map_err(describe_err)?;
        crate::outbound::collect(response.into_body(), MAX_ANSWER_BYTES)
            .await
            .map_err(|e| format!("the openai provider's answer could not be read: {e}"))
    }

    /// The image of an images answer: inline base64, or a URL to fetch.
    async fn image_answer(&self, raw: &[u8]) -> Result<Vec<u8>, String> {
        let answer: Value = serde_json::from_slice(raw)
            .map_err(|_| "the openai provider's image answer is not JSON")?;
        let first = &answer["data"][0];
        if let Some(b64) = first["b64_json"].as_str() {
            return base64_decode(b64);
        }
        let url = first["url"]
            .as_str()
            .ok_or("the openai provider's answer has no image")?;
        self.download(url).await
    }

    /// One task of `queue`'s `model`: submitted, then asked about every
    /// [`TaskQueue::poll_ms`] on the host's timer until it succeeds or fails, for at most the
    /// provider timeout; answers the bytes of its first result.
    async fn task(&self, queue: TaskQueue, model: &str, input: Value) -> Result<Vec<u8>, String> {
        let name = queue.name();
        let service = queue.service(&self.ctx.config.chat);
        let (key_name, scheme) = queue.key();
        let key = self.key(key_name, service).await?.ok_or_else(|| {
            format!(
                "{name} API key ({key_name}) not found: store it as a secret or in the server's \
                 settings"
            )
        })?;
        let auth = || vec![("authorization", format!("{scheme} {key}"))];
        let base = &service.base;
        let (url, body) = queue.submit(base, model, input);
        let submitted = self
            .exchange(name, Method::POST, url, auth(), Some(&body))
            .await?;
        let task = queue.task_url(base, model, &submitted)?;
        let timeout_ms = self.ctx.config.chat.timeout_secs.saturating_mul(1000);
        for _ in 0..timeout_ms.div_ceil(queue.poll_ms()).max(1) {
            self.ctx.host.sleep(queue.poll_ms()).await;
            let status = self
                .exchange(name, Method::GET, queue.status_url(&task), auth(), None)
                .await?;
            let result = match queue.read_status(&status)? {
                State::Pending => continue,
                State::Failed(why) => return Err(format!("{name}'s task failed: {why}")),
                State::Done(url) => url,
                State::Ready => {
                    let answer = self
                        .exchange(name, Method::GET, task.clone(), auth(), None)
                        .await?;
                    queue.read_result(&answer)?
                }
            };
            return self.download(&result).await;
        }
        Err(format!(
            "{name}'s task did not finish within {} s",
            timeout_ms / 1000
        ))
    }

    /// An asset of the caller: its bytes and content type.
    async fn asset_bytes(&self, id: &str) -> Result<(Vec<u8>, String), String> {
        let host = self.ctx.host;
        let record = AssetStore::new(host)
            .get(id)
            .await
            .map_err(|e| e.detail())?
            .filter(|a| a.user_id == self.ctx.identity.user_id)
            .ok_or_else(|| format!("asset '{id}' was not found"))?;
        let file = record
            .file_name()
            .ok_or_else(|| format!("asset '{id}' is a folder"))?;
        let store = BlobStore::new(host);
        let meta = store
            .meta(Bucket::Assets, &file)
            .await
            .map_err(|e| e.detail())?
            .ok_or_else(|| format!("asset '{id}' has no file"))?;
        if meta.size > self.ctx.config.max_upload_bytes {
            return Err(format!("asset '{id}' is too large to read in a run"));
        }
        let bytes = store
            .read(&meta, 0, meta.size.saturating_sub(1))
            .await
            .map_err(|e| e.detail())?;
        Ok((bytes.to_vec(), record.content_type))
    }
}

impl<H: Host> Effects for WorkflowEffects<'_, '_, H> {
    async fn media(&self, provider: &str, request: Media) -> Result<Vec<u8>, String> {
        if let Some(queue) = TaskQueue::named(provider) {
            return match request {
                Media::Task { model, input } => self.task(queue, &model, input).await,
                _ => Err(format!(
                    "{} makes media only through its own nodes",
                    queue.name()
                )),
            };
        }
        if !matches!(provider.to_ascii_lowercase().as_str(), "" | "openai") {
            return Err(format!(
                "provider '{provider}' is not available for media on this server (use openai)"
            ));
        }
        let upstream = Upstream::resolve(self.ctx, Provider::OpenAi)
            .await
            .map_err(|e| describe("openai", e))?;
        match request {
            Media::Image {
                model,
                prompt,
                width,
                height,
            } => {
                let mut body = json!({"model": model, "prompt": prompt, "n": 1,
                                      "size": format!("{width}x{height}")});
                if model.starts_with("dall-e") {
                    body["response_format"] = json!("b64_json");
                }
                let raw = self
                    .openai_call(
                        &upstream,
                        "/images/generations",
                        body.to_string().into_bytes(),
                        "application/json",
                    )
                    .await?;
                self.image_answer(&raw).await
            }
            Media::ImageEdit {
                model,
                prompt,
                image,
                content_type,
                width,
                height,
            } => {
                let boundary = format!("nodetool-edge-{}", random_hex(self.ctx.host, 12));
                let name = format!("image.{}", crate::store::assets::extension(&content_type));
                let size = format!("{width}x{height}");
                let body = multipart(
                    &boundary,
                    &[
                        ("model", &model),
                        ("prompt", &prompt),
                        ("n", "1"),
                        ("size", &size),
                    ],
                    ("image", &name, &content_type, &image),
                );
                let raw = self
                    .openai_call(
                        &upstream,
                        "/images/edits",
                        body,
                        &format!("multipart/form-data; boundary={boundary}"),
                    )
                    .await?;
                self.image_answer(&raw).await
            }
            Media::Transcription {
                model,
                audio,
                content_type,
            } => {
                let boundary = format!("nodetool-edge-{}", random_hex(self.ctx.host, 12));
                let ext = crate::store::assets::extension(&content_type);
                let name = format!("audio.{ext}");
                let body = multipart(
                    &boundary,
                    &[("model", &model), ("response_format", "json")],
                    ("file", &name, &content_type, &audio),
                );
                let raw = self
                    .openai_call(
                        &upstream,
                        "/audio/transcriptions",
                        body,
                        &format!("multipart/form-data; boundary={boundary}"),
                    )
                    .await?;
                let answer: Value = serde_json::from_slice(&raw)
                    .map_err(|_| "the openai provider's transcription is not JSON")?;
                let text = answer["text"]
                    .as_str()
                    .ok_or("the openai provider's transcription has no text")?;
                Ok(text.as_bytes().to_vec())
            }
            Media::Speech {
                model,
                voice,
                text,
                speed,
            } => {
                let body = json!({"model": model, "input": text, "voice": voice, "speed": speed,
                                  "response_format": "mp3"});
                self.openai_call(
                    &upstream,
                    "/audio/speech",
                    body.to_string().into_bytes(),
                    "application/json",
                )
                .await
            }
            Media::Task { .. } => Err("the openai provider takes no tasks".into()),
        }
    }

    async fn read_media(&self, reference: &Value) -> Result<(Vec<u8>, String), String> {
        if let Some(id) = reference
            .get("asset_id")
            .and_then(Value::as_str)
            .filter(|i| !i.is_empty())
        {
            return self.asset_bytes(id).await;
        }
        let uri = reference.get("uri").and_then(Value::as_str).unwrap_or("");
        if let Some(rest) = uri.strip_prefix("data:") {
            let (mime, data) = rest
                .split_once(";base64,")
                .ok_or("a data: URL must be base64")?;
            return Ok((base64_decode(data)?, mime.to_string()));
        }
        if uri.starts_with("http://") || uri.starts_with("https://") {
            let got = self
                .fetch(Fetch {
                    method: "GET",
                    url: uri.to_string(),
                    headers: Vec::new(),
                    body: Vec::new(),
                })
                .await?;
            if !(200..300).contains(&got.status) {
                return Err(format!("HTTP {} from {uri}", got.status));
            }
            let ty = got
                .headers
                .iter()
                .find(|(k, _)| k == "content-type")
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| "application/octet-stream".into());
            return Ok((got.body, ty));
        }
        // A stored file by its storage path (`/storage/assets/{id}.{ext}`, NodeTool's
        // `/api/storage/{id}.{ext}`).
        let file = uri.rsplit('/').next().unwrap_or("");
        let id = file.split('.').next().unwrap_or("");
        if !id.is_empty() && (uri.contains("/storage/")) {
            return self.asset_bytes(id).await;
        }
        Err(format!("'{uri}' is not a reference this server can read"))
    }

    async fn llm(&self, provider: &str, req: llm::Request) -> Result<llm::Reply, String> {
        self.model_call(provider, req, None).await
    }

    async fn llm_streamed(
        &self,
        provider: &str,
        req: llm::Request,
        on_text: &dyn Fn(&str),
    ) -> Result<llm::Reply, String> {
        self.model_call(provider, req, Some(on_text)).await
    }

    async fn search(&self, params: &[(&str, String)]) -> Result<Value, String> {
        let service = &self.ctx.config.chat.serpapi;
        let key = self.key("SERPAPI_API_KEY", service).await?.ok_or(
            "SerpApi API key (SERPAPI_API_KEY) not found: store it as a secret or in the \
             server's settings",
        )?;
        let mut query: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        query.push(format!("api_key={}", encode(&key)));
        let url = format!("{}/search.json?{}", service.base, query.join("&"));
        self.exchange("SerpApi", Method::GET, url, Vec::new(), None)
            .await
    }

    async fn fetch(&self, request: Fetch) -> Result<Fetched, String> {
        let method = Method::from_bytes(request.method.as_bytes())
            .map_err(|_| format!("'{}' is not an HTTP method", request.method))?;
        let mut headers = request.headers;
        headers.push(("user-agent", "nodetool-edge".to_string()));
        let timeout = self.ctx.config.chat.timeout_secs.saturating_mul(1000);
        let outbound = OutboundRequest {
            method,
            url: request.url.clone(),
            headers,
            body: request.body,
            connect_timeout_ms: CONNECT_TIMEOUT_MS,
            idle_timeout_ms: timeout.min(u64::from(u32::MAX)) as u32,
        };
        let host = self.ctx.host;
        let response = host.send(outbound).await.map_err(|e| match e {
            OutboundError::Denied => format!(
                "{} could not be fetched: its origin is not in this server's outbound \
                 allow-list (ALLOWED_OUTBOUND_HOSTS on the runner, allowed_outbound_hosts on \
                 Spin)",
                request.url
            ),
            other => format!("{} could not be fetched: {other}", request.url),
        })?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = crate::outbound::collect(response.into_body(), MAX_ANSWER_BYTES)
            .await
            .map_err(|e| format!("the answer from {} could not be read: {e}", request.url))?;
        Ok(Fetched {
            status,
            headers,
            body,
        })
    }

    async fn save_asset(
        &self,
        name: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Result<Value, String> {
        let (ctx, host) = (self.ctx, self.ctx.host);
        let limit = ctx.config.max_upload_bytes;
        if bytes.len() as u64 > limit {
            return Err(format!(
                "'{name}' is larger than the upload limit of {limit} bytes"
            ));
        }
        let user = &ctx.identity.user_id;
        // The bytes count against the owner's quota before they are stored, and are given
        // back if storing them fails.
        let size = bytes.len() as u64;
        let quotas = ctx.config.quotas;
        let counter = Counter::new(host, BYTES_KIND, user);
        let refusal = || quotas.refusal(Quota::StoredBytes);
        counter
            .add_up_to(size as i64, quotas.stored_bytes, &refusal)
            .await
            .map_err(|e| e.detail())?;
        let give_back = || async {
            if let Err(e) = counter.add(-(size as i64), None).await {
                host.log(&format!(
                    "workflow: a quota count was not given back: {e:?}"
                ));
            }
        };
        let record = AssetRecord {
            format: FORMAT,
            id: random_hex(host, 16),
            user_id: user.clone(),
            parent_id: user.clone(),
            workflow_id: Some(self.workflow_id.to_string()).filter(|w| !w.is_empty()),
            name: name.chars().filter(|c| !c.is_control()).take(255).collect(),
            content_type: content_type.to_string(),
            metadata: None,
            created_at: naive_iso(host.now_micros()),
            stored_bytes: size,
        };
        let file = record.file_name().unwrap_or_default();
        // The file first, then the record: a failure in between leaves no asset pointing at
        // nothing.
        let stored = BlobStore::new(host)
            .put(
                Bucket::Assets,
                &file,
                Full::new(Bytes::from(bytes)),
                limit,
                random_hex(host, 16),
                host.now_micros(),
            )
            .await;
        if let Err(e) = stored {
            give_back().await;
            return Err(e.detail());
        }
        if let Err(e) =
            super::assets::put_within_quota(host, &self.ctx.config.quotas, &record, None).await
        {
            give_back().await;
            return Err(e.detail());
        }
        Ok(json!({"asset_id": record.id, "uri": format!("/storage/assets/{file}")}))
    }
}
