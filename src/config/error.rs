//! Why a configuration is refused, and what makes a secret too weak. Kept apart from the
//! configuration itself so that the parts it is built from (chat's settings) can report in
//! the same terms without depending on it.

use std::fmt;

/// Why a configuration was refused. Messages name the variable and never echo a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    InvalidServerMode(String),
    InvalidAuthProvider(String),
    InvalidEnv(String),
    PublicNeedsSupabase,
    PrivateNeedsEnforcedAuth,
    ProductionNeedsMasterKey,
    InvalidNumber {
        name: &'static str,
        value: String,
    },
    SupabaseNeedsUrl,
    InvalidSupabaseUrl,
    InvalidFlag {
        name: &'static str,
        value: String,
    },
    RemoteCheckNeedsKey,
    InvalidChatProvider(String),
    InvalidUrl {
        name: &'static str,
        value: String,
    },
    WeakValue {
        name: &'static str,
        weakness: Weakness,
    },
    /// One entry of a comma-separated list is not what the list holds.
    InvalidListEntry {
        name: &'static str,
        entry: String,
    },
}

/// Why a token or key is too easy to guess. Production refuses it; development warns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weakness {
    TooShort,
    OneCharacter,
    Whitespace,
}

/// The shortest token or key production accepts: what `secrets.token_urlsafe(24)` gives,
/// and less than the 43 characters of the `token_urlsafe(32)` NodeTool tells people to use.
pub const MIN_SECRET_CHARS: usize = 32;

impl fmt::Display for Weakness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooShort => write!(f, "shorter than {MIN_SECRET_CHARS} characters"),
            Self::OneCharacter => write!(f, "one character repeated"),
            Self::Whitespace => write!(f, "whitespace inside (no request could send it)"),
        }
    }
}

/// What makes `value` weak, if anything. Outer whitespace is ignored, as it is when the
/// value is used.
pub fn weakness(value: &str) -> Option<Weakness> {
    let v = value.trim();
    if v.chars().any(char::is_whitespace) {
        return Some(Weakness::Whitespace);
    }
    if v.chars().count() < MIN_SECRET_CHARS {
        return Some(Weakness::TooShort);
    }
    let mut chars = v.chars();
    let first = chars.next();
    if chars.all(|c| Some(c) == first) {
        return Some(Weakness::OneCharacter);
    }
    None
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
            Self::SupabaseNeedsUrl => write!(
                f,
                "AUTH_PROVIDER=supabase requires SUPABASE_URL (the project URL, e.g. https://abc.supabase.co)."
            ),
            Self::InvalidSupabaseUrl => write!(
                f,
                "Invalid SUPABASE_URL. Expected an http(s) URL with a host and no query, e.g. https://abc.supabase.co."
            ),
            Self::InvalidFlag { name, value } => {
                write!(f, "Invalid {name} '{value}'. Expected true or false.")
            }
            Self::RemoteCheckNeedsKey => write!(
                f,
                "SUPABASE_REMOTE_CHECK=true requires SUPABASE_KEY (the project's anon key)."
            ),
            Self::WeakValue { name, weakness } => write!(
                f,
                "{name} is too weak for production: {weakness}. Generate one with: python -c \"import secrets; print(secrets.token_urlsafe(32))\""
            ),
            Self::InvalidChatProvider(v) => write!(
                f,
                "Invalid CHAT_PROVIDER '{v}'. Expected one of: ollama, openai (with OPENAI_BASE_URL for any OpenAI-compatible server)."
            ),
            Self::InvalidUrl { name, value } => write!(
                f,
                "Invalid {name} '{value}'. Expected an http(s) URL with a host and no query."
            ),
            Self::InvalidListEntry { name, entry } => match *name {
                "CORS_ORIGINS" => write!(
                    f,
                    "Invalid CORS_ORIGINS entry '{entry}'. Expected origins such as https://app.example or http://localhost:3000, separated by commas, or * alone."
                ),
                _ => write!(
                    f,
                    "Invalid {name} entry '{entry}'. Expected host names such as api.example, separated by commas, or * alone."
                ),
            },
        }
    }
}

impl std::error::Error for ConfigError {}
