//! Session expiry: an idle timeout and an absolute lifetime together, kept in
//! an encrypted cookie, for sessions the application keeps in its own cookies.
//!
//! ```toml
//! [default.security.session]
//! enabled = false              # Default: false (needs Rocket's `secret_key`)
//! cookies = ["user_id"]        # the application's login cookies: present = logged in,
//!                              # removed on expiry; Default: ["user_id"]
//! idle_timeout = 1800          # seconds without activity; Default: 1800 (30 min)
//! absolute_timeout = 28800     # seconds since login, activity or not; Default: 28800 (8 h)
//! refresh_interval = 60        # the activity stamp is rewritten at most this often; Default: 60
//! passive_paths = []           # polling paths: no activity, no expiry; Default: []
//! cookie_name = "security_session"   # Default: "security_session"
//! clear_site_data = false      # also send Clear-Site-Data: "cookies" on expiry; Default: false
//! status_path = "/security/session"  # JSON seconds left, for a client-side warning
//! ```
//!
//! The stamp holds two UTC integers (login time, last activity), encrypted and
//! authenticated with a key derived from Rocket's `secret_key`, which this
//! feature reads itself (so the crate does not force Rocket's `secrets`
//! feature), and bound to the login cookies' values. It is issued only on the
//! response that sets the login cookies (the login itself): a logged-in
//! request without a valid stamp for its cookies counts as expired
//! (`expired=unverified`), so deleting or swapping the stamp never opens a
//! fresh window. It is a browser-session cookie (no `Expires`): closing the
//! browser ends it. Anonymous visitors get no cookie at all, and within
//! `refresh_interval` no `Set-Cookie` is sent. Login cookies are removed with
//! `Path=/` (and `Secure` over HTTPS or for `__Secure-`/`__Host-` names).
//!
//! On expiry the request is answered before any handler runs: browsers get a
//! 303 to `login_url?next=…&expired=idle|absolute`, API clients a 401 with
//! JSON; the response removes the configured cookies and the stamp (set as
//! raw `Set-Cookie` headers, which Rocket keeps even on error responses), an
//! INFO line is logged (target `security`). On the login page and other open
//! paths the cookies are removed without a redirect.

use chrono::{DateTime, TimeZone, Utc};
use cookie::{Cookie, CookieJar, Key, SameSite};
use rocket::http::Header;
use rocket::{Request, Response};

use crate::config::reader::Section;
use crate::error::ConfigError;
use crate::headers::{Builder, Feature};
use crate::paths::PathSet;

/// The `[default.security.session]` table; see the [module docs](self).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionExpiry {
    /// Turn session expiry on. _Default:_ `false`.
    pub enabled: bool,
    /// The application's session cookies. _Default:_ `["user_id"]`.
    pub cookies: Vec<String>,
    /// Idle timeout in seconds. _Default:_ `1800`.
    pub idle_timeout: u64,
    /// Absolute lifetime in seconds. _Default:_ `28800`.
    pub absolute_timeout: u64,
    /// Least seconds between two rewrites of the activity stamp. _Default:_ `60`.
    pub refresh_interval: u64,
    /// Paths that neither count as activity nor expire the session. _Default:_ `[]`.
    pub passive_paths: Vec<String>,
    /// The stamp cookie's name. _Default:_ `"security_session"`.
    pub cookie_name: String,
    /// Send `Clear-Site-Data: "cookies"` on expiry. _Default:_ `false`.
    pub clear_site_data: bool,
    /// Path of the JSON status endpoint. _Default:_ `"/security/session"`.
    pub status_path: String,
}

impl Default for SessionExpiry {
    fn default() -> Self {
        SessionExpiry {
            enabled: false,
            cookies: vec!["user_id".into()],
            idle_timeout: 1800,
            absolute_timeout: 28_800,
            refresh_interval: 60,
            passive_paths: vec![],
            cookie_name: "security_session".into(),
            clear_site_data: false,
            status_path: "/security/session".into(),
        }
    }
}

impl Feature for SessionExpiry {
    const KEY: &'static str = "session";

