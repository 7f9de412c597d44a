//! Authentication as a step that yields an `Identity`: handlers never see a raw token.

pub mod cache;
pub mod identity;
pub mod jwt;
pub mod static_token;
pub mod supabase;
pub mod token;
pub mod users;

use crate::auth::identity::{Credential, Identity, LOCAL_USER_ID, Role};
use crate::auth::token::{BearerHeader, SecretToken, parse_bearer};
use crate::auth::users::UserStore;
use crate::config::{AuthProvider, Config};
use crate::host::Host;
use crate::http::error::{
    ADMIN_TOKEN_INVALID, ADMIN_TOKEN_REQUIRED, AUTH_INVALID, AUTH_MALFORMED, AUTH_REQUIRED,
    ApiError,
};

/// Checks the bearer token against the configured provider. `static_token` is the resolved
/// server token (configured, or generated and kept by the host); it is accepted under every
/// enforcing provider as the admin user `"1"` (the seed's deploy tooling relies on it) and is
/// checked first, in constant time.
pub async fn authenticate<H: Host>(
    config: &Config,
    static_token: Option<&SecretToken>,
    headers: &http::HeaderMap,
    host: &H,
) -> Result<Identity, ApiError> {
    if !config.auth_provider.enforces_auth() {
        return Ok(Identity::local());
    }
    let token = match parse_bearer(headers) {
        BearerHeader::Missing => return Err(ApiError::Unauthorized(AUTH_REQUIRED)),
        BearerHeader::Malformed => return Err(ApiError::Unauthorized(AUTH_MALFORMED)),
        BearerHeader::Token(t) => t,
    };
    if static_token.is_some_and(|s| s.matches(token)) {
        return Ok(Identity {
            user_id: LOCAL_USER_ID.to_string(),
            role: Role::Admin,
            credential: Credential::StaticToken,
        });
    }
    match config.auth_provider {
        AuthProvider::Static => Err(ApiError::Unauthorized(AUTH_INVALID)),
        AuthProvider::MultiUser => match UserStore::new(host).authenticate(token).await? {
            Some(user) => Ok(Identity {
                role: user.role(),
                user_id: user.user_id,
                credential: Credential::UserToken,
            }),
            None => Err(ApiError::Unauthorized(AUTH_INVALID)),
        },
        AuthProvider::Supabase => {
            let Some(sb) = &config.supabase else {
                // Config::from_lookup never builds this; refuse rather than guess.
                return Err(ApiError::Internal("Supabase is not configured"));
            };
            let (user_id, role) =
                supabase::authenticate(host, sb, &config.auth_cache, token).await?;
            Ok(Identity {
                user_id,
                role,
                credential: Credential::SupabaseJwt,
            })
        }
        AuthProvider::None | AuthProvider::Local => unreachable!("not enforced"),
    }
}

/// `/admin` and everything below it, by whole segments: `/administrator` is not admin, and
/// `/admin/collections` is covered with or without a trailing slash (the reference's prefix
/// list misses the bare collection paths).
pub fn is_admin_path(path: &str) -> bool {
    path == "/admin" || path.starts_with("/admin/")
}

/// `/api/users` and everything below it: user management, which `ADMIN_TOKEN` guards as it
/// guards `/admin`.
pub fn is_user_management_path(path: &str) -> bool {
    path == "/api/users" || path.starts_with("/api/users/")
}

/// The gate in front of `/admin` and `/api/users`. The caller's role is checked before
/// `X-Admin-Token`, so a caller who is not an admin gets the same 403 whatever the header
/// holds and learns nothing about the admin token. On `/api/users` the handler keeps
/// NodeTool's order (provider 501, then role 403); the token is asked of an admin of the
/// `multi_user` provider only, the one caller who gets past both.
pub fn require_admin(
    config: &Config,
    identity: &Identity,
    path: &str,
    headers: &http::HeaderMap,
) -> Result<(), ApiError> {
    if is_admin_path(path) {
        if identity.role != Role::Admin {
            return Err(ApiError::Forbidden("Admin access required"));
        }
        return check_admin_token(config, headers);
    }
    if is_user_management_path(path)
        && config.auth_provider == AuthProvider::MultiUser
        && identity.role == Role::Admin
    {
        return check_admin_token(config, headers);
    }
    Ok(())
}

