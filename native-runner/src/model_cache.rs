//! The model cache the runner exposes to the component: Hugging Face's hub directory, resolved
//! as the Hugging Face libraries resolve it, mapped read-only at [`GUEST_PATH`].

use std::path::PathBuf;

/// Where the component finds the cache (the Spin adapter measures this path).
pub const GUEST_PATH: &str = "/hf-cache";

/// `HF_HUB_CACHE`, else `HF_HOME/hub`, else `$XDG_CACHE_HOME/huggingface/hub`, else
/// `~/.cache/huggingface/hub`.
pub fn resolve(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let set = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    if let Some(dir) = set("HF_HUB_CACHE") {
        return Some(PathBuf::from(dir));
    }
    if let Some(home) = set("HF_HOME") {
        return Some(PathBuf::from(home).join("hub"));
    }
    let cache = set("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| set("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(cache.join("huggingface").join("hub"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(pairs: &[(&str, &str)]) -> Option<PathBuf> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        resolve(&|n| pairs.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()))
    }

    #[test]
    fn resolution_order() {
        assert_eq!(
            with(&[("HF_HUB_CACHE", "/c"), ("HF_HOME", "/h")]),
            Some("/c".into())
        );
        assert_eq!(
            with(&[("HF_HOME", "/h"), ("HOME", "/u")]),
            Some("/h/hub".into())
        );
        assert_eq!(
            with(&[("XDG_CACHE_HOME", "/x"), ("HOME", "/u")]),
            Some("/x/huggingface/hub".into())
        );
        assert_eq!(
            with(&[("HOME", "/u")]),
            Some("/u/.cache/huggingface/hub".into())
        );
        assert_eq!(with(&[("HF_HOME", " ")]), None);
    }
}
