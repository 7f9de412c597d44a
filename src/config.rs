//! One immutable configuration, built and checked before any request is served.
//!
//! The reference silently falls back to "no auth" on an unknown `AUTH_PROVIDER`; we refuse
//! instead, naming the variable, and check mode and provider together at construction.

use std::fmt;

use crate::host::Variables;
use crate::token::SecretToken;

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
    "HF_HUB_CACHE",
];

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

/// Which origins may call us from a browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigins {
    Any,
    List(Vec<String>),
}

#[derive(Clone)]
pub struct Config {
    pub mode: ServerMode,
    pub auth_provider: AuthProvider,
    pub env: Environment,
    /// `SERVER_AUTH_TOKEN`, else `WORKER_AUTH_TOKEN`.
    pub server_token: Option<SecretToken>,
    pub admin_token: Option<SecretToken>,
    pub secrets_master_key: Option<String>,
    pub max_body_bytes: usize,
    pub max_upload_bytes: u64,
    pub cors: CorsOrigins,
    /// Where the model cache is, as the operator knows it (shown by `/admin/cache/size`; the
    /// host decides what is actually measured).
    pub model_cache_dir: Option<String>,
}

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
            .field("cors", &self.cors)
            .field("model_cache_dir", &self.model_cache_dir)
            .finish()
    }
}

/// Why a configuration was refused. Messages name the variable and never echo a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    InvalidServerMode(String),
    InvalidAuthProvider(String),
    InvalidEnv(String),
    PublicNeedsSupabase,
    PrivateNeedsEnforcedAuth,
    ProductionNeedsMasterKey,
    InvalidNumber { name: &'static str, value: String },
    ProviderUnavailable(AuthProvider),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidServerMode(v) => write!(
                f,
                "Invalid server mode '{v}'. Expected one of: desktop, public, private. (NODETOOL_SERVER_MODE)"
            ),
            Self::InvalidAuthProvider(v) => write!(
                f,
                "Invalid AUTH_PROVIDER '{v}'. Expected one of: none, local, static, multi_user, supabase."
            ),
            Self::InvalidEnv(v) => {
                write!(
                    f,
                    "Invalid ENV '{v}'. Expected one of: development, production."
                )
            }
            Self::PublicNeedsSupabase => {
                write!(f, "Public server mode requires AUTH_PROVIDER=supabase.")
            }
            Self::PrivateNeedsEnforcedAuth => write!(
                f,
                "Private server mode requires AUTH_PROVIDER=static, multi_user, or supabase."
            ),
            Self::ProductionNeedsMasterKey => write!(
                f,
                "SECRETS_MASTER_KEY environment variable must be set in production. Generate with: python -c \"import secrets; print(secrets.token_urlsafe(32))\""
            ),
            Self::InvalidNumber { name, value } => {
                write!(
                    f,
                    "Invalid {name} '{value}'. Expected a positive whole number."
                )
            }
            Self::ProviderUnavailable(p) => write!(
                f,
                "AUTH_PROVIDER={} is not available in this build of nodetool-edge yet; use none, local or static.",
                p.as_str()
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads every variable through the host and checks them together.
    pub async fn load(vars: &impl Variables) -> Result<Config, ConfigError> {
        let mut values = Vec::with_capacity(VARIABLE_NAMES.len());
        for name in VARIABLE_NAMES {
            if let Some(v) = vars.variable(name).await {
                values.push((*name, v));
            }
        }
        Config::from_lookup(|name| {
            values
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
        })
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
        if matches!(
            auth_provider,
            AuthProvider::MultiUser | AuthProvider::Supabase
        ) {
            return Err(ConfigError::ProviderUnavailable(auth_provider));
        }

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

        let cors = match get("CORS_ORIGINS") {
            None => CorsOrigins::Any,
            Some(v) if v.trim() == "*" => CorsOrigins::Any,
            Some(v) => CorsOrigins::List(
                v.split(',')
                    .map(|o| o.trim().trim_end_matches('/').to_string())
                    .filter(|o| !o.is_empty())
                    .collect(),
            ),
        };

        let server_token = get("SERVER_AUTH_TOKEN")
            .or_else(|| get("WORKER_AUTH_TOKEN"))
            .map(|t| SecretToken::new(t.trim()));
        let admin_token = get("ADMIN_TOKEN").map(|t| SecretToken::new(t.trim()));

        Ok(Config {
            mode,
            auth_provider,
            env,
            server_token,
            admin_token,
            secrets_master_key,
            max_body_bytes,
            max_upload_bytes,
            cors,
            model_cache_dir: get("HF_HUB_CACHE").map(|d| d.trim().to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(c.cors, CorsOrigins::Any);
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
    fn production_needs_master_key() {
        let e = cfg(&[("ENV", "production")]).unwrap_err();
        assert_eq!(e, ConfigError::ProductionNeedsMasterKey);
        assert!(cfg(&[("ENV", "production"), ("SECRETS_MASTER_KEY", "k")]).is_ok());
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
    fn cors_origin_list_is_parsed() {
        let c = cfg(&[("CORS_ORIGINS", "https://a.example, https://b.example/")]).unwrap();
        assert_eq!(
            c.cors,
            CorsOrigins::List(vec!["https://a.example".into(), "https://b.example".into()])
        );
    }
}
