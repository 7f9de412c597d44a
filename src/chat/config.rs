//! Which language model providers the server talks to, from `CHAT_PROVIDER`, `DEFAULT_MODEL`,
//! `OLLAMA_API_URL`, `OPENAI_BASE_URL`, `OPENAI_API_KEY`, `CHAT_TIMEOUT` and
//! `MODELS_CACHE_TTL`. Both providers speak OpenAI's wire protocol (Ollama serves it under
//! `/v1`), so one client path serves both.

use std::fmt;

use crate::config::error::ConfigError;
use crate::config::url::base_url;

pub const DEFAULT_MODEL: &str = "llama3.2:latest";
pub const DEFAULT_OLLAMA_URL: &str = "http://127.0.0.1:11434";
pub const DEFAULT_OPENAI_BASE: &str = "https://api.openai.com/v1";
pub const DEFAULT_ANTHROPIC_BASE: &str = "https://api.anthropic.com";
pub const DEFAULT_GEMINI_BASE: &str = "https://generativelanguage.googleapis.com";
pub const DEFAULT_SERPAPI_BASE: &str = "https://serpapi.com";
pub const DEFAULT_KIE_BASE: &str = "https://api.kie.ai";
pub const DEFAULT_FAL_BASE: &str = "https://queue.fal.run";
/// Longest wait for an upstream's first byte, and then between pieces of a stream. A local
/// model may take minutes to load and answer, so this is generous.
pub const DEFAULT_CHAT_TIMEOUT_SECS: u64 = 300;
pub const DEFAULT_MODELS_CACHE_TTL: u64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    Ollama,
    OpenAi,
}

impl Provider {
    pub const ALL: [Provider; 2] = [Provider::Ollama, Provider::OpenAi];

    /// The name used in `CHAT_PROVIDER`, in `provider/model` prefixes and as `owned_by`
    /// (NodeTool's `Provider` enum values).
    pub fn name(self) -> &'static str {
        match self {
            Provider::Ollama => "ollama",
            Provider::OpenAi => "openai",
        }
    }

    pub fn parse(name: &str) -> Option<Provider> {
        Provider::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The user secret holding this provider's API key (NodeTool's registry name).
    pub fn key_secret(self) -> Option<&'static str> {
        match self {
            Provider::Ollama => None,
            Provider::OpenAi => Some("OPENAI_API_KEY"),
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Clone)]
pub struct ChatConfig {
    /// `CHAT_PROVIDER`: where a model without a provider prefix goes.
    pub provider: Provider,
    /// `DEFAULT_MODEL`: for workflow chat nodes that name no model.
    pub default_model: String,
    /// `OLLAMA_API_URL`, without a trailing slash.
    pub ollama_url: String,
    /// `OPENAI_BASE_URL` (including its `/v1`), without a trailing slash.
    pub openai_base: String,
    /// `OPENAI_API_KEY` from the server's configuration; a caller's own secret wins.
    pub openai_key: Option<String>,
    /// Which providers the operator configured (beyond the default one), so that
    /// `/v1/models` only asks those.
    pub ollama_set: bool,
    pub openai_set: bool,
    pub timeout_secs: u64,
    pub models_cache_ttl: u64,
    /// Services only workflow nodes call (Anthropic's Messages, Gemini, SerpApi search): the
    /// API root and the server's own key, used when the caller holds no key of their own.
    pub anthropic: Service,
    pub gemini: Service,
    pub serpapi: Service,
    /// kie.ai's task API, for the `kie.*` image nodes.
    pub kie: Service,
    /// fal.ai's queue API, for the `fal.*` image nodes.
    pub fal: Service,
}

/// A service's API root (no trailing slash) and the operator's key for it.
#[derive(Clone)]
pub struct Service {
    pub base: String,
    pub key: Option<String>,
}

impl fmt::Debug for ChatConfig {
    // No key may reach a log through `{:?}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatConfig")
            .field("provider", &self.provider)
            .field("default_model", &self.default_model)
            .field("ollama_url", &self.ollama_url)
            .field("openai_base", &self.openai_base)
            .field("openai_key", &self.openai_key.is_some())
            .field("timeout_secs", &self.timeout_secs)
            .field("models_cache_ttl", &self.models_cache_ttl)
            .field("anthropic_base", &self.anthropic.base)
            .field("anthropic_key", &self.anthropic.key.is_some())
            .field("gemini_base", &self.gemini.base)
            .field("gemini_key", &self.gemini.key.is_some())
            .field("serpapi_base", &self.serpapi.base)
            .field("serpapi_key", &self.serpapi.key.is_some())
            .field("kie_base", &self.kie.base)
            .field("kie_key", &self.kie.key.is_some())
            .field("fal_base", &self.fal.base)
            .field("fal_key", &self.fal.key.is_some())
            .finish()
    }
}

impl ChatConfig {
    /// The OpenAI-style API root of `provider` (`.../v1`).
    pub fn api_base(&self, provider: Provider) -> String {
        match provider {
            Provider::Ollama => format!("{}/v1", self.ollama_url),
            Provider::OpenAi => self.openai_base.clone(),
        }
    }

    /// Whether `/v1/models` lists `provider` (the default provider always; another one when
    /// the operator configured it or the caller holds a key for it).
    pub fn lists(&self, provider: Provider) -> bool {
        provider == self.provider
            || match provider {
                Provider::Ollama => self.ollama_set,
                Provider::OpenAi => self.openai_set || self.openai_key.is_some(),
            }
    }

    /// Every origin the chat path may call, for hosts that keep an outbound allow-list.
    pub fn origins(&self) -> Vec<String> {
        vec![
            self.ollama_url.clone(),
            self.openai_base.clone(),
            self.anthropic.base.clone(),
            self.gemini.base.clone(),
            self.serpapi.base.clone(),
            self.kie.base.clone(),
            self.fal.base.clone(),
        ]
    }

