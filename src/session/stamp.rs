//! The encrypted session stamp: issuing, reading and expiring it.

use chrono::{DateTime, TimeZone, Utc};
use cookie::{Cookie, CookieJar, Key, SameSite};
use rocket::http::Header;
use rocket::{Request, Response};

use super::config::SessionExpiry;
use crate::core::paths::PathSet;

/// What the response must do with cookies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Write the stamp.
    Stamp { start: i64, last: i64 },
    /// Remove a stamp left by an earlier login.
    Forget,
    /// The session expired: remove the stamp and the application's cookies.
    Expired(&'static str),
}

/// The compiled settings.
pub(crate) struct SessionPolicy {
    pub(crate) config: SessionExpiry,
    key: Key,
    passive: PathSet,
}

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

impl SessionPolicy {
    pub(crate) fn new(config: SessionExpiry, key: Key, passive: PathSet) -> Self {
        SessionPolicy { config, key, passive }
    }

    fn logged_in(&self, req: &Request<'_>) -> bool {
        self.config.cookies.iter().any(|c| req.cookies().get(c).is_some())
    }

    /// The stamp of this request: (login time, last activity), unix seconds,
    /// if it decrypts and belongs to the login cookies this request carries.
    pub(crate) fn stamp(&self, req: &Request<'_>) -> Option<(i64, i64)> {
        let raw = req.cookies().get(&self.config.cookie_name)?.value();
        // The stamp is base64 (no `%`): decode only a value a client encoded.
        let value = if raw.contains('%') {
            rocket::http::RawStr::new(raw).percent_decode_lossy().into_owned()
        } else {
            raw.to_string()
        };
        let plain = CookieJar::new().private(&self.key).decrypt(Cookie::new(self.config.cookie_name.clone(), value))?;
        let mut parts = plain.value().splitn(3, ':');
        let (start, last, bind) = (parts.next()?.parse().ok()?, parts.next()?.parse().ok()?, parts.next()?);
        let expected = self.binding(|name| req.cookies().get(name).map(|c| c.value()));
        (bind.as_bytes() == expected.as_slice()).then_some((start, last))
    }

