//! [`PrivateCookies`]: the application's encrypted cookies, under the
//! crate's keys, so that rotating `secret_key` does not lose them.

use std::sync::Arc;

use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::{Build, Rocket};

use crate::core::clock::SharedClock;
use crate::core::keys::{Keys, Resealed};
use crate::core::part::Part;

/// Managed state: the keys [`PrivateCookies`] seals and opens with.
pub(crate) struct PrivateKeys(pub(crate) Arc<Keys>);

impl Part for PrivateKeys {
    fn ignite(&self, rocket: Rocket<Build>) -> Rocket<Build> {
        rocket.manage(PrivateKeys(self.0.clone()))
    }
}

/// The application's private (encrypted and authenticated) cookies, sealed
/// with Rocket's `secret_key` and opened with it or with one of
/// `security.secret_key_fallbacks`: Rocket's own `get_private` knows one key
/// only, so a new `secret_key` would lose every private cookie at once.
///
/// The format is Rocket's (`add_private`, `get_private`): with the same
/// `secret_key`, either side reads what the other wrote, so an application
/// can switch a handler at a time. It needs no Rocket `secrets` feature.
///
/// - [`get`](Self::get) opens with the current key, else with a fallback;
///   [`opened_with_fallback`](Self::opened_with_fallback) then says so, and
///   the handler adds the cookie again with its own attributes (a request
///   carries no `Expires`, `SameSite` or `Domain`, so only the handler knows
///   them): it is sealed with the current key, and a session stamp bound to
///   it follows on the same response. Until then the value stays as it is,
///   and opens while its key is a fallback;
/// - [`add`](Self::add) seals with the current key, with Rocket's
///   `add_private` defaults (`Path=/`, `SameSite=Strict`, `HttpOnly`, expiring
///   in a week);
/// - [`remove`](Self::remove) removes it (Rocket's `remove`).
///
/// A request guard; without a `secret_key` (or without the full
/// `Security::fairing()`) it fails with 500 and an ERROR line under `security`.
///
/// ```
/// use rocket::local::blocking::Client;
/// use rocket::{get, routes};
/// use rocket_security::cookies::PrivateCookies;
///
/// #[get("/remember/<name>")]
/// fn remember(name: &str, cookies: PrivateCookies<'_>) -> &'static str {
///     cookies.add(("name", name.to_string()));
///     "remembered"
/// }
///
/// #[get("/hello")]
/// fn hello(cookies: PrivateCookies<'_>) -> String {
///     cookies.get("name").map_or("who?".into(), |c| format!("hello {}", c.value()))
/// }
///
/// let figment = rocket::Config::figment()
///     .merge(("secret_key", "/kFj0DPviOvaR2l9kDIKkEENCX9O0DwaD0mA5rMLUnuzb4i90CCimP495BGkuAsokp+81LZgfk8OolxjNECrmQ=="));
/// let rocket = rocket::custom(figment)
///     .attach(rocket_security::Security::fairing())
///     .mount("/", routes![remember, hello]);
/// let client = Client::tracked(rocket).unwrap();
/// client.get("/remember/alice").dispatch();
/// assert_ne!(client.cookies().get("name").unwrap().value(), "alice", "encrypted");
/// assert_eq!(client.get("/hello").dispatch().into_string().unwrap(), "hello alice");
/// ```
pub struct PrivateCookies<'r> {
    jar: &'r CookieJar<'r>,
    keys: &'r Keys,
    now: chrono::DateTime<chrono::Utc>,
    resealed: &'r Resealed,
    opened: &'r OpenedByFallback,
}

/// Request-local: the cookies (name, value) a fallback opened on this request.
#[derive(Default)]
struct OpenedByFallback(std::sync::Mutex<Vec<(String, String)>>);

/// Why no [`PrivateCookies`] could be made: there is no `secret_key`, or the
/// full `Security::fairing()` is not attached.
///
/// ```
/// use rocket_security::cookies::NoPrivateKey;
/// assert_eq!(
///     NoPrivateKey.to_string(),
///     "PrivateCookies needs Rocket's `secret_key` and `Security::fairing()`"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoPrivateKey;

impl std::fmt::Display for NoPrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivateCookies needs Rocket's `secret_key` and `Security::fairing()`")
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for PrivateCookies<'r> {
    type Error = NoPrivateKey;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, NoPrivateKey> {
        let Some(PrivateKeys(keys)) = req.rocket().state::<PrivateKeys>() else {
            tracing::error!(target: "security", "{NoPrivateKey}");
            return Outcome::Error((Status::InternalServerError, NoPrivateKey));
        };
        let now = SharedClock::of(req.rocket()).now();
        Outcome::Success(PrivateCookies {
            jar: req.cookies(),
            keys,
            now,
            resealed: req.local_cache(Resealed::default),
            opened: req.local_cache(OpenedByFallback::default),
        })
    }
}

