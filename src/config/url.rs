//! URL-valued settings.

/// An http(s) URL with a host and no query, without its trailing slash; `None` if `value`
/// is not one.
pub fn base_url(value: &str) -> Option<String> {
    let url = value.trim().trim_end_matches('/').to_string();
    let parsed: http::Uri = url.parse().ok()?;
    let scheme_ok = matches!(parsed.scheme_str(), Some("http" | "https"));
    let path_ok = parsed.path_and_query().is_none_or(|p| p.query().is_none());
    (scheme_ok && parsed.host().is_some_and(|h| !h.is_empty()) && path_ok).then_some(url)
}
