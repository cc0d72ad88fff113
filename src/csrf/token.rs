//! [`CsrfToken`]: the token mode's per-browser token.

use std::fmt;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rocket::http::{Cookie, SameSite, Status};
use rocket::request::{FromRequest, Outcome, Request};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::core::https::HttpsPolicy;
use crate::core::keys::{Keys, Sealer};

/// The cookie holding the browser's random CSRF secret, over plain HTTP.
pub(crate) const COOKIE: &str = "security_csrf";
/// The same over HTTPS: the `__Host-` prefix makes browsers refuse it unless
/// it is `Secure`, `Path=/` and set without a `Domain` by this very host, so a
/// sibling subdomain cannot toss one in.
pub(crate) const HOST_COOKIE: &str = "__Host-security_csrf";
/// The form field carrying the token.
pub(crate) const FIELD: &str = "csrf_token";
/// The header carrying the token (for `fetch`).
pub(crate) const HEADER: &str = "X-CSRF-Token";

/// Managed state: the key tokens are derived with.
pub(crate) struct TokenKey {
    /// Derived from Rocket's `secret_key` (first) and each of
    /// `security.secret_key_fallbacks`; empty without a `secret_key`.
    keys: Vec<[u8; 32]>,
    https: HttpsPolicy,
}

impl TokenKey {
    pub(crate) fn new(keys: Option<&Keys>, https: HttpsPolicy) -> Self {
        TokenKey { keys: keys.map(|k| k.derive(b"rocket_security csrf")).unwrap_or_default(), https }
    }

    /// The token for the browser secret `secret` in the login session
    /// `session` (`None`: no session): a token is good for one session only,
    /// so a token from before a login, or from another session, is refused.
    /// Made with the current key.
    pub(crate) fn token(&self, secret: &str, session: Option<&str>) -> Option<String> {
        self.token_with(self.keys.first()?, secret, session)
    }

    fn token_with(&self, key: &[u8; 32], secret: &str, session: Option<&str>) -> Option<String> {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).ok()?;
        // The secret has a fixed length, so the input is unambiguous.
        mac.update(secret.as_bytes());
        if let Some(sid) = session {
            mac.update(b"\0session\0");
            mac.update(sid.as_bytes());
        }
        Some(URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    }

    /// The secret cookie's name for this request: `__Host-` over HTTPS.
    pub(crate) fn cookie_name(&self, req: &Request<'_>) -> &'static str {
        if self.https.is_secure(req) {
            HOST_COOKIE
        } else {
            COOKIE
        }
    }

    /// A new secret cookie for `req` (`Secure` over HTTPS).
    pub(crate) fn new_cookie(&self, req: &Request<'_>) -> (String, Cookie<'static>) {
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let secret = URL_SAFE_NO_PAD.encode(bytes);
        let cookie = Cookie::build((self.cookie_name(req), secret.clone()))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.https.is_secure(req))
            .build();
        (secret, cookie)
    }

    /// Whether `submitted` is the token of the browser secret the request
    /// carries, in the request's session (constant-time comparison): made
    /// with the current key, or else with a fallback key (a page rendered
    /// before the key changed; the next page's token is the current key's).
    pub(crate) fn verify(&self, req: &Request<'_>, submitted: &str) -> Result<(), &'static str> {
        let secret = req
            .cookies()
            .get(self.cookie_name(req))
            .map(|c| c.value())
            .filter(|v| secret_ok(v))
            .ok_or("missing (no secret cookie)")?;
        let session = crate::core::principal::session(req);
        let expected = self.token(secret, session.as_deref()).ok_or("unverifiable (no secret_key)")?;
        if bool::from(expected.as_bytes().ct_eq(submitted.as_bytes())) {
            return Ok(());
        }
        // The current key first: a fallback is tried only when it fails.
        for (i, key) in self.keys.iter().enumerate().skip(1) {
            let made = self.token_with(key, secret, session.as_deref()).ok_or("unverifiable (no secret_key)")?;
            if bool::from(made.as_bytes().ct_eq(submitted.as_bytes())) {
                tracing::debug!(
                    target: "security",
                    "CSRF token made with `{}` accepted; this response's tokens use `secret_key`",
                    Sealer::Fallback(i - 1)
                );
                return Ok(());
            }
        }
        Err("does not match this browser's")
    }
}

fn secret_ok(v: &str) -> bool {
    v.len() == 43 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The CSRF token of this browser, for a form's hidden field or a `fetch` header.
///
/// Tokens are only checked in token mode (`security.csrf.token = true`); the
/// header rule (Fetch Metadata, then `Origin`) applies either way. The token
/// is an HMAC, keyed from Rocket's `secret_key`, of a random secret kept in
/// the browser's `security_csrf` cookie (`__Host-security_csrf` over HTTPS;
/// set on first use) and, with session expiry on, of the login session: a
/// token from another browser or another session is refused, and a login
/// rotates it (a new session, and a new secret cookie, as Django's
/// `rotate_token`): a form rendered before the login must be reloaded. A
/// token made with a key of `security.secret_key_fallbacks` (a page rendered
/// before a key rotation) is accepted; new tokens use `secret_key`. Put
/// the field first in the form: the check reads the first 512 bytes of a
/// urlencoded body.
///
/// ```
/// use rocket::get;
/// use rocket::response::content::RawHtml;
/// use rocket_security::csrf::CsrfToken;
///
/// #[get("/profile")]
/// fn profile(csrf: CsrfToken) -> RawHtml<String> {
///     RawHtml(format!(
///         "<form method=post action=/profile>{}<input name=email><button>Save</button></form>",
///         csrf.field()
///     ))
/// }
/// ```
///
/// From script: `fetch(url, {method: "POST", headers: {"X-CSRF-Token": token}})`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsrfToken(String);

/// Why no [`CsrfToken`] could be made: Rocket's `secret_key` is not set, or
/// CSRF protection is off.
///
/// ```
/// use rocket::local::blocking::Client;
/// use rocket::{get, routes};
/// use rocket_security::csrf::{CsrfToken, NoCsrfKey};
///
/// #[get("/form")]
/// fn form(csrf: Result<CsrfToken, NoCsrfKey>) -> String {
///     csrf.map_or_else(|e| e.to_string(), |token| token.field())
/// }
///
/// // Without `Security::fairing()` (or without a `secret_key`) there is no key.
/// let client = Client::tracked(rocket::custom(rocket::Config::default()).mount("/", routes![form])).unwrap();
/// assert!(client.get("/form").dispatch().into_string().unwrap().starts_with("CsrfToken needs"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoCsrfKey;

impl fmt::Display for NoCsrfKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CsrfToken needs `security.csrf.enabled = true` and Rocket's `secret_key`")
    }
}

