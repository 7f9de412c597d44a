//! One immutable configuration, built and checked before any request is served.
//!
//! The reference silently falls back to "no auth" on an unknown `AUTH_PROVIDER`; we refuse
//! instead, naming the variable, and check mode and provider together at construction.

use std::fmt;
use std::sync::{Arc, Mutex};

pub mod error;
pub mod quotas;
pub mod url;

pub use error::{ConfigError, MIN_SECRET_CHARS, Weakness, weakness};
pub use url::base_url;

use crate::auth::token::SecretToken;
use crate::host::Variables;
use crate::http::browser::BrowserPolicy;

/// Every variable the core reads, by canonical name. Hosts map these to their own naming
/// (Spin variables are the lower-case forms).
pub const VARIABLE_NAMES: &[&str] = &[
    "NODETOOL_SERVER_MODE",
    "AUTH_PROVIDER",
    "ENV",
    "SERVER_AUTH_TOKEN",
    "WORKER_AUTH_TOKEN",
    "ADMIN_TOKEN",
    "SECRETS_MASTER_KEY",
    "MAX_BODY_BYTES",
    "MAX_UPLOAD_BYTES",
    "CORS_ORIGINS",
    "ALLOWED_HOSTS",
    "HF_HUB_CACHE",
    "SUPABASE_URL",
    "SUPABASE_KEY",
    "SUPABASE_JWT_SECRET",
    "SUPABASE_JWT_AUDIENCE",
    "SUPABASE_REMOTE_CHECK",
    "AUTH_CACHE_TTL",
    "AUTH_CACHE_MAX",
    "REMOTE_AUTH_CACHE_TTL",
    "REMOTE_AUTH_CACHE_MAX",
    "CHAT_PROVIDER",
    "DEFAULT_MODEL",
    "OLLAMA_API_URL",
    "OPENAI_BASE_URL",
    "OPENAI_API_KEY",
    "CHAT_TIMEOUT",
    "MODELS_CACHE_TTL",
    "ANTHROPIC_BASE_URL",
    "ANTHROPIC_API_KEY",
    "GEMINI_BASE_URL",
    "GEMINI_API_KEY",
    "SERPAPI_BASE_URL",
    "SERPAPI_API_KEY",
    "KIE_BASE_URL",
    "KIE_API_KEY",
    "FAL_BASE_URL",
    "FAL_API_KEY",
    "MAX_WORKFLOWS_PER_USER",
    "MAX_ASSETS_PER_USER",
    "MAX_COLLECTIONS_PER_USER",
    "MAX_STORED_BYTES_PER_USER",
];

/// One variable holding every other one, as a JSON object by canonical name. A host that has
/// all the values at hand (the native runner, which validated them at start-up) sets it, so the
/// component reads its configuration in one host call per request instead of one per name.
/// Spin, where each variable is declared in spin.toml, simply does not define it.
pub const BUNDLED_VARIABLE: &str = "nodetool_edge_config";

/// The bundle of [`BUNDLED_VARIABLE`]: the known names that have values.
pub fn bundle_variables<'a>(values: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let map: serde_json::Map<String, serde_json::Value> = values
        .into_iter()
        .filter(|(name, _)| VARIABLE_NAMES.contains(name))
        .map(|(name, value)| (name.to_string(), value.into()))
        .collect();
    serde_json::Value::Object(map).to_string()
}

/// The values of a bundle, or None when it is not one (then each name is read on its own).
pub fn unbundle_variables(text: &str) -> Option<Vec<(String, String)>> {
    let serde_json::Value::Object(map) = serde_json::from_str(text).ok()? else {
        return None;
    };
    map.into_iter()
        .map(|(name, value)| match value {
            serde_json::Value::String(v) => Some((name, v)),
            _ => None,
        })
        .collect()
}

/// Default size limit of one stored object (`PUT /admin/storage/...`).
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 1024 * 1024 * 1024;

