//! The [`Security`] fairing: validates the configuration at ignite, logs what
//! it will do at liftoff, and adds the pre-rendered headers to every response.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use rocket::fairing::{self, Fairing, Info, Kind};
use rocket::http::Header;
use rocket::shield::Shield;
use rocket::{Build, Data, Orbit, Request, Response, Rocket};

use crate::auth::{AuthAnswer, AuthCatcher, AuthFailure, SecurityUser};
use crate::clock::{Clock, SharedClock, SystemClock};
use crate::config::{Compiled, SecurityConfig, ServerHeader};
use crate::https::HttpsState;
use crate::https::RedirectHandler;
use crate::notes::Notes;
use crate::reports::{CollectorHandle, CollectorState};
use crate::session::Decision;
use rocket::catcher::Catcher;
use rocket::http::Method;
use rocket::Route;

/// The security fairing: every response header feature, HTTPS detection and
/// redirect, configured from `[default.security]`.
///
/// ```no_run
/// # use rocket::{get, routes, launch};
/// #[get("/")]
/// fn index() -> &'static str { "hello" }
///
/// #[launch]
/// fn rocket() -> _ {
///     rocket::build()
///         .attach(rocket_security::Security::fairing())
///         .mount("/", routes![index])
/// }
/// ```
///
/// **Rocket's Shield is replaced.** Rocket attaches `Shield::default()` to
/// every app, and Shield never overwrites a header that is already present.
/// Because it runs first, it would pre-empt this crate's values
/// (`X-Frame-Options: SAMEORIGIN` instead of `DENY`, a dated
/// Permissions-Policy). At ignite this fairing attaches `Shield::new()`, an
/// empty Shield, which replaces the default one; every header Shield sent is
/// sent by this crate instead, with current values.
///
/// **Precedence.** A header the handler set itself is kept (unless
/// `security.overwrite = true`); [`Override`](crate::Override) lets a route set
/// or remove any header, and always wins. `Cache-Control` on
/// [`NoStore`](crate::NoStore) paths always replaces the handler's value.
pub struct Security {
    config: Option<SecurityConfig>,
    only: Option<&'static str>,
    compiled: OnceLock<Arc<Compiled>>,
    collector: OnceLock<Arc<CollectorState>>,
    dashboard: Option<DashboardRoutes>,
    #[cfg(feature = "db")]
    database: PoolLookup,
    clock: Arc<dyn Clock>,
    login_check: Option<LoginCheck>,
    password_check: Option<LoginCheck>,
}

type LoginCheck = Box<dyn for<'r, 'a> Fn(&'r Request<'a>) -> BoxFuture<'r, bool> + Send + Sync>;
type BoxFuture<'r, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'r>>;

/// Where refused requests are rewritten to (a fairing cannot answer itself).
const AUTH_ROUTE: &str = "/__rocket_security/auth";

type DashboardRoutes = Box<dyn Fn(&str) -> Vec<rocket::Route> + Send + Sync>;
#[cfg(feature = "db")]
type PoolLookup = Box<dyn Fn(&Rocket<Orbit>) -> Option<crate::db::SecurityPool> + Send + Sync>;

#[cfg(feature = "db")]
fn pool_of<D: rocket_db_pools::Database<Pool = crate::db::SecurityPool>>(
    rocket: &Rocket<Orbit>,
) -> Option<crate::db::SecurityPool> {
    D::fetch(rocket).map(|db| {
        let pool: &crate::db::SecurityPool = db;
        pool.clone()
    })
}

impl Security {
    /// Every feature, configured from the `security` table of the active
    /// profile (absent keys keep their secure defaults).
    pub fn fairing() -> Self {
        Security::new(None, None)
    }

    fn new(config: Option<SecurityConfig>, only: Option<&'static str>) -> Self {
        Security {
            config,
            only,
            compiled: OnceLock::new(),
            collector: OnceLock::new(),
            dashboard: None,
            #[cfg(feature = "db")]
            database: Box::new(pool_of::<crate::db::SecurityDb>),
            clock: Arc::new(SystemClock),
            login_check: None,
            password_check: None,
        }
    }

