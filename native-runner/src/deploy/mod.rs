//! `nodetool-edge deploy ...`: NodeTool's `deploy workflows` protocol (reference 7.3, 7.4)
//! against any deployment in the deployment config file.

pub mod client;
pub mod targets;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use nodetool_edge::workflow::WorkflowRecord;
use nodetool_edge::workflow_store::record_key;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value, json};

use crate::deployment_config;
use crate::key_value_host::STORE_LABEL;
use crate::kv::{KvBackend, sqlite::SqliteKv};
use client::Client;

fn client_for(name: &str, env: &impl Fn(&str) -> Option<String>) -> Result<Client> {
    let path = deployment_config::config_path(env)?;
    let config = deployment_config::load(&path)?;
    Ok(Client::new(targets::find(&config, name)?))
}

fn id_segment(id: &str) -> String {
    utf8_percent_encode(id, NON_ALPHANUMERIC).to_string()
}

/// Where a workflow to sync comes from.
pub enum Source {
    /// The local runner's database.
    Database(PathBuf),
    /// A JSON file holding a Workflow (what NodeTool's API returns) or a WorkflowRequest.
    File(PathBuf),
}

/// The Workflow object NodeTool's sync PUTs: the full response shape of reference 4.2.2.
pub fn load_workflow(source: &Source, id: &str) -> Result<Value> {
    match source {
        Source::Database(db) => {
            if !db.exists() {
                bail!(
                    "Workflow not found locally: {id} (no database at {})",
                    db.display()
                );
            }
            let kv = SqliteKv::open(db, STORE_LABEL)
                .map_err(|e| anyhow::anyhow!("opening {}: {e}", db.display()))?;
            let Some(bytes) = kv
                .get(&record_key(id))
                .map_err(|e| anyhow::anyhow!("reading {}: {e}", db.display()))?
            else {
                bail!("Workflow not found locally: {id}");
            };
            let record: WorkflowRecord = serde_json::from_slice(&bytes)
                .with_context(|| format!("workflow {id} in {} is unreadable", db.display()))?;
            Ok(record.to_response())
        }
        Source::File(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let mut v: Value = serde_json::from_str(&text)
                .with_context(|| format!("{} is not JSON", path.display()))?;
            let Some(obj) = v.as_object_mut() else {
                bail!("{} must hold a workflow object", path.display());
            };
            obj.insert("id".into(), json!(id));
            obj.entry("access").or_insert_with(|| json!("private"));
            obj.entry("name").or_insert_with(|| json!(id));
            Ok(v)
        }
    }
}

/// NodeTool's sync scans constants for assets; until this server keeps assets locally, say
/// plainly which ones were not copied instead of skipping them silently.
fn report_assets(workflow: &Value) {
    for node in workflow["graph"]["nodes"].as_array().into_iter().flatten() {
        let ty = node["type"].as_str().unwrap_or_default();
        let asset = node["data"]["value"]["asset_id"]
            .as_str()
            .unwrap_or_default();
        if ty.starts_with("nodetool.constant.") && !asset.is_empty() {
            println!(
                "Asset {asset} (node {}) was not copied: sync it with the storage API",
                node["id"].as_str().unwrap_or_default()
            );
        }
    }
}

pub fn sync(
    deployment: &str,
    id: &str,
    source: &Source,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<()> {
    let client = client_for(deployment, env)?;
    let workflow = load_workflow(source, id)?;
    report_assets(&workflow);
    let reply = client.call(
        "PUT",
        &format!("/api/workflows/{}", id_segment(id)),
        Some(&workflow),
    )?;
    let saved = reply.ok("Saving the workflow")?;
    if let Some(warnings) = saved["warnings"].as_array() {
        for w in warnings {
            println!("Warning: {}", w.as_str().unwrap_or_default());
        }
    }
    println!("Workflow synced successfully");
    Ok(())
}

pub fn list(deployment: &str, env: &impl Fn(&str) -> Option<String>) -> Result<()> {
    let client = client_for(deployment, env)?;
    let body = client
        .call("GET", "/api/workflows/", None)?
        .ok("Listing workflows")?;
    let workflows = body["workflows"].as_array().cloned().unwrap_or_default();
    if workflows.is_empty() {
        println!("No workflows found on remote instance");
        return Ok(());
    }
    println!("{:<34} {:<30} DESCRIPTION", "ID", "NAME");
    for w in &workflows {
        let desc: String = w["description"]
            .as_str()
            .unwrap_or_default()
            .chars()
            .take(50)
            .collect();
        println!(
            "{:<34} {:<30} {desc}",
            w["id"].as_str().unwrap_or_default(),
            w["name"].as_str().unwrap_or_default()
        );
    }
    println!("Total: {} workflow(s)", workflows.len());
    Ok(())
}

pub fn delete(deployment: &str, id: &str, env: &impl Fn(&str) -> Option<String>) -> Result<()> {
    let client = client_for(deployment, env)?;
    client
        .call(
            "DELETE",
            &format!("/api/workflows/{}", id_segment(id)),
            None,
        )?
        .ok("Deleting the workflow")?;
    println!("Workflow {id} deleted");
    Ok(())
}

/// `-p key=value` pairs become string params, as NodeTool's CLI sends them.
pub fn parse_params(pairs: &[String]) -> Result<Map<String, Value>> {
    let mut params = Map::new();
    for p in pairs {
        let Some((k, v)) = p.split_once('=') else {
            bail!("parameter '{p}' must look like key=value");
        };
        params.insert(k.to_string(), json!(v));
    }
    Ok(params)
}

pub fn run(
    deployment: &str,
    id: &str,
    params: &[String],
    env: &impl Fn(&str) -> Option<String>,
) -> Result<()> {
    let client = client_for(deployment, env)?;
    let body = json!({"params": parse_params(params)?});
    let result = client
        .call(
            "POST",
            &format!("/api/workflows/{}/run", id_segment(id)),
            Some(&body),
        )?
        .ok("Running the workflow")?;
    println!("{}", serde_json::to_string_pretty(&result)?);
    Ok(())
}

pub fn add(
    name: &str,
    url: &str,
    token: Option<&str>,
    admin_token: Option<&str>,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<()> {
    let path = deployment_config::config_path(env)?;
    targets::add(&path, name, url, token, admin_token)?;
    println!("Deployment '{name}' saved to {}", display(&path));
    Ok(())
}

fn display(p: &Path) -> String {
    p.display().to_string()
}
