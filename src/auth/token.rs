//! Bearer tokens: extraction from the `Authorization` header, constant-time comparison,
//! masking for logs, and generation.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::host::Entropy;

/// A configured secret (server or admin token). Only its SHA-256 is kept, and comparison
/// hashes the candidate first, so timing reveals neither length nor content.
#[derive(Clone)]
pub struct SecretToken {
    digest: [u8; 32],
}

impl SecretToken {
    pub fn new(token: &str) -> Self {
        SecretToken {
            digest: Sha256::digest(token.as_bytes()).into(),
        }
    }

    pub fn matches(&self, candidate: &str) -> bool {
        let d: [u8; 32] = Sha256::digest(candidate.as_bytes()).into();
        d.ct_eq(&self.digest).into()
    }
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lower-case hex SHA-256 of a token: how stores name a token without keeping it (NodeTool's
/// `token_hash`, our cache keys).
pub fn sha256_hex(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// What the `Authorization` header held.
#[derive(Debug, PartialEq, Eq)]
pub enum BearerHeader<'a> {
    Missing,
    Malformed,
    Token(&'a str),
}

/// Splits on whitespace runs into exactly two parts, scheme `bearer` in any case, as the
/// reference does (`Bearer  tok` is fine, `Bearer tok x` is not). An empty or all-blank header
/// counts as missing; more than one `Authorization` header is malformed.
pub fn parse_bearer(headers: &http::HeaderMap) -> BearerHeader<'_> {
    let mut values = headers.get_all(http::header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return BearerHeader::Missing;
    };
    if values.next().is_some() {
        return BearerHeader::Malformed;
    }
    let Ok(value) = value.to_str() else {
        return BearerHeader::Malformed;
    };
    if value.trim().is_empty() {
        return BearerHeader::Missing;
    }
    let mut parts = value.split_ascii_whitespace();
    match (parts.next(), parts.next(), parts.next()) {
        (Some(scheme), Some(token), None) if scheme.eq_ignore_ascii_case("bearer") => {
            BearerHeader::Token(token)
        }
        _ => BearerHeader::Malformed,
    }
}

/// The seed's masked form: first 8 and last 4 characters, or `***` for short tokens.
pub fn mask(token: &str) -> String {
    let chars: Vec<char> = token.chars().collect();
    if chars.len() <= 12 {
        return "***".to_string();
    }
    let head: String = chars[..8].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}...{tail}")
}

/// 32 random bytes, URL-safe base64 without padding (43 characters), like Python's
/// `secrets.token_urlsafe(32)`. Tokens starting with `-` or `_` are drawn again so the value
/// is a plain YAML scalar and survives the seed's `grep | cut` recipe unquoted.
pub fn generate_token(entropy: &impl Entropy) -> String {
    loop {
        let mut bytes = [0u8; 32];
        entropy.fill(&mut bytes);
        let token = URL_SAFE_NO_PAD.encode(bytes);
        if token.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return token;
        }
    }
}

/// `n` random bytes as lower-case hex (NodeTool's `uuid.hex` ids are 32 such characters).
pub fn random_hex<H: Entropy>(host: &H, n: usize) -> String {
    let mut raw = vec![0u8; n];
    host.fill(&mut raw);
    hex(&raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(values: &[&[u8]]) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        for v in values {
            h.append(
                http::header::AUTHORIZATION,
                HeaderValue::from_bytes(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn bearer_parsing_follows_the_reference_split_rule() {
        assert_eq!(parse_bearer(&headers(&[])), BearerHeader::Missing);
        assert_eq!(parse_bearer(&headers(&[b""])), BearerHeader::Missing);
        assert_eq!(
            parse_bearer(&headers(&[b"Bearer t"])),
            BearerHeader::Token("t")
        );
        assert_eq!(
            parse_bearer(&headers(&[b"bEaReR  t "])),
            BearerHeader::Token("t")
        );
        assert_eq!(
            parse_bearer(&headers(&[b"Bearer"])),
            BearerHeader::Malformed
        );
        assert_eq!(
            parse_bearer(&headers(&[b"Bearer a b"])),
            BearerHeader::Malformed
        );
        assert_eq!(
            parse_bearer(&headers(&[b"Basic abc"])),
            BearerHeader::Malformed
        );
        assert_eq!(
            parse_bearer(&headers(&[b"Bearer \xff"])),
            BearerHeader::Malformed
        );
        assert_eq!(
            parse_bearer(&headers(&[b"Bearer a", b"Bearer a"])),
            BearerHeader::Malformed
        );
    }

    #[test]
    fn secret_token_compares_by_value() {
        let t = SecretToken::new("abc");
        assert!(t.matches("abc"));
        assert!(!t.matches("abd"));
        assert!(!t.matches("ab"));
        assert!(!t.matches(""));
    }

    #[test]
    fn mask_keeps_eight_and_four() {
        assert_eq!(mask("abc12345-full-token-here-xyz9"), "abc12345...xyz9");
        assert_eq!(mask("short"), "***");
        assert_eq!(mask("exactly12chr"), "***");
    }

    struct Counter(std::cell::Cell<u8>);
    impl Entropy for Counter {
        fn fill(&self, buf: &mut [u8]) {
            // First draw encodes to a leading '-', the second to a letter.
            let first = self.0.get();
            self.0.set(first + 1);
            buf.fill(if first == 0 { 0xfb } else { 0x01 });
        }
    }

    #[test]
    fn generated_tokens_are_43_chars_and_start_alphanumeric() {
        let t = generate_token(&Counter(std::cell::Cell::new(0)));
        assert_eq!(t.len(), 43);
        assert!(t.starts_with(|c: char| c.is_ascii_alphanumeric()));
    }
}
