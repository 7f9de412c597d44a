//! The route table: every path the server answers, in one place, top to bottom.

use http::Method;
use percent_encoding::percent_decode_str;

use crate::http::error::ApiError;
use crate::store::storage::Bucket;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageOp {
    Head,
    Get,
    Put,
    Delete,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Health,
    Ping,
    /// `/openapi.json`.
    OpenApi,
    /// `/` and `/docs`, and the page's script and style.
    DocsPage,
    DocsScript,
    DocsStyle,
    ListWorkflows,
    CreateWorkflow,
    GetWorkflow(String),
    PutWorkflow(String),
    DeleteWorkflow(String),
    RunWorkflow(String),
    ListSecrets,
    GetSecret(String),
    PutSecret(String),
    DeleteSecret(String),
    ImportSecrets,
    ListAssets,
    CreateAsset,
    GetAsset(String),
    DeleteAsset(String),
    CacheSize,
    ListCollections,
    CreateCollection,
    GetCollection(String),
    UpdateCollection(String),
    DeleteCollection(String),
    AddToCollection(String),
    QueryCollection(String),
    ListUsers,
    CreateUser,
    GetUser(String),
    DeleteUser(String),
    ResetUserToken,
    ChatCompletions,
    ListModels,
    NodeMetadata,
    ListJobs,
    RunningJobs,
    GetJob(String),
    CancelJob(String),
    /// `/ws`: the upgrade request of NodeTool's unified WebSocket.
    WebSocket,
    /// `key` is percent-decoded but not yet validated (the handler answers with the
    /// reference's messages).
    Storage {
        bucket: Bucket,
        key: String,
        op: StorageOp,
    },
}

impl Route {
    /// Whether the handler reads a request body (so the body is read, with its limit, only
    /// after auth and routing succeeded).
    pub fn takes_body(&self) -> bool {
        matches!(
            self,
            Route::CreateWorkflow
                | Route::PutWorkflow(_)
                | Route::RunWorkflow(_)
                | Route::PutSecret(_)
                | Route::ImportSecrets
                | Route::CreateAsset
                | Route::CreateCollection
                | Route::UpdateCollection(_)
                | Route::AddToCollection(_)
                | Route::QueryCollection(_)
                | Route::CreateUser
                | Route::ResetUserToken
                | Route::ChatCompletions
        )
    }
}

/// The pattern of the route `method` and `path` select, for logs and metrics (a bounded set
/// of labels: ids never appear); `None` when nothing matches.
pub fn pattern(method: &Method, path: &str) -> Option<&'static str> {
    route(method, path).ok().map(|r| r.pattern(path))
}

impl Route {
    /// The path pattern this route was matched by; `path` tells the two families apart.
    pub fn pattern(&self, path: &str) -> &'static str {
        let api = path.starts_with("/api/");
        let family = |api_form: &'static str, seed_form: &'static str| {
            if api { api_form } else { seed_form }
        };
        match self {
            Route::Health => "/health",
            Route::Ping => "/ping",
            Route::OpenApi => "/openapi.json",
            Route::DocsPage if path == "/" => "/",
            Route::DocsPage => "/docs",
            Route::DocsScript => "/docs/app.js",
            Route::DocsStyle => "/docs/app.css",
            Route::ListWorkflows | Route::CreateWorkflow => family("/api/workflows", "/workflows"),
            Route::GetWorkflow(_) | Route::PutWorkflow(_) | Route::DeleteWorkflow(_) => {
                family("/api/workflows/{id}", "/workflows/{id}")
            }
            Route::RunWorkflow(_) => family("/api/workflows/{id}/run", "/workflows/{id}/run"),
            Route::ListSecrets => "/api/settings/secrets",
            Route::GetSecret(_) | Route::PutSecret(_) | Route::DeleteSecret(_) => {
                "/api/settings/secrets/{key}"
            }
            Route::ImportSecrets => "/admin/secrets/import",
            Route::ListAssets | Route::CreateAsset => "/admin/assets",
            Route::GetAsset(_) | Route::DeleteAsset(_) => "/admin/assets/{id}",
            Route::CacheSize => "/admin/cache/size",
            Route::ListCollections | Route::CreateCollection => "/admin/collections",
            Route::GetCollection(_) | Route::UpdateCollection(_) | Route::DeleteCollection(_) => {
                "/admin/collections/{name}"
            }
            Route::AddToCollection(_) => "/admin/collections/{name}/add",
            Route::QueryCollection(_) => "/admin/collections/{name}/query",
            Route::ListUsers | Route::CreateUser => "/api/users",
            Route::GetUser(_) | Route::DeleteUser(_) => "/api/users/{username}",
            Route::ResetUserToken => "/api/users/reset-token",
            Route::ChatCompletions => "/v1/chat/completions",
            Route::ListModels => "/v1/models",
            Route::NodeMetadata => "/api/nodes/metadata",
            Route::ListJobs => "/api/jobs",
            Route::RunningJobs => "/api/jobs/running/all",
            Route::GetJob(_) => "/api/jobs/{id}",
            Route::CancelJob(_) => "/api/jobs/{id}/cancel",
            Route::WebSocket => "/ws",
            Route::Storage { .. } if path.starts_with("/admin/") => "/admin/storage/{bucket}/{key}",
            Route::Storage { .. } => "/storage/{bucket}/{key}",
        }
    }
}

