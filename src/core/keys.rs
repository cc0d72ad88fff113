//! The keys every sealer uses, in one place: Rocket's `secret_key` (the
//! current key: it seals every new value) and `security.secret_key_fallbacks`
//! (keys it replaced: a value sealed with one is still accepted, and sealed
//! again with the current key on the next response). Rotating the key is
//! then a deploy, not a mass logout (Django's `SECRET_KEY_FALLBACKS`):
//!
//! ```toml
//! # Rocket.toml (or ROCKET_SECRET_KEY and ROCKET_SECURITY in the environment)
//! [release]
//! secret_key = "the new key"            # openssl rand -base64 64 | tr -d '\n'
//!
//! [release.security]
//! secret_key_fallbacks = [
//!     { key = "the key it replaced", retired_at = "2026-05-01" },
//! ]
//! ```
//!
//! The session stamp, the CSRF token and the application's cookies read
//! through `cookies::PrivateCookies` are opened with the current
//! key first and with a fallback only when that fails, so a deployment without
//! fallbacks does exactly the work it did before. A fallback is dropped once
//! nothing sealed with it can still be in use: the deploy check says when
//! (`security.W026`, from `retired_at` and `security.session.absolute_timeout`).

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use cookie::{Cookie, CookieJar, Key};
use rocket::figment::value::Value;
use serde::{Deserialize, Deserializer};

use super::check::Finding;
use super::config::{describe, each_at, shaped, text};
use super::error::ConfigError;
use super::secret::{is_published, key_from};

/// One entry of `security.secret_key_fallbacks`: a key that `secret_key`
/// held before, alone or with the day it was replaced.
///
/// ```toml
/// [release.security]
/// secret_key_fallbacks = [
///     "the key before the last one",                              # no date: kept until you drop it
///     { key = "the key before the current one", retired_at = "2026-05-01" },
/// ]
/// ```
///
/// A fallback that is the current key, a published key, a key given twice,
/// or less than 32 bytes (base64 or hex) fails the launch naming its entry,
/// e.g. `security.secret_key_fallbacks[1]`. `Debug` never shows the key.
///
/// ```
/// use rocket::figment::Figment;
/// use rocket_security::SecurityConfig;
///
/// let old = "QuHRjjNVS91P2uSf3xgDC7R2K+ZE0zQyN5zn5Hyikl4iinVwigHe42nfKifnntC8apl1+yPEUFhHNM79SF44DQ==";
/// let new = "/kFj0DPviOvaR2l9kDIKkEENCX9O0DwaD0mA5rMLUnuzb4i90CCimP495BGkuAsokp+81LZgfk8OolxjNECrmQ==";
/// let figment = Figment::from(rocket::Config::default())
///     .merge(("secret_key", new))
///     .merge(("security.secret_key_fallbacks", [old]));
/// let fallbacks = SecurityConfig::from_figment(&figment).unwrap().secret_key_fallbacks;
/// assert_eq!(fallbacks[0].key, old);
/// assert_eq!(fallbacks[0].retired_at, None);
/// assert_eq!(format!("{:?}", fallbacks[0]), "SecretKeyFallback { key: \"(hidden)\", retired_at: None }");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKeyFallback {
    /// The retired key, spelled as `secret_key` is (base64 or hex, at least 32 bytes).
    pub key: String,
    /// The day it stopped being `secret_key` (`"YYYY-MM-DD"`): from then on
    /// nothing new is sealed with it, so once `security.session.absolute_timeout`
    /// has passed since the end of that day (UTC) no session can still need
    /// it, and the deploy check says to drop it (`security.W026`).
    /// _Default:_ none (the deploy check cannot tell when it can go).
    pub retired_at: Option<NaiveDate>,
}

impl fmt::Debug for SecretKeyFallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretKeyFallback").field("key", &"(hidden)").field("retired_at", &self.retired_at).finish()
    }
}

impl<'de> Deserialize<'de> for SecretKeyFallback {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        shaped(d, |v| match v {
            Value::Dict(_, dict) => {
                let mut mistakes = Vec::new();
                let key = match dict.get("key").map(|k| (text(k), k)) {
                    Some((Some(k), _)) => k,
                    Some((None, k)) => {
                        mistakes.push(("key".into(), format!("expected a string, found {}", describe(k))));
                        String::new()
                    }
                    None => {
                        mistakes.push(("key".into(), "missing: the retired key, as `secret_key` held it".into()));
                        String::new()
                    }
                };
                let retired_at = match dict.get("retired_at") {
                    None => None,
                    Some(v) => match date(v) {
                        Ok(d) => Some(d),
                        Err(e) => {
                            mistakes.push(("retired_at".into(), e));
                            None
                        }
                    },
                };
                for name in dict.keys().filter(|k| !matches!(k.as_str(), "key" | "retired_at")) {
                    mistakes.push((name.clone(), "unknown key; the keys of a fallback are: key, retired_at".into()));
                }
                if mistakes.is_empty() {
                    Ok(SecretKeyFallback { key, retired_at })
                } else {
                    Err(each_at(mistakes))
                }
            }
            v => text(v).map(|key| SecretKeyFallback { key, retired_at: None }).ok_or_else(|| {
                format!(
                    "expected the retired key (a string) or a table {{ key = \"...\", retired_at = \"YYYY-MM-DD\" }}, \
                     found {}",
                    describe(v)
                )
            }),
        })
    }
}

