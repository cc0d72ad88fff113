//! Rocket's `secret_key` as key material: features derive their own keys
//! from it (the crate reads it itself, so Rocket's `secrets` feature is not needed).

use cookie::Key;

/// The 64-byte key material from Rocket's `secret_key` (base64 or hex).
/// ASCII whitespace anywhere is ignored: `openssl rand -base64 64` breaks its
/// output over two lines, and a pasted key may carry spaces or a newline.
/// Read as Rocket reads it: 64 characters of hex are 32 bytes of hex (every
/// hex digit is also base64, so base64 must not be tried first), others base64.
pub(crate) fn key_from(secret: &str) -> Option<Key> {
    let s: String = secret.split_ascii_whitespace().collect();
    if let Some(bytes) = rocket_hex(&s) {
        return Some(Key::derive_from(&bytes));
    }
    lenient(&s)
}

/// 64 hex digits: the 32 bytes Rocket reads from them.
fn rocket_hex(s: &str) -> Option<Vec<u8>> {
    (s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| (0..32).map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()).collect())
        .flatten()
}

/// The key this crate read from a 64-digit hex `secret_key` before it read
/// it as Rocket does (the digits as base64): opened as an automatic last
/// fallback, so an upgrade does not end sessions and CSRF tokens.
pub(crate) fn legacy_hex_key(secret: &str) -> Option<Key> {
    let s: String = secret.split_ascii_whitespace().collect();
    rocket_hex(&s)?;
    lenient(&s)
}

fn lenient(s: &str) -> Option<Key> {
    use base64::Engine;
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
    let s: String = secret.split_ascii_whitespace().collect();
    PUBLISHED.contains(&s.as_str())
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
/// Anyone who can write the file can forge sessions, so on Unix an existing
/// file is trusted only if it is a regular file (not a symbolic link),
/// owned by this process's user and neither readable nor writable by group
/// or others; otherwise the error names the file and the fix (`chmod 600`,
/// or delete it so that a new key is made).
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
    match read_trusted(&path) {
        Ok(s) if key_from(&s).is_some() => return Ok(s.trim().to_string()),
        Ok(_) => {
            return Err(Error::new(
                ErrorKind::InvalidData,
                format!("{} holds no usable key; delete it to make a new one", path.display()),
            ));
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let key = random_key();
    let mut options = std::fs::OpenOptions::new();
    // `create_new` never follows a link at the path (O_EXCL).
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

/// The key file's content, if this process's user alone could have written
/// it. The checks are made on the opened file (not the path), so the file
/// cannot be swapped between check and read; a link at the path is not
/// followed (`O_NOFOLLOW`), and a FIFO never blocks the open (`O_NONBLOCK`).
#[cfg(unix)]
fn read_trusted(path: &std::path::Path) -> std::io::Result<String> {
    use std::io::{Error, ErrorKind, Read};
    use std::os::unix::fs::OpenOptionsExt;
    let shown = path.display();
    // O_NONBLOCK: a FIFO planted at the path cannot hang the start (it is then refused as not a regular file).
    let nofollow =
        (rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOCTTY).bits() as i32;
    let file = match std::fs::OpenOptions::new().read(true).custom_flags(nofollow).open(path) {
        Ok(f) => f,
        // Refused by O_NOFOLLOW (ELOOP on Linux and macOS, EMLINK on FreeBSD).
        Err(_) if std::fs::symlink_metadata(path).is_ok_and(|m| m.is_symlink()) => {
            return Err(Error::new(
                ErrorKind::PermissionDenied,
                format!(
                    "{shown} is a symbolic link, not a key file of this user's own: anyone who can change its target \
                     can forge sessions; delete it (`rm {shown}`) and a new key is made at the next start"
                ),
            ));
        }
        Err(e) => return Err(e),
    };
    trusted(&file.metadata()?, rustix::process::geteuid().as_raw(), path)?;
    // A key is under 200 characters; a larger file holds no usable key anyway.
    let mut s = String::new();
    file.take(4096).read_to_string(&mut s)?;
    Ok(s)
}

/// Whether a key file with `meta` can be trusted by the user `me`: a regular
/// file of `me`'s own that no other user can read or write.
#[cfg(unix)]
fn trusted(meta: &std::fs::Metadata, me: u32, path: &std::path::Path) -> std::io::Result<()> {
    use std::io::{Error, ErrorKind};
    use std::os::unix::fs::MetadataExt;
    let shown = path.display();
    if !meta.is_file() {
        return Err(Error::new(
            ErrorKind::InvalidData,
            format!(
                "{shown} is not a regular file; delete it (`rm -r {shown}`) and a new key is made at the next start"
            ),
        ));
    }
    if meta.uid() != me {
        return Err(Error::new(
            ErrorKind::PermissionDenied,
            format!(
                "{shown} belongs to user {}, not to this process's user ({me}): another user may have planted the key; \
                 delete it (`rm {shown}`) and a new key is made at the next start",
                meta.uid()
            ),
        ));
    }
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(Error::new(
            ErrorKind::PermissionDenied,
            format!(
                "{shown} is readable or writable by other users (mode {mode:04o}): whoever read it can forge \
                 sessions; delete it (`rm {shown}`) and a new key is made at the next start, or, if no one else \
                 could ever read it, run `chmod 600 {shown}`"
            ),
        ));
    }
    Ok(())
}

/// The key file's content (no ownership or mode to check off Unix).
#[cfg(not(unix))]
fn read_trusted(path: &std::path::Path) -> std::io::Result<String> {
    std::fs::read_to_string(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_lines_openssl_prints_are_one_key() {
        let one_line = random_key();
        let two_lines = format!("{}\n{}\n", &one_line[..64], &one_line[64..]);
        let want = key_from(&one_line).expect("a key").master().to_vec();
        assert_eq!(key_from(&two_lines).map(|k| k.master().to_vec()), Some(want.clone()));
        assert_eq!(
            key_from(&format!("  {}\r\n\t{} ", &one_line[..30], &one_line[30..])).map(|k| k.master().to_vec()),
            Some(want)
        );
        assert!(key_from("c2hvcnQ=\n").is_none(), "still at least 32 bytes");
    }

    #[test]
    fn a_published_key_is_known_with_a_line_break_inside() {
        let sample = PUBLISHED[0];
        assert!(is_published(&format!("{}\n{}", &sample[..64], &sample[64..])));
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_of_another_user_is_refused() {
        use std::os::unix::fs::MetadataExt;
        let dir = std::env::temp_dir().join(format!("dev-key-owner-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let key = development_secret_key(&dir).unwrap();
        let path = dir.join(DEVELOPMENT_KEY_FILE);
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(trusted(&meta, meta.uid(), &path).map_err(|e| e.to_string()), Ok(()), "{key}");
        let other = meta.uid().wrapping_add(1);
        assert_eq!(
            trusted(&meta, other, &path).unwrap_err().to_string(),
            format!(
                "{p} belongs to user {}, not to this process's user ({other}): another user may have planted the key; \
                 delete it (`rm {p}`) and a new key is made at the next start",
                meta.uid(),
                p = path.display()
            )
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