    /// Global mandatory password change: every request of a logged-in `U`
    /// whose password has expired is sent to `security.password.change_url`
    /// (API clients: 403 JSON), except the change URL, logout, `static_paths`
    /// and the report endpoint; the handler never runs. Anonymous requests are
    /// left alone (combine with [`require_login`](Self::require_login) to refuse them).
    #[cfg(feature = "db")]
    pub fn require_password_change<U>(mut self) -> Self
    where
        U: for<'r> rocket::request::FromRequest<'r> + SecurityUser + Send + 'static,
    {
        self.password_check = Some(Box::new(|req| {
            Box::pin(async move {
                use crate::guards::password::MandatoryPasswordChange;
                !matches!(
                    req.guard::<MandatoryPasswordChange<U>>().await,
                    rocket::outcome::Outcome::Error((rocket::http::Status::Forbidden, _))
                )
            })
        }));
        self
    }

    /// Uses `clock` for everything time-dependent (session expiry, throttling,
    /// password expiry); tests pass a [`ManualClock`](crate::ManualClock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Deny by default: every request needs a logged-in, active `U`, except
    /// `security.auth.allow`, `static_paths`, the login URL, the report
    /// endpoint and the session-status endpoint. Refused requests never reach
    /// their handler: browsers get a 303 to the login page, API clients a 401.
    ///
    /// ```no_run
    /// # use rocket::request::{self, FromRequest, Request};
    /// # struct User;
    /// # impl rocket_security::SecurityUser for User { fn security_id(&self) -> String { String::new() } }
    /// # #[rocket::async_trait]
    /// # impl<'r> FromRequest<'r> for User {
    /// #     type Error = ();
    /// #     async fn from_request(_: &'r Request<'_>) -> request::Outcome<Self, ()> { request::Outcome::Forward(rocket::http::Status::Unauthorized) }
    /// # }
    /// let rocket = rocket::build().attach(rocket_security::Security::fairing().require_login::<User>());
    /// ```
    pub fn require_login<U>(mut self) -> Self
    where
        U: for<'r> rocket::request::FromRequest<'r> + SecurityUser + Send + 'static,
    {
        self.login_check = Some(Box::new(|req| {
            Box::pin(
                async move { matches!(req.guard::<U>().await, rocket::outcome::Outcome::Success(u) if u.is_active()) },
            )
        }));
        self
    }

    /// Stores CSP reports in database `D` instead of the ready-made
    /// [`SecurityDb`](crate::db::SecurityDb) (with `security.reports.database = true`).
    #[cfg(feature = "db")]
    pub fn database<D: rocket_db_pools::Database<Pool = crate::db::SecurityPool>>(mut self) -> Self {
        self.database = Box::new(pool_of::<D>);
        self
    }

    /// Mounts the CSP reports dashboard at `security.reports.dashboard_path`
    /// (default `/security/reports`), for requests that pass guard `G` (for
    /// example the application's admin user type). A failing guard's status
    /// goes to the catchers: build `G` on [`LoginRequired`](crate::LoginRequired)
    /// (as the showcase's `Admin` does) and anonymous visitors are sent to the
    /// login page; any other 401/403 gets a plain answer.
    ///
    /// ```no_run
    /// # use rocket::request::{self, FromRequest, Request};
    /// struct Admin;
    /// #[rocket::async_trait]
    /// impl<'r> FromRequest<'r> for Admin {
    ///     type Error = ();
    ///     async fn from_request(_: &'r Request<'_>) -> request::Outcome<Self, ()> {
    ///         request::Outcome::Error((rocket::http::Status::Forbidden, ()))
    ///     }
    /// }
    /// let rocket = rocket::build().attach(rocket_security::Security::fairing().reports_dashboard::<Admin>());
    /// ```
    pub fn reports_dashboard<G>(mut self) -> Self
    where
        G: for<'r> rocket::request::FromRequest<'r> + Send + Sync + 'static,
    {
        self.dashboard = Some(Box::new(crate::reports::dashboard::routes::<G>));
        self
    }

