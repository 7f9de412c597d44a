//! `lib.http.*` and `lib.rss.*`: requests to the web on a workflow's behalf. The host sends
//! them under its outbound allow-list (the runner's and Spin's refuse any origin the operator
//! did not list), so a workflow cannot reach what the operator did not open to it.

use chrono::{Datelike, NaiveDateTime, Timelike};
use serde_json::{Map, Value, json};

use super::{Call, Effects, Fetch, Outputs};
use crate::graph::feed::{self, Feed};
use crate::graph::nodes::HttpCall;

fn url(values: &Map<String, Value>) -> Result<String, String> {
    let url = values
        .get("url")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim();
    if url.is_empty() {
        return Err("property 'url' is empty".into());
    }
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(format!("'{url}' is not an http(s) URL"));
    }
    Ok(url.to_string())
}

/// One request; an answer outside 2xx is an error naming the status and the URL, as an HTTP
/// client that raises for status reports it.
async fn send<E: Effects>(fx: &E, request: Fetch) -> Result<super::Fetched, String> {
    let target = request.url.clone();
    let answer = fx.fetch(request).await?;
    if !(200..300).contains(&answer.status) {
        return Err(format!("HTTP {} from {target}", answer.status));
    }
    Ok(answer)
}

pub async fn http<E: Effects>(
    call: HttpCall,
    values: &Map<String, Value>,
    fx: &E,
) -> Result<Outputs, String> {
    let url = url(values)?;
    let (method, json_body) = match call {
        HttpCall::Text(m) => (m, false),
        HttpCall::Head => ("HEAD", false),
        HttpCall::Json(m) => (m, true),
    };
    let mut headers = Vec::new();
    let body = match (method, values.get("data")) {
        ("GET" | "HEAD" | "DELETE", _) | (_, None) => Vec::new(),
        (_, Some(v)) if json_body => {
            headers.push(("content-type", "application/json".to_string()));
            v.to_string().into_bytes()
        }
        (_, Some(v)) => v.as_str().unwrap_or_default().as_bytes().to_vec(),
    };
    if json_body {
        headers.push(("accept", "application/json".to_string()));
    }
    let answer = send(
        fx,
        Fetch {
            method,
            url: url.clone(),
            headers,
            body,
        },
    )
    .await?;
    let out = match call {
        HttpCall::Head => Value::Object(
            answer
                .headers
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        ),
        HttpCall::Json(_) => serde_json::from_slice(&answer.body)
            .map_err(|e| format!("the answer from {url} is not JSON: {e}"))?,
        HttpCall::Text(_) => Value::String(String::from_utf8_lossy(&answer.body).into_owned()),
    };
    Ok(vec![("output".into(), out)])
}

async fn read_feed<E: Effects>(values: &Map<String, Value>, fx: &E) -> Result<Feed, String> {
    let url = url(values)?;
    let answer = send(
        fx,
        Fetch {
            method: "GET",
            url,
            headers: vec![(
                "accept",
                "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.8"
                    .to_string(),
            )],
            body: Vec::new(),
        },
    )
    .await?;
    Ok(feed::parse(&String::from_utf8_lossy(&answer.body)))
}

/// NodeTool's `Datetime` (naive times are UTC here).
fn datetime(t: NaiveDateTime) -> Value {
    json!({
        "type": "datetime", "year": t.year(), "month": t.month(), "day": t.day(),
        "hour": t.hour(), "minute": t.minute(), "second": t.second(), "microsecond": 0,
        "tzinfo": "UTC", "utc_offset": 0,
    })
}

pub async fn rss_feed<E: Effects>(call: &Call<'_>, fx: &E) -> Result<Outputs, String> {
    let feed = read_feed(call.values, fx).await?;
    let now = chrono::DateTime::from_timestamp_micros(call.now_micros)
        .unwrap_or_default()
        .naive_utc();
    let mut out = Vec::with_capacity(feed.entries.len() * 5);
    for e in feed.entries {
        // As NodeTool: an entry without a date is stamped with the time it was read.
        let published = datetime(e.published.unwrap_or(now));
        out.push(("title".into(), json!(e.title)));
        out.push(("link".into(), json!(e.link)));
        out.push(("published".into(), published));
        out.push(("summary".into(), json!(e.summary)));
        out.push(("author".into(), json!(e.author)));
    }
    Ok(out)
}

pub async fn feed_metadata<E: Effects>(call: &Call<'_>, fx: &E) -> Result<Outputs, String> {
    let feed = read_feed(call.values, fx).await?;
    let meta = json!({
        "title": feed.title, "description": feed.description, "link": feed.link,
        "language": feed.language, "updated": feed.updated, "generator": feed.generator,
        "entry_count": feed.entries.len(),
    });
    Ok(vec![("output".into(), meta)])
}
