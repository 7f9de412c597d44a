//! Local verification of Supabase access tokens: the signature (HS256 with the project's
//! secret, ES256 or RS256 with a key from its JWKS), then `exp`, `nbf`, `aud`, `iss` and `sub`.
//!
//! The algorithm is chosen by where the key came from, never by the token alone: the HS256
//! secret is only ever an HMAC key and a JWKS key only ever verifies the one asymmetric
//! algorithm its type is made for, so `alg: none` and key confusion have nothing to use.
//! Rejections say why for the server log; callers answer every one with the same 401.

use chrono::{DateTime, Duration, TimeZone, Utc};
use jwt_compact::alg::{Es256, Hs256, Hs256Key, Rsa, RsaPublicKey, StrongAlg, StrongKey};
use jwt_compact::jwk::JsonWebKey;
use jwt_compact::{AlgorithmExt, Claims, TimeOptions, UntrustedToken, ValidationError};
use serde::Deserialize;
use serde_json::Value;

/// Longer tokens are refused before any parsing (Supabase's are about 1 KiB; user metadata
/// can add a few).
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// Clock skew tolerated on `exp` and `nbf`.
pub const LEEWAY_SECS: i64 = 30;
/// Longest `sub` accepted: it becomes the user id that keys the user's records.
const MAX_SUBJECT_BYTES: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    TooLarge,
    Malformed,
    /// `none`, an algorithm we do not accept, or HS256 without a configured secret.
    Algorithm,
    /// No key in the set has the token's `kid` (or fits its algorithm).
    UnknownKey,
    /// No `kid` while the set holds several keys.
    AmbiguousKey,
    Signature,
    Expired,
    NotYetValid,
    Audience,
    Issuer,
    Subject,
}

impl Rejection {
    pub fn reason(self) -> &'static str {
        match self {
            Self::TooLarge => "token too large",
            Self::Malformed => "malformed token",
            Self::Algorithm => "algorithm not accepted",
            Self::UnknownKey => "unknown signing key",
            Self::AmbiguousKey => "no kid and several keys",
            Self::Signature => "bad signature",
            Self::Expired => "expired",
            Self::NotYetValid => "not yet valid",
            Self::Audience => "wrong audience",
            Self::Issuer => "wrong issuer",
            Self::Subject => "missing or unusable sub",
        }
    }
}

/// The asymmetric algorithms a JWKS key may verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAlg {
    Es256,
    Rs256,
}

impl KeyAlg {
    fn name(self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::Rs256 => "RS256",
        }
    }
}

/// What the unverified header asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Header {
    Hs256,
    Asymmetric { alg: KeyAlg, kid: Option<String> },
}

/// A token that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub subject: String,
    /// `app_metadata.role == "admin"` (set by the project's service role, not the user).
    pub admin: bool,
    /// `exp`, in microseconds since the epoch.
    pub expires_micros: i64,
}

/// What the token must say besides being well signed.
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub audience: &'a str,
    pub now_micros: i64,
}

/// One key of a JWKS, with the metadata that limits what it may verify.
#[derive(Debug, Clone)]
pub struct SetKey {
    pub kid: Option<String>,
    alg: KeyAlg,
    jwk: JsonWebKey<'static>,
}

/// The usable keys of a JWKS document; keys of other types or uses are skipped, and the total
/// count is kept because a token without `kid` is only accepted when the set has one key.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    pub keys: Vec<SetKey>,
    pub total: usize,
}

/// Most keys read from one JWKS document (projects publish one to three).
const MAX_SET_KEYS: usize = 32;

impl KeySet {
    /// `None` when the document is not a JWKS at all.
    pub fn parse(body: &[u8]) -> Option<KeySet> {
        #[derive(Deserialize)]
        struct Doc {
            keys: Vec<Value>,
        }
        let doc: Doc = serde_json::from_slice(body).ok()?;
        let mut set = KeySet {
            keys: Vec::new(),
            total: doc.keys.len(),
        };
        for raw in doc.keys.into_iter().take(MAX_SET_KEYS) {
            if let Some(key) = set_key(raw) {
                set.keys.push(key);
            }
        }
        Some(set)
    }

    /// The key for a token's header: by `kid`, or the only key when there is no `kid`.
    pub fn select(&self, alg: KeyAlg, kid: Option<&str>) -> Result<&SetKey, Rejection> {
        match kid {
            Some(kid) => self
                .keys
                .iter()
                .find(|k| k.kid.as_deref() == Some(kid) && k.alg == alg)
                .ok_or(Rejection::UnknownKey),
            None if self.total == 1 => self
                .keys
                .iter()
                .find(|k| k.alg == alg)
                .ok_or(Rejection::UnknownKey),
            None => Err(Rejection::AmbiguousKey),
        }
    }

    pub fn has_kid(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid.as_deref() == Some(kid))
    }
}