/// `ADMIN_TOKEN`, when configured, is required on every admin path in every environment, after
/// bearer auth so that an anonymous caller learns nothing about which paths are protected.
pub fn check_admin_token(config: &Config, headers: &http::HeaderMap) -> Result<(), ApiError> {
    let Some(expected) = &config.admin_token else {
        return Ok(());
    };
    let presented = headers
        .get("x-admin-token")
        .map(|v| v.to_str().unwrap_or("\u{0}"))
        .filter(|v| !v.is_empty());
    match presented {
        None => Err(ApiError::Forbidden(ADMIN_TOKEN_REQUIRED)),
        Some(v) if expected.matches(v.trim()) => Ok(()),
        Some(_) => Err(ApiError::Forbidden(ADMIN_TOKEN_INVALID)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(provider: &str, admin: Option<&str>) -> Config {
        Config::from_lookup(|n| match n {
            "AUTH_PROVIDER" => Some(provider.to_string()),
            "ADMIN_TOKEN" => admin.map(str::to_string),
            _ => None,
        })
        .unwrap()
    }

    fn with_auth(v: &str) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        h.insert(http::header::AUTHORIZATION, v.parse().unwrap());
        h
    }

    #[test]
    fn admin_paths_need_the_admin_role_and_token() {
        let user = Identity {
            user_id: "7".into(),
            role: Role::User,
            credential: Credential::StaticToken,
        };
        let admin = Identity {
            role: Role::Admin,
            ..user.clone()
        };
        let none = http::HeaderMap::new();
        let mut good = http::HeaderMap::new();
        good.insert("x-admin-token", "adm".parse().unwrap());
        let open = config("static", None);
        let guarded = config("static", Some("adm"));
        let forbidden = Err(ApiError::Forbidden("Admin access required"));
        for path in [
            "/admin",
            "/admin/",
            "/admin/assets",
            "/admin/collections/x/query",
        ] {
            assert_eq!(
                require_admin(&open, &user, path, &none),
                forbidden,
                "{path}"
            );
            assert_eq!(
                require_admin(&guarded, &user, path, &good),
                forbidden,
                "{path}"
            );
            assert_eq!(require_admin(&open, &admin, path, &none), Ok(()), "{path}");
            assert_eq!(
                require_admin(&guarded, &admin, path, &good),
                Ok(()),
                "{path}"
            );
            assert_eq!(
                require_admin(&guarded, &admin, path, &none),
                Err(ApiError::Forbidden(ADMIN_TOKEN_REQUIRED)),
                "{path}"
            );
        }
        // The same answer for a right, a wrong and no admin token: no oracle.
        let mut bad = http::HeaderMap::new();
        bad.insert("x-admin-token", "wrong".parse().unwrap());
        for headers in [&none, &good, &bad] {
            assert_eq!(
                require_admin(&guarded, &user, "/admin/secrets", headers),
                forbidden
            );
        }
        for path in ["/administrator", "/api/admin", "/workflows"] {
            assert_eq!(
                require_admin(&guarded, &user, path, &none),
                Ok(()),
                "{path}"
            );
        }
    }

    fn authenticate(
        c: &Config,
        tok: Option<&SecretToken>,
        h: &http::HeaderMap,
    ) -> Result<Identity, ApiError> {
        let host = crate::memory_host::MemoryHost::with_vars(&[]);
        futures_executor::block_on(super::authenticate(c, tok, h, &host))
    }

    #[test]
    fn local_provider_is_user_one_without_a_token() {
        let id = authenticate(&config("local", None), None, &http::HeaderMap::new()).unwrap();
        assert_eq!(id.user_id, "1");
        assert_eq!(id.credential, Credential::Unenforced);
    }

    #[test]
    fn static_provider_has_the_three_reference_bodies() {
        let c = config("static", None);
        let tok = SecretToken::new("tok");
        let h = http::HeaderMap::new();
        assert_eq!(
            authenticate(&c, Some(&tok), &h),
            Err(ApiError::Unauthorized(AUTH_REQUIRED))
        );
        assert_eq!(
            authenticate(&c, Some(&tok), &with_auth("Token tok")),
            Err(ApiError::Unauthorized(AUTH_MALFORMED))
        );
        assert_eq!(
            authenticate(&c, Some(&tok), &with_auth("Bearer nope")),
            Err(ApiError::Unauthorized(AUTH_INVALID))
        );
        let id = authenticate(&c, Some(&tok), &with_auth("Bearer tok")).unwrap();
        assert_eq!((id.user_id.as_str(), id.role), ("1", Role::Admin));
    }

    #[test]
    fn static_provider_without_a_token_refuses_everything() {
        let c = config("static", None);
        assert_eq!(
            authenticate(&c, None, &with_auth("Bearer anything")),
            Err(ApiError::Unauthorized(AUTH_INVALID))
        );
    }

    #[test]
    fn admin_paths_are_matched_by_segment() {
        assert!(is_admin_path("/admin"));
        assert!(is_admin_path("/admin/"));
        assert!(is_admin_path("/admin/collections"));
        assert!(!is_admin_path("/administrator"));
        assert!(!is_admin_path("/api/admin"));
    }

    #[test]
    fn admin_token_checks() {
        let c = config("local", Some("adm"));
        let mut h = http::HeaderMap::new();
        assert_eq!(
            check_admin_token(&c, &h),
            Err(ApiError::Forbidden(ADMIN_TOKEN_REQUIRED))
        );
        h.insert("x-admin-token", "".parse().unwrap());
        assert_eq!(
            check_admin_token(&c, &h),
            Err(ApiError::Forbidden(ADMIN_TOKEN_REQUIRED))
        );
        h.insert("x-admin-token", "bad".parse().unwrap());
        assert_eq!(
            check_admin_token(&c, &h),
            Err(ApiError::Forbidden(ADMIN_TOKEN_INVALID))
        );
        h.insert("x-admin-token", "adm".parse().unwrap());
        assert_eq!(check_admin_token(&c, &h), Ok(()));
        assert_eq!(
            check_admin_token(&config("local", None), &http::HeaderMap::new()),
            Ok(())
        );
    }
}
