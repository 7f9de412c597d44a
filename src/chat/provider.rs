//! One upstream call: which provider a model goes to, whose API key it carries (the caller's
//! stored secret first, the server's configuration second), and how the request is sent.

use http::Method;

use super::config::{ChatConfig, Provider};
use super::error::ChatError;
use crate::handlers::Ctx;
use crate::host::{Host, Logger, OutboundRequest};
use crate::http::error::ApiError;
use crate::store::secrets::store::SecretStore;
use crate::store::secrets::user_key;

/// Connecting is quick or it will not happen; answering may take minutes (see `CHAT_TIMEOUT`).
pub const CONNECT_TIMEOUT_MS: u32 = 10_000;

/// `provider/model` picks a provider for one request; any other model (including ids that
/// contain a slash of their own, like `meta-llama/Llama-3`) goes to the default provider.
pub fn split_model<'m>(config: &ChatConfig, model: &'m str) -> (Provider, &'m str) {
    if let Some((prefix, rest)) = model.split_once('/')
        && let Some(p) = Provider::parse(prefix)
        && !rest.is_empty()
    {
        return (p, rest);
    }
    (config.provider, model)
}

/// The caller's stored secret `name`, decrypted and trimmed. A stored secret that cannot be
/// decrypted is an error, never a silent fallback to the operator's key.
pub async fn caller_secret<H: Host>(
    ctx: &Ctx<'_, H>,
    name: &str,
) -> Result<Option<String>, ApiError> {
    let Some(record) = SecretStore::new(ctx.host)
        .get(&ctx.identity.user_id, name)
        .await?
    else {
        return Ok(None);
    };
    let master = ctx
        .config
        .secrets_master_key
        .as_deref()
        .ok_or(ApiError::Unavailable(
            "Secrets are unavailable: the server has no SECRETS_MASTER_KEY",
        ))?;
    let plain = user_key(master, &record.user_id)
        .decrypt(&record.encrypted_value)
        .ok()
        .and_then(|p| String::from_utf8(p).ok())
        .ok_or(ApiError::Internal("Failed to decrypt secret"))?;
    Ok(Some(plain.trim().to_string()).filter(|k| !k.is_empty()))
}

/// A provider ready to call: its API root and the key to send, if any.
pub struct Upstream {
    pub provider: Provider,
    pub base: String,
    key: Option<String>,
    timeout_secs: u64,
}

impl Upstream {
    /// The caller's stored key for `provider` (decrypted with their secret key), else the
    /// server's. A stored key that cannot be decrypted is an error, never a silent fallback to
    /// the operator's key.
    pub async fn resolve<H: Host>(ctx: &Ctx<'_, H>, provider: Provider) -> Result<Self, ChatError> {
        let chat = &ctx.config.chat;
        let mut key = match provider {
            Provider::Ollama => None,
            Provider::OpenAi => chat.openai_key.clone(),
        };
        if let Some(name) = provider.key_secret()
            && let Some(own) = caller_secret(ctx, name).await?
        {
            key = Some(own);
        }
        Ok(Upstream {
            provider,
            base: chat.api_base(provider),
            key: key.filter(|k| !k.is_empty()),
            timeout_secs: chat.timeout_secs,
        })
    }

    /// Whether a key will be sent (part of the model-list cache key, never the key itself).
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    fn request(
        &self,
        method: Method,
        path: &str,
        body: Vec<u8>,
        content_type: &str,
        accept: &str,
    ) -> OutboundRequest {
        let mut headers = vec![("accept", accept.to_string())];
        if !body.is_empty() {
            headers.push(("content-type", content_type.to_string()));
        }
        if let Some(k) = &self.key {
            headers.push(("authorization", format!("Bearer {k}")));
        }
        let idle = self
            .timeout_secs
            .saturating_mul(1000)
            .min(u64::from(u32::MAX)) as u32;
        OutboundRequest {
            method,
            url: format!("{}{path}", self.base),
            headers,
            body,
            connect_timeout_ms: CONNECT_TIMEOUT_MS,
            idle_timeout_ms: idle,
        }
    }

    /// Sends `method {base}{path}`; a non-2xx answer is read (bounded) and becomes the error.
    pub async fn open<H: Host>(
        &self,
        host: &H,
        method: Method,
        path: &str,
        body: Vec<u8>,
        accept: &str,
    ) -> Result<http::Response<H::Body>, ChatError> {
        self.open_typed(host, method, path, body, "application/json", accept)
            .await
    }

    /// [`Upstream::open`] with a body of another type (multipart uploads).
    pub async fn open_typed<H: Host>(
        &self,
        host: &H,
        method: Method,
        path: &str,
        body: Vec<u8>,
        content_type: &str,
        accept: &str,
    ) -> Result<http::Response<H::Body>, ChatError> {
        let request = self.request(method, path, body, content_type, accept);
        let response = host
            .send(request)
            .await
            .map_err(|e| self.outbound_failed(host, &e))?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(response);
        }
        let body = crate::outbound::collect(response.into_body(), MAX_ERROR_BYTES)
            .await
            .unwrap_or_default();
        host.log(&format!(
            "chat: {} answered HTTP {status} for {path}",
            self.provider
        ));
        Err(ChatError::from_status(self.provider, status, &body))
    }

    /// Logs the cause (which names no key) and words it for the caller.
    pub fn outbound_failed<L: Logger>(&self, log: &L, e: &crate::host::OutboundError) -> ChatError {
        log.log(&format!("chat: {} request failed: {e}", self.provider));
        ChatError::from_outbound(self.provider, e, self.timeout_secs)
    }
}

/// Longest upstream error body read.
const MAX_ERROR_BYTES: usize = 64 * 1024;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::config::ChatConfig;

    #[test]
    fn prefixes_pick_known_providers_only() {
        let c = ChatConfig::load(&|_: &str| None).unwrap();
        assert_eq!(
            split_model(&c, "llama3.2:latest"),
            (Provider::Ollama, "llama3.2:latest")
        );
        assert_eq!(
            split_model(&c, "openai/gpt-4o"),
            (Provider::OpenAi, "gpt-4o")
        );
        assert_eq!(
            split_model(&c, "OLLAMA/qwen3:0.6b"),
            (Provider::Ollama, "qwen3:0.6b")
        );
        assert_eq!(
            split_model(&c, "meta-llama/Llama-3"),
            (Provider::Ollama, "meta-llama/Llama-3")
        );
        assert_eq!(split_model(&c, "openai/"), (Provider::Ollama, "openai/"));
    }
}
