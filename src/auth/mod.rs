//! Authentication: the [`SecurityUser`] trait that connects the
//! application's user type, login and password-change settings, the catcher
//! that turns guard failures into redirects or JSON, safe `next` targets,
//! login throttling and password policy.
//!
//! ```toml
//! [default.security.auth]
//! login_url = "/login"            # Default: "/login"
//! next_field = "next"             # Default: "next"
//! allowed_hosts = []              # hosts an absolute `next` may point to; Default: []
//! catchers = true                 # register the 401/403 catchers; Default: true
//! allow = []                      # paths open to anonymous users with Security::require_login::<U>(); Default: []
//! static_paths = []               # FileServer mounts etc., exempt from login and password change; Default: []
//! logout_url = "/logout"          # exempt from the password change; Default: "/logout"
//! ajax_fetch_metadata = false     # AjaxOnly also accepts Sec-Fetch-Mode cors/same-origin + Sec-Fetch-Dest empty
//!
//! [default.security.password]
//! change_url = "/password/change" # Default: "/password/change"
//! max_age_days = 0                # rotation; 0: passwords never expire by age; Default: 0
//! expire_new_users = false        # a user without a row must change at once; Default: false
//! include_superusers = false      # Default: false
//! warn_days = 7                   # MandatoryPasswordChange::expires_soon window; Default: 7
//!
//! [default.security.throttle]
//! enabled = true                  # Default: true
//! storage = "memory"              # or "database" (shared by every instance); Default: "memory"
//! ip_threshold = 20               # failures from one address before it is delayed too; Default: 20
//! ```
//!
//! # The catchers and your own
//!
//! `LoginRequired` fails with 401 and `MandatoryPasswordChange` with 403; the
//! crate's catchers for those codes answer browsers with a 303 (to
//! `login_url?next=…` or `change_url`) and API clients (`X-Requested-With:
//! XMLHttpRequest`, `Accept: application/json`, `Sec-Fetch-Mode: cors`) with
//! JSON. Rocket allows one catcher per code: if the application has its own
//! 401/403 catchers, set `catchers = false` and call [`auth_response`] from them.
//!
//! # Deny by default
//!
//! With `Security::fairing().require_login::<User>()`, every request needs a logged-in user except the allow-list, the login URL,
//! the report endpoint, the session-status endpoint and `static_paths`. The
//! check runs before routing, so the handler of a refused request never runs.
//! Unknown paths are treated like any other: they redirect to the login page
//! (a fairing cannot ask Rocket's router which route would match, and a 404
//! for anonymous visitors would also reveal which paths exist).

pub(crate) mod next;
pub(crate) mod policy;
pub(crate) mod throttle;

use std::sync::Arc;

use rocket::http::{ContentType, Header, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};

pub use next::safe_next;
pub use policy::{password_policy, PasswordPolicy};
pub use throttle::{default_delay, delay_message, LoginThrottle, Throttle, Throttled};

use crate::config::reader::Section;
use crate::error::ConfigError;
use crate::headers::{Builder, Feature};
use crate::notes::Notes;
use crate::paths::{PathPattern, PathSet};

/// Connects the application's user type to the crate.
///
/// ```
/// use rocket_security::SecurityUser;
///
/// struct User { id: i64, active: bool, admin: bool }
///
/// impl SecurityUser for User {
///     fn security_id(&self) -> String { self.id.to_string() }
///     fn is_active(&self) -> bool { self.active }
///     fn is_superuser(&self) -> bool { self.admin }
/// }
/// ```
pub trait SecurityUser {
    /// A stable identifier (integer id, UUID, username), at most 191 characters.
    fn security_id(&self) -> String;
    /// Inactive users count as logged out. _Default:_ `true`.
    fn is_active(&self) -> bool {
        true
    }
    /// Superusers skip mandatory password changes unless `include_superusers`. _Default:_ `false`.
    fn is_superuser(&self) -> bool {
        false
    }
}

/// The `[default.security.auth]` table; see the [module docs](self).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Auth {
    /// The login page. _Default:_ `"/login"`.
    pub login_url: String,
    /// The query parameter carrying the target after login. _Default:_ `"next"`.
    pub next_field: String,
    /// Hosts an absolute `next` may name. _Default:_ `[]`.
    pub allowed_hosts: Vec<String>,
    /// Register the 401 and 403 catchers. _Default:_ `true`.
    pub catchers: bool,
    /// Path patterns open to anonymous users when `require_login`. _Default:_ `[]`.
    pub allow: Vec<String>,
    /// Static file path patterns (exempt from login and password change). _Default:_ `[]`.
    pub static_paths: Vec<String>,
    /// The logout path (exempt from the password change). _Default:_ `"/logout"`.
    pub logout_url: String,
    /// `AjaxOnly` also accepts Fetch Metadata. _Default:_ `false`.
    pub ajax_fetch_metadata: bool,
}

impl Default for Auth {
    fn default() -> Self {
        Auth {
            login_url: "/login".into(),
            next_field: "next".into(),
            allowed_hosts: vec![],
            catchers: true,
            allow: vec![],
            static_paths: vec![],
            logout_url: "/logout".into(),
            ajax_fetch_metadata: false,
        }
    }
}