    pub fn load(get: &impl Fn(&str) -> Option<String>) -> Result<ChatConfig, ConfigError> {
        let provider = match get("CHAT_PROVIDER") {
            None => Provider::Ollama,
            Some(v) => Provider::parse(&v).ok_or(ConfigError::InvalidChatProvider(v))?,
        };
        let url = |name: &'static str, default: &str| match get(name) {
            None => Ok((default.to_string(), false)),
            Some(v) => base_url(&v)
                .map(|u| (u, true))
                .ok_or(ConfigError::InvalidUrl { name, value: v }),
        };
        let (ollama_url, ollama_set) = url("OLLAMA_API_URL", DEFAULT_OLLAMA_URL)?;
        let (openai_base, openai_set) = url("OPENAI_BASE_URL", DEFAULT_OPENAI_BASE)?;
        let key = |name: &str| {
            get(name)
                .map(|k| k.trim().to_string())
                .filter(|k| !k.is_empty())
        };
        let service = |base: &'static str, default: &str, key_name: &str| {
            url(base, default).map(|(base, _)| Service {
                base,
                key: key(key_name),
            })
        };
        let anthropic = service(
            "ANTHROPIC_BASE_URL",
            DEFAULT_ANTHROPIC_BASE,
            "ANTHROPIC_API_KEY",
        )?;
        let gemini = service("GEMINI_BASE_URL", DEFAULT_GEMINI_BASE, "GEMINI_API_KEY")?;
        let serpapi = service("SERPAPI_BASE_URL", DEFAULT_SERPAPI_BASE, "SERPAPI_API_KEY")?;
        let kie = service("KIE_BASE_URL", DEFAULT_KIE_BASE, "KIE_API_KEY")?;
        let fal = service("FAL_BASE_URL", DEFAULT_FAL_BASE, "FAL_API_KEY")?;
        let seconds = |name: &'static str, default: u64, zero_ok: bool| match get(name) {
            None => Ok(default),
            Some(v) => match v.trim().parse::<u64>() {
                Ok(n) if n > 0 || zero_ok => Ok(n),
                _ => Err(ConfigError::InvalidNumber { name, value: v }),
            },
        };
        Ok(ChatConfig {
            provider,
            default_model: get("DEFAULT_MODEL")
                .map(|m| m.trim().to_string())
                .unwrap_or_else(|| DEFAULT_MODEL.to_string()),
            ollama_url,
            openai_base,
            openai_key: get("OPENAI_API_KEY").map(|k| k.trim().to_string()),
            ollama_set,
            openai_set,
            // A day at most: the limit is for a stalled upstream, not a policy.
            timeout_secs: seconds("CHAT_TIMEOUT", DEFAULT_CHAT_TIMEOUT_SECS, false)?.min(86_400),
            models_cache_ttl: seconds("MODELS_CACHE_TTL", DEFAULT_MODELS_CACHE_TTL, true)?,
            anthropic,
            gemini,
            serpapi,
            kie,
            fal,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(pairs: &[(&str, &str)]) -> Result<ChatConfig, ConfigError> {
        ChatConfig::load(&|n: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn defaults_follow_nodetool() {
        let c = load(&[]).unwrap();
        assert_eq!(c.provider, Provider::Ollama);
        assert_eq!(c.default_model, "llama3.2:latest");
        assert_eq!(c.api_base(Provider::Ollama), "http://127.0.0.1:11434/v1");
        assert_eq!(c.api_base(Provider::OpenAi), "https://api.openai.com/v1");
        assert!(c.lists(Provider::Ollama));
        assert!(!c.lists(Provider::OpenAi));
        assert_eq!(c.timeout_secs, 300);
    }

    #[test]
    fn settings_are_checked() {
        let c = load(&[
            ("CHAT_PROVIDER", "OpenAI"),
            ("OPENAI_BASE_URL", "http://10.0.0.2:8000/v1/"),
            ("OLLAMA_API_URL", "http://gpu:11434"),
            ("MODELS_CACHE_TTL", "0"),
        ])
        .unwrap();
        assert_eq!(c.provider, Provider::OpenAi);
        assert_eq!(c.api_base(Provider::OpenAi), "http://10.0.0.2:8000/v1");
        assert!(c.lists(Provider::Ollama));
        assert_eq!(c.models_cache_ttl, 0);
        assert!(matches!(
            load(&[("CHAT_PROVIDER", "llama_cpp")]),
            Err(ConfigError::InvalidChatProvider(_))
        ));
        for bad in ["ftp://x", "localhost:11434", "http://", "http://h/?q=1"] {
            assert!(
                matches!(
                    load(&[("OLLAMA_API_URL", bad)]),
                    Err(ConfigError::InvalidUrl { .. })
                ),
                "{bad}"
            );
        }
        assert!(load(&[("CHAT_TIMEOUT", "0")]).is_err());
        assert!(load(&[("CHAT_TIMEOUT", "soon")]).is_err());
    }

    #[test]
    fn debug_hides_the_key() {
        let c = load(&[
            ("OPENAI_API_KEY", "sk-very-secret"),
            ("ANTHROPIC_API_KEY", "sk-ant-very-secret"),
            ("SERPAPI_API_KEY", "serp-very-secret"),
        ])
        .unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("very-secret"), "{shown}");
        assert_eq!(c.anthropic.base, "https://api.anthropic.com");
        assert_eq!(c.anthropic.key.as_deref(), Some("sk-ant-very-secret"));
        assert!(c.lists(Provider::OpenAi));
    }
}