/// Default request body limit for JSON endpoints.
pub const DEFAULT_MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerMode {
    Desktop,
    Public,
    Private,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthProvider {
    None,
    Local,
    Static,
    MultiUser,
    Supabase,
}

impl AuthProvider {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Local => "local",
            Self::Static => "static",
            Self::MultiUser => "multi_user",
            Self::Supabase => "supabase",
        }
    }

    /// Providers under which every request needs a bearer token.
    pub fn enforces_auth(self) -> bool {
        matches!(self, Self::Static | Self::MultiUser | Self::Supabase)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

/// Values by name and the configuration built from them (see [`Config::load`]).
type Built = (Vec<(&'static str, String)>, Arc<Config>);

static LAST_BUILT: Mutex<Option<Built>> = Mutex::new(None);

#[derive(Clone)]
pub struct Config {
    /// What start-up should warn about (never a secret's value).
    pub warnings: Vec<String>,
    pub mode: ServerMode,
    pub auth_provider: AuthProvider,
    pub env: Environment,
    /// `SERVER_AUTH_TOKEN`, else `WORKER_AUTH_TOKEN`.
    pub server_token: Option<SecretToken>,
    pub admin_token: Option<SecretToken>,
    pub secrets_master_key: Option<String>,
    pub max_body_bytes: usize,
    pub max_upload_bytes: u64,
    /// Which pages may call us and which host names we answer (`CORS_ORIGINS`,
    /// `ALLOWED_HOSTS`).
    pub browser: BrowserPolicy,
    /// Where the model cache is, as the operator knows it (shown by `/admin/cache/size`; the
    /// host decides what is actually measured).
    pub model_cache_dir: Option<String>,
    /// Set exactly when `auth_provider` is `supabase`.
    pub supabase: Option<SupabaseConfig>,
    pub auth_cache: AuthCacheConfig,
    pub chat: crate::chat::config::ChatConfig,
    pub quotas: quotas::Quotas,
}

/// How Supabase access tokens are checked (SPEC, Auth): locally, against the project's JWKS
/// or its legacy HS256 secret, and optionally also by asking Supabase.
#[derive(Clone)]
pub struct SupabaseConfig {
    /// The project URL without a trailing slash, e.g. `https://abc.supabase.co`.
    pub url: String,
    /// `SUPABASE_KEY`: sent as `apikey` on the remote check.
    pub api_key: Option<String>,
    /// `SUPABASE_JWT_SECRET`: HS256 tokens are accepted only when it is set.
    pub jwt_secret: Option<Vec<u8>>,
    /// Expected `aud` (default `authenticated`).
    pub audience: String,
    /// Also confirm every newly verified token with `GET {url}/auth/v1/user`.
    pub remote_check: bool,
}

impl SupabaseConfig {
    /// The `iss` Supabase's auth server writes into its tokens.
    pub fn issuer(&self) -> String {
        format!("{}/auth/v1", self.url)
    }

    pub fn jwks_url(&self) -> String {
        format!("{}/auth/v1/.well-known/jwks.json", self.url)
    }

    pub fn user_url(&self) -> String {
        format!("{}/auth/v1/user", self.url)
    }
}

/// How long a verified token is remembered. `ttl_secs == 0` or `max_entries == 0` turns the
/// cache off, as in the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthCacheConfig {
    pub ttl_secs: u64,
    pub max_entries: usize,
}

impl AuthCacheConfig {
    pub fn enabled(&self) -> bool {
        self.ttl_secs > 0 && self.max_entries > 0
    }
}

pub const DEFAULT_AUTH_CACHE_TTL: u64 = 60;
pub const DEFAULT_AUTH_CACHE_MAX: usize = 2000;

impl fmt::Debug for Config {
    // Hand-written so that no token or key can reach a log through `{:?}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("mode", &self.mode)
            .field("auth_provider", &self.auth_provider)
            .field("env", &self.env)
            .field("server_token", &self.server_token.is_some())
            .field("admin_token", &self.admin_token.is_some())
            .field("secrets_master_key", &self.secrets_master_key.is_some())
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_upload_bytes", &self.max_upload_bytes)
            .field("browser", &self.browser)
            .field("model_cache_dir", &self.model_cache_dir)
            .field("supabase_url", &self.supabase.as_ref().map(|s| &s.url))
            .field("auth_cache", &self.auth_cache)
            .field("chat", &self.chat)
            .field("quotas", &self.quotas)
            .finish()
    }
}

impl Config {
    /// Every origin this configuration makes the core call (the Supabase project, the chat
    /// providers), for hosts that keep an outbound allow-list.
    pub fn outbound_origins(&self) -> Vec<String> {
        let mut origins: Vec<String> = self.supabase.iter().map(|s| s.url.clone()).collect();
        origins.extend(self.chat.origins());
        origins
    }

    /// Reads every variable through the host and checks them together. The configuration
    /// built last is kept with the values it came from: a warm instance or a Workers isolate
    /// reads the same values on every request, and parsing them again (URLs, token rules,
    /// providers) would be most of the work of a small request. Any change of a value builds
    /// it anew; an invalid one is never kept.
    pub async fn load(vars: &impl Variables) -> Result<Arc<Config>, ConfigError> {
        let mut values = Vec::with_capacity(VARIABLE_NAMES.len());
        for name in VARIABLE_NAMES {
            if let Some(v) = vars.variable(name).await {
                values.push((*name, v));
            }
        }
        let mut last = LAST_BUILT.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((seen, config)) = last.as_ref()
            && *seen == values
        {
            return Ok(config.clone());
        }
        let config = Arc::new(Config::from_lookup(|name| {
            values
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
        })?);
        *last = Some((values, config.clone()));
        Ok(config)
    }

    /// Builds the configuration from a lookup by canonical name. Empty values count as unset,
    /// as in the reference.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());

        let mode = match get("NODETOOL_SERVER_MODE") {
            None => ServerMode::Desktop,
            Some(v) => match v.trim().to_ascii_lowercase().as_str() {
                "desktop" => ServerMode::Desktop,
                "public" => ServerMode::Public,
                "private" => ServerMode::Private,
                _ => return Err(ConfigError::InvalidServerMode(v)),
            },
        };
        let auth_provider = match get("AUTH_PROVIDER") {
            None => AuthProvider::Local,
            Some(v) => match v.trim().to_ascii_lowercase().as_str() {
                "none" => AuthProvider::None,
                "local" => AuthProvider::Local,
                "static" => AuthProvider::Static,
                "multi_user" => AuthProvider::MultiUser,
                "supabase" => AuthProvider::Supabase,
                _ => return Err(ConfigError::InvalidAuthProvider(v)),
            },
        };
        let env = match get("ENV") {
            None => Environment::Development,
            Some(v) => match v.trim().to_ascii_lowercase().as_str() {
                "development" => Environment::Development,
                "production" => Environment::Production,
                _ => return Err(ConfigError::InvalidEnv(v)),
            },
        };

        match (mode, auth_provider) {
            (ServerMode::Public, p) if p != AuthProvider::Supabase => {
                return Err(ConfigError::PublicNeedsSupabase);
            }
            (ServerMode::Private, p) if !p.enforces_auth() => {
                return Err(ConfigError::PrivateNeedsEnforcedAuth);
            }
            _ => {}
        }

        let secrets_master_key = get("SECRETS_MASTER_KEY");
        if env == Environment::Production && secrets_master_key.is_none() {
            return Err(ConfigError::ProductionNeedsMasterKey);
        }

        // Checked after the mode rules so that their messages (which users look up) win.
        let supabase = if auth_provider == AuthProvider::Supabase {
            Some(supabase_config(&get)?)
        } else {
            None
        };
        let auth_cache = AuthCacheConfig {
            ttl_secs: cache_setting(&get, "AUTH_CACHE_TTL", "REMOTE_AUTH_CACHE_TTL")?
                .unwrap_or(DEFAULT_AUTH_CACHE_TTL),
            max_entries: cache_setting(&get, "AUTH_CACHE_MAX", "REMOTE_AUTH_CACHE_MAX")?
                .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
                .unwrap_or(DEFAULT_AUTH_CACHE_MAX),
        };

        let max_body_bytes = match get("MAX_BODY_BYTES") {
            None => DEFAULT_MAX_BODY_BYTES,
            Some(v) => match v.trim().parse::<usize>() {
                Ok(n) if n > 0 => n,
                _ => {
                    return Err(ConfigError::InvalidNumber {
                        name: "MAX_BODY_BYTES",
                        value: v,
                    });
                }
            },
        };

        let max_upload_bytes = match get("MAX_UPLOAD_BYTES") {
            None => DEFAULT_MAX_UPLOAD_BYTES,
            Some(v) => match v.trim().parse::<u64>() {
                Ok(n) if n > 0 => n,
                _ => {
                    return Err(ConfigError::InvalidNumber {
                        name: "MAX_UPLOAD_BYTES",
                        value: v,
                    });
                }
            },
        };

        // Weak tokens and keys: refused in production, named in `warnings` otherwise.
        let server_token_name = match get("SERVER_AUTH_TOKEN") {
            Some(_) => "SERVER_AUTH_TOKEN",
            None => "WORKER_AUTH_TOKEN",
        };
        let mut warnings = Vec::new();
        let browser = BrowserPolicy::from_values(
            mode == ServerMode::Desktop,
            get("CORS_ORIGINS").as_deref(),
            get("ALLOWED_HOSTS").as_deref(),
            &mut warnings,
        )
        .map_err(|e| ConfigError::InvalidListEntry {
            name: e.name,
            entry: e.entry,
        })?;
        for name in [server_token_name, "ADMIN_TOKEN", "SECRETS_MASTER_KEY"] {
            let Some(weakness) = get(name).as_deref().and_then(weakness) else {
                continue;
            };
            let error = ConfigError::WeakValue { name, weakness };
            if env == Environment::Production {
                return Err(error);
            }
            warnings.push(format!(
                "{name} is weak ({weakness}); production would refuse it"
            ));
        }

        let server_token = get("SERVER_AUTH_TOKEN")
            .or_else(|| get("WORKER_AUTH_TOKEN"))
            .map(|t| SecretToken::new(t.trim()));
        let admin_token = get("ADMIN_TOKEN").map(|t| SecretToken::new(t.trim()));

        Ok(Config {
            warnings,
            mode,
            auth_provider,
            env,
            server_token,
            admin_token,
            secrets_master_key,
            max_body_bytes,
            max_upload_bytes,
            browser,
            model_cache_dir: get("HF_HUB_CACHE").map(|d| d.trim().to_string()),
            supabase,
            auth_cache,
            chat: crate::chat::config::ChatConfig::load(&get)?,
            quotas: quotas::Quotas::load(&get)?,
        })
    }
}