impl Feature for Auth {
    const KEY: &'static str = "auth";

    fn read(s: &Section<'_>) -> Self {
        let d = Auth::default();
        Auth {
            login_url: s.string("login_url", &d.login_url),
            next_field: s.string("next_field", &d.next_field),
            allowed_hosts: s.strings("allowed_hosts", &[]),
            catchers: s.bool("catchers", true),
            allow: s.strings("allow", &[]),
            static_paths: s.strings("static_paths", &[]),
            logout_url: s.string("logout_url", &d.logout_url),
            ajax_fetch_metadata: s.bool("ajax_fetch_metadata", false),
        }
    }

    fn build(&self, b: &mut Builder<'_>) {
        b.summary.push(format!(
            "login at {}, open paths (with require_login): {}",
            self.login_url,
            self.allow.join(", ")
        ));
    }
}

/// The `[default.security.password]` table; see the [module docs](self).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordChange {
    /// The password-change page. _Default:_ `"/password/change"`.
    pub change_url: String,
    /// Days until a password expires after a change; `0`: never. _Default:_ `0`.
    pub max_age_days: u64,
    /// A user without a row must change at once. _Default:_ `false`.
    pub expire_new_users: bool,
    /// Superusers must change too. _Default:_ `false`.
    pub include_superusers: bool,
    /// Days before expiry that count as "expires soon". _Default:_ `7`.
    pub warn_days: u64,
}

impl Default for PasswordChange {
    fn default() -> Self {
        PasswordChange {
            change_url: "/password/change".into(),
            max_age_days: 0,
            expire_new_users: false,
            include_superusers: false,
            warn_days: 7,
        }
    }
}

impl Feature for PasswordChange {
    const KEY: &'static str = "password";

    fn read(s: &Section<'_>) -> Self {
        let d = PasswordChange::default();
        PasswordChange {
            change_url: s.string("change_url", &d.change_url),
            max_age_days: s.u64("max_age_days", 0),
            expire_new_users: s.bool("expire_new_users", false),
            include_superusers: s.bool("include_superusers", false),
            warn_days: s.u64("warn_days", 7),
        }
    }

    fn build(&self, b: &mut Builder<'_>) {
        b.summary.push(format!(
            "password change at {}, {}, new users {}",
            self.change_url,
            if self.max_age_days == 0 {
                "no rotation".to_string()
            } else {
                format!("rotation every {} days", self.max_age_days)
            },
            if self.expire_new_users { "must change at once" } else { "are not expired" }
        ));
    }
}

impl PasswordChange {
    /// The policy for [`PasswordExpiry::get_or_create`](crate::db::PasswordExpiry::get_or_create).
    #[cfg(feature = "db")]
    pub fn expiry_policy(&self) -> crate::db::ExpiryPolicy {
        crate::db::ExpiryPolicy {
            expire_new_users: self.expire_new_users,
            max_age: (self.max_age_days > 0).then(|| chrono::Duration::days(self.max_age_days.min(36_500) as i64)),
        }
    }
}

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
    /// The session expired.
    Expired { reason: &'static str, next: String },
}

/// Whether the request comes from script rather than a page navigation.
pub(crate) fn is_api_client(req: &Request<'_>) -> bool {
    let h = req.headers();
    h.get_one("X-Requested-With") == Some("XMLHttpRequest")
        || h.get_one("Sec-Fetch-Mode").is_some_and(|m| m.eq_ignore_ascii_case("cors"))
        || h.get_one("Accept").is_some_and(|a| a.contains("application/json") && !a.contains("text/html"))
}

/// The answer for a failed authentication guard: a 303 for browsers, JSON for
/// API clients. `None` when no crate guard failed on this request (the status
/// came from elsewhere). Call it from your own 401/403 catchers when
/// `security.auth.catchers = false`.
pub fn auth_response(req: &Request<'_>) -> Option<Response<'static>> {
    let policy = req.rocket().state::<Arc<AuthPolicy>>()?;
    let failure = Notes::of(req).auth.get()?.clone();
    let (status, location, json_key) = match &failure {
        AuthFailure::Login { next } => (Status::Unauthorized, policy.login_location(next), "login_url"),
        AuthFailure::Expired { reason, next } => {
            let loc = policy.login_location(next);
            (Status::Unauthorized, format!("{loc}&expired={reason}"), "login_url")
        }
        AuthFailure::PasswordChange => (Status::Forbidden, policy.password.change_url.clone(), "password_change_url"),
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

/// The crate's catcher for 401 and 403.
#[derive(Clone)]
pub(crate) struct AuthCatcher;

#[rocket::async_trait]
impl rocket::catcher::Handler for AuthCatcher {
    async fn handle<'r>(&self, status: Status, req: &'r Request<'_>) -> rocket::catcher::Result<'r> {
        match auth_response(req) {
            Some(res) => Ok(res),
            None => {
                let body = format!("{} {}", status.code, status.reason_lossy());
                Response::build()
                    .status(status)
                    .header(ContentType::Plain)
                    .sized_body(body.len(), std::io::Cursor::new(body))
                    .ok()
            }
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
