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

/// 64 random bytes, base64: a fresh `secret_key`.
pub(crate) fn random_key() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 64];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The file [`development_secret_key`] keeps its key in (add it to `.gitignore`).
///
/// ```
/// assert_eq!(rocket_security::core::DEVELOPMENT_KEY_FILE, ".rocket-secret-key");
/// ```
pub const DEVELOPMENT_KEY_FILE: &str = ".rocket-secret-key";

/// A `secret_key` for development, kept in `dir` (the file
/// [`DEVELOPMENT_KEY_FILE`], readable by its owner only): made on first use
/// (64 random bytes, base64), the same value on every later start, so
/// sessions survive a restart. Never use it for a release profile: a
/// deployment brings its own key (`ROCKET_SECRET_KEY`).
///
/// ```
/// let dir = std::env::temp_dir().join(format!("dev-key-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let key = rocket_security::core::development_secret_key(&dir).unwrap();
/// assert_eq!(key, rocket_security::core::development_secret_key(&dir).unwrap());
/// let figment = rocket::Config::figment().merge(("secret_key", key));
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn development_secret_key(dir: &std::path::Path) -> std::io::Result<String> {
    use std::io::{Error, ErrorKind, Write};
    let path = dir.join(DEVELOPMENT_KEY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(s) if key_from(&s).is_some() => return Ok(s.trim().to_string()),
        Ok(_) => {
            return Err(Error::new(
                ErrorKind::InvalidData,
                format!("{} holds no usable key; delete it to make a new one", path.display()),
            ))
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let key = random_key();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&path) {
        Ok(mut file) => {
            file.write_all(key.as_bytes())?;
            file.sync_all()?;
            Ok(key)
        }
        // Another process made it first: use theirs.
        Err(e) if e.kind() == ErrorKind::AlreadyExists => development_secret_key(dir),
        Err(e) => Err(e),
    }
}
