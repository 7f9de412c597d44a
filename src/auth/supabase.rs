//! The `supabase` provider: a bearer token is a Supabase access token, verified locally
//! (`jwt`), with the project's JWKS kept through the KV port, an optional confirmation by
//! Supabase itself, and the result remembered (`auth_cache`).
//!
//! Failures of the token are one generic 401 (the reason goes to the log); failures of
//! Supabase (JWKS or user endpoint unreachable) are a 503, never a pass.

use serde::{Deserialize, Serialize};

use crate::auth::cache as token_cache;
use crate::auth::identity::Role;
use crate::auth::jwt::{self, Expected, Header, KeySet, Rejection};
use crate::config::{AuthCacheConfig, SupabaseConfig};
use crate::host::{Host, OutboundRequest, OutboundResponse};
use crate::http::error::{AUTH_INVALID, ApiError};
use crate::store::records::{get_json, put_json};

const JWKS_KEY: &str = "auth/v1/jwks";
/// An unknown `kid` refetches the key set at most this often, so random `kid`s cannot turn
/// us into a flood against the project's auth server.
pub const UNKNOWN_KID_REFETCH_MICROS: i64 = 60 * 1_000_000;
/// The key set's lifetime when the token cache is off (`AUTH_CACHE_TTL=0`).
const DEFAULT_JWKS_MAX_AGE_SECS: u64 = 60;
const FETCH_TIMEOUT_MS: u32 = 5_000;
const MAX_JWKS_BYTES: usize = 64 * 1024;
const MAX_USER_BYTES: usize = 256 * 1024;
const UNAVAILABLE: &str = "Authentication is temporarily unavailable; try again later";

/// The JWKS as fetched, with when.
#[derive(Serialize, Deserialize)]
struct StoredKeySet {
    fetched: i64,
    body: String,
}

struct FetchedKeySet {
    fetched: i64,
    set: KeySet,
}

/// Who the token belongs to, or why not.
pub async fn authenticate<H: Host>(
    host: &H,
    sb: &SupabaseConfig,
    cache: &AuthCacheConfig,
    token: &str,
) -> Result<(String, Role), ApiError> {
    if token.len() > jwt::MAX_TOKEN_BYTES {
        return reject(host, Rejection::TooLarge);
    }
    if let Some(hit) = token_cache::lookup(host, cache, token).await? {
        return Ok(hit);
    }
    let issuer = sb.issuer();
    let now = host.now_micros();
    let expected = Expected {
        issuer: &issuer,
        audience: &sb.audience,
        now_micros: now,
    };
    let header = match jwt::header(token) {
        Ok(h) => h,
        Err(r) => return reject(host, r),
    };
    let (verified, keys_fetched) = match header {
        Header::Hs256 => {
            let Some(secret) = &sb.jwt_secret else {
                return reject(host, Rejection::Algorithm);
            };
            match jwt::verify_hs256(token, secret, &expected) {
                Ok(v) => (v, None),
                Err(r) => return reject(host, r),
            }
        }
        Header::Asymmetric { alg, kid } => {
            let mut keys = key_set(host, sb, cache).await?;
            if let Some(kid) = kid.as_deref()
                && !keys.set.has_kid(kid)
                && now.saturating_sub(keys.fetched) >= UNKNOWN_KID_REFETCH_MICROS
            {
                // A rotated key the cached set predates.
                keys = fetch_key_set(host, sb).await?;
            }
            let key = match keys.set.select(alg, kid.as_deref()) {
                Ok(k) => k,
                Err(r) => return reject(host, r),
            };
            match jwt::verify_with_key(token, key, &expected) {
                Ok(v) => (v, Some(keys.fetched)),
                Err(r) => return reject(host, r),
            }
        }
    };
    if sb.remote_check {
        confirm_with_supabase(host, sb, token, &verified.subject).await?;
    }
    let role = if verified.admin {
        Role::Admin
    } else {
        Role::User
    };
    let mut not_after = verified.expires_micros;
    if let Some(fetched) = keys_fetched {
        not_after = not_after.min(fetched.saturating_add(max_age_micros(cache)));
    }
    token_cache::store(host, cache, token, &verified.subject, role, not_after).await?;
    Ok((verified.subject, role))
}

fn reject<H: Host, T>(host: &H, why: Rejection) -> Result<T, ApiError> {
    host.log(&format!("supabase token rejected: {}", why.reason()));
    Err(ApiError::Unauthorized(AUTH_INVALID))
}