    /// Every feature, configured in code. `Rocket.toml` is not read for
    /// `security`; the configuration is validated at ignite like the file.
    ///
    /// ```
    /// use rocket_security::{Hsts, Security, SecurityConfig};
    ///
    /// let config = SecurityConfig {
    ///     hsts: Hsts { max_age: 31_536_000, ..Hsts::default() },
    ///     ..SecurityConfig::default()
    /// };
    /// let rocket = rocket::build().attach(Security::from_config(config));
    /// ```
    pub fn from_config(config: SecurityConfig) -> Self {
        Security::new(Some(config), None)
    }

    pub(crate) fn only(key: &'static str, config: Option<SecurityConfig>) -> Self {
        Security::new(config, Some(key))
    }

    fn name(&self) -> &'static str {
        match self.only {
            None => "rocket_security",
            Some(_) => "rocket_security (one feature)",
        }
    }
}

#[rocket::async_trait]
impl Fairing for Security {
    fn info(&self) -> Info {
        Info { name: self.name(), kind: Kind::Ignite | Kind::Liftoff | Kind::Request | Kind::Shutdown }
    }

    async fn on_ignite(&self, rocket: Rocket<Build>) -> fairing::Result {
        let release = rocket.figment().profile() != rocket::Config::DEBUG_PROFILE;
        let config = match &self.config {
            Some(c) => Ok(c.clone()),
            None => SecurityConfig::from_figment(rocket.figment()),
        };
        let secret_key = rocket.figment().extract_inner::<String>("secret_key").ok();
        let compiled =
            config.and_then(|c| c.compile_with(self.only, release, Some(secret_key)).map(|compiled| (c, compiled)));
        let (config, compiled) = match compiled {
            Ok(ok) => ok,
            Err(errors) => {
                for e in errors.iter() {
                    tracing::error!(target: "security", "invalid configuration: {e}");
                }
                tracing::error!(
                    target: "security",
                    "launch aborted: {} invalid security setting(s); fix the key(s) above in Rocket.toml or ROCKET_SECURITY",
                    errors.len()
                );
                return Err(rocket);
            }
        };
        for w in &compiled.warnings {
            tracing::warn!(target: "security", "{w}");
        }
        let redirect = compiled.https.redirect.as_ref().map(|r| r.status);
        let compiled = Arc::new(compiled);
        let _ = self.compiled.set(compiled.clone());

        tracing::info!(
            target: "security",
            "replacing Rocket's Shield with an empty one: rocket_security sends the security headers \
             (policies configured on a Shield of your own are dropped; configure them under `security`)"
        );
        // Response fairings run in attach order: attaching ours after the new
        // Shield lets it see (and correct) everything Shield and the app did.
        let mut rocket = rocket.attach(Shield::new()).attach(ResponseHeaders {
            compiled: compiled.clone(),
            shield_forces_hsts: AtomicBool::new(false),
            name: self.name(),
        });
        if self.only.is_none() {
            let ident = match &config.server_header {
                ServerHeader::Hidden => Some(rocket::config::Ident::none()),
                ServerHeader::Rocket => None,
                ServerHeader::Custom(v) => rocket::config::Ident::try_new(v.clone()).ok(),
            };
            if let Some(ident) = ident {
                let figment = rocket.figment().clone().merge(("ident", ident));
                rocket = rocket.configure(figment);
            }
        }
        if let Some(status) = redirect {
            rocket = rocket.mount("/", vec![RedirectHandler::route(status)]);
        }
        if self.only.is_none() {
            rocket = rocket
                .manage(HttpsState(compiled.https.clone()))
                .manage(SharedClock(self.clock.clone()))
                .mount("/", vec![Route::ranked(-100, Method::Get, AUTH_ROUTE, AuthRoute)]);
            if let Some(auth) = &compiled.auth {
                if auth.auth.catchers {
                    rocket = rocket.register("/", vec![Catcher::new(401, AuthCatcher), Catcher::new(403, AuthCatcher)]);
                }
                rocket = rocket.manage(Arc::new(auth.clone()));
            }
            if let Some(t) = &compiled.throttle {
                rocket = rocket.manage(t.clone());
            }
            if let Some(s) = &compiled.session {
                rocket = rocket.mount(
                    "/",
                    vec![Route::ranked(-90, Method::Get, s.status_path(), SessionStatus(compiled.clone()))],
                );
            }
            #[cfg(feature = "db")]
            {
                rocket = rocket.manage(crate::guards::password::ExpiryStore(OnceLock::new()));
            }
        }
        if let Some(c) = &compiled.collector {
            let state = CollectorState::new(c.clone(), compiled.https.clone());
            rocket = rocket.mount("/", crate::reports::endpoint::routes(&state)).manage(CollectorHandle(state.clone()));
            if let Some(dashboard) = &self.dashboard {
                rocket = rocket.mount("/", dashboard(&c.dashboard_path));
            }
            let _ = self.collector.set(state);
        } else if self.dashboard.is_some() {
            tracing::warn!(target: "security", "the reports dashboard is not mounted: the collector is off");
        }
        Ok(rocket)
    }

