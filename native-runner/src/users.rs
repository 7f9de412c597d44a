//! `nodetool-edge users ...`: the `multi_user` provider's users, managed directly in the local
//! database through the core's own user store (the same code `/api/users` runs), so a server
//! running on the same file sees the change on its next request.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use futures::executor::block_on;
use nodetool_edge::auth::users::{IssuedToken, UserRecord, UserStore};
use nodetool_edge::http::error::ApiError;
use serde::Deserialize;

use crate::key_value_host::STORE_LABEL;
use crate::kv::CoreKv;
use crate::kv::sqlite::SqliteKv;

pub enum Action<'a> {
    Add { username: &'a str, role: &'a str },
    List,
    ResetToken { username: &'a str },
    Remove { username: &'a str },
    Import { file: &'a Path },
}

pub fn run(db_path: &Path, action: Action) -> Result<()> {
    let db = SqliteKv::open(db_path, STORE_LABEL)
        .with_context(|| format!("opening {}", db_path.display()))?;
    let kv = CoreKv::writable(&db);
    let users = UserStore::new(&kv);
    match action {
        Action::Add { username, role } => {
            let issued = block_on(users.create(username, role)).map_err(api)?;
            print_issued(&issued, "Created");
        }
        Action::List => {
            let list = block_on(users.list()).map_err(api)?;
            if list.is_empty() {
                eprintln!("No users. Add one with `nodetool-edge users add <username>`.");
            }
            for u in list {
                // The hash is shortened as the API shows it; the token itself is never stored.
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    u.username,
                    u.user_id,
                    u.role,
                    u.short_hash(),
                    u.created_at
                );
            }
        }
        Action::ResetToken { username } => {
            let issued = block_on(users.reset_token(username)).map_err(api)?;
            print_issued(&issued, "New token for");
        }
        Action::Remove { username } => {
            block_on(users.remove(username)).map_err(api)?;
            eprintln!("Removed user '{username}'. Their workflows, secrets and assets are kept.");
        }
        Action::Import { file } => {
            let records = read_users_file(file)?;
            let n = block_on(users.import(&records)).map_err(api)?;
            eprintln!("Imported {n} user(s) from {}", file.display());
        }
    }
    Ok(())
}

/// The token goes to stdout alone (so it can be piped), the rest to stderr.
fn print_issued(issued: &IssuedToken, what: &str) {
    eprintln!(
        "{what} user '{}' (user_id {}, role {}). The token is shown only now:",
        issued.username, issued.user_id, issued.role
    );
    println!("{}", issued.token);
}

fn api(e: ApiError) -> anyhow::Error {
    match e {
        ApiError::BadRequest(d) | ApiError::NotFound(d) | ApiError::Conflict(d) => {
            anyhow::anyhow!(d)
        }
        other => anyhow::anyhow!("{other:?}"),
    }
}

/// NodeTool's users file (reference 2.3): `users` maps each username to its record.
#[derive(Deserialize)]
struct UsersFile {
    #[serde(default)]
    users: Option<BTreeMap<String, FileUser>>,
}

#[derive(Deserialize)]
struct FileUser {
    user_id: String,
    #[serde(default)]
    username: Option<String>,
    role: String,
    token_hash: String,
    #[serde(default)]
    created_at: Option<String>,
}

fn read_users_file(path: &Path) -> Result<Vec<UserRecord>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let file: UsersFile = serde_yaml::from_str(&text)
        .with_context(|| format!("{} is not a NodeTool users file", path.display()))?;
    let mut out = Vec::new();
    for (key, u) in file.users.unwrap_or_default() {
        if let Some(name) = &u.username
            && *name != key
        {
            bail!("user '{key}' has username '{name}'; they must match");
        }
        out.push(UserRecord {
            username: key,
            user_id: u.user_id,
            role: u.role,
            token_hash: u.token_hash.trim().to_ascii_lowercase(),
            created_at: u.created_at.unwrap_or_default(),
        });
    }
    Ok(out)
}
