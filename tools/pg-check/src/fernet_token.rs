//! Fernet tokens as stored in audit rows: is a value shaped like a token
//! (version 0x80, timestamp, IV, whole AES blocks, HMAC), and does it verify
//! and decrypt with the key? Plaintext is never returned to the caller.

use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};

/// Verdict is what one stored value turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Not a Fernet token at all (plaintext, JSON, other encodings).
    NotToken,
    /// Shaped like a token; no key to verify it with.
    WellFormed,
    /// Verified its HMAC and decrypted with the key.
    Decrypts,
    /// Shaped like a token but did not verify with the key (another key, or tampered).
    WrongKey,
}

const MIN_LEN: usize = 1 + 8 + 16 + 16 + 32;

/// well_formed checks the token layout of the Fernet spec without a key.
pub fn well_formed(value: &str) -> bool {
    let v = value.trim();
    let bytes = URL_SAFE.decode(v).or_else(|_| URL_SAFE_NO_PAD.decode(v.trim_end_matches('=')));
    match bytes {
        Ok(b) => b.len() >= MIN_LEN && b[0] == 0x80 && (b.len() - (1 + 8 + 16 + 32)) % 16 == 0,
        Err(_) => false,
    }
}

/// classify judges one stored value, with the key when there is one.
pub fn classify(value: &str, key: Option<&fernet::Fernet>) -> Verdict {
    if !well_formed(value) {
        return Verdict::NotToken;
    }
    match key {
        None => Verdict::WellFormed,
        Some(k) => match k.decrypt(value.trim()) {
            Ok(_) => Verdict::Decrypts,
            Err(_) => Verdict::WrongKey,
        },
    }
}

/// valid_key says whether a key is 32 url-safe base64-encoded bytes.
pub fn valid_key(key: &str) -> bool {
    fernet::Fernet::new(key.trim()).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    // The Fernet spec's published vectors (github.com/fernet/spec, verify.json).
    const SECRET: &str = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";
    const TOKEN: &str =
        "gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==";

    #[test]
    fn spec_vector_verifies_and_decrypts() {
        let f = fernet::Fernet::new(SECRET).unwrap();
        assert_eq!(f.decrypt(TOKEN).unwrap(), b"hello");
        assert_eq!(classify(TOKEN, Some(&f)), Verdict::Decrypts);
        assert_eq!(classify(TOKEN, None), Verdict::WellFormed);
    }

    #[test]
    fn spec_invalid_tokens_and_tampering_are_rejected() {
        let f = fernet::Fernet::new(SECRET).unwrap();
        // From the spec's invalid.json: too short, invalid base64.
        assert_eq!(
            classify("91GVdgz7jmWR6vJiViEA4u-LhVMhCSr87INSeFwwkYAAAAAAHcCesAABAgMEBQYHCAkKCw==", Some(&f)),
            Verdict::NotToken
        );
        assert_eq!(
            classify(
                "%%%%%%%%%%%j-ztUarjDIfllJBmLiBMjfcmZesHVIhcAAAAAHcCesAABAgMEBQYHCAkKCwwNDg8tNtXKRlVimf3hMAhjOASy",
                Some(&f)
            ),
            Verdict::NotToken
        );
        // The valid token with its last HMAC byte changed: shaped right, does not verify.
        let mut bytes = URL_SAFE.decode(TOKEN).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert_eq!(classify(&URL_SAFE.encode(&bytes), Some(&f)), Verdict::WrongKey);
        // Another key.
        let other = fernet::Fernet::new(&fernet::Fernet::generate_key()).unwrap();
        assert_eq!(classify(TOKEN, Some(&other)), Verdict::WrongKey);
        // Version byte not 0x80; plaintext JSON.
        bytes[0] = 0x81;
        assert_eq!(classify(&URL_SAFE.encode(&bytes), None), Verdict::NotToken);
        assert_eq!(classify("{\"action\":\"navi.chat\"}", None), Verdict::NotToken);
        assert!(valid_key(SECRET));
        assert!(!valid_key("short"));
    }
}
