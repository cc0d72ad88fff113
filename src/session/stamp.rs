//! The encrypted session stamp: issuing, reading and expiring it.

use std::collections::HashMap;
use std::hash::Hasher;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeZone, Utc};
use cookie::{Cookie, SameSite};
use rocket::http::Header;
use rocket::{Request, Response};

use super::config::SessionExpiry;
use crate::core::keys::{Keys, Resealed, Sealer};
use crate::core::paths::PathSet;

/// A verified stamp: login time and last activity (unix seconds) and the
/// session id (128 bits from the OS-seeded CSPRNG, base64url, no padding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stamp {
    pub(crate) start: i64,
    pub(crate) last: i64,
    pub(crate) sid: String,
}

/// A fresh session id: 16 bytes from the thread-local CSPRNG (ChaCha, seeded
/// from the OS), base64url without padding (22 characters).
pub(crate) fn new_session_id() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What the response must do with cookies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Write the stamp (a refresh of the activity time, or a login).
    Stamp(Stamp),
    /// Remove a stamp left by an earlier login.
    Forget,
    /// The session expired: remove the stamp and the application's cookies.
    Expired(&'static str),
}

/// What the request-time check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Nothing to do (a passive path, or an anonymous visitor without a stamp).
    Nothing,
    /// An anonymous visitor with a stamp left over: remove it.
    Forget,
    /// The session is over, for this reason; `sid`: the session a valid
    /// stamp named (ended on the server too), `None` for an unverified one.
    Expired { reason: &'static str, sid: Option<String> },
    /// A live session; `refresh`: its activity time is due to be rewritten;
    /// `reseal`: the fallback key its stamp was sealed with, so the response
    /// seals it again with the current one.
    Live { stamp: Stamp, refresh: bool, reseal: Option<Sealer> },
}

/// The compiled settings.
pub(crate) struct SessionPolicy {
    pub(crate) config: SessionExpiry,
    keys: Arc<Keys>,
    /// SipHash-2-4 keys for the binding, derived from each secret key (the
    /// current key's first, as in `keys`).
    bind_keys: Vec<(u64, u64)>,
    passive: PathSet,
    /// Stamps this process decrypted with the current key, by their exact
    /// cookie value (per process, bounded): the same value always decrypts
    /// to the same contents, so a known one skips base64 and AES-GCM. A
    /// stamp a fallback opened is not kept: its response seals it again.
    verified: Mutex<HashMap<String, Opened>>,
}

/// Most decrypted stamps kept per process.
const VERIFIED_CAP: usize = 10_000;

/// What a stamp decrypted to.
#[derive(Clone)]
struct Opened {
    start: i64,
    last: i64,
    bind: [u8; 16],
    sid: String,
    /// The key that opened it.
    sealer: Sealer,
}

impl SessionPolicy {
    pub(crate) fn new(config: SessionExpiry, keys: Arc<Keys>, passive: PathSet) -> Self {
        let k = |d: &[u8; 32], i: usize| u64::from_le_bytes(d[i..i + 8].try_into().expect("8 bytes"));
        let bind_keys = keys.derive(b"rocket_security session binding").iter().map(|d| (k(d, 0), k(d, 8))).collect();
        SessionPolicy { config, keys, bind_keys, passive, verified: Mutex::new(HashMap::new()) }
    }

