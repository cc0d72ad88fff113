//! How a refused request is answered: the compiled settings, the reason
//! recorded for the request (request-local), the internal route a gate
//! rewrites to, and the catcher for 401 and 403.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use rocket::http::uri::Origin;
use rocket::http::{ContentType, Header, Method, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use rocket::Data;

use super::config::{Auth, PasswordChange};
use super::next;
pub(crate) use crate::core::client::is_api_client;
use crate::core::error::ConfigError;
use crate::core::paths::{PathPattern, PathSet};

/// Where refused requests are rewritten to (a fairing cannot answer itself).
pub(crate) const AUTH_ROUTE: &str = "/__rocket_security/auth";

/// The compiled authentication settings (managed state).
#[derive(Debug, Clone)]
pub(crate) struct AuthPolicy {
    pub(crate) auth: Auth,
    pub(crate) password: PasswordChange,
    /// Paths open to anonymous users in deny-by-default mode.
    pub(crate) open: PathSet,
    /// Paths where the password change is not enforced.
    pub(crate) password_exempt: PathSet,
}

fn url_ok(u: &str) -> bool {
    u.starts_with('/') && !u.starts_with("//") && !u.contains(['\\', ' ', '"', '<', '>'])
}

impl AuthPolicy {
    pub(crate) fn compile(
        auth: &Auth,
        password: &PasswordChange,
        extra_open: &[&str],
        errors: &mut Vec<ConfigError>,
    ) -> AuthPolicy {
        for (key, v) in [
            ("security.auth.login_url", &auth.login_url),
            ("security.auth.logout_url", &auth.logout_url),
            ("security.password.change_url", &password.change_url),
        ] {
            if !url_ok(v) {
                errors.push(ConfigError::new(key, format!("{v:?} is not a local path; write e.g. \"/login\"")));
            }
        }
        if auth.next_field.is_empty()
            || !auth.next_field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            errors.push(ConfigError::new("security.auth.next_field", "letters, digits, `_` and `-` only"));
        }
        let path_of = |u: &str| u.split('?').next().unwrap_or(u).to_string();
        let mut open = PathSet::parse("security.auth.allow", &auth.allow, errors);
        let statics = PathSet::parse("security.auth.static_paths", &auth.static_paths, errors);
        let mut password_exempt = statics.clone();
        for p in statics.patterns() {
            open.push(p.clone());
        }
        for u in std::iter::once(path_of(&auth.login_url)).chain(extra_open.iter().map(|s| s.to_string())) {
            if let Ok(p) = PathPattern::parse(&u) {
                open.push(p.clone());
                password_exempt.push(p);
            }
        }
        for u in [path_of(&password.change_url), path_of(&auth.logout_url)] {
            if let Ok(p) = PathPattern::parse(&u) {
                password_exempt.push(p);
            }
        }
        AuthPolicy { auth: auth.clone(), password: password.clone(), open, password_exempt }
    }

    /// Where to send an anonymous visitor of `target` (path and query).
    pub(crate) fn login_location(&self, target: &str) -> String {
        let sep = if self.auth.login_url.contains('?') { '&' } else { '?' };
        format!("{}{sep}{}={}", self.auth.login_url, self.auth.next_field, next::encode_next(target))
    }
}

/// Why an authentication guard failed (kept for the catcher).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AuthFailure {
    /// Not logged in (or inactive); `next` is the path and query asked for.
    Login { next: String },
    /// The password must be changed first.
    PasswordChange,
    /// The session expired; `ended`: it was ended by the session limit
    /// (`session_limit:N`, passed on to the login page as `ended=`).
    Expired { reason: &'static str, next: String, ended: Option<Arc<str>> },
    /// The store a check needs cannot answer: refused (fail closed).
    Unavailable,
}

/// The answer for a failed authentication guard: a 303 for browsers, JSON for
/// API clients. `None` when no crate guard failed on this request (the status
/// came from elsewhere). Call it from your own 401/403 catchers when
/// `security.auth.catchers = false`.
///
/// ```
/// use rocket::response::{self, Responder};
/// use rocket::{catch, catchers, Request};
/// use rocket_security::auth::auth_response;
///
/// struct LoginAnswer;
/// impl<'r> Responder<'r, 'static> for LoginAnswer {
///     fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
///         auth_response(req).map_or_else(|| "please log in".respond_to(req), Ok)
///     }
/// }
///
/// #[catch(401)]
/// fn unauthorized() -> LoginAnswer { LoginAnswer }
///
/// // Rocket.toml: [default.security.auth] catchers = false
/// let figment = rocket::figment::Figment::from(rocket::Config::default()).merge(("security.auth.catchers", false));
/// let rocket = rocket::custom(figment)
///     .attach(rocket_security::Security::fairing())
///     .register("/", catchers![unauthorized]);
/// ```
pub fn auth_response(req: &Request<'_>) -> Option<Response<'static>> {
    let policy = req.rocket().state::<Arc<AuthPolicy>>()?;
    let failure = AuthLocal::of(req).failure.get()?.clone();
    if failure == AuthFailure::Unavailable {
        return Some(crate::core::client::unavailable(req, "store_unavailable", "this page"));
    }
    let (status, location, json_key) = match &failure {
        AuthFailure::Login { next } => (Status::Unauthorized, policy.login_location(next), "login_url"),
        AuthFailure::Expired { reason, next, ended } => {
            let loc = policy.login_location(next);
            let ended = ended.as_deref().map(|e| format!("&ended={e}")).unwrap_or_default();
            (Status::Unauthorized, format!("{loc}&expired={reason}{ended}"), "login_url")
        }
        AuthFailure::PasswordChange => (Status::Forbidden, policy.password.change_url.clone(), "password_change_url"),
        AuthFailure::Unavailable => unreachable!("answered above"),
    };
    let res = if is_api_client(req) {
        let body = serde_json::json!({ json_key: location }).to_string();
        Response::build()
            .status(status)
            .header(ContentType::JSON)
            .sized_body(body.len(), std::io::Cursor::new(body))
            .finalize()
    } else {
        Response::build().status(Status::SeeOther).header(Header::new("Location", location)).finalize()
    };
    Some(res)
}

/// The crate's catcher for 401 and 403: the crate's refusals, and Rocket's
/// default answer for every other.
#[derive(Clone)]
pub(crate) struct AuthCatcher;

#[rocket::async_trait]
impl rocket::catcher::Handler for AuthCatcher {
    async fn handle<'r>(&self, status: Status, req: &'r Request<'_>) -> rocket::catcher::Result<'r> {
        match auth_response(req) {
            Some(res) => Ok(res),
            // Not the crate's refusal: answered exactly as Rocket's own
            // catcher would (JSON when the client prefers it, else HTML).
            None => rocket::catcher::Catcher::default().handler.handle(status, req).await,
        }
    }
}

/// Answers with the auth failure recorded for this request (internal route target).
pub(crate) struct AuthAnswer;

impl<'r> Responder<'r, 'static> for AuthAnswer {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        auth_response(req).ok_or(Status::Unauthorized)
    }
}