/// A day: `"2026-05-01"`, or TOML's bare date `2026-05-01` (which figment
/// hands over as a table holding the string).
fn date(v: &Value) -> Result<NaiveDate, String> {
    let s = match v {
        Value::Dict(_, d) if d.len() == 1 => d.values().next().and_then(text),
        v => text(v),
    };
    s.as_deref()
        .and_then(|s| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok())
        .ok_or_else(|| format!("expected a day as \"YYYY-MM-DD\" (e.g. \"2026-05-01\"), found {}", describe(v)))
}

/// Request-local: the cookies sealed again with the current key on this
/// request, each `(name, sealed value)`: the session stamp, bound to the
/// login cookies' values, follows a login cookie the crate sealed again.
#[derive(Default)]
pub(crate) struct Resealed(std::sync::Mutex<Vec<(String, String)>>);

impl Resealed {
    pub(crate) fn record(&self, name: &str, sealed: &str) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push((name.to_string(), sealed.to_string()));
    }

    /// Whether `req` sealed the cookie `name` again as `sealed`.
    pub(crate) fn has(req: &rocket::Request<'_>, name: &str, sealed: &str) -> bool {
        let done = req.local_cache(Resealed::default).0.lock().unwrap_or_else(|e| e.into_inner());
        done.iter().any(|(n, v)| n == name && v == sealed)
    }
}

/// Which key opened a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sealer {
    /// The current `secret_key`.
    Current,
    /// `security.secret_key_fallbacks[i]`.
    Fallback(usize),
}

impl Sealer {
    pub(crate) fn is_current(self) -> bool {
        self == Sealer::Current
    }
}

/// For logs: `secret_key` or `security.secret_key_fallbacks[0]`.
impl fmt::Display for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Sealer::Current => f.write_str("secret_key"),
            Sealer::Fallback(i) => write!(f, "security.secret_key_fallbacks[{i}]"),
        }
    }
}

/// The current key and the fallbacks, compiled at ignite: the one place a
/// sealer gets its keys from.
pub(crate) struct Keys {
    /// The current key first, then the fallbacks in the configured order.
    keys: Vec<Key>,
}

/// Why there are no keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NoKey {
    /// `secret_key` is not set.
    Missing,
    /// `secret_key` is set but not a usable key.
    Unusable,
}

