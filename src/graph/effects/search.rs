//! Runs a search node ([`crate::graph::nodes::search`]) through the host's SerpApi access.

use serde_json::{Map, Value};

use super::{Effects, Outputs};
use crate::graph::nodes::search::{Args, Engine, accept};

pub async fn run<E: Effects>(
    engine: &Engine,
    values: &Map<String, Value>,
    fx: &E,
) -> Result<Outputs, String> {
    let args = Args(values);
    let query = (engine.request)(&args)?;
    let answer = accept(fx.search(&query).await?)?;
    Ok((engine.shape)(&args, answer)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect())
}
