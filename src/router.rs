//! The route table: every path the server answers, in one place, top to bottom.

use http::Method;
use percent_encoding::percent_decode_str;

use crate::error::ApiError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Health,
    Ping,
    ListWorkflows,
    CreateWorkflow,
    GetWorkflow(String),
    PutWorkflow(String),
    DeleteWorkflow(String),
    RunWorkflow(String),
}

impl Route {
    /// Whether the handler reads a request body (so the body is read, with its limit, only
    /// after auth and routing succeeded).
    pub fn takes_body(&self) -> bool {
        matches!(
            self,
            Route::CreateWorkflow | Route::PutWorkflow(_) | Route::RunWorkflow(_)
        )
    }
}

/// Paths that need no auth, by exact match (as the reference's exempt set).
pub fn is_public_path(path: &str) -> bool {
    path == "/health" || path == "/ping"
}

fn decode_id(raw: &str) -> Result<String, ApiError> {
    percent_decode_str(raw)
        .decode_utf8()
        .map(|id| id.into_owned())
        .map_err(|_| ApiError::BadRequest("Workflow id is not valid UTF-8".into()))
}

/// Matches method and path. Both path families are served alike: the seed's `/workflows...`
/// and NodeTool's `/api/workflows/...`; a trailing slash is accepted instead of redirected.
pub fn route(method: &Method, path: &str) -> Result<Route, ApiError> {
    let trimmed = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    let segments: Vec<&str> = trimmed.split('/').skip(1).collect();
    let is = |m: &Method| method == m;

    match segments.as_slice() {
        ["health"] if path == "/health" => match () {
            _ if is(&Method::GET) || is(&Method::HEAD) => Ok(Route::Health),
            _ => Err(ApiError::MethodNotAllowed { allow: "GET, HEAD" }),
        },
        ["ping"] if path == "/ping" => match () {
            _ if is(&Method::GET) || is(&Method::HEAD) => Ok(Route::Ping),
            _ => Err(ApiError::MethodNotAllowed { allow: "GET, HEAD" }),
        },
        ["workflows"] | ["api", "workflows"] => match () {
            _ if is(&Method::GET) => Ok(Route::ListWorkflows),
            _ if is(&Method::POST) => Ok(Route::CreateWorkflow),
            _ => Err(ApiError::MethodNotAllowed { allow: "GET, POST" }),
        },
        ["workflows", id, "run"] | ["api", "workflows", id, "run"] if !id.is_empty() => {
            let id = decode_id(id)?;
            match () {
                _ if is(&Method::POST) => Ok(Route::RunWorkflow(id)),
                _ => Err(ApiError::MethodNotAllowed { allow: "POST" }),
            }
        }
        ["workflows", id] | ["api", "workflows", id] if !id.is_empty() => {
            let id = decode_id(id)?;
            match () {
                _ if is(&Method::GET) => Ok(Route::GetWorkflow(id)),
                _ if is(&Method::PUT) => Ok(Route::PutWorkflow(id)),
                _ if is(&Method::DELETE) => Ok(Route::DeleteWorkflow(id)),
                _ => Err(ApiError::MethodNotAllowed {
                    allow: "GET, PUT, DELETE",
                }),
            }
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
