//! `/openapi.json`: the API as an OpenAPI 3.1 document, built from [`ROUTES`], the one table
//! of every route with its methods, access, bodies and statuses. A unit test holds the table
//! and the router to each other both ways, so neither can gain a route the other lacks.

use serde_json::{Map, Value, json};

use crate::config::Config;

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No credentials, under every provider.
    Public,
    /// A bearer token when the provider enforces auth.
    User,
    /// An admin (and `X-Admin-Token` when `ADMIN_TOKEN` is set).
    Admin,
}

/// What a request or an answer carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload {
    /// JSON of a schema in `components.schemas`.
    Json(&'static str),
    /// Raw bytes (stored objects).
    Bytes,
    /// A page or a file of the docs page.
    Text(&'static str),
    /// JSON, or with `?stream=true` (runs) or `"stream": true` (chat) a stream of this type.
    JsonOrStream(&'static str, &'static str),
    /// Nothing (204, HEAD).
    Empty,
}

/// One operation: a method on one or more paths (the seed's and NodeTool's families).
#[derive(Debug, Clone, Copy)]
pub struct Op {
    pub method: &'static str,
    pub paths: &'static [&'static str],
    pub summary: &'static str,
    pub access: Access,
    pub body: Option<Payload>,
    pub ok: (u16, Payload),
    /// Statuses this operation answers on purpose besides auth's, each with a `detail`.
    pub errors: &'static [u16],
}

const WORKFLOWS: &[&str] = &["/workflows", "/api/workflows"];
const WORKFLOW: &[&str] = &["/workflows/{id}", "/api/workflows/{id}"];
const RUN: &[&str] = &["/workflows/{id}/run", "/api/workflows/{id}/run"];
const ID_BODY_ERRORS: &[u16] = &[400, 404, 413, 415, 422];
/// Creating something a per-user quota counts: 403 names the quota.
const QUOTA_BODY_ERRORS: &[u16] = &[400, 403, 413, 415, 422];
const STORAGE_READ: &[u16] = &[304, 400, 404, 416];

const fn op(
    method: &'static str,
    paths: &'static [&'static str],
    summary: &'static str,
    access: Access,
    ok: (u16, Payload),
) -> Op {
    Op {
        method,
        paths,
        summary,
        access,
        body: None,
        ok,
        errors: &[],
    }
}

const fn with_body(mut o: Op, body: Payload, errors: &'static [u16]) -> Op {
    o.body = Some(body);
    o.errors = errors;
    o
}

const fn with_errors(mut o: Op, errors: &'static [u16]) -> Op {
    o.errors = errors;
    o
}

use Access::{Admin, Public, User};
use Payload::{Bytes, Empty, Json, JsonOrStream, Text};

