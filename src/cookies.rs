//! Cookie attributes that hold behind a TLS-terminating proxy, on every
//! response (the application's cookies and catcher responses included):
//!
//! - on a response to a request the crate counts as HTTPS (Rocket's own TLS,
//!   or `X-Forwarded-Proto: https` from a trusted proxy), every `Set-Cookie`
//!   without `Secure` gets it: Rocket marks cookies `Secure` only when its
//!   own TLS is on, so behind a proxy the login cookie would travel without;
//! - every `Set-Cookie` without `SameSite` gets `SameSite=Lax`;
//! - the configured session cookies (`security.session.cookies`) get `HttpOnly`;
//! - a removal (`Max-Age=0` or an empty value) only gets `Secure`;
//! - `__Host-` and `__Secure-` cookies are checked as browsers check them
//!   (an ERROR line under `security` for one a browser would drop).
//!
//! Plain-HTTP responses never get `Secure` (browsers drop a `Secure` cookie
//! set over HTTP). No cookie's value is changed, and an attribute the
//! application set itself is left as it is.
//!
//! ```toml
//! [default.security.cookies]
//! secure = true      # Default: true
//! same_site = true   # SameSite=Lax where a cookie has none; Default: true
//! http_only = true   # HttpOnly on security.session.cookies; Default: true
//! ```
//!
//! The application's own encrypted cookies go through [`PrivateCookies`]
//! (Rocket's private-cookie format, sealed with `secret_key` and still opened
//! with `security.secret_key_fallbacks` after a key rotation).
//!
//! A `__Host-` name for the crate's own stamp is a matter of
//! `security.session.cookie_name = "__Host-security_session"` (existing
//! sessions then end once: their stamp has the old name).
//!
//! ```
//! use rocket::http::Header;
//! use rocket::local::blocking::Client;
//! use rocket::get;
//!
//! #[derive(rocket::Responder)]
//! struct Login(&'static str, Header<'static>);
//!
//! /// Sets its cookie the way a framework behind a proxy often does: no attributes.
//! #[get("/login")]
//! fn login() -> Login {
//!     Login("ok", Header::new("Set-Cookie", "user_id=7; Path=/"))
//! }
//!
//! let figment = rocket::figment::Figment::from(rocket::Config::default())
//!     .merge(("security.https.trusted_proxies", ["10.0.0.1"]));
//! let rocket = rocket::custom(figment)
//!     .attach(rocket_security::Security::fairing())
//!     .mount("/", rocket::routes![login]);
//! let client = Client::tracked(rocket).unwrap();
//! let res = client
//!     .get("/login")
//!     .remote("10.0.0.1:4000".parse().unwrap())
//!     .header(Header::new("X-Forwarded-Proto", "https"))
//!     .dispatch();
//! assert_eq!(res.headers().get_one("Set-Cookie"), Some("user_id=7; Path=/; Secure; SameSite=Lax; HttpOnly"));
//! ```

mod private;

use rocket::http::Header;
use rocket::{Request, Response};

pub(crate) use private::PrivateKeys;
pub use private::{NoPrivateKey, PrivateCookies};

use crate::core::check::Finding;
use crate::core::feature::{Builder, Deployment, Feature};
use crate::core::part::{Finish, Part};

/// The `[default.security.cookies]` table; see the [module docs](self).
///
/// ```
/// use rocket::figment::Figment;
/// use rocket_security::SecurityConfig;
///
/// // Rocket.toml: [default.security.cookies] same_site = false
/// let figment = Figment::from(rocket::Config::default()).merge(("security.cookies.same_site", false));
/// let cookies = SecurityConfig::from_figment(&figment).unwrap().cookies;
/// assert!(!cookies.same_site);
/// assert!(cookies.secure && cookies.http_only);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Cookies {
    /// Add `Secure` to every `Set-Cookie` of an HTTPS response. _Default:_ `true`.
    pub secure: bool,
    /// Add `SameSite=Lax` where a cookie has no `SameSite`. _Default:_ `true`.
    pub same_site: bool,
    /// Add `HttpOnly` to the session cookies (`security.session.cookies`). _Default:_ `true`.
    pub http_only: bool,
}