impl Keys {
    /// Validates `fallbacks` against the `secret_key` (`None`: not known here,
    /// a typed configuration validated on its own: a stand-in key, checked
    /// again at ignite), pushing a mistake per entry to `errors`.
    pub(crate) fn compile(
        secret_key: Option<Option<&str>>,
        fallbacks: &[SecretKeyFallback],
        errors: &mut Vec<ConfigError>,
    ) -> Result<Keys, NoKey> {
        let current = match secret_key {
            None => Ok(None),
            Some(None) => Err(NoKey::Missing),
            Some(Some(s)) if s.trim().is_empty() => Err(NoKey::Missing),
            Some(Some(s)) => key_from(s).map(Some).ok_or(NoKey::Unusable),
        };
        let entry = |i: usize| format!("security.secret_key_fallbacks[{i}]");
        let mut keys: Vec<Key> = Vec::with_capacity(fallbacks.len() + 1);
        for (i, f) in fallbacks.iter().enumerate() {
            let Some(k) = key_from(&f.key) else {
                errors.push(ConfigError::new(
                    entry(i),
                    "must be at least 32 bytes, base64 or hex encoded: the key `secret_key` held before, as it was \
                     set there",
                ));
                continue;
            };
            let same = |other: &Key| other.master() == k.master();
            if is_published(&f.key) {
                errors.push(ConfigError::new(
                    entry(i),
                    "is a published value (the sample Rocket.toml's, or Rocket's documentation example): anyone can \
                     forge session stamps and CSRF tokens with it, so nothing sealed with it can be trusted; remove \
                     this entry",
                ));
            } else if let Ok(Some(c)) = &current
                && same(c)
            {
                errors.push(ConfigError::new(
                    entry(i),
                    "is the current `secret_key`: a fallback is a key that `secret_key` held before; remove this \
                     entry (to rotate, move the old key here and set a new `secret_key`, made with \
                     `openssl rand -base64 64 | tr -d '\\n'`)",
                ));
            } else if let Some(j) = keys.iter().position(same) {
                let first = fallbacks.iter().position(|g| key_from(&g.key).is_some_and(|g| same(&g))).unwrap_or(j);
                errors.push(ConfigError::new(
                    entry(i),
                    format!("is the same key as `{}`; list each retired key once", entry(first)),
                ));
            }
            keys.push(k);
        }
        match current {
            Err(why) => {
                if !fallbacks.is_empty() {
                    errors.push(ConfigError::new(
                        "security.secret_key_fallbacks",
                        "fallbacks only open what an earlier key sealed; new values need the current key, and \
                         `secret_key` is not set (or not a key): set it (`openssl rand -base64 64 | tr -d '\\n'`), \
                         or remove the fallbacks",
                    ));
                }
                Err(why)
            }
            Ok(current) => {
                // Validation without a figment: a stand-in for the key checked at ignite.
                let current = current.unwrap_or_else(|| Key::from(&[7u8; 64]));
                keys.insert(0, current);
                // A 64-digit hex key was read as base64 before it was read as Rocket
                // reads it: what that key sealed still opens, as the last fallback
                // (logged as the index after the configured ones).
                if let Some(Some(s)) = secret_key
                    && let Some(legacy) = super::secret::legacy_hex_key(s)
                {
                    keys.push(legacy);
                }
                Ok(Keys { keys })
            }
        }
    }

    /// The key that seals every new value.
    pub(crate) fn current(&self) -> &Key {
        &self.keys[0]
    }

    /// Each key with who it is, the current key first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (Sealer, &Key)> {
        self.keys.iter().enumerate().map(|(i, k)| (if i == 0 { Sealer::Current } else { Sealer::Fallback(i - 1) }, k))
    }

    /// A 32-byte key for one use (`label`) derived from each key, the current
    /// key's first: SHA-256 of the key material and the label.
    pub(crate) fn derive(&self, label: &[u8]) -> Vec<[u8; 32]> {
        use sha2::{Digest, Sha256};
        self.keys.iter().map(|k| Sha256::new().chain_update(k.master()).chain_update(label).finalize().into()).collect()
    }

    /// The value of the private cookie `name` sealed as `sealed`: opened with
    /// the current key, else with the first fallback that opens it.
    pub(crate) fn open(&self, name: &str, sealed: &str) -> Option<(String, Sealer)> {
        self.iter().find_map(|(who, key)| {
            let c = CookieJar::new().private(key).decrypt(Cookie::new(name.to_string(), sealed.to_string()))?;
            Some((c.value().to_string(), who))
        })
    }

    /// `cookie` with its value sealed with the current key (authenticated
    /// encryption bound to its name: the format of Rocket's private cookies).
    pub(crate) fn seal(&self, cookie: Cookie<'static>) -> Cookie<'static> {
        let mut jar = CookieJar::new();
        let name = cookie.name().to_string();
        jar.private_mut(self.current()).add(cookie);
        jar.get(&name).cloned().expect("just added")
    }
}

