//! The deployment's HTTP API, as NodeTool's `AdminHTTPClient` calls it (reference 7.3): JSON
//! bodies, `Authorization: Bearer` from the deployment, plus `X-Admin-Token` when configured.
//! Unlike NodeTool's client, every status is checked.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::targets::Deployment;

pub struct Client {
    agent: ureq::Agent,
    deployment: Deployment,
}

/// A reply: status and parsed body (`Null` when the body is not JSON).
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    /// The server's `detail`, or the status alone.
    fn describe(&self) -> String {
        match self.body.get("detail") {
            Some(Value::String(d)) => format!("HTTP {}: {d}", self.status),
            _ => format!("HTTP {}", self.status),
        }
    }

    /// The body when the status is 200, else an error naming the request.
    pub fn ok(self, what: &str) -> Result<Value> {
        if self.status == 200 {
            Ok(self.body)
        } else {
            bail!("{what} failed: {}", self.describe())
        }
    }
}

impl Client {
    pub fn new(deployment: Deployment) -> Client {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(300)))
            .build();
        Client {
            agent: ureq::Agent::new_with_config(config),
            deployment,
        }
    }

    pub fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Reply> {
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        self.send(method, path, bytes)
    }

    /// `PUT` of raw bytes (a storage object); anything but 200 is an error.
    pub fn put_bytes(&self, path: &str, bytes: Vec<u8>) -> Result<()> {
        self.send("PUT", path, bytes)?
            .ok(&format!("Uploading {path}"))
            .map(|_| ())
    }

    fn send(&self, method: &str, path: &str, bytes: Vec<u8>) -> Result<Reply> {
        let url = format!("{}{path}", self.deployment.url);
        let mut req = http::Request::builder()
            .method(method)
            .uri(&url)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json");
        if let Some(t) = &self.deployment.token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        if let Some(a) = &self.deployment.admin_token {
            req = req.header("X-Admin-Token", a);
        }
        let req = req.body(bytes).context("building the request")?;
        let mut resp = self
            .agent
            .run(req)
            .with_context(|| format!("{method} {url}: could not reach the deployment"))?;
        let status = resp.status().as_u16();
        let text = resp
            .body_mut()
            .read_to_string()
            .with_context(|| format!("{method} {url}: reading the reply"))?;
        Ok(Reply {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        })
    }
}