/// How long a fetched key set is trusted: the token cache's TTL, so that removing a key from
/// the JWKS takes effect within the same bound as a cached token.
fn max_age_micros(cache: &AuthCacheConfig) -> i64 {
    let secs = if cache.enabled() {
        cache.ttl_secs
    } else {
        DEFAULT_JWKS_MAX_AGE_SECS
    };
    i64::try_from(secs)
        .unwrap_or(i64::MAX)
        .saturating_mul(1_000_000)
}

/// The cached key set while it is fresh, else a new one.
async fn key_set<H: Host>(
    host: &H,
    sb: &SupabaseConfig,
    cache: &AuthCacheConfig,
) -> Result<FetchedKeySet, ApiError> {
    let stored: Option<StoredKeySet> = get_json(host, JWKS_KEY, "unreadable key set")
        .await
        .unwrap_or(None);
    let now = host.now_micros();
    if let Some(stored) = stored {
        let age = now.saturating_sub(stored.fetched);
        if (0..max_age_micros(cache)).contains(&age)
            && let Some(set) = KeySet::parse(stored.body.as_bytes())
        {
            return Ok(FetchedKeySet {
                fetched: stored.fetched,
                set,
            });
        }
    }
    fetch_key_set(host, sb).await
}

/// A GET to the project's auth server; no answer at all is a 503 (the cause is logged).
async fn get_from_supabase<H: Host>(
    host: &H,
    url: String,
    mut headers: Vec<(&'static str, String)>,
    max_response_bytes: usize,
    what: &str,
) -> Result<OutboundResponse, ApiError> {
    headers.push(("accept", "application/json".into()));
    let request = OutboundRequest {
        method: http::Method::GET,
        url,
        headers,
        body: Vec::new(),
        connect_timeout_ms: FETCH_TIMEOUT_MS,
        idle_timeout_ms: FETCH_TIMEOUT_MS,
    };
    crate::outbound::fetch(host, request, max_response_bytes)
        .await
        .map_err(|e| {
            host.log(&format!("supabase {what} failed: {e}"));
            ApiError::Unavailable(UNAVAILABLE)
        })
}

async fn fetch_key_set<H: Host>(host: &H, sb: &SupabaseConfig) -> Result<FetchedKeySet, ApiError> {
    let response = get_from_supabase(
        host,
        sb.jwks_url(),
        Vec::new(),
        MAX_JWKS_BYTES,
        "JWKS fetch",
    )
    .await?;
    let set = (response.status == 200)
        .then(|| KeySet::parse(&response.body))
        .flatten()
        .ok_or_else(|| {
            host.log(&format!(
                "supabase JWKS fetch answered {} without a usable key set",
                response.status
            ));
            ApiError::Unavailable(UNAVAILABLE)
        })?;
    let fetched = host.now_micros();
    let body = String::from_utf8(response.body).map_err(|_| ApiError::Unavailable(UNAVAILABLE))?;
    put_json(host, JWKS_KEY, &StoredKeySet { fetched, body }, "key set").await?;
    Ok(FetchedKeySet { fetched, set })
}

/// `GET {url}/auth/v1/user`: Supabase confirms the session still exists (a signed-out session's
/// token is otherwise valid until it expires).
async fn confirm_with_supabase<H: Host>(
    host: &H,
    sb: &SupabaseConfig,
    token: &str,
    subject: &str,
) -> Result<(), ApiError> {
    #[derive(Deserialize)]
    struct User {
        id: String,
    }
    let mut headers = vec![("authorization", format!("Bearer {token}"))];
    if let Some(key) = &sb.api_key {
        headers.push(("apikey", key.clone()));
    }
    let response =
        get_from_supabase(host, sb.user_url(), headers, MAX_USER_BYTES, "user check").await?;
    match response.status {
        200 => match serde_json::from_slice::<User>(&response.body) {
            Ok(user) if user.id == subject => Ok(()),
            _ => {
                host.log("supabase user check: the user does not match the token's sub");
                Err(ApiError::Unauthorized(AUTH_INVALID))
            }
        },
        401 | 403 | 404 => {
            host.log("supabase token rejected: Supabase no longer knows the session");
            Err(ApiError::Unauthorized(AUTH_INVALID))
        }
        status => {
            host.log(&format!("supabase user check answered {status}"));
            Err(ApiError::Unavailable(UNAVAILABLE))
        }
    }
}