/// The deploy-check findings about the fallbacks: `security.W026` for one
/// retired longer than `lifetime` ago (no session can still need it),
/// `security.W029` for a `retired_at` after tomorrow (a typo), and
/// in release `security.I004` for one without `retired_at` (the check cannot
/// tell). `lifetime`: the longest a sealed value lives, in seconds
/// (`security.session.absolute_timeout`).
pub(crate) fn findings(
    fallbacks: &[SecretKeyFallback],
    lifetime: u64,
    now: DateTime<Utc>,
    release: bool,
    out: &mut Vec<Finding>,
) {
    let lifetime = chrono::Duration::seconds(lifetime.min(i64::MAX as u64 / 1000) as i64);
    for (i, f) in fallbacks.iter().enumerate() {
        let entry = format!("security.secret_key_fallbacks[{i}]");
        match f.retired_at {
            // A typo (2062 for 2026) would keep W026 quiet for decades; a day
            // ahead of UTC's is the most a time zone explains.
            Some(day) if day > (now + chrono::Duration::days(1)).date_naive() => out.push(Finding::warning(
                "security.W029",
                format!(
                    "`{entry}` has `retired_at = {day}`, a day still to come: the deploy check cannot tell when no \
                     session needs that key any more"
                ),
                format!("write the day the key stopped being `secret_key` (today, {}, or earlier)", now.date_naive()),
            )),
            Some(day) => {
                // Some time that day: counted from its end (UTC), never too early.
                let retired = day.and_hms_opt(0, 0, 0).expect("midnight").and_utc() + chrono::Duration::days(1);
                if now - retired > lifetime {
                    out.push(Finding::warning(
                        "security.W026",
                        format!(
                            "`{entry}` was retired on {day}, longer ago than `security.session.absolute_timeout` \
                             ({} s): no session sealed with it can still be live, yet anyone who holds that old key \
                             can still forge cookies this site accepts",
                            lifetime.num_seconds()
                        ),
                        format!(
                            "remove `{entry}` (keep it only while the application's own private cookies from \
                             before {day} must still open)"
                        ),
                    ));
                }
            }
            None if release => out.push(Finding::info(
                "security.I004",
                format!(
                    "`{entry}` has no `retired_at`: the deploy check cannot tell when no session needs it any more"
                ),
                "write it as { key = \"...\", retired_at = \"YYYY-MM-DD\" } (the day it stopped being \
                 `secret_key`), or remove it once `security.session.absolute_timeout` has passed since then",
            )),
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode([byte; 64])
    }

    fn fallback(key: String) -> SecretKeyFallback {
        SecretKeyFallback { key, retired_at: None }
    }

    #[test]
    fn the_current_key_opens_first_and_a_fallback_only_after_it() {
        let a = Keys::compile(Some(Some(&key(1))), &[], &mut vec![]).unwrap();
        let sealed = a.seal(Cookie::new("c", "v")).value().to_string();
        let b_only = Keys::compile(Some(Some(&key(2))), &[], &mut vec![]).unwrap();
        assert_eq!(b_only.open("c", &sealed), None);
        let b_then_a = Keys::compile(Some(Some(&key(2))), &[fallback(key(3)), fallback(key(1))], &mut vec![]).unwrap();
        assert_eq!(b_then_a.open("c", &sealed), Some(("v".into(), Sealer::Fallback(1))));
        assert_eq!(b_then_a.open("other-name", &sealed), None, "the name is part of the seal");
        let resealed = b_then_a.seal(Cookie::new("c", "v")).value().to_string();
        assert_eq!(b_then_a.open("c", &resealed), Some(("v".into(), Sealer::Current)));
        assert_eq!(a.open("c", &resealed), None);
    }

    #[test]
    fn a_hex_key_is_read_as_rocket_reads_it_and_what_its_old_reading_sealed_still_opens() {
        let hex = "ab".repeat(32);
        let keys = Keys::compile(Some(Some(&hex)), &[], &mut vec![]).unwrap();
        // Rocket: 64 hex digits are 32 bytes, from which the key is derived.
        assert_eq!(keys.current().master(), Key::derive_from(&[0xab; 32]).master());
        // Sealed under the digits read as base64 (before): the last fallback opens it.
        let old = Keys { keys: vec![super::super::secret::legacy_hex_key(&hex).unwrap()] };
        let sealed = old.seal(Cookie::new("c", "v")).value().to_string();
        assert_eq!(keys.open("c", &sealed), Some(("v".into(), Sealer::Fallback(0))));
        // A base64 key has no other reading.
        assert_eq!(Keys::compile(Some(Some(&key(1))), &[], &mut vec![]).unwrap().keys.len(), 1);
    }

    #[test]
    fn every_bad_fallback_is_named_by_its_entry() {
        let mut errors = vec![];
        let published = "hPRYyVRiMyxpw5sBB1XeCMN1kFsDCqKvBi2QJxBVHQk=".to_string();
        let list =
            [fallback(key(1)), fallback(key(2)), fallback("c2hvcnQ=".into()), fallback(published), fallback(key(1))];
        assert!(Keys::compile(Some(Some(&key(2))), &list, &mut errors).is_ok());
        let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "security.secret_key_fallbacks[1]",
                "security.secret_key_fallbacks[2]",
                "security.secret_key_fallbacks[3]",
                "security.secret_key_fallbacks[4]"
            ]
        );
        assert_eq!(
            errors[3].message,
            "is the same key as `security.secret_key_fallbacks[0]`; list each retired key once"
        );
    }

    #[test]
    fn the_current_key_spelled_over_two_lines_is_still_the_current_key() {
        let b64 = key(5);
        let wrapped = format!("{}\n{}", &b64[..64], &b64[64..]);
        let mut errors = vec![];
        let _ = Keys::compile(Some(Some(&b64)), &[fallback(wrapped)], &mut errors);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message.starts_with("is the current `secret_key`"), "{}", errors[0].message);
    }
}