impl CsrfToken {
    /// The form field's name: `csrf_token`.
    ///
    /// ```
    /// use rocket_security::csrf::CsrfToken;
    /// assert_eq!(CsrfToken::FIELD, "csrf_token");
    /// ```
    pub const FIELD: &'static str = FIELD;
    /// The request header's name: `X-CSRF-Token`.
    ///
    /// ```
    /// use rocket_security::csrf::CsrfToken;
    /// assert_eq!(CsrfToken::HEADER, "X-CSRF-Token");
    /// let script = format!("fetch(url, {{method: 'POST', headers: {{'{}': token}}}})", CsrfToken::HEADER);
    /// ```
    pub const HEADER: &'static str = HEADER;

    /// The token.
    ///
    /// ```
    /// use rocket::get;
    /// use rocket::response::content::RawHtml;
    /// use rocket_security::csrf::CsrfToken;
    ///
    /// /// Script reads the token from the page and sends it in `X-CSRF-Token`.
    /// #[get("/app")]
    /// fn app(csrf: CsrfToken) -> RawHtml<String> {
    ///     RawHtml(format!("<meta name=\"csrf-token\" content=\"{}\">", csrf.value()))
    /// }
    /// ```
    pub fn value(&self) -> &str {
        &self.0
    }

    /// The hidden input: `<input type="hidden" name="csrf_token" value="…">`.
    ///
    /// ```
    /// use rocket::local::blocking::Client;
    /// use rocket::{get, routes};
    /// use rocket_security::csrf::CsrfToken;
    ///
    /// #[get("/form")]
    /// fn form(csrf: CsrfToken) -> String { csrf.field() }
    ///
    /// let figment = rocket::figment::Figment::from(rocket::Config::default())
    ///     .merge(("secret_key", "hPRYyVRiMyxpw5sBB1XeCMN1kFsDCqKvBi2QJxBVHQk="));
    /// let rocket = rocket::custom(figment).attach(rocket_security::Security::fairing()).mount("/", routes![form]);
    /// let field = Client::tracked(rocket).unwrap().get("/form").dispatch().into_string().unwrap();
    /// assert!(field.starts_with(r#"<input type="hidden" name="csrf_token" value=""#));
    /// ```
    pub fn field(&self) -> String {
        self.input().into_string()
    }

    /// [`field`](Self::field), for a template.
    pub(crate) fn input(&self) -> maud::Markup {
        maud::html! { input type="hidden" name=(FIELD) value=(self.0); }
    }
}

/// Request-local: the secret this request issued (a first visit, or a
/// rotation at login), so every token of the response uses the same one.
#[derive(Default)]
pub(crate) struct Fresh(pub(crate) std::sync::OnceLock<String>);

/// The hidden token input for a form the crate renders itself (the
/// dashboard's), when CSRF protection is on; `None` (and no error logged) when it is off.
pub(crate) async fn form_field(req: &Request<'_>) -> Option<maud::Markup> {
    req.rocket().state::<Arc<TokenKey>>()?;
    req.guard::<CsrfToken>().await.succeeded().map(|t| t.input())
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for CsrfToken {
    type Error = NoCsrfKey;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, NoCsrfKey> {
        let Some(key) = req.rocket().state::<Arc<TokenKey>>() else {
            tracing::error!(target: "security", "{NoCsrfKey}");
            return Outcome::Error((Status::InternalServerError, NoCsrfKey));
        };
        let fresh = req.local_cache(Fresh::default);
        // A login on this request rotates the secret: the browser's old one is not used.
        let existing = fresh.0.get().cloned().or_else(|| {
            let rotating = crate::core::principal::session_started(req);
            let cookie = req.cookies().get(key.cookie_name(req)).map(|c| c.value().to_string());
            cookie.filter(|v| !rotating && secret_ok(v))
        });
        let secret = match existing {
            Some(s) => s,
            None => {
                let (s, cookie) = key.new_cookie(req);
                let _ = fresh.0.set(s.clone());
                req.cookies().add(cookie);
                s
            }
        };
        let session = crate::core::principal::session(req);
        match key.token(&secret, session.as_deref()) {
            Some(t) => Outcome::Success(CsrfToken(t)),
            None => {
                tracing::error!(target: "security", "{NoCsrfKey}");
                Outcome::Error((Status::InternalServerError, NoCsrfKey))
            }
        }
    }
}