/// Every route. HEAD is served wherever GET is and is not listed separately.
pub const ROUTES: &[Op] = &[
    op(
        "get",
        &["/"],
        "This page: the API, the server's mode, how to call it",
        Public,
        (200, Text("text/html")),
    ),
    op(
        "get",
        &["/docs"],
        "The same page",
        Public,
        (200, Text("text/html")),
    ),
    op(
        "get",
        &["/docs/app.js"],
        "The page's script",
        Public,
        (200, Text("text/javascript")),
    ),
    op(
        "get",
        &["/docs/app.css"],
        "The page's style",
        Public,
        (200, Text("text/css")),
    ),
    op(
        "get",
        &["/health"],
        "Liveness, as NodeTool: \"OK\"",
        Public,
        (200, Json("Health")),
    ),
    op(
        "get",
        &["/ping"],
        "Liveness with the time",
        Public,
        (200, Json("Ping")),
    ),
    op(
        "get",
        &["/openapi.json"],
        "This document",
        User,
        (200, Json("OpenApi")),
    ),
    with_errors(
        op(
            "get",
            WORKFLOWS,
            "The caller's workflows, newest first",
            User,
            (200, Json("WorkflowList")),
        ),
        &[400],
    ),
    with_body(
        op(
            "post",
            WORKFLOWS,
            "Create a workflow",
            User,
            (200, Json("Workflow")),
        ),
        Json("WorkflowIn"),
        QUOTA_BODY_ERRORS,
    ),
    with_errors(
        op(
            "get",
            WORKFLOW,
            "One workflow",
            User,
            (200, Json("Workflow")),
        ),
        &[400, 404],
    ),
    with_body(
        op(
            "put",
            WORKFLOW,
            "Create or replace a workflow",
            User,
            (200, Json("Workflow")),
        ),
        Json("WorkflowIn"),
        &[400, 403, 404, 413, 415, 422],
    ),
    with_errors(
        op(
            "delete",
            WORKFLOW,
            "Delete a workflow (null, as NodeTool)",
            User,
            (200, Json("Null")),
        ),
        &[400, 404],
    ),
    with_body(
        op(
            "post",
            RUN,
            "Run a workflow: its outputs, or NDJSON messages with ?stream=true",
            User,
            (200, JsonOrStream("RunResult", "application/x-ndjson")),
        ),
        Json("RunIn"),
        ID_BODY_ERRORS,
    ),
    with_body(
        op(
            "post",
            &["/v1/chat/completions"],
            "OpenAI-compatible chat, proxied to the model's provider",
            User,
            (200, JsonOrStream("ChatCompletion", "text/event-stream")),
        ),
        Json("ChatIn"),
        &[400, 413, 415, 422, 502, 504],
    ),
    with_errors(
        op(
            "get",
            &["/v1/models"],
            "The providers' models",
            User,
            (200, Json("ModelList")),
        ),
        &[502, 504],
    ),
    op(
        "get",
        &["/api/nodes/metadata"],
        "The node types this server runs",
        User,
        (200, Json("NodeMetadataList")),
    ),
    op(
        "get",
        &["/api/jobs"],
        "The caller's jobs (runs started over /ws), newest first",
        User,
        (200, Json("JobList")),
    ),
    op(
        "get",
        &["/api/jobs/running/all"],
        "The caller's jobs still running",
        User,
        (200, Json("BackgroundJobList")),
    ),
    with_errors(
        op(
            "get",
            &["/api/jobs/{id}"],
            "One of the caller's jobs",
            User,
            (200, Json("Job")),
        ),
        &[404],
    ),
    with_errors(
        op(
            "post",
            &["/api/jobs/{id}/cancel"],
            "Cancel one of the caller's jobs: a running one stops at once",
            User,
            (200, Json("BackgroundJob")),
        ),
        &[404],
    ),
    with_errors(
        op(
            "get",
            &["/ws"],
            "NodeTool's unified WebSocket (upgrade; ?api_key= for browsers); 501 where the host cannot hold one",
            User,
            (101, Text("application/octet-stream")),
        ),
        &[403, 426, 501],
    ),
    with_errors(
        op(
            "get",
            &["/api/settings/secrets"],
            "The caller's secrets, never their values",
            User,
            (200, Json("SecretList")),
        ),
        &[400],
    ),
    with_errors(
        op(
            "get",
            &["/api/settings/secrets/{key}"],
            "One secret; its value with ?decrypt=true",
            User,
            (200, Json("Secret")),
        ),
        &[400, 404, 503],
    ),
    with_body(
        op(
            "put",
            &["/api/settings/secrets/{key}"],
            "Store a secret, encrypted",
            User,
            (200, Json("Secret")),
        ),
        Json("SecretIn"),
        &[400, 404, 413, 415, 422, 503],
    ),
    with_errors(
        op(
            "delete",
            &["/api/settings/secrets/{key}"],
            "Delete a secret",
            User,
            (200, Json("Message")),
        ),
        &[400, 404],
    ),
    with_body(
        op(
            "post",
            &["/admin/secrets/import"],
            "Import NodeTool's exported secrets, all or nothing",
            Admin,
            (200, Json("Imported")),
        ),
        Json("SecretImport"),
        &[400, 413, 415, 422, 503],
    ),
    with_errors(
        op(
            "get",
            &["/admin/assets"],
            "Assets",
            Admin,
            (200, Json("AssetList")),
        ),
        &[400],
    ),
    with_body(
        op(
            "post",
            &["/admin/assets"],
            "Create an asset",
            Admin,
            (200, Json("Asset")),
        ),
        Json("AssetIn"),
        &[400, 403, 409, 413, 415, 422],
    ),
    with_errors(
        op(
            "get",
            &["/admin/assets/{id}"],
            "One asset",
            Admin,
            (200, Json("Asset")),
        ),
        &[400, 404],
    ),
    with_errors(
        op(
            "delete",
            &["/admin/assets/{id}"],
            "Delete an asset (a folder with what it holds)",
            Admin,
            (200, Json("Deleted")),
        ),
        &[400, 404, 422],
    ),
    with_errors(
        op(
            "get",
            &["/admin/cache/size"],
            "Size of the model cache",
            Admin,
            (200, Json("CacheSize")),
        ),
        &[400],
    ),
    op(
        "get",
        &["/admin/collections"],
        "Collections",
        Admin,
        (200, Json("CollectionList")),
    ),
    with_body(
        op(
            "post",
            &["/admin/collections"],
            "Create a collection",
            Admin,
            (200, Json("Collection")),
        ),
        Json("CollectionIn"),
        &[400, 403, 409, 413, 415, 422],
    ),
    with_errors(
        op(
            "get",
            &["/admin/collections/{name}"],
            "One collection",
            Admin,
            (200, Json("Collection")),
        ),
        &[400, 404],
    ),
    with_body(
        op(
            "put",
            &["/admin/collections/{name}"],
            "Rename or change a collection",
            Admin,
            (200, Json("Collection")),
        ),
        Json("CollectionUpdate"),
        &[400, 404, 409, 413, 415, 422],
    ),
    with_errors(
        op(
            "delete",
            &["/admin/collections/{name}"],
            "Delete a collection",
            Admin,
            (200, Json("Message")),
        ),
        &[400, 404],
    ),
    with_body(
        op(
            "post",
            &["/admin/collections/{name}/add"],
            "Add documents with their embeddings",
            Admin,
            (200, Json("Message")),
        ),
        Json("CollectionAdd"),
        ID_BODY_ERRORS,
    ),
    with_body(
        op(
            "post",
            &["/admin/collections/{name}/query"],
            "Nearest documents by cosine similarity",
            Admin,
            (200, Json("QueryResult")),
        ),
        Json("CollectionQuery"),
        ID_BODY_ERRORS,
    ),
    with_errors(
        op(
            "get",
            &["/api/users"],
            "Users (multi_user)",
            Admin,
            (200, Json("UserList")),
        ),
        &[501],
    ),
    with_body(
        op(
            "post",
            &["/api/users"],
            "Add a user; the token is shown once",
            Admin,
            (200, Json("User")),
        ),
        Json("UserIn"),
        &[400, 409, 413, 415, 422, 501],
    ),
    with_body(
        op(
            "post",
            &["/api/users/reset-token"],
            "Give a user a new token",
            Admin,
            (200, Json("User")),
        ),
        Json("UserIn"),
        &[400, 404, 413, 415, 422, 501],
    ),
    with_errors(
        op(
            "get",
            &["/api/users/{username}"],
            "One user",
            Admin,
            (200, Json("User")),
        ),
        &[400, 404, 501],
    ),
    with_errors(
        op(
            "delete",
            &["/api/users/{username}"],
            "Remove a user (their data stays)",
            Admin,
            (200, Json("Message")),
        ),
        &[400, 404, 501],
    ),
    with_errors(
        op(
            "get",
            &["/admin/storage/{bucket}/{key}"],
            "A stored object (ranges, If-Modified-Since)",
            Admin,
            (200, Bytes),
        ),
        STORAGE_READ,
    ),
    with_body(
        op(
            "put",
            &["/admin/storage/{bucket}/{key}"],
            "Store an object, streamed",
            Admin,
            (200, Empty),
        ),
        Bytes,
        &[400, 413],
    ),
    with_errors(
        op(
            "delete",
            &["/admin/storage/{bucket}/{key}"],
            "Delete a stored object",
            Admin,
            (204, Empty),
        ),
        &[400, 404],
    ),
    with_errors(
        op(
            "get",
            &["/storage/{bucket}/{key}"],
            "A stored object, read-only",
            User,
            (200, Bytes),
        ),
        STORAGE_READ,
    ),
];

