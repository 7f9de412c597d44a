//! `nodetool-edge deploy ...`: NodeTool's `deploy workflows` protocol (reference 7.3, 7.4)
//! against any deployment in the deployment config file.

mod assets;
pub mod client;
pub mod targets;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use nodetool_edge::store::workflows::record_key;
use nodetool_edge::workflow::WorkflowRecord;
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

/// Copies the referenced assets that the deployment lacks. Each failure is reported and the
/// sync goes on (as NodeTool's), but it is counted so the command can fail at the end.
fn sync_assets(client: &Client, source: &Source, workflow: &Value) -> Result<usize> {
    let refs = assets::referenced(workflow);
    if refs.is_empty() {
        return Ok(0);
    }
    let kv = match source {
        Source::Database(db) => Some(
            SqliteKv::open(db, STORE_LABEL)
                .map_err(|e| anyhow::anyhow!("opening {}: {e}", db.display()))?,
        ),
        Source::File(_) => None,
    };
    let mut failed = 0;
    for (node, asset) in &refs {
        // A --file source has no local assets: they must already be on the deployment.
        let outcome = match &kv {
            Some(kv) => assets::copy(client, kv, asset),
            None => assets::present(client, asset, None).and_then(|there| {
                if there {
                    Ok(false)
                } else {
                    bail!("a --file source has no assets to copy; sync from the database")
                }
            }),
        };
        match outcome {
            Ok(true) => println!("Asset {asset} copied"),
            Ok(false) => println!("Asset {asset} already on the deployment"),
            Err(e) => {
                failed += 1;
                println!("Asset {asset} (node {node}) was not copied: {e:#}");
            }
        }
    }
    Ok(failed)
}

pub fn sync(
    deployment: &str,
    id: &str,
    source: &Source,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<()> {
    let client = client_for(deployment, env)?;
    let workflow = load_workflow(source, id)?;
    let failed_assets = sync_assets(&client, source, &workflow)?;
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
    if failed_assets > 0 {
        bail!("Workflow synced, but {failed_assets} asset(s) were not copied");
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
