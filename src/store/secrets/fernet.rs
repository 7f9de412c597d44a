//! NodeTool's secret encryption (reference 5.2): a per-user key from PBKDF2-HMAC-SHA256
//! (100,000 iterations, salt = user id) used as a Fernet key, so ciphertext written by
//! NodeTool decrypts here and the other way round.

use aes::Aes128;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit, block_padding::Pkcs7};
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const PBKDF2_ROUNDS: u32 = 100_000;
const VERSION: u8 = 0x80;
const HEADER: usize = 1 + 8 + 16;
const TAG: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FernetError {
    #[error("not a Fernet token")]
    Malformed,
    #[error("the token was not made with this key")]
    BadSignature,
}

/// The 32 derived bytes: the first half signs, the second half encrypts.
#[derive(Clone)]
pub struct UserKey([u8; 32]);

impl std::fmt::Debug for UserKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UserKey(..)")
    }
}

impl UserKey {
    /// PBKDF2-HMAC-SHA256(master key, user id, 100k): expensive by design, so callers cache.
    pub fn derive(master_key: &str, user_id: &str) -> UserKey {
        let mut out = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha256>(
            master_key.as_bytes(),
            user_id.as_bytes(),
            PBKDF2_ROUNDS,
            &mut out,
        );
        UserKey(out)
    }

    /// The Fernet key string NodeTool would build from the same bytes.
    pub fn fernet_key(&self) -> String {
        URL_SAFE.encode(self.0)
    }

    fn mac(&self) -> Hmac<Sha256> {
        <Hmac<Sha256> as Mac>::new_from_slice(&self.0[..16]).expect("HMAC takes any key length")
    }

    /// A Fernet token for `plaintext` made at `timestamp` (seconds) with `iv`.
    pub fn encrypt(&self, plaintext: &[u8], timestamp: u64, iv: [u8; 16]) -> String {
        let padded_len = (plaintext.len() / 16 + 1) * 16;
        let mut token = Vec::with_capacity(HEADER + padded_len + TAG);
        token.push(VERSION);
        token.extend_from_slice(&timestamp.to_be_bytes());
        token.extend_from_slice(&iv);
        let mut buf = vec![0u8; padded_len];
        buf[..plaintext.len()].copy_from_slice(plaintext);
        let cipher = cbc::Encryptor::<Aes128>::new(self.0[16..].into(), &iv.into());
        let ct = cipher
            .encrypt_padded_mut::<Pkcs7>(&mut buf, plaintext.len())
            .expect("buffer sized for the padding");
        token.extend_from_slice(ct);
        let mut mac = self.mac();
        mac.update(&token);
        token.extend_from_slice(&mac.finalize().into_bytes());
        URL_SAFE.encode(token)
    }

    /// The plaintext of a token made with this key (no TTL, as NodeTool).
    pub fn decrypt(&self, token: &str) -> Result<Vec<u8>, FernetError> {
        let raw = decode(token)?;
        let (signed, tag) = raw.split_at(raw.len() - TAG);
        let mut mac = self.mac();
        mac.update(signed);
        // Constant-time comparison of the tag.
        mac.verify_slice(tag)
            .map_err(|_| FernetError::BadSignature)?;
        let iv: [u8; 16] = signed[9..HEADER].try_into().expect("header length checked");
        let mut ct = signed[HEADER..].to_vec();
        let cipher = cbc::Decryptor::<Aes128>::new(self.0[16..].into(), &iv.into());
        let pt = cipher
            .decrypt_padded_mut::<Pkcs7>(&mut ct)
            .map_err(|_| FernetError::Malformed)?;
        Ok(pt.to_vec())
    }
}

/// Base64url (padded or not) of a version-0x80 token with a whole number of blocks.
fn decode(token: &str) -> Result<Vec<u8>, FernetError> {
    let t = token.trim().trim_end_matches('=');
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(t)
        .map_err(|_| FernetError::Malformed)?;
    let body = raw
        .len()
        .checked_sub(HEADER + TAG)
        .ok_or(FernetError::Malformed)?;
    if raw[0] != VERSION || body == 0 || body % 16 != 0 {
        return Err(FernetError::Malformed);
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference 5.2's known-answer vector, made with Python's `cryptography`.
    const TOKEN: &str = "gAAAAABlU_EAAAAAAAAAAAAAAAAAAAAAAJczasMUAhTxv22wxACz-VlwFRs5wBYbjEBiPr7Z555W5kj3lvwZQI8vjPTRJIIEvA==";

    #[test]
    fn known_answer_vector() {
        let key = UserKey::derive("test-master-key", "1");
        assert_eq!(
            key.fernet_key(),
            "A2VPbnI5QgnMvrDxgnRqgmJG5N2CFZk1KEqSCcw0ynM="
        );
        assert_eq!(key.decrypt(TOKEN).unwrap(), b"sk-test");
        assert_eq!(key.encrypt(b"sk-test", 1_700_000_000, [0; 16]), TOKEN);
    }

    #[test]
    fn wrong_key_user_or_tampering_fail() {
        let key = UserKey::derive("test-master-key", "1");
        assert_eq!(
            UserKey::derive("test-master-key", "2").decrypt(TOKEN),
            Err(FernetError::BadSignature)
        );
        assert_eq!(
            UserKey::derive("other", "1").decrypt(TOKEN),
            Err(FernetError::BadSignature)
        );
        let mut raw = URL_SAFE.decode(TOKEN).unwrap();
        raw[30] ^= 1;
        assert_eq!(
            key.decrypt(&URL_SAFE.encode(raw)),
            Err(FernetError::BadSignature)
        );
        for bad in [
            "",
            "gAAAA",
            "not base64!",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ] {
            assert_eq!(key.decrypt(bad), Err(FernetError::Malformed), "{bad}");
        }
        let t = key.encrypt("ünïcode".as_bytes(), 5, [7; 16]);
        assert_eq!(key.decrypt(&t).unwrap(), "ünïcode".as_bytes());
        assert_eq!(
            key.decrypt(t.trim_end_matches('=')).unwrap(),
            "ünïcode".as_bytes()
        );
    }
}
