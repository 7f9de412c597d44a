//! Any bearer token on a Supabase deployment (HS256 secret, an empty JWKS): a token gets in
//! only if its HS256 signature is right, and is otherwise refused with a `detail`.

#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use http::Method;
use libfuzzer_sys::fuzz_target;
use nodetool_edge_fuzz::{HS256_SECRET, call, supabase_server};
use sha2::Sha256;

/// The oracle, computed here independently of the core.
fn signed_with_the_secret(token: &str) -> bool {
    let Some((signed, signature)) = token.rsplit_once('.') else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(HS256_SECRET.as_bytes()).unwrap();
    mac.update(signed.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()) == signature
}

fuzz_target!(|token: &[u8]| {
    let Ok(token) = std::str::from_utf8(token) else {
        return;
    };
    let host = supabase_server();
    let header = format!("Bearer {token}");
    let Some(answer) = call(
        &host,
        &Method::GET,
        "/api/workflows/",
        &[("authorization", header.as_bytes())],
        b"",
    ) else {
        return;
    };
    match answer.status {
        200 => assert!(signed_with_the_secret(token.trim()), "let in: {token:?}"),
        // 503: an ES256/RS256 token names a key the (empty) key set cannot give.
        401 | 503 => {}
        other => panic!("{other} for {token:?}"),
    }
});