impl Default for Cookies {
    fn default() -> Self {
        Cookies { secure: true, same_site: true, http_only: true }
    }
}

impl Feature for Cookies {
    const KEY: &'static str = "cookies";

    fn build(&self, b: &mut Builder<'_>) {
        let on: Vec<&str> = [
            (self.secure, "Secure on HTTPS responses"),
            (self.same_site, "SameSite=Lax where absent"),
            (self.http_only, "HttpOnly on the session cookies"),
        ]
        .iter()
        .filter_map(|(on, what)| on.then_some(*what))
        .collect();
        b.summary.push(if on.is_empty() {
            "cookie attributes: off".into()
        } else {
            format!("cookie attributes: {}", on.join(", "))
        });
    }
}

/// The compiled rules (the last responding part: it sees every cookie).
pub(crate) struct CookieRules {
    pub(crate) config: Cookies,
    /// The session cookies' names.
    pub(crate) session_cookies: Vec<String>,
    /// Session expiry is on (its cookies are in use).
    pub(crate) sessions: bool,
    /// No trusted proxy is configured.
    pub(crate) no_proxies: bool,
}

impl CookieRules {
    /// The deploy-check findings: session cookies that can never be `Secure`.
    pub(crate) fn findings(&self, deployment: &Deployment, out: &mut Vec<Finding>) {
        let never_https = !deployment.tls && self.no_proxies;
        if deployment.release && never_https && self.sessions {
            out.push(Finding::warning(
                "security.W023",
                "no request can count as HTTPS (Rocket's TLS is off, `security.https.trusted_proxies` is empty): the \
                 session cookies are never Secure",
                "behind a TLS-terminating proxy, list its address in `security.https.trusted_proxies`",
            ));
        }
        for name in self.session_cookies.iter().filter(|n| n.starts_with("__Host-") || n.starts_with("__Secure-")) {
            if never_https {
                out.push(Finding::warning(
                    "security.W024",
                    format!(
                        "the session cookie {name:?} has a prefix that needs Secure, but no request can count as \
                         HTTPS: browsers drop it"
                    ),
                    "serve HTTPS (Rocket's `tls`, or a proxy in `security.https.trusted_proxies`), or rename the cookie",
                ));
            }
        }
    }
}

/// One `Set-Cookie` line with the attributes it is missing added.
pub(crate) fn complete(line: &str, secure: bool, same_site: bool, http_only: bool) -> Option<String> {
    let mut parts = line.split(';');
    let _pair = parts.next()?;
    let (mut has_secure, mut has_same_site, mut has_http_only) = (false, false, false);
    for attr in parts {
        let name = attr.split('=').next().unwrap_or_default().trim();
        has_secure |= name.eq_ignore_ascii_case("Secure");
        has_same_site |= name.eq_ignore_ascii_case("SameSite");
        has_http_only |= name.eq_ignore_ascii_case("HttpOnly");
    }
    let mut out = line.trim_end().trim_end_matches(';').to_string();
    let before = out.len();
    if secure && !has_secure {
        out.push_str("; Secure");
    }
    if same_site && !has_same_site {
        out.push_str("; SameSite=Lax");
    }
    if http_only && !has_http_only {
        out.push_str("; HttpOnly");
    }
    (out.len() != before).then_some(out)
}

/// Whether a `Set-Cookie` line removes its cookie (`Max-Age=0` or an empty value).
fn is_removal(line: &str) -> bool {
    let value_empty = line.split(';').next().and_then(|p| p.split_once('=')).is_some_and(|(_, v)| v.trim().is_empty());
    value_empty || line.split(';').skip(1).any(|a| a.trim().eq_ignore_ascii_case("Max-Age=0"))
}