    async fn on_liftoff(&self, rocket: &Rocket<Orbit>) {
        let Some(c) = self.compiled.get() else { return };
        #[cfg(feature = "db")]
        if self.only.is_none() {
            let pool = (self.database)(rocket);
            if let (Some(store), Some(pool)) = (rocket.state::<crate::guards::password::ExpiryStore>(), &pool) {
                let _ = store.0.set(pool.clone());
            }
            if let Some(t) = rocket.state::<Arc<crate::auth::throttle::ThrottleState>>() {
                if let crate::auth::throttle::Store::Database(slot) = &t.store {
                    match &pool {
                        Some(p) => {
                            let _ = slot.set(p.clone());
                        }
                        None => tracing::error!(
                            target: "security",
                            "`security.throttle.storage = \"database\"` but no security database is attached: logins are not throttled"
                        ),
                    }
                }
            }
        }
        #[cfg(feature = "db")]
        if let Some(state) = self.collector.get().filter(|s| s.config.database) {
            match (self.database)(rocket) {
                Some(pool) => {
                    let _ = state.pool.set(pool.clone());
                    crate::reports::sink::start(state, pool);
                }
                None => tracing::error!(
                    target: "security",
                    "`security.reports.database = true` but no security database is attached (attach \
                     `SecurityDb::init()`, or name yours with `Security::fairing().database::<Db>()`): \
                     reports are counted as dropped (database_unavailable)"
                ),
            }
        }
        #[cfg(feature = "db")]
        if let Some(state) = self.collector.get().filter(|s| !s.config.database) {
            if let Some(pool) = (self.database)(rocket) {
                // Lets the dashboard show what an earlier configuration stored.
                let _ = state.pool.set(pool);
            }
        }
        let tls = rocket.config().tls_enabled();
        if self.only.is_none() || self.only == Some("https") {
            tracing::info!(target: "security", "https: {}", c.https.describe());
        }
        for (feature, line) in &c.summary {
            tracing::info!(target: "security", "{feature}: {line}");
        }
        let release = rocket.figment().profile() != rocket::Config::DEBUG_PROFILE;
        let sends_hsts = c.rules.iter().any(|r| r.name == "Strict-Transport-Security");
        if release && sends_hsts && !tls && c.https.proxies.is_empty() {
            tracing::warn!(
                target: "security",
                "HSTS will never be sent: Rocket's TLS is off and `security.https.trusted_proxies` is empty; \
                 behind a TLS-terminating proxy, list its address there"
            );
        }
        if let Some(r) = &c.https.redirect {
            if !tls && c.https.proxies.is_empty() {
                tracing::warn!(
                    target: "security",
                    "`security.https.redirect` is on but no request can count as HTTPS (no TLS, no trusted proxy): \
                     every request will be redirected"
                );
            }
            if release && r.host.is_none() {
                tracing::warn!(
                    target: "security",
                    "`security.https.redirect_host` is not set: the redirect target comes from the request's Host \
                     header; set it so a cache in front cannot be poisoned with a redirect to another host"
                );
            }
        }
    }

