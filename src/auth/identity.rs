//! Who the caller is, once a provider has checked them: a user id, a role, and how they
//! proved it. Kept apart from the checking (`auth`), which the stores and the handlers that
//! only need the answer do not depend on.

/// The user every request runs as when auth is not enforced, and the static token's user.
pub const LOCAL_USER_ID: &str = "1";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    User,
}

/// How the caller proved who they are; kept for logs and role decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// `none`/`local`: nothing was checked.
    Unenforced,
    StaticToken,
    /// A `multi_user` user's token.
    UserToken,
    /// A Supabase access token.
    SupabaseJwt,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub user_id: String,
    pub role: Role,
    pub credential: Credential,
}

impl Identity {
    pub(crate) fn local() -> Self {
        // On the desktop the single local user owns the machine, so it is admin (the reference
        // answers 401 on admin routes here, which makes them unusable).
        Identity {
            user_id: LOCAL_USER_ID.to_string(),
            role: Role::Admin,
            credential: Credential::Unenforced,
        }
    }
}