    /// Decrypts a stamp cookie value (or finds it among the ones already decrypted).
    fn open(&self, raw: &str) -> Option<Opened> {
        if let Some(o) = self.verified.lock().unwrap_or_else(|e| e.into_inner()).get(raw) {
            return Some(o.clone());
        }
        // Rocket has already percent-decoded the value, and base64 has no `%`:
        // anything with one is not a stamp (and never another key for the cache).
        if raw.contains('%') {
            return None;
        }
        // The current key first: a fallback is tried only when it fails.
        let (plain, sealer) = self.keys.open(&self.config.cookie_name, raw)?;
        let mut parts = plain.splitn(4, ':');
        let (start, last, bind, sid) =
            (parts.next()?.parse().ok()?, parts.next()?.parse().ok()?, parts.next()?, parts.next()?);
        if sid.len() != 22 || !sid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return None;
        }
        let bind: [u8; 16] = bind.as_bytes().try_into().ok()?;
        let opened = Opened { start, last, bind, sid: sid.to_string(), sealer };
        if !sealer.is_current() {
            return Some(opened);
        }
        let mut verified = self.verified.lock().unwrap_or_else(|e| e.into_inner());
        if verified.len() >= VERIFIED_CAP {
            verified.clear();
        }
        verified.insert(raw.to_string(), opened.clone());
        Some(opened)
    }

    pub(crate) fn logged_in(&self, req: &Request<'_>) -> bool {
        self.config.cookies.iter().any(|c| req.cookies().get(c).is_some())
    }

    /// The stamp of this request, if it decrypts and belongs to the login
    /// cookies this request carries.
    pub(crate) fn stamp(&self, req: &Request<'_>) -> Option<Stamp> {
        self.sealed_stamp(req).map(|(stamp, _)| stamp)
    }

    /// [`stamp`](Self::stamp), with the key that sealed it.
    fn sealed_stamp(&self, req: &Request<'_>) -> Option<(Stamp, Sealer)> {
        let raw = req.cookies().get(&self.config.cookie_name)?.value();
        let o = self.open(raw)?;
        let expected = self.binding(o.sealer, |name| req.cookies().get(name).map(|c| c.value()));
        (o.bind == expected).then_some((Stamp { start: o.start, last: o.last, sid: o.sid }, o.sealer))
    }

    /// Ties a stamp to the login cookies' values, so a stamp cannot be moved
    /// onto another login (and dropping it does not start a fresh window):
    /// SipHash-2-4 over the values, keyed with a key derived from the secret
    /// key (a PRF: without the key no other values can be made to match), in
    /// lowercase hex. The binding travels only inside the encrypted stamp,
    /// keyed from the key that sealed it (`sealer`).
    fn binding<'v>(&self, sealer: Sealer, value: impl Fn(&str) -> Option<&'v str>) -> [u8; 16] {
        let (k0, k1) = match sealer {
            Sealer::Current => self.bind_keys[0],
            Sealer::Fallback(i) => self.bind_keys[i + 1],
        };
        let mut h = siphasher::sip::SipHasher24::new_with_keys(k0, k1);
        for name in &self.config.cookies {
            let v = value(name).unwrap_or_default();
            h.write_usize(v.len());
            h.write(v.as_bytes());
        }
        let mut out = [0u8; 16];
        crate::core::hex::encode_into(&h.finish().to_be_bytes(), &mut out);
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

    /// Decides at request time from the stamp and the clock (the registry's
    /// say comes after, in the part).
    pub(crate) fn decide(&self, req: &Request<'_>, now: DateTime<Utc>) -> Verdict {
        // Passive paths (polling) never count as activity, so they never
        // extend a session; both limits still hold there (a poll of a session
        // idle for longer than `idle_timeout` finds it expired, like any page).
        let passive = self.passive.matches(req.uri());
        let stamp = self.sealed_stamp(req);
        if !self.logged_in(req) {
            return if stamp.is_some() && !passive { Verdict::Forget } else { Verdict::Nothing };
        }
        let now = now.timestamp();
        // Logged in without a valid stamp for these cookies: never a fresh window
        // (stamps are issued only by `Sessions::login`).
        let Some((stamp, sealer)) = stamp else { return Verdict::Expired { reason: "unverified", sid: None } };
        if now - stamp.start > self.config.absolute_timeout as i64 {
            return Verdict::Expired { reason: "absolute", sid: Some(stamp.sid) };
        }
        if now - stamp.last > self.config.idle_timeout as i64 {
            return Verdict::Expired { reason: "idle", sid: Some(stamp.sid) };
        }
        let refresh = !passive && now - stamp.last >= self.config.refresh_interval as i64;
        Verdict::Live { stamp, refresh, reseal: (!sealer.is_current()).then_some(sealer) }
    }

    /// Seconds left before each timeout, for the status endpoint.
    pub(crate) fn seconds_left(&self, req: &Request<'_>, now: DateTime<Utc>) -> Option<(i64, i64)> {
        if !self.logged_in(req) {
            return None;
        }
        let stamp = self.stamp(req)?;
        let now = now.timestamp();
        Some((
            (stamp.last + self.config.idle_timeout as i64 - now).max(0),
            (stamp.start + self.config.absolute_timeout as i64 - now).max(0),
        ))
    }

    /// Writes the decision into the response as raw `Set-Cookie` headers.
    /// `login`: the stamp `Sessions::login` issued on this request, which
    /// wins over everything; a response that removes the login cookies (a
    /// logout) drops the stamp. A response that only re-sets the login
    /// cookies changes nothing: the absolute clock starts at the login only.
    /// Unless the crate itself sealed them again with the current key (the
    /// same values, after a key rotation): then the request's `current` stamp
    /// is bound to their new values, its times unchanged.
    pub(crate) fn apply(
        &self,
        req: &Request<'_>,
        decision: Option<&Decision>,
        login: Option<&Stamp>,
        current: Option<&Stamp>,
        secure: bool,
        res: &mut Response<'_>,
    ) -> Applied {
        let set_now = self.login_cookies_set(res);
        let removed = !set_now.is_empty() && set_now.iter().all(|(_, v)| v.is_none());
        let decision = match (login, decision) {
            (Some(stamp), _) => Decision::Stamp(stamp.clone()),
            (None, _) if removed => Decision::Forget,
            (None, Some(d)) => d.clone(),
            (None, None)
                if let Some(stamp) = current
                    && !set_now.is_empty()
                    && set_now.iter().all(|(n, v)| v.as_deref().is_some_and(|v| Resealed::has(req, n, v))) =>
            {
                Decision::Stamp(stamp.clone())
            }
            (None, None) => {
                return if set_now.iter().any(|(_, v)| v.is_some()) {
                    Applied::UnissuedLogin
                } else {
                    Applied::Nothing
                };
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
            Decision::Stamp(Stamp { start, last, sid }) => {
                let bind = self.binding(Sealer::Current, value_of);
                let bind = std::str::from_utf8(&bind).unwrap_or_default();
                let c = Cookie::build((name, format!("{start}:{last}:{bind}:{sid}")))
                    .path("/")
                    .http_only(true)
                    .same_site(SameSite::Lax)
                    .secure(secure)
                    .build();
                set.push(self.keys.seal(c));
            }
            Decision::Forget => {
                if req.cookies().get(&name).is_none() {
                    return if removed { Applied::LoggedOut } else { Applied::Nothing };
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
        if removed {
            Applied::LoggedOut
        } else {
            Applied::Nothing
        }
    }
}

/// What [`SessionPolicy::apply`] saw that the part acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Applied {
    Nothing,
    /// The response removed the login cookies (a logout).
    LoggedOut,
    /// The response set login cookies, but no `Sessions::login` issued a stamp.
    UnissuedLogin,
}

/// The login and last-activity times of a stamp, for logs.
pub(crate) fn describe(stamp: Option<&Stamp>) -> String {
    let times = stamp.map(|s| (s.start, s.last));
    match times.and_then(|(s, l)| Some((Utc.timestamp_opt(s, 0).single()?, Utc.timestamp_opt(l, 0).single()?))) {
        Some((s, l)) => format!("login {s}, last activity {l}"),
        None => "no stamp".into(),
    }
}

#[cfg(test)]
mod tests {
    use crate::core::secret::key_from;

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
