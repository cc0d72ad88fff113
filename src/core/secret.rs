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

/// `secret_key` values that are public: this repository's sample
/// `Rocket.toml` and the examples in Rocket's documentation. Anyone can forge
/// session stamps and CSRF tokens with them.
const PUBLISHED: &[&str] = &[
    "o0/U03li/W+nN5Z4YuPxyKtIe1h60PBkvaK5wSxz2MwLNdc9JYwQlJ5mfKh/zKJbar/MArjkfTmsTmSabGC9GA==",
    "hPRYyVRiMyxpw5sBB1XeCMN1kFsDCqKvBi2QJxBVHQk=",
];

/// Whether `secret` is a published value.
pub(crate) fn is_published(secret: &str) -> bool {
    PUBLISHED.contains(&secret.trim())
}