    async fn on_shutdown(&self, _: &Rocket<Orbit>) {
        #[cfg(feature = "db")]
        if let Some(state) = self.collector.get() {
            crate::reports::sink::flush_and_stop(state, std::time::Duration::from_secs(5)).await;
        }
    }

    async fn on_request(&self, req: &mut Request<'_>, _: &mut Data<'_>) {
        let Some(c) = self.compiled.get() else { return };
        if c.https.maybe_redirect(req) {
            return;
        }
        if c.session.is_none() && self.login_check.is_none() && self.password_check.is_none() {
            return;
        }
        let open = c.auth.as_ref().is_some_and(|a| a.open.matches(req.uri()));
        if let Some(session) = &c.session {
            if let Some(decision) = session.decide(req, self.clock.now()) {
                if let Decision::Expired(reason) = decision {
                    tracing::info!(
                        target: "security",
                        "session expired ({reason} timeout; {}) on {}",
                        crate::session::describe(session.stamp(req)),
                        req.uri().path()
                    );
                    if !open {
                        let next = crate::guards::login::target(req);
                        let _ = Notes::of(req).auth.set(AuthFailure::Expired { reason, next });
                        let _ = Notes::of(req).session.set(decision);
                        rewrite(req);
                        return;
                    }
                }
                let _ = Notes::of(req).session.set(decision);
            }
        }
        if let (Some(check), false) = (&self.login_check, open) {
            if !check(req).await {
                crate::guards::login::login_needed(req);
                rewrite(req);
                return;
            }
        }
        let Some(check) = &self.password_check else { return };
        if !c.auth.as_ref().is_some_and(|a| a.password_exempt.matches(req.uri())) {
            // The guard records the failure (password change) for the catcher.
            if !check(req).await {
                rewrite(req);
            }
        }
    }
}

/// Sends the request to the internal route that answers with the recorded
/// auth failure; the handler it was meant for never runs.
fn rewrite(req: &mut Request<'_>) {
    req.set_method(Method::Get);
    req.set_uri(rocket::http::uri::Origin::parse(AUTH_ROUTE).expect("static route URI"));
}

/// The internal route behind [`rewrite`].
#[derive(Clone)]
struct AuthRoute;

#[rocket::async_trait]
impl rocket::route::Handler for AuthRoute {
    async fn handle<'r>(&self, req: &'r Request<'_>, data: Data<'r>) -> rocket::route::Outcome<'r> {
        if Notes::of(req).auth.get().is_none() {
            // Reached directly, not through a rewrite.
            return rocket::route::Outcome::forward(data, rocket::http::Status::NotFound);
        }
        rocket::route::Outcome::from(req, AuthAnswer)
    }
}

/// `GET security.session.status_path`: seconds left, for a client-side warning.
#[derive(Clone)]
struct SessionStatus(Arc<Compiled>);

#[rocket::async_trait]
impl rocket::route::Handler for SessionStatus {
    async fn handle<'r>(&self, req: &'r Request<'_>, _: Data<'r>) -> rocket::route::Outcome<'r> {
        let now = SharedClock::of(req.rocket()).now();
        let body = match self.0.session.as_ref().and_then(|s| s.seconds_left(req, now)) {
            Some((idle, absolute)) => {
                serde_json::json!({"logged_in": true, "idle_seconds_left": idle, "absolute_seconds_left": absolute})
            }
            None => serde_json::json!({"logged_in": false}),
        };
        rocket::route::Outcome::from(req, (rocket::http::ContentType::JSON, body.to_string()))
    }
}