/// Paths that need no auth, by exact match (as the reference's exempt set).
pub fn is_public_path(path: &str) -> bool {
    matches!(
        path,
        "/health" | "/ping" | "/" | "/docs" | "/docs/app.js" | "/docs/app.css"
    )
}

/// One percent-decoded path segment; `what` names it in the 400.
/// `id` as one path segment, which the router decodes back to `id` whatever it holds (`/`,
/// spaces, unicode): how a host names a client's id in a request of its own.
pub fn encode_segment(id: &str) -> String {
    percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn decode_segment(raw: &str, what: &str) -> Result<String, ApiError> {
    percent_decode_str(raw)
        .decode_utf8()
        .map(|id| id.into_owned())
        .map_err(|_| ApiError::BadRequest(format!("{what} is not valid UTF-8")))
}

/// `/admin/storage/{bucket}/{key...}` (read-write) and `/storage/{bucket}/{key...}` (read-only).
/// Keys may span segments (`{key:path}`), so they are matched on the raw path.
fn storage_route(method: &Method, path: &str) -> Option<Result<Route, ApiError>> {
    let (writable, rest) = match path.strip_prefix("/admin/storage/") {
        Some(rest) => (true, rest),
        None => (false, path.strip_prefix("/storage/")?),
    };
    let (bucket, raw_key) = rest.split_once('/').unwrap_or((rest, ""));
    let Some(bucket) = Bucket::parse(bucket) else {
        return Some(Err(ApiError::NotFound("Not Found".into())));
    };
    let key = match percent_decode_str(raw_key).decode_utf8() {
        Ok(k) => k.into_owned(),
        Err(_) => {
            return Some(Err(ApiError::BadRequest(
                "Invalid key: not valid UTF-8".into(),
            )));
        }
    };
    let op = match *method {
        Method::HEAD => StorageOp::Head,
        Method::GET => StorageOp::Get,
        Method::PUT if writable => StorageOp::Put,
        Method::DELETE if writable => StorageOp::Delete,
        _ if writable => {
            return Some(Err(ApiError::MethodNotAllowed {
                allow: "GET, HEAD, PUT, DELETE",
            }));
        }
        _ => return Some(Err(ApiError::MethodNotAllowed { allow: "GET, HEAD" })),
    };
    Some(Ok(Route::Storage { bucket, key, op }))
}

/// The route `method` selects among `choices`; otherwise 405 with `allow`, which lists the
/// same methods.
fn pick<const N: usize>(
    method: &Method,
    allow: &'static str,
    choices: [(Method, Route); N],
) -> Result<Route, ApiError> {
    // HEAD is served wherever GET is: the same answer without its body (RFC 9110 9.3.2).
    let wanted = if method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    choices
        .into_iter()
        .find(|(m, _)| m == wanted)
        .map(|(_, r)| r)
        .ok_or(ApiError::MethodNotAllowed { allow })
}

/// Matches method and path. Both path families are served alike: the seed's `/workflows...`
/// and NodeTool's `/api/workflows/...`; a trailing slash is accepted instead of redirected.
pub fn route(method: &Method, path: &str) -> Result<Route, ApiError> {
    use Method as M;
    if let Some(r) = storage_route(method, path) {
        return r;
    }
    let trimmed = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    let segments: Vec<&str> = trimmed.split('/').skip(1).collect();
    let m = method;

    match segments.as_slice() {
        ["health"] if path == "/health" => pick(
            m,
            "GET, HEAD",
            [(M::GET, Route::Health), (M::HEAD, Route::Health)],
        ),
        ["ping"] if path == "/ping" => pick(
            m,
            "GET, HEAD",
            [(M::GET, Route::Ping), (M::HEAD, Route::Ping)],
        ),
        [""] if path == "/" => pick(m, "GET, HEAD", [(M::GET, Route::DocsPage)]),
        ["docs"] if path == "/docs" => pick(m, "GET, HEAD", [(M::GET, Route::DocsPage)]),
        ["docs", "app.js"] if path == "/docs/app.js" => {
            pick(m, "GET, HEAD", [(M::GET, Route::DocsScript)])
        }
        ["docs", "app.css"] if path == "/docs/app.css" => {
            pick(m, "GET, HEAD", [(M::GET, Route::DocsStyle)])
        }
        ["openapi.json"] => pick(m, "GET, HEAD", [(M::GET, Route::OpenApi)]),
        ["workflows"] | ["api", "workflows"] => pick(
            m,
            "GET, HEAD, POST",
            [
                (M::GET, Route::ListWorkflows),
                (M::POST, Route::CreateWorkflow),
            ],
        ),
        ["workflows", id, "run"] | ["api", "workflows", id, "run"] if !id.is_empty() => {
            let id = decode_segment(id, "Workflow id")?;
            pick(m, "POST", [(M::POST, Route::RunWorkflow(id))])
        }
        ["workflows", id] | ["api", "workflows", id] if !id.is_empty() => {
            let id = decode_segment(id, "Workflow id")?;
            pick(
                m,
                "GET, HEAD, PUT, DELETE",
                [
                    (M::GET, Route::GetWorkflow(id.clone())),
                    (M::PUT, Route::PutWorkflow(id.clone())),
                    (M::DELETE, Route::DeleteWorkflow(id)),
                ],
            )
        }
        ["v1", "chat", "completions"] => pick(m, "POST", [(M::POST, Route::ChatCompletions)]),
        ["v1", "models"] => pick(m, "GET, HEAD", [(M::GET, Route::ListModels)]),
        ["api", "nodes", "metadata"] => pick(m, "GET, HEAD", [(M::GET, Route::NodeMetadata)]),
        ["api", "settings", "secrets"] => pick(m, "GET, HEAD", [(M::GET, Route::ListSecrets)]),
        ["api", "settings", "secrets", key] if !key.is_empty() => {
            let key = decode_segment(key, "Secret key")?;
            pick(
                m,
                "GET, HEAD, PUT, DELETE",
                [
                    (M::GET, Route::GetSecret(key.clone())),
                    (M::PUT, Route::PutSecret(key.clone())),
                    (M::DELETE, Route::DeleteSecret(key)),
                ],
            )
        }
        ["admin", "secrets", "import"] => pick(m, "POST", [(M::POST, Route::ImportSecrets)]),
        ["admin", "assets"] => pick(
            m,
            "GET, HEAD, POST",
            [(M::GET, Route::ListAssets), (M::POST, Route::CreateAsset)],
        ),
        ["admin", "assets", id] if !id.is_empty() => {
            let id = decode_segment(id, "Asset id")?;
            pick(
                m,
                "GET, HEAD, DELETE",
                [
                    (M::GET, Route::GetAsset(id.clone())),
                    (M::DELETE, Route::DeleteAsset(id)),
                ],
            )
        }
        ["admin", "cache", "size"] => pick(m, "GET, HEAD", [(M::GET, Route::CacheSize)]),
        ["admin", "collections"] => pick(
            m,
            "GET, HEAD, POST",
            [
                (M::GET, Route::ListCollections),
                (M::POST, Route::CreateCollection),
            ],
        ),
        ["admin", "collections", name] if !name.is_empty() => {
            let name = decode_segment(name, "Collection name")?;
            pick(
                m,
                "GET, HEAD, PUT, DELETE",
                [
                    (M::GET, Route::GetCollection(name.clone())),
                    (M::PUT, Route::UpdateCollection(name.clone())),
                    (M::DELETE, Route::DeleteCollection(name)),
                ],
            )
        }
        ["admin", "collections", name, "add"] if !name.is_empty() => {
            let name = decode_segment(name, "Collection name")?;
            pick(m, "POST", [(M::POST, Route::AddToCollection(name))])
        }
        ["admin", "collections", name, "query"] if !name.is_empty() => {
            let name = decode_segment(name, "Collection name")?;
            pick(m, "POST", [(M::POST, Route::QueryCollection(name))])
        }
        ["api", "users"] => pick(
            m,
            "GET, HEAD, POST",
            [(M::GET, Route::ListUsers), (M::POST, Route::CreateUser)],
        ),
        // NodeTool's route order: `reset-token` is matched before the username.
        ["api", "users", "reset-token"] if m == M::POST => Ok(Route::ResetUserToken),
        ["api", "users", name] if !name.is_empty() => {
            let name = decode_segment(name, "Username")?;
            pick(
                m,
                "GET, HEAD, DELETE",
                [
                    (M::GET, Route::GetUser(name.clone())),
                    (M::DELETE, Route::DeleteUser(name)),
                ],
            )
        }
        ["ws"] => pick(m, "GET", [(M::GET, Route::WebSocket)]),
        ["api", "jobs"] => pick(m, "GET, HEAD", [(M::GET, Route::ListJobs)]),
        // NodeTool's route order: `running/all` is matched before an id.
        ["api", "jobs", "running", "all"] => pick(m, "GET, HEAD", [(M::GET, Route::RunningJobs)]),
        ["api", "jobs", id] if !id.is_empty() => {
            let id = decode_segment(id, "Job id")?;
            pick(m, "GET, HEAD", [(M::GET, Route::GetJob(id))])
        }
        ["api", "jobs", id, "cancel"] if !id.is_empty() => {
            let id = decode_segment(id, "Job id")?;
            pick(m, "POST", [(M::POST, Route::CancelJob(id))])
        }
        _ => Err(ApiError::NotFound("Not Found".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_families_and_trailing_slashes() {
        for p in [
            "/workflows",
            "/workflows/",
            "/api/workflows",
            "/api/workflows/",
        ] {
            assert_eq!(route(&Method::GET, p), Ok(Route::ListWorkflows), "{p}");
        }
        assert_eq!(
            route(&Method::PUT, "/api/workflows/a%20b"),
            Ok(Route::PutWorkflow("a b".into()))
        );
        assert_eq!(
            route(&Method::POST, "/api/workflows/x/run/"),
            Ok(Route::RunWorkflow("x".into()))
        );
        assert!(matches!(
            route(&Method::GET, "/workflows/x/run"),
            Err(ApiError::MethodNotAllowed { allow: "POST" })
        ));
        assert_eq!(
            route(&Method::DELETE, "/workflows/x/"),
            Ok(Route::DeleteWorkflow("x".into()))
        );
    }

    #[test]
    fn patterns_name_the_route_and_never_an_id() {
        let m = Method::GET;
        assert_eq!(
            pattern(&m, "/api/workflows/abc"),
            Some("/api/workflows/{id}")
        );
        assert_eq!(pattern(&m, "/workflows/abc/"), Some("/workflows/{id}"));
        assert_eq!(
            pattern(&Method::POST, "/api/workflows/x/run"),
            Some("/api/workflows/{id}/run")
        );
        assert_eq!(
            pattern(&m, "/admin/storage/assets/a/b.png"),
            Some("/admin/storage/{bucket}/{key}")
        );
        assert_eq!(
            pattern(&m, "/storage/temp/x"),
            Some("/storage/{bucket}/{key}")
        );
        assert_eq!(pattern(&m, "/health"), Some("/health"));
        assert_eq!(pattern(&m, "/nope"), None);
        assert_eq!(pattern(&Method::PATCH, "/health"), None);
    }

    #[test]
    fn storage_keys_span_segments() {
        assert_eq!(
            route(&Method::PUT, "/admin/storage/assets/a/b%2Fc.png"),
            Ok(Route::Storage {
                bucket: Bucket::Assets,
                key: "a/b/c.png".into(),
                op: StorageOp::Put
            })
        );
        assert_eq!(
            route(&Method::GET, "/storage/temp/x"),
            Ok(Route::Storage {
                bucket: Bucket::Temp,
                key: "x".into(),
                op: StorageOp::Get
            })
        );
        assert!(matches!(
            route(&Method::PUT, "/storage/temp/x"),
            Err(ApiError::MethodNotAllowed { allow: "GET, HEAD" })
        ));
        assert!(matches!(
            route(&Method::GET, "/admin/storage/other/x"),
            Err(ApiError::NotFound(_))
        ));
    }

    #[test]
    fn admin_routes() {
        let r = |m: Method, p: &str| route(&m, p);
        assert_eq!(r(Method::GET, "/admin/assets/"), Ok(Route::ListAssets));
        assert_eq!(r(Method::POST, "/admin/assets"), Ok(Route::CreateAsset));
        assert_eq!(
            r(Method::DELETE, "/admin/assets/a1"),
            Ok(Route::DeleteAsset("a1".into()))
        );
        assert_eq!(r(Method::GET, "/admin/cache/size"), Ok(Route::CacheSize));
        assert_eq!(r(Method::GET, "/api/users/"), Ok(Route::ListUsers));
        assert_eq!(
            r(Method::POST, "/api/users/reset-token"),
            Ok(Route::ResetUserToken)
        );
        assert_eq!(
            r(Method::GET, "/api/users/reset-token"),
            Ok(Route::GetUser("reset-token".into()))
        );
        assert_eq!(
            r(Method::DELETE, "/api/users/a%40b"),
            Ok(Route::DeleteUser("a@b".into()))
        );
        assert_eq!(
            r(Method::POST, "/admin/collections/docs/query"),
            Ok(Route::QueryCollection("docs".into()))
        );
        assert_eq!(
            r(Method::PUT, "/admin/collections/docs/"),
            Ok(Route::UpdateCollection("docs".into()))
        );
        assert!(matches!(
            r(Method::GET, "/admin/collections/docs/add"),
            Err(ApiError::MethodNotAllowed { allow: "POST" })
        ));
        assert!(matches!(
            r(Method::GET, "/admin/collections/docs/other"),
            Err(ApiError::NotFound(_))
        ));
    }

    #[test]
    fn unknown_paths_and_methods() {
        assert_eq!(
            route(&Method::GET, "/nope"),
            Err(ApiError::NotFound("Not Found".into()))
        );
        assert_eq!(
            route(&Method::GET, "/api/workflows//"),
            Err(ApiError::NotFound("Not Found".into()))
        );
        assert_eq!(
            route(&Method::GET, "/health/"),
            Err(ApiError::NotFound("Not Found".into()))
        );
        assert!(matches!(
            route(&Method::POST, "/health"),
            Err(ApiError::MethodNotAllowed { .. })
        ));
        assert!(matches!(
            route(&Method::PATCH, "/workflows/x"),
            Err(ApiError::MethodNotAllowed { .. })
        ));
        assert!(matches!(
            route(&Method::GET, "/workflows/%ff"),
            Err(ApiError::BadRequest(_))
        ));
    }
}
