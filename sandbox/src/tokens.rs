//! Random identifiers and JWT-shaped tokens. Tokens are only ever checked by looking them up in
//! the sandbox's own registry, so the signature is random bytes; the shape (three base64url
//! parts with `exp`, `email`, `sub`) is what a client that peeks at a token would see.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use rand::distr::{Alphanumeric, SampleString};
use rand::Rng;
use serde_json::{json, Value};
use std::time::{SystemTime, UNIX_EPOCH};

pub fn random_alnum(len: usize) -> String {
    Alphanumeric.sample_string(&mut rand::rng(), len)
}

pub fn random_hex(bytes: usize) -> String {
    let mut rng = rand::rng();
    (0..bytes)
        .map(|_| format!("{:02x}", rng.random::<u8>()))
        .collect()
}

pub fn random_b64url(bytes: usize) -> String {
    let raw: Vec<u8> = (0..bytes).map(|_| rand::rng().random::<u8>()).collect();
    URL_SAFE_NO_PAD.encode(raw)
}

pub fn uuid() -> String {
    let h = random_hex(16);
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

/// Upper-case letters without look-alikes, as device-flow user codes use.
pub fn user_code(groups: usize) -> String {
    const LETTERS: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";
    let mut rng = rand::rng();
    (0..groups)
        .map(|_| {
            (0..4)
                .map(|_| LETTERS[rng.random_range(0..LETTERS.len())] as char)
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs()
}

pub fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_millis() as u64
}

/// A JWT: header `{alg, kid, typ}`, the given claims, and a random signature.
pub fn jwt(alg: &str, kid: &str, claims: &Value) -> String {
    let header = json!({"alg": alg, "kid": kid, "typ": "JWT"});
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        random_b64url(256)
    )
}

pub fn base64_standard(data: &[u8]) -> String {
    STANDARD.encode(data)
}

/// RFC 3339 UTC with seconds, as SAML and AWS write instants.
pub fn iso8601(epoch_secs: u64) -> String {
    time::OffsetDateTime::from_unix_timestamp(epoch_secs as i64)
        .expect("a representable instant")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("RFC 3339 formats any instant")
}

/// A stable 16-hex suffix, as Identity Center appends to `AWSReservedSSO_{ps}_` role names.
pub fn stable_hex16(input: &str) -> String {
    // FNV-1a: deterministic across runs and Rust versions, unlike std's hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in input.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwts_have_three_base64url_parts_with_the_claims() {
        let token = jwt("RS256", "k1", &json!({"sub": "u", "exp": 5}));
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["exp"], 5);
    }

    #[test]
    fn user_codes_and_suffixes_have_their_shapes() {
        let code = user_code(2);
        assert_eq!(code.len(), 9);
        assert_eq!(&code[4..5], "-");
        assert_eq!(stable_hex16("a"), stable_hex16("a"));
        assert_eq!(stable_hex16("a").len(), 16);
        assert_ne!(stable_hex16("a"), stable_hex16("b"));
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
    }
}
