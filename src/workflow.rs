//! NodeTool's Workflow JSON (reference 4.2): the request a client sends, the record we keep,
//! and the response shape.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::http::error::{ApiError, FieldError};

/// Longest workflow id we accept from a client (`PUT /api/workflows/{id}` takes any string).
pub const MAX_ID_LEN: usize = 128;

/// Format tag of stored workflow records, so the record can evolve.
pub const RECORD_FORMAT: u32 = 1;

/// What is kept in the key-value store.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WorkflowRecord {
    pub format: u32,
    pub id: String,
    pub user_id: String,
    pub access: String,
    pub created_at: String,
    pub updated_at: String,
    pub name: String,
    pub tool_name: Option<String>,
    pub tags: Vec<String>,
    pub description: String,
    pub package_name: String,
    pub path: Option<String>,
    pub thumbnail: Option<String>,
    pub thumbnail_url: Option<String>,
    pub graph: Value,
    pub settings: Map<String, Value>,
    pub run_mode: Option<String>,
    pub workspace_id: Option<String>,
    pub html_app: Option<String>,
}

/// A validated `WorkflowRequest` (reference 4.2.1). Unknown fields are ignored, so a whole
/// `Workflow` object (what `nodetool deploy workflows sync` PUTs) is accepted too.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowInput {
    pub name: String,
    pub access: String,
    pub tool_name: Option<String>,
    pub tags: Vec<String>,
    pub description: String,
    pub package_name: String,
    pub path: Option<String>,
    pub thumbnail: Option<String>,
    pub thumbnail_url: Option<String>,
    pub graph: Value,
    pub settings: Map<String, Value>,
    pub run_mode: Option<String>,
    pub workspace_id: Option<String>,
    pub html_app: Option<String>,
}

pub fn validate_id(id: &str) -> Result<(), ApiError> {
    if id.is_empty() || id.len() > MAX_ID_LEN || id.chars().any(|c| c.is_control()) {
        return Err(ApiError::BadRequest(format!(
            "Invalid workflow id: 1 to {MAX_ID_LEN} characters, no control characters"
        )));
    }
    Ok(())
}

fn field(name: &str, msg: &str, kind: &'static str) -> FieldError {
    FieldError {
        loc: vec!["body".into(), name.into()],
        msg: msg.into(),
        kind,
    }
}

fn opt_string(
    obj: &Map<String, Value>,
    name: &str,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    match obj.get(name) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            errors.push(field(name, "Input should be a valid string", "string_type"));
            None
        }
    }
}

impl WorkflowInput {
    /// Parses and validates a request body, collecting every field error at once.
    pub fn parse(body: &[u8]) -> Result<WorkflowInput, ApiError> {
        let obj = crate::http::body::json_object(body)?;
        let mut errors = Vec::new();

        let name = match obj.get("name") {
            None => {
                errors.push(field("name", "Field required", "missing"));
                String::new()
            }
            Some(_) => opt_string(&obj, "name", &mut errors).unwrap_or_default(),
        };
        let access = match obj.get("access") {
            None => {
                errors.push(field("access", "Field required", "missing"));
                String::new()
            }
            Some(Value::String(a)) if a == "private" || a == "public" => a.clone(),
            Some(_) => {
                errors.push(field(
                    "access",
                    "Input should be 'private' or 'public'",
                    "enum",
                ));
                String::new()
            }
        };
        let tags = match obj.get("tags") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) if items.iter().all(Value::is_string) => items
                .iter()
                .filter_map(|t| t.as_str().map(str::to_string))
                .collect(),
            Some(_) => {
                errors.push(field(
                    "tags",
                    "Input should be a list of strings",
                    "list_type",
                ));
                Vec::new()
            }
        };
        let settings = match obj.get("settings") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) if m.values().all(|v| !v.is_array() && !v.is_object()) => {
                m.clone()
            }
            Some(_) => {
                errors.push(field(
                    "settings",
                    "Input should be an object of strings, numbers, booleans or null",
                    "dict_type",
                ));
                Map::new()
            }
        };
        let graph = match obj.get("graph") {
            None | Some(Value::Null) => Value::Null,
            Some(g @ Value::Object(m))
                if m.get("nodes").is_none_or(Value::is_array)
                    && m.get("edges").is_none_or(Value::is_array) =>
            {
                let mut g = g.clone();
                for key in ["nodes", "edges"] {
                    g.as_object_mut()
                        .map(|m| m.entry(key).or_insert_with(|| json!([])));
                }
                g
            }
            Some(_) => {
                errors.push(field(
                    "graph",
                    "Input should be an object with 'nodes' and 'edges' lists",
                    "model_type",
                ));
                Value::Null
            }
        };
        let input = WorkflowInput {
            tool_name: opt_string(&obj, "tool_name", &mut errors),
            description: opt_string(&obj, "description", &mut errors).unwrap_or_default(),
            package_name: opt_string(&obj, "package_name", &mut errors).unwrap_or_default(),
            path: opt_string(&obj, "path", &mut errors),
            thumbnail: opt_string(&obj, "thumbnail", &mut errors),
            thumbnail_url: opt_string(&obj, "thumbnail_url", &mut errors),
            run_mode: opt_string(&obj, "run_mode", &mut errors),
            workspace_id: opt_string(&obj, "workspace_id", &mut errors),
            html_app: opt_string(&obj, "html_app", &mut errors),
            name,
            access,
            tags,
            settings,
            graph,
        };
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        if input.graph.is_null() {
            // The reference's answer when neither `graph` nor a ComfyUI graph is given; we do
            // not convert ComfyUI graphs.
            return Err(ApiError::BadRequest("Invalid workflow".into()));
        }
        Ok(input)
    }

    pub fn into_record(
        self,
        id: String,
        user_id: String,
        created_at: String,
        now: String,
    ) -> WorkflowRecord {
        let mut graph = self.graph;
        remove_connected_slots(&mut graph);
        WorkflowRecord {
            format: RECORD_FORMAT,
            id,
            user_id,
            access: self.access,
            created_at,
            updated_at: now,
            name: self.name,
            tool_name: self.tool_name,
            tags: self.tags,
            description: self.description,
            package_name: self.package_name,
            path: self.path,
            thumbnail: self.thumbnail,
            thumbnail_url: self.thumbnail_url,
            graph,
            settings: self.settings,
            run_mode: self.run_mode,
            workspace_id: self.workspace_id,
            html_app: self.html_app,
        }
    }
}