fn set_key(raw: Value) -> Option<SetKey> {
    let text = |name: &str| raw.get(name).and_then(Value::as_str).map(str::to_string);
    if text("use").is_some_and(|u| u != "sig") {
        return None;
    }
    let kid = text("kid");
    let declared = text("alg");
    let jwk: JsonWebKey<'static> = serde_json::from_value(raw).ok()?;
    // The key's type decides its algorithm; a declared `alg` may only agree.
    let alg = match &jwk {
        JsonWebKey::EllipticCurve { curve, .. } if curve == "P-256" => KeyAlg::Es256,
        JsonWebKey::Rsa { .. } => KeyAlg::Rs256,
        _ => return None,
    };
    if declared.is_some_and(|d| d != alg.name()) {
        return None;
    }
    Some(SetKey { kid, alg, jwk })
}

/// The header's algorithm and key id, after the size check. Nothing here is trusted yet.
pub fn header(token: &str) -> Result<Header, Rejection> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Rejection::TooLarge);
    }
    let parsed = UntrustedToken::new(token).map_err(|_| Rejection::Malformed)?;
    // RFC 7515: extensions listed in `crit` must be understood; we understand none.
    if header_names_crit(token) {
        return Err(Rejection::Malformed);
    }
    match parsed.algorithm() {
        "HS256" => Ok(Header::Hs256),
        "ES256" => Ok(Header::Asymmetric {
            alg: KeyAlg::Es256,
            kid: parsed.header().key_id.clone(),
        }),
        "RS256" => Ok(Header::Asymmetric {
            alg: KeyAlg::Rs256,
            kid: parsed.header().key_id.clone(),
        }),
        _ => Err(Rejection::Algorithm),
    }
}

fn header_names_crit(token: &str) -> bool {
    use base64::Engine as _;
    let segment = token.split('.').next().unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(segment)
        .ok()
        .and_then(|raw| serde_json::from_slice::<Value>(&raw).ok())
        .is_some_and(|h| h.get("crit").is_some())
}

#[derive(Deserialize)]
struct SupabaseClaims {
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    aud: Option<Audience>,
    #[serde(default)]
    iss: Option<String>,
    #[serde(default)]
    app_metadata: Option<Value>,
}

/// RFC 7519 allows one audience or a list.
#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn contains(&self, wanted: &str) -> bool {
        match self {
            Self::One(a) => a == wanted,
            Self::Many(list) => list.iter().any(|a| a == wanted),
        }
    }
}

/// Verifies an HS256 token with the project's JWT secret.
pub fn verify_hs256(
    token: &str,
    secret: &[u8],
    expected: &Expected,
) -> Result<Verified, Rejection> {
    let parsed = UntrustedToken::new(token).map_err(|_| Rejection::Malformed)?;
    let key = Hs256Key::new(secret);
    let checked = Hs256
        .validator::<SupabaseClaims>(&key)
        .validate(&parsed)
        .map_err(signature_rejection)?;
    check_claims(checked.claims(), expected)
}

/// Verifies an ES256 or RS256 token with a key from the project's JWKS.
pub fn verify_with_key(
    token: &str,
    key: &SetKey,
    expected: &Expected,
) -> Result<Verified, Rejection> {
    let parsed = UntrustedToken::new(token).map_err(|_| Rejection::Malformed)?;
    let claims = match key.alg {
        KeyAlg::Es256 => {
            let vk = p256_key(&key.jwk)?;
            Es256
                .validator::<SupabaseClaims>(&vk)
                .validate(&parsed)
                .map_err(signature_rejection)?
                .into_parts()
                .1
        }
        KeyAlg::Rs256 => {
            // StrongKey refuses moduli under 2048 bits.
            let pk = rsa_key(&key.jwk)?;
            StrongAlg(Rsa::rs256())
                .validator::<SupabaseClaims>(&pk)
                .validate(&parsed)
                .map_err(signature_rejection)?
                .into_parts()
                .1
        }
    };
    check_claims(&claims, expected)
}

fn p256_key(jwk: &JsonWebKey) -> Result<p256::ecdsa::VerifyingKey, Rejection> {
    p256::ecdsa::VerifyingKey::try_from(jwk).map_err(|_| Rejection::UnknownKey)
}

fn rsa_key(jwk: &JsonWebKey) -> Result<StrongKey<RsaPublicKey>, Rejection> {
    let pk = RsaPublicKey::try_from(jwk).map_err(|_| Rejection::UnknownKey)?;
    StrongKey::try_from(pk).map_err(|_| Rejection::UnknownKey)
}

fn signature_rejection(e: ValidationError) -> Rejection {
    match e {
        ValidationError::AlgorithmMismatch { .. } => Rejection::Algorithm,
        ValidationError::InvalidSignature
        | ValidationError::InvalidSignatureLen { .. }
        | ValidationError::MalformedSignature(_) => Rejection::Signature,
        _ => Rejection::Malformed,
    }
}

