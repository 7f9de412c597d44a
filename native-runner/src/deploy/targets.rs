//! Deployments as NodeTool's `deployment.yaml` describes them (reference 7.2): where each one
//! is served and which tokens to send. We read NodeTool's schema as it is and add one key,
//! `admin_token`, sent as `X-Admin-Token` (NodeTool's client never sends one, so production
//! deployments with `ADMIN_TOKEN` refuse its admin calls). An optional `url` key overrides
//! the URL NodeTool would compute (for HTTPS endpoints such as a Workers deployment).

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_yaml::{Mapping, Value};

use crate::deployment_config;

/// What the CLI needs to talk to one deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    pub name: String,
    pub url: String,
    pub token: Option<String>,
    pub admin_token: Option<String>,
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn get<'a>(m: &'a Mapping, path: &[&str]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    let v = m.get(*first)?;
    if rest.is_empty() {
        Some(v)
    } else {
        get(v.as_mapping()?, rest)
    }
}

fn truthy(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::Bool(true)))
}

/// The server URL NodeTool computes for each deployment type.
fn url_of(d: &Mapping) -> Option<String> {
    if let Some(url) = text(d.get("url")) {
        return Some(url.trim_end_matches('/').to_string());
    }
    let ty = text(d.get("type")).unwrap_or_default();
    let host = || text(d.get("host"));
    match ty.as_str() {
        "docker" => {
            let port = text(get(d, &["container", "port"]))?;
            // The container listens on 7777 inside; NodeTool publishes 7777 as 8000.
            let port = if port == "7777" { "8000".into() } else { port };
            Some(format!("http://{}:{port}", host()?))
        }
        "ssh" | "root" | "local" => {
            let host = host().unwrap_or_else(|| "localhost".into());
            if truthy(get(d, &["nginx", "enabled"])) {
                let ssl = text(get(d, &["nginx", "ssl_cert_path"])).is_some()
                    && text(get(d, &["nginx", "ssl_key_path"])).is_some();
                if ssl {
                    let port = text(get(d, &["nginx", "https_port"])).unwrap_or("443".into());
                    Some(format!("https://{host}:{port}"))
                } else {
                    let port = text(get(d, &["nginx", "http_port"])).unwrap_or("80".into());
                    Some(format!("http://{host}:{port}"))
                }
            } else {
                Some(format!("http://{host}:{}", text(d.get("port"))?))
            }
        }
        "runpod" => text(get(d, &["state", "endpoint_url"])),
        "gcp" => text(get(d, &["state", "service_url"])),
        _ => None,
    }
}

/// Looks a deployment up by name, with NodeTool's messages for the two failures.
pub fn find(config: &Mapping, name: &str) -> Result<Deployment> {
    let Some(d) = get(config, &["deployments", name]).and_then(Value::as_mapping) else {
        bail!("Deployment '{name}' not found");
    };
    let Some(url) = url_of(d) else {
        bail!("Cannot determine server URL for deployment '{name}'");
    };
    // As NodeTool: RunPod and Cloud Run deployments authenticate by other means.
    let sends_token = !matches!(text(d.get("type")).as_deref(), Some("runpod" | "gcp"));
    Ok(Deployment {
        name: name.to_string(),
        url,
        token: text(d.get("server_auth_token")).filter(|_| sends_token),
        admin_token: text(d.get("admin_token")),
    })
}

/// Adds or replaces a deployment reachable at `url`, as a NodeTool `local` entry (host and
/// port from the URL) so NodeTool's own CLI can read it too. Other keys are kept.
pub fn add(
    path: &Path,
    name: &str,
    url: &str,
    token: Option<&str>,
    admin_token: Option<&str>,
) -> Result<()> {
    let parsed: http::Uri = url
        .parse()
        .with_context(|| format!("'{url}' is not a URL"))?;
    let (Some(scheme), Some(host)) = (parsed.scheme_str(), parsed.host()) else {
        bail!("'{url}' needs a scheme and a host, e.g. http://127.0.0.1:7777");
    };
    if scheme != "http" && scheme != "https" {
        bail!("'{url}' must be an http or https URL");
    }
    let port = parsed
        .port_u16()
        .unwrap_or(if scheme == "https" { 443 } else { 80 });

    let mut config = deployment_config::load(path)?;
    let deployments = config
        .entry("deployments".into())
        .or_insert_with(|| Value::Mapping(Mapping::new()));
    let Value::Mapping(deployments) = deployments else {
        bail!("'deployments' in {} is not a mapping", path.display());
    };
    let mut entry = Mapping::new();
    entry.insert("type".into(), "local".into());
    entry.insert("host".into(), host.into());
    entry.insert("port".into(), Value::Number(port.into()));
    entry.insert("url".into(), url.trim_end_matches('/').into());
    if let Some(t) = token {
        entry.insert("server_auth_token".into(), t.into());
    }
    if let Some(a) = admin_token {
        entry.insert("admin_token".into(), a.into());
    }
    deployments.insert(name.into(), Value::Mapping(entry));
    deployment_config::save(path, &config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> Mapping {
        serde_yaml::from_str(yaml).unwrap()
    }

    #[test]
    fn urls_per_deployment_type() {
        let c = parse(
            r#"
deployments:
  d: {type: docker, host: 10.0.0.2, container: {name: n, port: 7777}, server_auth_token: tok}
  d2: {type: docker, host: h, container: {name: n, port: 9000}}
  s: {type: ssh, host: box, port: 8000, admin_token: adm}
  n: {type: ssh, host: box, port: 8000, nginx: {enabled: true, ssl_cert_path: /c, ssl_key_path: /k}}
  l: {type: local, port: 7777}
  r: {type: runpod, state: {endpoint_url: "https://api.runpod.ai/v2/x"}, server_auth_token: tok}
  g: {type: gcp, state: {}}
  u: {type: local, port: 1, url: "https://edge.example.workers.dev/"}
"#,
        );
        let f = |n: &str| find(&c, n).unwrap();
        assert_eq!(f("d").url, "http://10.0.0.2:8000");
        assert_eq!(f("d").token.as_deref(), Some("tok"));
        assert_eq!(f("d2").url, "http://h:9000");
        assert_eq!(f("s").url, "http://box:8000");
        assert_eq!(f("s").admin_token.as_deref(), Some("adm"));
        assert_eq!(f("n").url, "https://box:443");
        assert_eq!(f("l").url, "http://localhost:7777");
        assert_eq!(f("r").url, "https://api.runpod.ai/v2/x");
        assert_eq!(f("r").token, None);
        assert_eq!(f("u").url, "https://edge.example.workers.dev");
        assert_eq!(
            find(&c, "g").unwrap_err().to_string(),
            "Cannot determine server URL for deployment 'g'"
        );
        assert_eq!(
            find(&c, "zz").unwrap_err().to_string(),
            "Deployment 'zz' not found"
        );
    }

    #[test]
    fn add_keeps_other_keys_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deployment.yaml");
        std::fs::write(&path, "version: '1.0'\nuse_proxy: false\n").unwrap();
        add(&path, "edge", "http://127.0.0.1:7777", Some("t"), Some("a")).unwrap();
        let c = deployment_config::load(&path).unwrap();
        assert_eq!(c.get("use_proxy"), Some(&Value::Bool(false)));
        let d = find(&c, "edge").unwrap();
        assert_eq!(d.url, "http://127.0.0.1:7777");
        assert_eq!(
            (d.token.as_deref(), d.admin_token.as_deref()),
            (Some("t"), Some("a"))
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(add(&path, "x", "ftp://h", None, None).is_err());
    }
}
