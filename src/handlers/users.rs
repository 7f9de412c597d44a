//! `/api/users` (reference 4.9): user management for the `multi_user` provider, admins only.
//! Tokens appear in plaintext once, in the answer that created them.

use serde_json::json;

use super::Ctx;
use crate::auth::identity::Role;
use crate::auth::users::UserStore;
use crate::config::AuthProvider;
use crate::host::Host;
use crate::http::body::{json_object, opt_str, req_str};
use crate::http::error::ApiError;
use crate::http::response::{Response, ok_json};

/// NodeTool's order: the provider first (501), then the caller's role (403).
fn gate<H>(ctx: &Ctx<'_, H>) -> Result<(), ApiError> {
    if ctx.config.auth_provider != AuthProvider::MultiUser {
        return Err(ApiError::NotImplemented(
            "User management not available for current auth provider",
        ));
    }
    if ctx.identity.role != Role::Admin {
        return Err(ApiError::Forbidden("Admin access required"));
    }
    Ok(())
}

pub async fn list<H: Host>(ctx: &Ctx<'_, H>) -> Result<Response, ApiError> {
    gate(ctx)?;
    crate::store::layout::ensure_indexed(ctx.host).await?;
    let users = UserStore::new(ctx.host).list().await?;
    let users: Vec<_> = users.iter().map(|u| u.masked()).collect();
    Ok(ok_json(&json!({ "users": users })))
}

pub async fn get<H: Host>(ctx: &Ctx<'_, H>, username: &str) -> Result<Response, ApiError> {
    gate(ctx)?;
    let user = UserStore::new(ctx.host).require(username).await?;
    Ok(ok_json(&user.masked()))
}

pub async fn create<H: Host>(ctx: &Ctx<'_, H>, body: &[u8]) -> Result<Response, ApiError> {
    gate(ctx)?;
    let obj = json_object(body)?;
    let username = req_str(&obj, "username")?;
    let role = opt_str(&obj, "role")?.unwrap_or_else(|| "user".to_string());
    let issued = UserStore::new(ctx.host).create(&username, &role).await?;
    Ok(ok_json(&issued))
}

pub async fn reset_token<H: Host>(ctx: &Ctx<'_, H>, body: &[u8]) -> Result<Response, ApiError> {
    gate(ctx)?;
    let obj = json_object(body)?;
    let username = req_str(&obj, "username")?;
    let issued = UserStore::new(ctx.host).reset_token(&username).await?;
    Ok(ok_json(&issued))
}

pub async fn delete<H: Host>(ctx: &Ctx<'_, H>, username: &str) -> Result<Response, ApiError> {
    gate(ctx)?;
    UserStore::new(ctx.host).remove(username).await?;
    Ok(ok_json(
        &json!({ "message": format!("User '{username}' removed successfully") }),
    ))
}