/// Every schema the table names: loose where NodeTool's shapes vary, exact where they do not.
fn schemas() -> Value {
    let object = |required: &[&str]| json!({"type": "object", "required": required});
    let list_of = |field: &str, item: &str, more: &[&str]| {
        let mut required = vec![field];
        required.extend_from_slice(more);
        json!({
            "type": "object",
            "required": required,
            "properties": {field: {"type": "array", "items": {"$ref": format!("#/components/schemas/{item}")}}},
        })
    };
    json!({
        "Error": {
            "type": "object",
            "required": ["detail"],
            "description": "Every refusal: a `detail` (a text, or FastAPI's list), and for a 422 of a body its `errors`.",
        },
        "Health": {"type": "string", "const": "OK"},
        "Ping": {
            "type": "object",
            "required": ["status", "timestamp"],
            "properties": {"status": {"type": "string", "const": "healthy"}, "timestamp": {"type": "string"}},
        },
        "OpenApi": object(&["openapi", "info", "paths"]),
        "Message": object(&["message"]),
        "Null": {"type": "null"},
        "Graph": {
            "type": "object",
            "properties": {
                "nodes": {"type": "array", "items": {"type": "object", "required": ["id", "type"]}},
                "edges": {"type": "array", "items": {"type": "object"}},
            },
        },
        "WorkflowIn": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string"},
                "access": {"type": "string", "enum": ["private", "public"]},
                "description": {"type": "string"},
                "graph": {"$ref": "#/components/schemas/Graph"},
            },
        },
        "Workflow": {
            "type": "object",
            "required": ["id", "name", "access", "graph", "created_at", "updated_at"],
            "properties": {
                "id": {"type": "string"},
                "name": {"type": "string"},
                "graph": {"$ref": "#/components/schemas/Graph"},
                "input_schema": {"type": ["object", "null"]},
                "output_schema": {"type": ["object", "null"]},
            },
        },
        "WorkflowList": list_of("workflows", "Workflow", &["next"]),
        "RunIn": {"type": "object", "properties": {"params": {"type": "object"}}},
        "RunResult": {"type": "object", "description": "Each output node's value by its name."},
        "ChatIn": {
            "type": "object",
            "required": ["model", "messages"],
            "properties": {
                "model": {"type": "string"},
                "messages": {"type": "array", "items": {"type": "object"}},
                "stream": {"type": "boolean"},
            },
        },
        "ChatCompletion": object(&["object", "choices"]),
        "ModelList": list_of("data", "Model", &["object"]),
        "Model": object(&["id", "object"]),
        "JobList": list_of("jobs", "Job", &["next_start_key"]),
        "Job": object(&["id", "user_id", "job_type", "status", "workflow_id", "started_at"]),
        "BackgroundJobList": {"type": "array", "items": {"$ref": "#/components/schemas/BackgroundJob"}},
        "BackgroundJob": object(&["job_id", "status", "workflow_id", "is_running", "is_completed"]),
        "NodeMetadataList": {"type": "array", "items": object(&["node_type", "namespace", "properties", "outputs"])},
        "SecretIn": {
            "type": "object",
            "required": ["value"],
            "properties": {"value": {"type": "string"}, "description": {"type": ["string", "null"]}},
        },
        "Secret": object(&["key"]),
        "SecretList": list_of("secrets", "Secret", &["next_key"]),
        "SecretImport": {"type": "array", "items": {"type": "object"}},
        "Imported": object(&["imported"]),
        "AssetIn": {
            "type": "object",
            "required": ["name", "content_type"],
            "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "content_type": {"type": "string"}},
        },
        "Asset": object(&["id", "name", "content_type"]),
        "AssetList": list_of("assets", "Asset", &["next"]),
        "Deleted": object(&["deleted_asset_ids"]),
        "CacheSize": {"type": "object"},
        "CollectionIn": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string"}, "embedding_model": {"type": "string"}},
        },
        "CollectionUpdate": {"type": "object"},
        "Collection": object(&["name"]),
        "CollectionList": list_of("collections", "Collection", &["count"]),
        "CollectionAdd": {
            "type": "object",
            "required": ["ids", "documents"],
            "properties": {
                "ids": {"type": "array", "items": {"type": "string"}},
                "documents": {"type": "array", "items": {"type": "string"}},
            },
        },
        "CollectionQuery": {"type": "object"},
        "QueryResult": {"type": "object"},
        "UserIn": {
            "type": "object",
            "required": ["username"],
            "properties": {"username": {"type": "string"}, "role": {"type": "string", "enum": ["admin", "user"]}},
        },
        "User": object(&["username"]),
        "UserList": list_of("users", "User", &[]),
    })
}

