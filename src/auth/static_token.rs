//! The server token when none is configured on a host without a writable home directory
//! (Spin, Workers): generated once, kept in KV, announced once in the log. The native runner
//! always passes a resolved token, so it never takes this path.

use crate::auth::token::{SecretToken, generate_token};
use crate::config::{AuthProvider, Config};
use crate::host::Host;
use crate::http::error::ApiError;

const KEY: &str = "auth/v1/static-token";

pub async fn resolve(config: &Config, host: &impl Host) -> Result<Option<SecretToken>, ApiError> {
    if let Some(t) = &config.server_token {
        return Ok(Some(t.clone()));
    }
    // Only `static` mints a token: elsewhere an unconfigured master credential would be a
    // back door nobody asked for.
    if config.auth_provider != AuthProvider::Static {
        return Ok(None);
    }
    if let Some(bytes) = host.get(KEY).await? {
        let stored = String::from_utf8(bytes)
            .map_err(|_| ApiError::Internal("Stored server token is unreadable"))?;
        return Ok(Some(SecretToken::new(&stored)));
    }
    let token = generate_token(host);
    host.set(KEY, token.as_bytes()).await?;
    // The one time the full token is logged: right after it was generated (SPEC, Auth).
    host.log(&format!(
        "AUTHENTICATION: no SERVER_AUTH_TOKEN configured; generated one and stored it in the key-value store.\n   Authorization: Bearer {token}"
    ));
    Ok(Some(SecretToken::new(&token)))
}