/// The response half of [`Security`], attached after Rocket's (empty) Shield.
struct ResponseHeaders {
    compiled: Arc<Compiled>,
    /// Rocket's Shield adds its own HSTS in release builds served over TLS
    /// when it has no HSTS policy; this crate then decides instead.
    shield_forces_hsts: AtomicBool,
    name: &'static str,
}

const HSTS: &str = "Strict-Transport-Security";

#[rocket::async_trait]
impl Fairing for ResponseHeaders {
    fn info(&self) -> Info {
        Info { name: self.name, kind: Kind::Liftoff | Kind::Response }
    }

    async fn on_liftoff(&self, rocket: &Rocket<Orbit>) {
        let forced = rocket.config().tls_enabled() && rocket.figment().profile() != rocket::Config::DEBUG_PROFILE;
        self.shield_forces_hsts.store(forced, Ordering::Relaxed);
        if forced {
            tracing::info!(
                target: "security",
                "Rocket's Shield adds `Strict-Transport-Security: max-age=31536000` in release builds with TLS; \
                 rocket_security replaces it with the configured HSTS (or removes it where HSTS is off)"
            );
        }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let c = &*self.compiled;
        let notes = Notes::of(req);
        let changes = notes.route_changes();
        let owns = |name: &str| changes.as_ref().is_some_and(|c| c.owns(name));
        if let Some(changes) = &changes {
            for name in &changes.removed {
                res.remove_header(name);
            }
        }
        if self.shield_forces_hsts.load(Ordering::Relaxed) && !owns(HSTS) {
            res.remove_header(HSTS);
        }
        // Which of our headers the response already has, in one pass over its
        // (few) headers instead of one hash lookup per rule.
        let mut present: u64 = 0;
        if !c.overwrite {
            for h in res.headers().iter() {
                for (i, rule) in c.rules.iter().enumerate().take(64) {
                    if h.name().as_str().eq_ignore_ascii_case(rule.name) {
                        present |= 1 << i;
                    }
                }
            }
        }
        let secure = c.needs_scheme && c.https.is_secure(req);
        for (i, rule) in c.rules.iter().enumerate() {
            let Some(value) = rule.value_for(secure) else { continue };
            if !rule.scope.applies(req.uri()) || owns(rule.name) || rule.follows.is_some_and(owns) {
                continue;
            }
            let handler_set = if i < 64 { present & (1 << i) != 0 } else { res.headers().contains(rule.name) };
            if handler_set && !(rule.force || c.overwrite) {
                continue;
            }
            res.set_header(Header::new(rule.name, value));
        }
        if let Some(csp) = &c.csp {
            csp.apply(req, res, secure, c.overwrite, notes, changes.as_ref());
        }
        if let Some(session) = &c.session {
            let now = SharedClock::of(req.rocket()).now();
            session.apply(req, notes.session.get(), now, c.https.is_secure(req), res);
        }
        if c.dnt_echo {
            if let Some(dnt) = req.headers().get_one("DNT") {
                if crate::headers::check_value(dnt).is_ok() && !owns("DNT") {
                    res.set_header(Header::new("DNT", dnt.to_string()));
                }
            }
            add_vary(res, &["DNT"]);
        }
        if notes.vary_privacy.load(Ordering::Relaxed) {
            add_vary(res, &["DNT", "Sec-GPC"]);
        }
    }
}

/// Adds `tokens` to the response's `Vary` header, once each.
fn add_vary(res: &mut Response<'_>, tokens: &[&str]) {
    let existing: Vec<String> = res.headers().get("Vary").map(str::to_string).collect();
    if existing.iter().any(|v| v.trim() == "*") {
        return;
    }
    let mut all: Vec<String> =
        existing.iter().flat_map(|v| v.split(',')).map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect();
    for t in tokens {
        if !all.iter().any(|a| a.eq_ignore_ascii_case(t)) {
            all.push(t.to_string());
        }
    }
    res.set_header(Header::new("Vary", all.join(", ")));
}