    fn read(s: &Section<'_>) -> Self {
        let d = SessionExpiry::default();
        SessionExpiry {
            enabled: s.bool("enabled", false),
            cookies: s.strings("cookies", &["user_id"]),
            idle_timeout: s.u64("idle_timeout", d.idle_timeout),
            absolute_timeout: s.u64("absolute_timeout", d.absolute_timeout),
            refresh_interval: s.u64("refresh_interval", d.refresh_interval),
            passive_paths: s.strings("passive_paths", &[]),
            cookie_name: s.string("cookie_name", &d.cookie_name),
            clear_site_data: s.bool("clear_site_data", false),
            status_path: s.string("status_path", &d.status_path),
        }
    }

    fn build(&self, b: &mut Builder<'_>) {
        if self.enabled {
            b.summary.push(format!(
                "session expiry: idle {} s, absolute {} s, stamp refreshed every {} s, cookies {}",
                self.idle_timeout,
                self.absolute_timeout,
                self.refresh_interval,
                self.cookies.join(", ")
            ));
        } else {
            b.summary.push("session expiry: off".into());
        }
    }
}

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
    config: SessionExpiry,
    key: Key,
    passive: PathSet,
}

fn cookie_name_ok(n: &str) -> bool {
    !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// The 64-byte key material from Rocket's `secret_key` (base64 or hex).
fn key_from(secret: &str) -> Option<Key> {
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

impl SessionExpiry {
    pub(crate) fn compile(
        &self,
        secret_key: Option<Option<String>>,
        extra_passive: &[&str],
        errors: &mut Vec<ConfigError>,
    ) -> Option<SessionPolicy> {
        let key = |f: &str| format!("security.session.{f}");
        if self.cookies.is_empty() {
            errors.push(ConfigError::new(key("cookies"), "list the application's login cookies, e.g. [\"user_id\"]"));
        }
        for (i, c) in self.cookies.iter().chain(std::iter::once(&self.cookie_name)).enumerate() {
            if !cookie_name_ok(c) {
                let field = if i < self.cookies.len() { format!("cookies[{i}]") } else { "cookie_name".into() };
                errors.push(ConfigError::new(key(&field), format!("{c:?} is not a cookie name")));
            }
        }
        if self.idle_timeout == 0 || self.absolute_timeout == 0 {
            errors.push(ConfigError::new(key("idle_timeout"), "timeouts must be at least 1 second"));
        }
        if self.refresh_interval >= self.idle_timeout {
            errors.push(ConfigError::new(
                key("refresh_interval"),
                format!(
                    "must be shorter than idle_timeout ({} s), or activity could never be recorded in time",
                    self.idle_timeout
                ),
            ));
        }
        let mut passive = PathSet::parse(&key("passive_paths"), &self.passive_paths, errors);
        for p in extra_passive.iter().chain(std::iter::once(&self.status_path.as_str())) {
            if let Ok(p) = crate::paths::PathPattern::parse(p) {
                passive.push(p);
            } else {
                errors.push(ConfigError::new(key("status_path"), format!("{p:?} is not a path")));
            }
        }
        if !self.enabled {
            return None;
        }
        // Validation without a figment (typed config): the key is checked at ignite.
        let secret = match secret_key {
            None => "A".repeat(86) + "==",
            Some(s) => s.unwrap_or_default(),
        };
        let Some(secret) = Some(secret).filter(|s| !s.is_empty()) else {
            errors.push(ConfigError::new(
                "secret_key",
                "session expiry encrypts its cookie with Rocket's `secret_key`, which is not set; add \
                 `secret_key = \"...\"` (generate one with `openssl rand -base64 64`) or set `security.session.enabled = false`",
            ));
            return None;
        };
        let Some(k) = key_from(&secret) else {
            errors.push(ConfigError::new(
                "secret_key",
                "must be at least 32 bytes, base64 or hex encoded (`openssl rand -base64 64`)",
            ));
            return None;
        };
        Some(SessionPolicy { config: self.clone(), key: k, passive })
    }
}

impl SessionPolicy {
    pub(crate) fn status_path(&self) -> &str {
        &self.config.status_path
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
        crate::hex::encode_into(&h.finalize(), &mut out);
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