impl PrivateCookies<'_> {
    /// The request's cookie `name`, decrypted: opened with the current key,
    /// else with the first fallback that opens it (see
    /// [`opened_with_fallback`](Self::opened_with_fallback)). `None` when the
    /// request has no such cookie or no key opens it.
    ///
    /// ```
    /// use rocket::get;
    /// use rocket_security::cookies::PrivateCookies;
    ///
    /// #[get("/")]
    /// fn index(cookies: PrivateCookies<'_>) -> String {
    ///     cookies.get("user_id").map(|c| c.value().to_string()).unwrap_or_default()
    /// }
    /// ```
    pub fn get(&self, name: &str) -> Option<Cookie<'static>> {
        let sealed = self.jar.get(name)?;
        let (value, sealer) = self.keys.open(name, sealed.value())?;
        if !sealer.is_current() {
            tracing::debug!(
                target: "security",
                "private cookie {name:?} opened with `{sealer}`: add it again to seal it with `secret_key`"
            );
            self.opened.0.lock().unwrap_or_else(|e| e.into_inner()).push((name.to_string(), value.clone()));
        }
        let mut cookie = sealed.clone();
        cookie.set_value(value);
        Some(cookie)
    }

    /// Whether [`get`](Self::get) opened the cookie `name` with one of
    /// `security.secret_key_fallbacks` on this request: add it again, with
    /// the attributes it was set with, and it is sealed with `secret_key`
    /// (before the fallback is removed).
    ///
    /// ```
    /// use rocket::get;
    /// use rocket::http::{Cookie, SameSite};
    /// use rocket_security::cookies::PrivateCookies;
    ///
    /// #[get("/")]
    /// fn index(cookies: PrivateCookies<'_>) -> String {
    ///     let Some(user) = cookies.get("user_id") else { return "who?".into() };
    ///     if cookies.opened_with_fallback("user_id") {
    ///         // As it was set at login: a browser-session cookie, SameSite=Lax.
    ///         cookies.add(Cookie::build(("user_id", user.value().to_string())).same_site(SameSite::Lax).expires(None));
    ///     }
    ///     format!("hello {}", user.value())
    /// }
    /// ```
    pub fn opened_with_fallback(&self, name: &str) -> bool {
        self.opened.0.lock().unwrap_or_else(|e| e.into_inner()).iter().any(|(n, _)| n == name)
    }

    /// Adds `cookie`, its value sealed with the current key, with Rocket's
    /// `add_private` defaults where it sets none: `Path=/`,
    /// `SameSite=Strict`, `HttpOnly`, `Expires` a week from now (on the
    /// application's [clock](crate::core::Clock)).
    ///
    /// ```
    /// use rocket::get;
    /// use rocket::http::Cookie;
    /// use rocket_security::cookies::PrivateCookies;
    ///
    /// #[get("/login")]
    /// fn login(cookies: PrivateCookies<'_>) {
    ///     cookies.add(Cookie::build(("user_id", "42")).max_age(rocket::time::Duration::hours(8)));
    /// }
    /// ```
    pub fn add(&self, cookie: impl Into<Cookie<'static>>) {
        let cookie = cookie.into();
        let again = self
            .opened
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .any(|(n, v)| n == cookie.name() && v == cookie.value());
        let name = cookie.name().to_string();
        let sealed = self.seal_and_add(cookie);
        if again {
            // The value a fallback opened, sealed again: a session stamp bound
            // to this login cookie follows on this response.
            self.resealed.record(&name, &sealed);
        }
    }

    /// Seals and adds, returning the sealed value.
    fn seal_and_add(&self, cookie: Cookie<'static>) -> String {
        let mut cookie = cookie;
        if cookie.path().is_none() {
            cookie.set_path("/");
        }
        if cookie.same_site().is_none() {
            cookie.set_same_site(SameSite::Strict);
        }
        if cookie.http_only().is_none() {
            cookie.set_http_only(true);
        }
        if cookie.expires().is_none() && cookie.max_age().is_none() {
            let week = rocket::time::OffsetDateTime::from_unix_timestamp(self.now.timestamp())
                .map(|t| t + rocket::time::Duration::weeks(1))
                .unwrap_or(rocket::time::OffsetDateTime::UNIX_EPOCH);
            cookie.set_expires(week);
        }
        let sealed = self.keys.seal(cookie);
        let value = sealed.value().to_string();
        self.jar.add(sealed);
        value
    }

    /// Removes the cookie (Rocket's [`CookieJar::remove`]: give the `Path` and
    /// `Domain` it was set with, if not the defaults).
    ///
    /// ```
    /// use rocket::get;
    /// use rocket_security::cookies::PrivateCookies;
    ///
    /// #[get("/logout")]
    /// fn logout(cookies: PrivateCookies<'_>) {
    ///     cookies.remove("user_id");
    /// }
    /// ```
    pub fn remove(&self, cookie: impl Into<Cookie<'static>>) {
        self.jar.remove(cookie);
    }
}