fn check_claims(
    claims: &Claims<SupabaseClaims>,
    expected: &Expected,
) -> Result<Verified, Rejection> {
    let now = micros_to_time(expected.now_micros);
    let options = TimeOptions::new(Duration::seconds(LEEWAY_SECS), move || now);
    // A token without `exp` would never expire; Supabase always sets it.
    claims
        .validate_expiration(&options)
        .map_err(|_| Rejection::Expired)?;
    if claims.not_before.is_some() {
        claims
            .validate_maturity(&options)
            .map_err(|_| Rejection::NotYetValid)?;
    }
    let custom = &claims.custom;
    if !custom
        .aud
        .as_ref()
        .is_some_and(|a| a.contains(expected.audience))
    {
        return Err(Rejection::Audience);
    }
    if custom.iss.as_deref() != Some(expected.issuer) {
        return Err(Rejection::Issuer);
    }
    let subject = custom
        .sub
        .as_deref()
        .filter(|s| !s.is_empty() && s.len() <= MAX_SUBJECT_BYTES)
        .filter(|s| !s.chars().any(char::is_control))
        .ok_or(Rejection::Subject)?;
    let admin = custom
        .app_metadata
        .as_ref()
        .and_then(|m| m.get("role"))
        .and_then(Value::as_str)
        == Some("admin");
    let expires_micros = claims
        .expiration
        .map(|e| e.timestamp().saturating_mul(1_000_000))
        .unwrap_or(i64::MAX);
    Ok(Verified {
        subject: subject.to_string(),
        admin,
        expires_micros,
    })
}

fn micros_to_time(micros: i64) -> DateTime<Utc> {
    Utc.timestamp_micros(micros)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn token(header: Value, claims: Value) -> String {
        format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        )
    }

    #[test]
    fn only_three_algorithms_and_no_critical_extensions() {
        let c = serde_json::json!({});
        let h = |v: Value| header(&token(v, c.clone()));
        assert_eq!(h(serde_json::json!({"alg": "HS256"})), Ok(Header::Hs256));
        assert_eq!(
            h(serde_json::json!({"alg": "ES256", "kid": "k"})),
            Ok(Header::Asymmetric {
                alg: KeyAlg::Es256,
                kid: Some("k".into())
            })
        );
        for alg in ["none", "None", "HS512", "PS256", "EdDSA", "ES256K"] {
            assert_eq!(
                h(serde_json::json!({"alg": alg})),
                Err(Rejection::Algorithm),
                "{alg}"
            );
        }
        assert_eq!(
            h(serde_json::json!({"alg": "ES256", "crit": ["b64"]})),
            Err(Rejection::Malformed)
        );
        assert_eq!(header("a.b"), Err(Rejection::Malformed));
        assert_eq!(
            header(&"a".repeat(MAX_TOKEN_BYTES + 1)),
            Err(Rejection::TooLarge)
        );
    }

    fn ec_jwk(kid: Option<&str>, alg: Option<&str>) -> Value {
        // A valid P-256 point (the generator), which is all `parse` needs.
        let mut v = serde_json::json!({
            "kty": "EC", "crv": "P-256",
            "x": "axfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5RdiYwpY",
            "y": "T-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU",
        });
        if let Some(k) = kid {
            v["kid"] = k.into();
        }
        if let Some(a) = alg {
            v["alg"] = a.into();
        }
        v
    }

    #[test]
    fn keys_are_chosen_by_kid_and_type_never_by_the_token_alone() {
        let body = serde_json::json!({"keys": [
            ec_jwk(Some("a"), Some("ES256")),
            ec_jwk(Some("b"), None),
            // A symmetric key in a JWKS is never used.
            {"kty": "oct", "kid": "s", "k": "c2VjcmV0"},
            // An EC key that claims RS256 is dropped.
            ec_jwk(Some("liar"), Some("RS256")),
            // Encryption keys are not for signatures.
            {"kty": "EC", "use": "enc", "kid": "e", "crv": "P-256",
             "x": "axfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5RdiYwpY",
             "y": "T-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU"},
        ]});
        let set = KeySet::parse(body.to_string().as_bytes()).unwrap();
        assert_eq!(set.keys.len(), 2);
        assert_eq!(set.total, 5);
        assert!(set.select(KeyAlg::Es256, Some("a")).is_ok());
        assert_eq!(
            set.select(KeyAlg::Rs256, Some("a")).unwrap_err(),
            Rejection::UnknownKey
        );
        for kid in ["s", "liar", "e", "zzz"] {
            assert_eq!(
                set.select(KeyAlg::Es256, Some(kid)).unwrap_err(),
                Rejection::UnknownKey,
                "{kid}"
            );
        }
        assert_eq!(
            set.select(KeyAlg::Es256, None).unwrap_err(),
            Rejection::AmbiguousKey
        );
        let one = serde_json::json!({"keys": [ec_jwk(None, None)]});
        let one = KeySet::parse(one.to_string().as_bytes()).unwrap();
        assert!(one.select(KeyAlg::Es256, None).is_ok());
        assert!(KeySet::parse(b"{\"nope\": 1}").is_none());
    }
}