/// What a browser would refuse in a prefixed cookie, if anything.
pub(crate) fn prefix_problem(line: &str) -> Option<&'static str> {
    let name = line.split(['=', ';']).next()?.trim();
    let attrs: Vec<(String, String)> = line
        .split(';')
        .skip(1)
        .map(|a| {
            let (n, v) = a.split_once('=').unwrap_or((a, ""));
            (n.trim().to_ascii_lowercase(), v.trim().to_string())
        })
        .collect();
    let has = |n: &str| attrs.iter().any(|(k, _)| k == n);
    if name.starts_with("__Host-") {
        if !has("secure") {
            return Some("a __Host- cookie without Secure");
        }
        if has("domain") {
            return Some("a __Host- cookie with a Domain");
        }
        if attrs.iter().find(|(k, _)| k == "path").is_none_or(|(_, v)| v != "/") {
            return Some("a __Host- cookie whose Path is not /");
        }
    } else if name.starts_with("__Secure-") && !has("secure") {
        return Some("a __Secure- cookie without Secure");
    }
    None
}

#[rocket::async_trait]
impl Part for CookieRules {
    fn responds(&self) -> bool {
        true
    }

    fn needs_scheme(&self) -> bool {
        true
    }

    fn response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>, finish: &Finish<'_>) {
        if !res.headers().contains("Set-Cookie") {
            return;
        }
        let c = &self.config;
        let lines: Vec<String> = res.headers().get("Set-Cookie").map(str::to_string).collect();
        let mut changed = false;
        let mut out = Vec::with_capacity(lines.len());
        for line in lines {
            let name = line.split(['=', ';']).next().unwrap_or_default().trim().to_string();
            // A removal only needs Secure (which a prefixed cookie's removal must carry).
            let removal = is_removal(&line);
            let http_only = c.http_only && !removal && self.session_cookies.contains(&name);
            let line = match complete(&line, c.secure && finish.secure, c.same_site && !removal, http_only) {
                Some(l) => {
                    changed = true;
                    l
                }
                None => line,
            };
            if let Some(problem) = prefix_problem(&line) {
                tracing::error!(
                    target: "security",
                    "{} sets {problem} ({:?}): browsers drop it",
                    req.uri().path(),
                    name.chars().take(64).collect::<String>()
                );
            }
            out.push(line);
        }
        if changed {
            res.remove_header("Set-Cookie");
            for line in out {
                res.adjoin_header(Header::new("Set-Cookie", line));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_attributes_are_added_and_nothing_else_changes() {
        assert_eq!(
            complete("user_id=a%20b; Path=/", true, true, true).as_deref(),
            Some("user_id=a%20b; Path=/; Secure; SameSite=Lax; HttpOnly")
        );
        assert_eq!(complete("a=1; secure; samesite=Strict; httponly", true, true, true), None, "case-insensitive");
        assert_eq!(complete("a=1; Path=/", false, false, false), None);
        assert_eq!(complete("a=1; SameSite=None; Secure", true, true, false), None, "the app's own SameSite");
    }

    #[test]
    fn prefixed_cookies_are_checked_as_browsers_check_them() {
        assert_eq!(prefix_problem("__Host-s=1; Path=/; Secure"), None);
        assert_eq!(prefix_problem("__Host-s=1; Path=/"), Some("a __Host- cookie without Secure"));
        assert_eq!(
            prefix_problem("__Host-s=1; Path=/; Secure; Domain=example.com"),
            Some("a __Host- cookie with a Domain")
        );
        assert_eq!(prefix_problem("__Host-s=1; Path=/app; Secure"), Some("a __Host- cookie whose Path is not /"));
        assert_eq!(prefix_problem("__Host-s=1; Secure"), Some("a __Host- cookie whose Path is not /"));
        assert_eq!(prefix_problem("__Secure-s=1"), Some("a __Secure- cookie without Secure"));
        assert_eq!(prefix_problem("plain=1"), None);
    }
}