    /// Ties a stamp to the login cookies' values, so a stamp cannot be moved
    /// onto another login (and dropping it does not start a fresh window):
    /// the first 12 bytes of a SHA-256 over the values, in lowercase hex.
    fn binding<'v>(&self, value: impl Fn(&str) -> Option<&'v str>) -> [u8; 24] {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for name in &self.config.cookies {
            h.update(value(name).unwrap_or_default().as_bytes());
            h.update([0x1f]);
        }
        let mut out = [0u8; 24];
        crate::core::hex::encode_into(&h.finalize(), &mut out);
        out
    }

    /// The configured login cookies this response sets (a fresh login) or
    /// removes (a logout), from its raw `Set-Cookie` headers.
    fn login_cookies_set(&self, res: &Response<'_>) -> Vec<(String, Option<String>)> {
        let mut out = Vec::new();
        for header in res.headers().get("Set-Cookie") {
            let Ok(c) = Cookie::parse_encoded(header.to_string()) else { continue };
            if !self.config.cookies.iter().any(|n| n == c.name()) {
                continue;
            }
            let removed = c.max_age().is_some_and(|a| a.is_zero() || a.is_negative()) || c.value().is_empty();
            out.push((c.name().to_string(), (!removed).then(|| c.value().to_string())));
        }
        out
    }

    /// Decides at request time; `None`: nothing to do.
    pub(crate) fn decide(&self, req: &Request<'_>, now: DateTime<Utc>) -> Option<Decision> {
        if self.passive.matches(req.uri()) {
            return None;
        }
        let stamp = self.stamp(req);
        if !self.logged_in(req) {
            return stamp.map(|_| Decision::Forget);
        }
        let now = now.timestamp();
        // Logged in without a valid stamp for these cookies: never a fresh window
        // (stamps are issued only on the response that logs the user in).
        let Some((start, last)) = stamp else { return Some(Decision::Expired("unverified")) };
        if now - start > self.config.absolute_timeout as i64 {
            return Some(Decision::Expired("absolute"));
        }
        if now - last > self.config.idle_timeout as i64 {
            return Some(Decision::Expired("idle"));
        }
        (now - last >= self.config.refresh_interval as i64).then_some(Decision::Stamp { start, last: now })
    }

    /// Seconds left before each timeout, for the status endpoint.
    pub(crate) fn seconds_left(&self, req: &Request<'_>, now: DateTime<Utc>) -> Option<(i64, i64)> {
        if !self.logged_in(req) {
            return None;
        }
        let (start, last) = self.stamp(req)?;
        let now = now.timestamp();
        Some((
            (last + self.config.idle_timeout as i64 - now).max(0),
            (start + self.config.absolute_timeout as i64 - now).max(0),
        ))
    }

    /// Writes the decision into the response as raw `Set-Cookie` headers. A
    /// response that sets the login cookies (a login) gets a fresh stamp
    /// instead; one that removes them (a logout) drops the stamp.
    pub(crate) fn apply(
        &self,
        req: &Request<'_>,
        decision: Option<&Decision>,
        now: DateTime<Utc>,
        secure: bool,
        res: &mut Response<'_>,
    ) {
        let set_now = self.login_cookies_set(res);
        let decision = if set_now.iter().any(|(_, v)| v.is_some()) {
            let now = now.timestamp();
            Decision::Stamp { start: now, last: now }
        } else if !set_now.is_empty() {
            Decision::Forget
        } else {
            match decision {
                Some(d) => d.clone(),
                None => return,
            }
        };
        let value_of = |name: &str| match set_now.iter().find(|(n, _)| n == name) {
            Some((_, v)) => v.as_deref(),
            None => req.cookies().get(name).map(|c| c.value()),
        };
        let name = self.config.cookie_name.clone();
        let removal = |n: String| {
            let prefixed = n.starts_with("__Secure-") || n.starts_with("__Host-");
            Cookie::build((n, ""))
                .path("/")
                .secure(secure || prefixed)
                .max_age(cookie::time::Duration::ZERO)
                .expires(cookie::time::OffsetDateTime::UNIX_EPOCH)
                .build()
        };
        let mut set = Vec::new();
        match &decision {
            Decision::Stamp { start, last } => {
                let mut jar = CookieJar::new();
                let bind = self.binding(value_of);
                let bind = std::str::from_utf8(&bind).unwrap_or_default();
                let c = Cookie::build((name, format!("{start}:{last}:{bind}")))
                    .path("/")
                    .http_only(true)
                    .same_site(SameSite::Lax)
                    .secure(secure)
                    .build();
                jar.private_mut(&self.key).add(c);
                set.extend(jar.delta().cloned());
            }
            Decision::Forget => {
                if req.cookies().get(&name).is_none() {
                    return;
                }
                set.push(removal(name));
            }
            Decision::Expired(_) => {
                set.push(removal(name));
                set.extend(self.config.cookies.iter().cloned().map(removal));
                if self.config.clear_site_data {
                    res.set_header(Header::new("Clear-Site-Data", "\"cookies\""));
                }
            }
        }
        for c in set {
            // Rocket may already have written a removal of the same cookie.
            let dup = res
                .headers()
                .get("Set-Cookie")
                .any(|v| v.split(['=', ';']).next() == Some(c.name()) && v.contains("Max-Age=0"));
            if !(dup && c.max_age() == Some(cookie::time::Duration::ZERO)) {
                // Unencoded: base64 and the removal values are valid cookie octets.
                res.adjoin_header(Header::new("Set-Cookie", c.to_string()));
            }
        }
    }
}

/// The login and last-activity times of a stamp, for logs.
pub(crate) fn describe(stamp: Option<(i64, i64)>) -> String {
    match stamp.and_then(|(s, l)| Some((Utc.timestamp_opt(s, 0).single()?, Utc.timestamp_opt(l, 0).single()?))) {
        Some((s, l)) => format!("login {s}, last activity {l}"),
        None => "no stamp".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::key_from;

    #[test]
    fn secret_keys_in_base64_or_hex() {
        let b64_64 = format!("{}==", "A".repeat(86));
        assert!(key_from(&b64_64).is_some(), "64 bytes in base64");
        assert!(key_from("hPRYyVRiMyxpw5sBB1XeCMN1kFsDCqKvBi2QJxBVHQk=").is_some(), "32 bytes in base64");
        assert!(key_from(&"ab".repeat(64)).is_some());
        assert!(key_from("short").is_none());
        assert!(key_from(&"é".repeat(64)).is_none(), "no panic on multi-byte characters");
    }
}