/// The request-local record of authentication decisions.
#[derive(Default)]
struct AuthLocal {
    failure: OnceLock<AuthFailure>,
    /// Session expiry ended this request's session (the login cookies are
    /// still on the request, but must not count).
    session_ended: AtomicBool,
}

impl AuthLocal {
    fn of<'r>(req: &'r Request<'_>) -> &'r AuthLocal {
        req.local_cache(AuthLocal::default)
    }
}

/// Records why `req` is refused, for the catcher (the first reason wins).
pub(crate) fn record(req: &Request<'_>, failure: AuthFailure) {
    let _ = AuthLocal::of(req).failure.set(failure);
}

/// Whether a reason is recorded for `req`.
pub(crate) fn is_refused(req: &Request<'_>) -> bool {
    AuthLocal::of(req).failure.get().is_some()
}

/// Records that session expiry ended the session of `req`.
pub(crate) fn end_session(req: &Request<'_>) {
    AuthLocal::of(req).session_ended.store(true, Ordering::Relaxed);
}

/// Whether session expiry ended the session of `req`.
pub(crate) fn session_ended(req: &Request<'_>) -> bool {
    AuthLocal::of(req).session_ended.load(Ordering::Relaxed)
}

/// The user the session registry says the request's session belongs to:
/// recorded by session expiry's gate, replaced by a login on the request.
#[derive(Default)]
pub(crate) struct SessionOwner(Mutex<Option<Arc<str>>>);

impl SessionOwner {
    pub(crate) fn of<'r>(req: &'r Request<'_>) -> &'r SessionOwner {
        req.local_cache(SessionOwner::default)
    }

    pub(crate) fn set(&self, owner: Option<Arc<str>>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = owner;
    }
}

/// Records whose session `req` carries (nothing to record: no slot made).
pub(crate) fn session_owner(req: &Request<'_>, owner: Option<Arc<str>>) {
    if owner.is_some() {
        SessionOwner::of(req).set(owner);
    }
}

/// Whether the user `user_id` the application's guard read from the login
/// cookie may use the request's session: the registry knows no owner for it,
/// or this one. A session of another user is refused like an unverified stamp
/// (`expired=unverified`), logged at WARN.
pub(crate) fn owns_session(req: &Request<'_>, user_id: &str) -> bool {
    // Only a session that has an owner made the slot: no slot, nothing to compare.
    let owner = SessionOwner::of(req).0.lock().unwrap_or_else(|e| e.into_inner()).clone();
    match owner {
        Some(owner) if &*owner != user_id => {
            tracing::warn!(
                target: "security",
                "session of user {owner:?} presented with the login cookie of user {user_id:?} on {}: refused",
                req.uri().path()
            );
            end_session(req);
            record(req, AuthFailure::Expired { reason: "unverified", next: target(req), ended: None });
            false
        }
        _ => true,
    }
}

/// The path and query of the request, for `next`.
pub(crate) fn target(req: &Request<'_>) -> String {
    let uri = req.uri();
    match uri.query() {
        Some(q) => format!("{}?{}", uri.path(), q),
        None => uri.path().to_string(),
    }
}

/// Records that `req` needs a login, for the catcher.
pub(crate) fn login_needed(req: &Request<'_>) {
    record(req, AuthFailure::Login { next: target(req) });
}

/// Refuses `req` with `failure` before routing: records it and sends the
/// request to the internal route that answers with it; the handler it was
/// meant for never runs.
pub(crate) fn refuse(req: &mut Request<'_>, failure: AuthFailure) {
    record(req, failure);
    rewrite(req);
}

/// Sends `req` to the internal route that answers with the recorded failure.
pub(crate) fn rewrite(req: &mut Request<'_>) {
    req.set_method(Method::Get);
    req.set_uri(Origin::parse(AUTH_ROUTE).expect("static route URI"));
}

/// The internal route behind [`rewrite`].
#[derive(Clone)]
pub(crate) struct AuthRoute;

#[rocket::async_trait]
impl rocket::route::Handler for AuthRoute {
    async fn handle<'r>(&self, req: &'r Request<'_>, data: Data<'r>) -> rocket::route::Outcome<'r> {
        if !is_refused(req) {
            // Reached directly, not through a rewrite.
            return rocket::route::Outcome::forward(data, Status::NotFound);
        }
        rocket::route::Outcome::from(req, AuthAnswer)
    }
}