fn content(payload: Payload) -> Option<Value> {
    let schema_ref = |name: &str| json!({"$ref": format!("#/components/schemas/{name}")});
    match payload {
        Json(name) => Some(json!({"application/json": {"schema": schema_ref(name)}})),
        Bytes => Some(
            json!({"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}),
        ),
        Text(kind) => Some(json!({kind: {"schema": {"type": "string"}}})),
        JsonOrStream(name, stream) => Some(json!({
            "application/json": {"schema": schema_ref(name)},
            stream: {"schema": {"type": "string"}},
        })),
        Empty => None,
    }
}

fn parameters(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| {
            let schema = if name == "bucket" {
                json!({"type": "string", "enum": ["assets", "temp"]})
            } else {
                json!({"type": "string", "minLength": 1})
            };
            json!({"name": name, "in": "path", "required": true, "schema": schema})
        })
        .collect()
}

/// A short description of `status` for the document.
fn reason(status: u16) -> &'static str {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error")
}

/// The document for this server: its mode and provider in `info`, and the security each
/// operation needs under them.
pub fn document(config: &Config) -> Value {
    let enforced = config.auth_provider.enforces_auth();
    let admin_token = config.admin_token.is_some();
    let error = json!({"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}});
    let mut paths = Map::new();
    for o in ROUTES {
        let mut responses = Map::new();
        let mut ok = json!({"description": reason(o.ok.0)});
        if let Some(c) = content(o.ok.1) {
            ok["content"] = c;
        }
        responses.insert(o.ok.0.to_string(), ok);
        let mut statuses: Vec<u16> = o.errors.to_vec();
        if o.access != Public && enforced {
            statuses.push(401);
        }
        if o.access == Admin {
            statuses.push(403);
        }
        if o.access != Public && !statuses.contains(&429) {
            statuses.push(429);
        }
        for s in statuses {
            let mut r = json!({"description": reason(s)});
            // 304 carries no body.
            if s != 304 {
                r["content"] = error.clone();
            }
            responses.insert(s.to_string(), r);
        }
        responses.insert(
            "default".into(),
            json!({"description": "A refusal with its reason", "content": error}),
        );
        let mut security: Vec<Value> = Vec::new();
        if o.access != Public && enforced {
            let mut needs = json!({"bearer": []});
            if o.access == Admin && admin_token {
                needs["adminToken"] = json!([]);
            }
            security.push(needs);
        } else if o.access == Admin && admin_token {
            security.push(json!({"adminToken": []}));
        }
        for path in o.paths {
            let mut operation = json!({
                "summary": o.summary,
                "operationId": format!("{}{}", o.method, path.replace(['/', '{', '}', '.'], "_")),
                "responses": responses,
                "security": security,
            });
            let params = parameters(path);
            if !params.is_empty() {
                operation["parameters"] = Value::Array(params);
            }
            if let Some(body) = o.body.and_then(content) {
                operation["requestBody"] = json!({"required": true, "content": body});
            }
            let entry = paths
                .entry(path.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            entry[o.method] = operation;
        }
    }
    let mode = format!("{:?}", config.mode).to_ascii_lowercase();
    let provider = config.auth_provider.as_str();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "nodetool-edge",
            "version": env!("CARGO_PKG_VERSION"),
            "description": format!(
                "NodeTool's deployment server API. Server mode: {mode}; auth provider: {provider}{}.",
                if enforced { " (send Authorization: Bearer <token>)" } else { " (no token needed)" }
            ),
        },
        "x-nodetool-edge": {
            "mode": mode,
            "auth_provider": provider,
            "auth_enforced": enforced,
            "admin_token": admin_token,
        },
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "adminToken": {"type": "apiKey", "in": "header", "name": "X-Admin-Token"},
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::router::{self, Route};
    use http::Method;

    /// A concrete path for a pattern.
    fn sample(pattern: &str) -> String {
        pattern
            .replace("{bucket}", "assets")
            .replace("{key}", "k")
            .replace("{id}", "x")
            .replace("{name}", "c")
            .replace("{username}", "alice")
    }

    #[test]
    fn every_documented_operation_is_routed_to_a_route_of_its_pattern() {
        for o in ROUTES {
            for path in o.paths {
                let method = Method::from_bytes(o.method.to_ascii_uppercase().as_bytes()).unwrap();
                let concrete = sample(path);
                let route = router::route(&method, &concrete)
                    .unwrap_or_else(|e| panic!("{} {path}: {e:?}", o.method));
                let routed = route.pattern(&concrete);
                let documented = match route {
                    Route::Storage { .. } => {
                        path.starts_with("/admin/storage") == routed.starts_with("/admin/storage")
                    }
                    _ => routed == *path,
                };
                assert!(documented, "{} {path} routes to {routed}", o.method);
                assert_eq!(
                    router::is_public_path(&concrete),
                    o.access == Access::Public,
                    "{path}"
                );
            }
        }
    }

    #[test]
    fn every_routed_method_and_path_is_documented() {
        // Each route the router knows, by one request that reaches it.
        let known = [
            ("GET", "/"),
            ("GET", "/docs"),
            ("GET", "/docs/app.js"),
            ("GET", "/docs/app.css"),
            ("GET", "/health"),
            ("GET", "/ping"),
            ("GET", "/openapi.json"),
            ("GET", "/workflows"),
            ("POST", "/workflows"),
            ("GET", "/api/workflows"),
            ("POST", "/api/workflows"),
            ("GET", "/workflows/x"),
            ("PUT", "/workflows/x"),
            ("DELETE", "/workflows/x"),
            ("GET", "/api/workflows/x"),
            ("PUT", "/api/workflows/x"),
            ("DELETE", "/api/workflows/x"),
            ("POST", "/workflows/x/run"),
            ("POST", "/api/workflows/x/run"),
            ("POST", "/v1/chat/completions"),
            ("GET", "/v1/models"),
            ("GET", "/api/nodes/metadata"),
            ("GET", "/api/settings/secrets"),
            ("GET", "/api/settings/secrets/k"),
            ("PUT", "/api/settings/secrets/k"),
            ("DELETE", "/api/settings/secrets/k"),
            ("POST", "/admin/secrets/import"),
            ("GET", "/admin/assets"),
            ("POST", "/admin/assets"),
            ("GET", "/admin/assets/x"),
            ("DELETE", "/admin/assets/x"),
            ("GET", "/admin/cache/size"),
            ("GET", "/admin/collections"),
            ("POST", "/admin/collections"),
            ("GET", "/admin/collections/c"),
            ("PUT", "/admin/collections/c"),
            ("DELETE", "/admin/collections/c"),
            ("POST", "/admin/collections/c/add"),
            ("POST", "/admin/collections/c/query"),
            ("GET", "/api/users"),
            ("POST", "/api/users"),
            ("POST", "/api/users/reset-token"),
            ("GET", "/api/jobs"),
            ("GET", "/api/jobs/running/all"),
            ("GET", "/api/jobs/x"),
            ("POST", "/api/jobs/x/cancel"),
            ("GET", "/ws"),
            ("GET", "/api/users/alice"),
            ("DELETE", "/api/users/alice"),
            ("GET", "/admin/storage/assets/k"),
            ("PUT", "/admin/storage/assets/k"),
            ("DELETE", "/admin/storage/assets/k"),
            ("GET", "/storage/assets/k"),
        ];
        for (method, path) in known {
            let m = Method::from_bytes(method.as_bytes()).unwrap();
            let pattern = router::route(&m, path).unwrap().pattern(path);
            let documented = ROUTES.iter().any(|o| {
                o.method.eq_ignore_ascii_case(method)
                    && o.paths.iter().any(|p| sample(p) == path || *p == pattern)
            });
            assert!(documented, "{method} {path} ({pattern}) is not in ROUTES");
        }
        // And nothing else routes: every other method on these paths is 405 or 404.
        assert_eq!(
            known.len(),
            ROUTES.iter().map(|o| o.paths.len()).sum::<usize>()
        );
    }

    #[test]
    fn the_document_names_mode_provider_and_security() {
        let config = Config::from_lookup(|name| match name {
            "NODETOOL_SERVER_MODE" => Some("private".into()),
            "AUTH_PROVIDER" => Some("static".into()),
            "ADMIN_TOKEN" => Some("admin-token-0123456789-0123456789ab".into()),
            _ => None,
        })
        .unwrap();
        let doc = document(&config);
        assert_eq!(doc["openapi"], "3.1.0");
        assert_eq!(doc["x-nodetool-edge"]["auth_provider"], "static");
        assert!(!doc.to_string().contains("admin-token-0123456789"));
        assert_eq!(doc["paths"]["/health"]["get"]["security"], json!([]));
        assert_eq!(
            doc["paths"]["/api/workflows"]["get"]["security"],
            json!([{"bearer": []}])
        );
        assert_eq!(
            doc["paths"]["/admin/assets"]["get"]["security"],
            json!([{"bearer": [], "adminToken": []}])
        );
        assert!(doc["paths"]["/api/workflows"]["get"]["responses"]["401"].is_object());
        assert!(doc["paths"]["/workflows/{id}/run"]["post"]["requestBody"].is_object());
        let local = Config::from_lookup(|_| None).unwrap();
        let doc = document(&local);
        assert_eq!(doc["paths"]["/api/workflows"]["get"]["security"], json!([]));
        assert!(doc["paths"]["/api/workflows"]["get"]["responses"]["401"].is_null());
    }
}
