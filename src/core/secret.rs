//! Rocket's `secret_key` as key material: features derive their own keys
//! from it (the crate reads it itself, so Rocket's `secrets` feature is not needed).

use cookie::Key;

/// The 64-byte key material from Rocket's `secret_key` (base64 or hex).
pub(crate) fn key_from(secret: &str) -> Option<Key> {
    use base64::Engine;
    let s = secret.trim();
    let bytes = base64::engine::general_purpose::STANDARD.decode(s).ok().or_else(|| {
        let hex = s.as_bytes();
        (hex.len().is_multiple_of(2) && hex.iter().all(u8::is_ascii_hexdigit))
            .then(|| hex.chunks(2).map(|p| u8::from_str_radix(std::str::from_utf8(p).ok()?, 16).ok()).collect())
            .flatten()
    })?;
    match bytes.len() {
        64.. => Some(Key::from(&bytes[..64])),
        32.. => Some(Key::derive_from(&bytes)),
        _ => None,
    }
}
