//! `lib.http.*` and `lib.rss.*`: nodes that read from the web. What they do is in
//! `graph::effects::web`; requests leave through the host, under its outbound allow-list.

use super::spec::{Behaviour, Effect, Family, HttpCall, OUT, Prop, Spec};
use crate::graph::value::Kind;

const URL: &[Prop] = &[("url", Kind::Str, "\"\"")];
const URL_TEXT: &[Prop] = &[("url", Kind::Str, "\"\""), ("data", Kind::Str, "\"\"")];
const URL_JSON: &[Prop] = &[("url", Kind::Str, "\"\""), ("data", Kind::Dict, "{}")];

const fn http(call: HttpCall, props: &'static [Prop]) -> Spec {
    Spec {
        behaviour: Behaviour::Effect(Effect::Http(call)),
        props,
        outputs: OUT,
        dynamic: false,
    }
}

pub(crate) const HTTP: Family = Family {
    prefixes: &["lib.http."],
    nodes: &[
        ("GetRequest", http(HttpCall::Text("GET"), URL)),
        ("PostRequest", http(HttpCall::Text("POST"), URL_TEXT)),
        ("PutRequest", http(HttpCall::Text("PUT"), URL_TEXT)),
        ("DeleteRequest", http(HttpCall::Text("DELETE"), URL)),
        ("HeadRequest", http(HttpCall::Head, URL)),
        ("JSONGetRequest", http(HttpCall::Json("GET"), URL)),
        ("JSONPostRequest", http(HttpCall::Json("POST"), URL_JSON)),
        ("JSONPutRequest", http(HttpCall::Json("PUT"), URL_JSON)),
        ("JSONPatchRequest", http(HttpCall::Json("PATCH"), URL_JSON)),
    ],
};

pub(crate) const RSS: Family = Family {
    prefixes: &["lib.rss."],
    nodes: &[
        (
            "FetchRSSFeed",
            Spec {
                behaviour: Behaviour::Effect(Effect::RssFeed),
                props: URL,
                outputs: &["title", "link", "published", "summary", "author"],
                dynamic: false,
            },
        ),
        (
            "ExtractFeedMetadata",
            Spec {
                behaviour: Behaviour::Effect(Effect::FeedMetadata),
                props: URL,
                outputs: OUT,
                dynamic: false,
            },
        ),
    ],
};