/// A property fed by an edge has no stored value of its own (reference 4.2.1).
pub fn remove_connected_slots(graph: &mut Value) {
    let targets: Vec<(String, String)> = graph["edges"]
        .as_array()
        .map(|edges| {
            edges
                .iter()
                .filter_map(|e| {
                    Some((
                        e.get("target")?.as_str()?.to_string(),
                        e.get("targetHandle")?.as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let Some(nodes) = graph.get_mut("nodes").and_then(Value::as_array_mut) else {
        return;
    };
    for node in nodes {
        let Some(id) = node.get("id").and_then(Value::as_str).map(str::to_string) else {
            continue;
        };
        if let Some(data) = node.get_mut("data").and_then(Value::as_object_mut) {
            for (target, handle) in &targets {
                if *target == id {
                    data.remove(handle);
                }
            }
        }
    }
}

fn node_name(node: &Value) -> Option<String> {
    let data = node.get("data");
    data.and_then(|d| d.get("name"))
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .or_else(|| node.get("id").and_then(Value::as_str))
        .map(str::to_string)
}

fn label(node: &Value) -> Value {
    Value::String(
        node["data"]["label"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

/// `input_schema` as in reference 4.2.2.
pub fn input_schema(graph: &Value) -> Value {
    let mut props = Map::new();
    let mut required = Vec::new();
    for node in graph["nodes"].as_array().into_iter().flatten() {
        let ty = node["type"].as_str().unwrap_or_default();
        if !(ty.starts_with("nodetool.input.") || ty.starts_with("nodetool.workflows.test_helper."))
        {
            continue;
        }
        let data = &node["data"];
        let or = |key: &str, default: Value| match &data[key] {
            Value::Null => default,
            v => v.clone(),
        };
        let kind = ty.rsplit('.').next().unwrap_or_default();
        let mut schema = match kind {
            "FloatInput" | "IntegerInput" => json!({
                "type": if kind == "FloatInput" { "number" } else { "integer" },
                "minimum": or("min", json!(0)),
                "maximum": or("max", json!(100)),
                "default": or("value", json!(0)),
            }),
            "StringInput" => json!({"type": "string", "default": or("value", json!(""))}),
            "BooleanInput" => json!({"type": "boolean", "default": or("value", json!(false))}),
            "ImageInput" | "VideoInput" | "AudioInput" | "DocumentInput" => {
                let media = kind.trim_end_matches("Input").to_ascii_lowercase();
                json!({
                    "type": "object",
                    "properties": {
                        "uri": {"type": "string", "format": "uri"},
                        "type": {"type": "string", "enum": [media]},
                    },
                    "required": ["uri", "type"],
                })
            }
            _ => continue,
        };
        schema["label"] = label(node);
        if let Some(name) = node_name(node) {
            required.push(Value::String(name.clone()));
            props.insert(name, schema);
        }
    }
    json!({"type": "object", "properties": props, "required": required})
}

/// `output_schema` as in reference 4.2.2.
pub fn output_schema(graph: &Value) -> Value {
    let mut props = Map::new();
    let mut required = Vec::new();
    for node in graph["nodes"].as_array().into_iter().flatten() {
        if !node["type"]
            .as_str()
            .unwrap_or_default()
            .starts_with("nodetool.output.")
        {
            continue;
        }
        if let Some(name) = node_name(node) {
            required.push(Value::String(name.clone()));
            props.insert(name, json!({"type": "any", "label": label(node)}));
        }
    }
    json!({"type": "object", "properties": props, "required": required})
}

impl WorkflowRecord {
    /// The `Workflow` response object of reference 4.2.2.
    pub fn to_response(&self) -> Value {
        let mut v = json!({
            "id": self.id,
            "access": self.access,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "name": self.name,
            "tool_name": self.tool_name,
            "description": self.description,
            "tags": self.tags,
            "thumbnail": self.thumbnail.clone().unwrap_or_default(),
            "thumbnail_url": self.thumbnail_url,
            "graph": self.graph,
            "input_schema": input_schema(&self.graph),
            "output_schema": output_schema(&self.graph),
            "settings": self.settings,
            "package_name": self.package_name,
            "path": self.path,
            "run_mode": self.run_mode,
            "workspace_id": self.workspace_id,
            "required_providers": null,
            "required_models": null,
            "html_app": self.html_app,
        });
        // An opaque content tag; serde_json's maps are ordered, so this is stable.
        let digest = Sha256::digest(v.to_string().as_bytes());
        let etag = crate::auth::token::hex(&digest[..16]);
        v["etag"] = Value::String(etag);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_and_access_are_required() {
        let Err(ApiError::Validation(errs)) = WorkflowInput::parse(br#"{"graph":{}}"#) else {
            panic!("expected validation error");
        };
        let locs: Vec<_> = errs.iter().map(|e| e.loc[1].as_str()).collect();
        assert_eq!(locs, ["name", "access"]);
        assert!(errs.iter().all(|e| e.kind == "missing"));
    }

    #[test]
    fn null_graph_is_invalid_workflow() {
        let e = WorkflowInput::parse(br#"{"name":"a","access":"private"}"#).unwrap_err();
        assert_eq!(e, ApiError::BadRequest("Invalid workflow".into()));
    }

    #[test]
    fn malformed_json_and_non_objects_are_422() {
        assert!(matches!(
            WorkflowInput::parse(b"{"),
            Err(ApiError::Validation(_))
        ));
        assert!(matches!(
            WorkflowInput::parse(b"[]"),
            Err(ApiError::Validation(_))
        ));
        assert!(matches!(
            WorkflowInput::parse(br#"{"name":1,"access":"private","graph":{}}"#),
            Err(ApiError::Validation(_))
        ));
    }

    #[test]
    fn unknown_fields_are_ignored_and_graph_lists_filled() {
        let w = WorkflowInput::parse(
            br#"{"name":"a","access":"public","graph":{},"etag":"x","input_schema":{}}"#,
        )
        .unwrap();
        assert_eq!(w.graph, json!({"nodes": [], "edges": []}));
    }

    #[test]
    fn connected_slots_are_removed() {
        let mut g = json!({
            "nodes": [{"id": "a", "data": {"value": 1}}, {"id": "b", "data": {"text": "x", "keep": 2}}],
            "edges": [{"source": "a", "sourceHandle": "output", "target": "b", "targetHandle": "text"}]
        });
        remove_connected_slots(&mut g);
        assert_eq!(g["nodes"][1]["data"], json!({"keep": 2}));
        assert_eq!(g["nodes"][0]["data"], json!({"value": 1}));
    }

    #[test]
    fn input_schema_matches_the_reference_example() {
        let g = json!({"nodes": [{"id":"1","type":"nodetool.input.FloatInput","data":{"name":"in1","value":10}}]});
        assert_eq!(
            input_schema(&g),
            json!({"type":"object","properties":{"in1":{"type":"number","default":10,"minimum":0,"maximum":100,"label":""}},"required":["in1"]})
        );
    }

    #[test]
    fn output_schema_lists_output_nodes() {
        let g = json!({"nodes": [{"id":"o","type":"nodetool.output.Output","data":{"name":"result","label":"R"}}]});
        assert_eq!(
            output_schema(&g),
            json!({"type":"object","properties":{"result":{"type":"any","label":"R"}},"required":["result"]})
        );
    }
}