fn supabase_config(get: &impl Fn(&str) -> Option<String>) -> Result<SupabaseConfig, ConfigError> {
    let url = get("SUPABASE_URL").ok_or(ConfigError::SupabaseNeedsUrl)?;
    let url = base_url(&url).ok_or(ConfigError::InvalidSupabaseUrl)?;
    let remote_check = match get("SUPABASE_REMOTE_CHECK") {
        None => false,
        Some(v) => match v.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => true,
            "0" | "false" | "no" | "off" => false,
            _ => {
                return Err(ConfigError::InvalidFlag {
                    name: "SUPABASE_REMOTE_CHECK",
                    value: v,
                });
            }
        },
    };
    let api_key = get("SUPABASE_KEY").map(|k| k.trim().to_string());
    if remote_check && api_key.is_none() {
        return Err(ConfigError::RemoteCheckNeedsKey);
    }
    Ok(SupabaseConfig {
        url,
        api_key,
        // Supabase signs HS256 tokens with the secret's text as the HMAC key.
        jwt_secret: get("SUPABASE_JWT_SECRET").map(|s| s.trim().as_bytes().to_vec()),
        audience: get("SUPABASE_JWT_AUDIENCE")
            .map(|a| a.trim().to_string())
            .unwrap_or_else(|| "authenticated".to_string()),
        remote_check,
    })
}

