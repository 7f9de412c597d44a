//! Storage keys: NodeTool's `validate_key` (reference 4.5, same messages, same order), plus
//! what it lacks: control characters and NUL are refused, and keys have a length limit.

use crate::http::error::ApiError;

pub const MAX_KEY_LEN: usize = 1024;

fn invalid(why: &str) -> ApiError {
    ApiError::BadRequest(format!("Invalid key: {why}"))
}

/// The canonical key (`a/b.txt`), or the reason it is refused. Backslashes count as `/`, as in
/// NodeTool, so keys written by Windows clients land in the same place.
pub fn validate(key: &str) -> Result<String, ApiError> {
    if key.chars().any(char::is_control) {
        return Err(invalid("control characters are not allowed"));
    }
    let normalized = key.replace('\\', "/");
    let parts: Vec<&str> = normalized
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    if parts.is_empty() {
        return Err(invalid("key must not be empty"));
    }
    if normalized.starts_with('/') {
        return Err(invalid("absolute paths are not allowed"));
    }
    if parts.contains(&"..") {
        return Err(invalid("path traversal is not allowed"));
    }
    let joined = parts.join("/");
    if joined.len() > MAX_KEY_LEN {
        return Err(invalid(&format!("key is longer than {MAX_KEY_LEN} bytes")));
    }
    Ok(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_table() {
        for (k, want) in [
            ("file.txt", "file.txt"),
            ("file-with-dashes.txt", "file-with-dashes.txt"),
            ("folder/file.txt", "folder/file.txt"),
            ("folder/subfolder/file.txt", "folder/subfolder/file.txt"),
            ("folder\\windows\\file.txt", "folder/windows/file.txt"),
            ("nested/./file.txt", "nested/file.txt"),
            ("trailing/slash/", "trailing/slash"),
        ] {
            assert_eq!(validate(k), Ok(want.to_string()), "{k}");
        }
        let msg = |k: &str| match validate(k) {
            Err(ApiError::BadRequest(m)) => m,
            other => panic!("{k}: {other:?}"),
        };
        for k in ["../file.txt", "..\\file.txt", "folder/../../secret.txt"] {
            assert_eq!(msg(k), "Invalid key: path traversal is not allowed");
        }
        for k in ["/etc/passwd", "\\windows\\system32"] {
            assert_eq!(msg(k), "Invalid key: absolute paths are not allowed");
        }
        for k in ["", "////", "."] {
            assert_eq!(msg(k), "Invalid key: key must not be empty");
        }
        assert_eq!(
            msg("a\0b"),
            "Invalid key: control characters are not allowed"
        );
        assert_eq!(
            msg("a\nb"),
            "Invalid key: control characters are not allowed"
        );
        assert!(msg(&"x".repeat(2000)).contains("longer than"));
    }
}