/// `AUTH_CACHE_*` wins over its `REMOTE_AUTH_CACHE_*` alias. Unlike the reference, a value that
/// is not a whole number refuses to start instead of silently becoming the default.
fn cache_setting(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    alias: &'static str,
) -> Result<Option<u64>, ConfigError> {
    for n in [name, alias] {
        if let Some(v) = get(n) {
            return v
                .trim()
                .parse::<u64>()
                .map(Some)
                .map_err(|_| ConfigError::InvalidNumber { name: n, value: v });
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory_host::MemoryHost;

    #[test]
    fn the_kept_configuration_follows_every_change_of_a_value() {
        let load = |pairs: &[(&str, &str)]| {
            futures_executor::block_on(Config::load(&MemoryHost::with_vars(pairs)))
        };
        let desktop = load(&[("NODETOOL_SERVER_MODE", "desktop")]).unwrap();
        assert_eq!(desktop.mode, ServerMode::Desktop);
        let again = load(&[("NODETOOL_SERVER_MODE", "desktop")]).unwrap();
        assert_eq!(again.mode, ServerMode::Desktop);
        let private = load(&[
            ("NODETOOL_SERVER_MODE", "private"),
            ("AUTH_PROVIDER", "static"),
            ("SERVER_AUTH_TOKEN", "a-long-enough-static-token"),
        ])
        .unwrap();
        assert_eq!(private.mode, ServerMode::Private);
        // An invalid set is refused every time, not answered from the one before.
        for _ in 0..2 {
            assert!(load(&[("NODETOOL_SERVER_MODE", "sideways")]).is_err());
        }
        assert_eq!(load(&[]).unwrap().mode, ServerMode::Desktop);
    }

    #[test]
    fn bundled_variables_round_trip_known_names_only() {
        let text = bundle_variables([
            ("AUTH_PROVIDER", "static"),
            ("SERVER_AUTH_TOKEN", "tok \"quoted\" ü"),
            ("PATH", "/usr/bin"),
        ]);
        let mut back = unbundle_variables(&text).unwrap();
        back.sort();
        assert_eq!(
            back,
            vec![
                ("AUTH_PROVIDER".to_string(), "static".to_string()),
                (
                    "SERVER_AUTH_TOKEN".to_string(),
                    "tok \"quoted\" ü".to_string()
                ),
            ]
        );
        // Anything else is not a bundle, and each name is then read on its own.
        for bad in ["", "static", "[]", r#"{"A": 1}"#, "{"] {
            assert_eq!(unbundle_variables(bad), None, "{bad}");
        }
    }

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn defaults_are_desktop_local_development() {
        let c = cfg(&[]).unwrap();
        assert_eq!(c.mode, ServerMode::Desktop);
        assert_eq!(c.auth_provider, AuthProvider::Local);
        assert_eq!(c.env, Environment::Development);
        assert_eq!(c.max_body_bytes, DEFAULT_MAX_BODY_BYTES);
        assert_eq!(
            c.browser.cors,
            crate::http::browser::CorsOrigins::Listed {
                loopback: true,
                origins: crate::http::browser::NODETOOL_ORIGINS
                    .iter()
                    .map(|o| o.to_string())
                    .collect(),
            }
        );
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    }

    #[test]
    fn unknown_provider_fails_closed_instead_of_becoming_local() {
        let e = cfg(&[("AUTH_PROVIDER", "ldap")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid AUTH_PROVIDER 'ldap'. Expected one of: none, local, static, multi_user, supabase."
        );
    }

    #[test]
    fn values_are_case_insensitive() {
        let c = cfg(&[
            ("NODETOOL_SERVER_MODE", "PRIVATE"),
            ("AUTH_PROVIDER", "Static"),
        ])
        .unwrap();
        assert_eq!(c.mode, ServerMode::Private);
        assert_eq!(c.auth_provider, AuthProvider::Static);
    }

    #[test]
    fn mode_rules_use_the_reference_messages() {
        let e = cfg(&[
            ("NODETOOL_SERVER_MODE", "public"),
            ("AUTH_PROVIDER", "static"),
        ]);
        assert_eq!(
            e.unwrap_err().to_string(),
            "Public server mode requires AUTH_PROVIDER=supabase."
        );
        let e = cfg(&[("NODETOOL_SERVER_MODE", "private")]);
        assert_eq!(
            e.unwrap_err().to_string(),
            "Private server mode requires AUTH_PROVIDER=static, multi_user, or supabase."
        );
        let e = cfg(&[("NODETOOL_SERVER_MODE", "cloud")]);
        assert!(matches!(e, Err(ConfigError::InvalidServerMode(_))));
    }

    #[test]
    fn production_refuses_weak_tokens_and_keys_and_development_warns() {
        const STRONG: &str = "Vt3e8kQ2mZ9pL4xR7nB1cW6yH0sD5fGj";
        fn base<'a>(name: &'a str, value: &'a str) -> Vec<(&'a str, &'a str)> {
            let mut v = vec![
                ("ENV", "production"),
                ("NODETOOL_SERVER_MODE", "private"),
                ("AUTH_PROVIDER", "static"),
                ("SERVER_AUTH_TOKEN", STRONG),
                ("SECRETS_MASTER_KEY", STRONG),
            ];
            v.retain(|(n, _)| *n != name);
            v.push((name, value));
            v
        }
        let thirty_two_a = "a".repeat(32);
        let cases: [(&'static str, &str, Weakness); 6] = [
            ("SERVER_AUTH_TOKEN", "a", Weakness::TooShort),
            ("ADMIN_TOKEN", "x", Weakness::TooShort),
            ("SECRETS_MASTER_KEY", "1", Weakness::TooShort),
            ("ADMIN_TOKEN", &thirty_two_a, Weakness::OneCharacter),
            (
                "SERVER_AUTH_TOKEN",
                "Vt3e8kQ2mZ9pL4xR 7nB1cW6yH0sD5fGj",
                Weakness::Whitespace,
            ),
            ("WORKER_AUTH_TOKEN", "w0rk3r", Weakness::TooShort),
        ];
        for (name, value, weakness) in cases {
            let mut pairs = base(name, value);
            if name == "WORKER_AUTH_TOKEN" {
                pairs.retain(|(n, _)| *n != "SERVER_AUTH_TOKEN");
            }
            let e = cfg(&pairs).unwrap_err();
            assert_eq!(e, ConfigError::WeakValue { name, weakness }, "{name}");
            let text = e.to_string();
            assert!(text.starts_with(name), "{text}");
            assert!(
                !text.contains(value) || value.len() < 2,
                "no value echoed: {text}"
            );
            // Development starts and says so.
            pairs.retain(|(n, _)| *n != "ENV");
            let c = cfg(&pairs).unwrap();
            assert_eq!(c.warnings.len(), 1, "{name}");
            assert!(c.warnings[0].starts_with(name), "{:?}", c.warnings);
        }
        // Outer whitespace is trimmed where the value is used, so it is no weakness.
        let padded = " Vt3e8kQ2mZ9pL4xR7nB1cW6yH0sD5fGj\n";
        assert!(cfg(&base("SERVER_AUTH_TOKEN", padded)).is_ok());
        assert!(
            cfg(&base("ADMIN_TOKEN", STRONG))
                .unwrap()
                .warnings
                .is_empty()
        );
    }

    #[test]
    fn production_needs_master_key() {
        let e = cfg(&[("ENV", "production")]).unwrap_err();
        assert_eq!(e, ConfigError::ProductionNeedsMasterKey);
        assert!(
            cfg(&[
                ("ENV", "production"),
                ("SECRETS_MASTER_KEY", "Vt3e8kQ2mZ9pL4xR7nB1cW6yH0sD5fGj")
            ])
            .is_ok()
        );
        assert!(matches!(
            cfg(&[("ENV", "staging")]),
            Err(ConfigError::InvalidEnv(_))
        ));
    }

    #[test]
    fn server_token_wins_over_worker_token_and_empty_is_unset() {
        let c = cfg(&[("SERVER_AUTH_TOKEN", "a"), ("WORKER_AUTH_TOKEN", "b")]).unwrap();
        assert!(c.server_token.unwrap().matches("a"));
        let c = cfg(&[("SERVER_AUTH_TOKEN", ""), ("WORKER_AUTH_TOKEN", "b")]).unwrap();
        assert!(c.server_token.unwrap().matches("b"));
    }

    #[test]
    fn body_limit_must_be_a_positive_number() {
        assert_eq!(cfg(&[("MAX_BODY_BYTES", "10")]).unwrap().max_body_bytes, 10);
        assert!(cfg(&[("MAX_BODY_BYTES", "0")]).is_err());
        assert!(cfg(&[("MAX_BODY_BYTES", "1e6")]).is_err());
    }

    #[test]
    fn debug_output_hides_secrets() {
        let c = cfg(&[
            ("SERVER_AUTH_TOKEN", "supersecret"),
            ("ADMIN_TOKEN", "adm1n"),
        ])
        .unwrap();
        let s = format!("{c:?}");
        assert!(!s.contains("supersecret") && !s.contains("adm1n"));
    }

    #[test]
    fn cors_origin_list_is_parsed_and_a_bad_entry_is_refused() {
        let c = cfg(&[
            ("NODETOOL_SERVER_MODE", "private"),
            ("AUTH_PROVIDER", "static"),
            ("CORS_ORIGINS", "https://a.example, https://b.example/"),
        ])
        .unwrap();
        assert_eq!(
            c.browser.cors,
            crate::http::browser::CorsOrigins::Listed {
                loopback: false,
                origins: vec!["https://a.example".into(), "https://b.example".into()]
            }
        );
        let e = cfg(&[("CORS_ORIGINS", "app.example")]).unwrap_err();
        assert!(
            e.to_string().contains("CORS_ORIGINS entry 'app.example'"),
            "{e}"
        );
        let e = cfg(&[("ALLOWED_HOSTS", "a/b")]).unwrap_err();
        assert!(e.to_string().contains("ALLOWED_HOSTS entry 'a/b'"), "{e}");
    }

    #[test]
    fn spin_toml_declares_and_maps_every_variable() {
        let manifest = include_str!("../../spin.toml");
        for name in VARIABLE_NAMES {
            let lower = name.to_ascii_lowercase();
            assert!(
                manifest.contains(&format!("\n{lower} = {{ default")),
                "{lower} is not declared in spin.toml"
            );
            assert!(
                manifest.contains(&format!("\n{lower} = \"{{{{ {lower} }}}}\"")),
                "{lower} is not mapped into the component in spin.toml"
            );
        }
    }

    #[test]
    fn supabase_settings_are_checked_together() {
        let base = [
            ("AUTH_PROVIDER", "supabase"),
            ("SUPABASE_URL", "https://abc.supabase.co/"),
        ];
        let c = cfg(&base).unwrap();
        let sb = c.supabase.unwrap();
        assert_eq!(sb.issuer(), "https://abc.supabase.co/auth/v1");
        assert_eq!(
            sb.jwks_url(),
            "https://abc.supabase.co/auth/v1/.well-known/jwks.json"
        );
        assert_eq!(sb.audience, "authenticated");
        assert!(!sb.remote_check && sb.jwt_secret.is_none());
        assert_eq!(
            cfg(&[("AUTH_PROVIDER", "supabase")]).unwrap_err(),
            ConfigError::SupabaseNeedsUrl
        );
        let with = |k: &'static str, v: &'static str| {
            let mut pairs: Vec<_> = base.iter().copied().filter(|(n, _)| *n != k).collect();
            pairs.push((k, v));
            cfg(&pairs)
        };
        assert_eq!(
            with("SUPABASE_URL", "https://abc.supabase.co/?x=1").unwrap_err(),
            ConfigError::InvalidSupabaseUrl
        );
        assert_eq!(
            with("SUPABASE_REMOTE_CHECK", "yes").unwrap_err(),
            ConfigError::RemoteCheckNeedsKey
        );
        // Other providers ignore Supabase settings.
        assert!(
            cfg(&[("SUPABASE_URL", "nonsense")])
                .unwrap()
                .supabase
                .is_none()
        );
    }

    #[test]
    fn auth_cache_names_and_fallbacks() {
        let c = cfg(&[]).unwrap();
        assert_eq!(
            c.auth_cache,
            AuthCacheConfig {
                ttl_secs: 60,
                max_entries: 2000
            }
        );
        let c = cfg(&[("REMOTE_AUTH_CACHE_TTL", "5"), ("AUTH_CACHE_MAX", "7")]).unwrap();
        assert_eq!((c.auth_cache.ttl_secs, c.auth_cache.max_entries), (5, 7));
        let c = cfg(&[("AUTH_CACHE_TTL", "0"), ("REMOTE_AUTH_CACHE_TTL", "5")]).unwrap();
        assert!(!c.auth_cache.enabled());
    }
}
