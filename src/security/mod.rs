//! The composition root: the [`Security`] fairing and its builder, the
//! [`SecurityConfig`] that lists every feature, and the single-feature
//! fairings. This is the one module that names the features; everything
//! else depends downward (see `scripts/check-layers.sh`).

pub(crate) mod checks;
pub(crate) mod config;
pub(crate) mod only;

use std::any::TypeId;
use std::sync::{Arc, OnceLock};

use rocket::fairing::{self, Fairing, Info, Kind};
use rocket::figment::Figment;
use rocket::request::FromRequest;
use rocket::{Build, Data, Orbit, Request, Rocket};

use crate::auth::gate::{login_check, Check};
use crate::auth::SecurityUser;
use crate::core::check::{Finding, Severity};
use crate::core::clock::{Clock, SystemClock};
use crate::core::error::{ConfigError, ConfigErrors};
use crate::core::fairing::Runner;
use crate::reports::part::DashboardRoutes;
use config::Extras;
pub use config::SecurityConfig;

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
/// [`NoStore`](crate::headers::NoStore) paths always replaces the handler's value.
pub struct Security {
    config: Option<SecurityConfig>,
    only: Option<TypeId>,
    runner: OnceLock<Arc<Runner>>,
    clock: Arc<dyn Clock>,
    login_check: std::sync::Mutex<Option<Check>>,
    password_check: std::sync::Mutex<Option<Check>>,
    dashboard: Option<Arc<DashboardRoutes>>,
    strict: bool,
    #[cfg(feature = "db")]
    database: std::sync::Mutex<Option<crate::db::bind::PoolLookup>>,
}

impl Security {
    /// Every feature, configured from the `security` table of the active
    /// profile (absent keys keep their secure defaults).
    ///
    /// ```
    /// use rocket::local::blocking::Client;
    /// use rocket::{get, routes};
    ///
    /// #[get("/")]
    /// fn index() -> &'static str { "hello" }
    ///
    /// let rocket = rocket::custom(rocket::Config::default())
    ///     .attach(rocket_security::Security::fairing())
    ///     .mount("/", routes![index]);
    /// let client = Client::tracked(rocket).unwrap();
    /// assert_eq!(client.get("/").dispatch().headers().get_one("X-Frame-Options"), Some("DENY"));
    /// ```
    pub fn fairing() -> Self {
        Security::new(None, None)
    }

    fn new(config: Option<SecurityConfig>, only: Option<TypeId>) -> Self {
        Security {
            config,
            only,
            runner: OnceLock::new(),
            clock: Arc::new(SystemClock),
            login_check: Default::default(),
            password_check: Default::default(),
            dashboard: None,
            strict: false,
            #[cfg(feature = "db")]
            database: Default::default(),
        }
    }

    /// Waits (up to 10 seconds) for the crate's shutdown work: the CSP
    /// report queue written to the database, the last counters added. It
    /// starts on its own when shutdown is requested, and the fairing's
    /// shutdown waits for it; but Rocket 0.5 can return from `launch()`
    /// without running shutdown fairings when a signal arrives while it is
    /// accepting a connection (it logs `Server shutdown nominally.`, then
    /// `Rocket failed to shutdown gracefully.`). A `main` that handles that
    /// error calls `finish` so that nothing accepted is lost; returns `false`
    /// when the work did not end in time (logged at ERROR).
    ///
    /// ```no_run
    /// use rocket::error::ErrorKind;
    /// use rocket_security::Security;
    ///
    /// #[rocket::main]
    /// async fn main() {
    ///     if let Err(e) = rocket::build().attach(Security::fairing()).launch().await {
    ///         if let ErrorKind::Shutdown(rocket, _) = e.kind() {
    ///             Security::finish(rocket).await;
    ///         }
    ///         eprintln!("{e}");
    ///     }
    /// }
    /// ```
    pub async fn finish(rocket: &rocket::Rocket<rocket::Orbit>) -> bool {
        crate::core::drain::finish(rocket, std::time::Duration::from_secs(10)).await
    }

    /// Global mandatory password change: every request of a logged-in `U`
    /// whose password has expired is sent to `security.password.change_url`
    /// (API clients: 403 JSON), except the change URL, logout, `static_paths`
    /// and the report endpoint; the handler never runs. Anonymous requests are
    /// left alone (combine with [`require_login`](Self::require_login) to refuse them).
    ///
    /// ```
    /// # use rocket::request::{self, FromRequest, Request};
    /// # struct User { name: String }
    /// # impl rocket_security::SecurityUser for User { fn security_id(&self) -> String { self.name.clone() } }
    /// # #[rocket::async_trait]
    /// # impl<'r> FromRequest<'r> for User {
    /// #     type Error = ();
    /// #     async fn from_request(_: &'r Request<'_>) -> request::Outcome<Self, ()> {
    /// #         request::Outcome::Forward(rocket::http::Status::Unauthorized)
    /// #     }
    /// # }
    /// use rocket_security::Security;
    ///
    /// // Rocket.toml: [default.security.password] max_age_days = 90
    /// let rocket = rocket::build().attach(Security::fairing().require_password_change::<User>());
    /// ```
    #[cfg(feature = "db")]
    #[cfg_attr(docsrs, doc(cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))))]
    pub fn require_password_change<U>(self) -> Self
    where
        U: for<'r> FromRequest<'r> + SecurityUser + Send + 'static,
    {
        *self.password_check.lock().unwrap_or_else(|e| e.into_inner()) = Some(crate::auth::gate::password_check::<U>());
        self
    }

    /// Uses `clock` for everything time-dependent (session expiry, throttling,
    /// password expiry); tests pass a [`ManualClock`](crate::core::ManualClock).
    ///
    /// ```
    /// use chrono::{Duration, TimeZone, Utc};
    /// use rocket_security::core::ManualClock;
    /// use rocket_security::Security;
    ///
    /// let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap());
    /// let rocket = rocket::build().attach(Security::fairing().clock(clock.clone()));
    /// clock.advance(Duration::minutes(31)); // the test moves time on: idle sessions expire
    /// ```
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
    pub fn require_login<U>(self) -> Self
    where
        U: for<'r> FromRequest<'r> + SecurityUser + Send + 'static,
    {
        *self.login_check.lock().unwrap_or_else(|e| e.into_inner()) = Some(login_check::<U>());
        self
    }

    /// Stores CSP reports in database `D` instead of the ready-made
    /// [`SecurityDb`](crate::db::SecurityDb) (with `security.reports.database = true`).
    ///
    /// ```
    /// use rocket_db_pools::Database;
    /// use rocket_security::db::SecurityPool;
    /// use rocket_security::Security;
    /// # use rocket_security::db::rocket_db_pools;
    ///
    /// #[derive(Database)]
    /// #[database("app")]
    /// struct AppDb(SecurityPool);
    ///
    /// let rocket = rocket::build().attach(AppDb::init()).attach(Security::fairing().database::<AppDb>());
    /// ```
    #[cfg(feature = "db")]
    #[cfg_attr(docsrs, doc(cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))))]
    pub fn database<D: rocket_db_pools::Database<Pool = crate::db::SecurityPool>>(self) -> Self {
        *self.database.lock().unwrap_or_else(|e| e.into_inner()) = Some(Box::new(crate::db::bind::pool_of::<D>));
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
        G: for<'r> FromRequest<'r> + Send + Sync + 'static,
    {
        self.dashboard = Some(Arc::new(Box::new(crate::reports::dashboard::routes::<G>)));
        self
    }

    /// Every feature, configured in code. `Rocket.toml` is not read for
    /// `security`; the configuration is validated at ignite like the file.
    ///
    /// ```
    /// use rocket_security::{Security, SecurityConfig};
    /// use rocket_security::headers::Hsts;
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

    /// The deploy check: with `strict`, every warning found at ignite (in the
    /// spirit of Django's `check --deploy`: HSTS or CSP off in release, an
    /// empty `allowed_hosts`, ...) aborts the launch instead of being logged.
    ///
    /// ```
    /// # rocket::async_test(async {
    /// let figment = rocket::figment::Figment::from(rocket::Config::release_default());
    /// let rocket = rocket::custom(figment).attach(rocket_security::Security::fairing().deploy_check(true));
    /// // allowed_hosts is empty: the Host header would be trusted.
    /// let err = rocket.ignite().await.unwrap_err();
    /// assert!(matches!(err.kind(), rocket::error::ErrorKind::FailedFairings(_)));
    /// # });
    /// ```
    pub fn deploy_check(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// The deploy check without launching: the findings this fairing would
    /// log at ignite with `figment` (Rocket's, e.g. `rocket::Config::figment()`),
    /// or the configuration errors that would abort the launch. Run it in CI
    /// with the production profile, as Django's `manage.py check --deploy`.
    ///
    /// ```
    /// use rocket_security::core::Severity;
    ///
    /// let figment = rocket::figment::Figment::from(rocket::Config::release_default())
    ///     .merge(("security.allowed_hosts", ["www.example.com"]))
    ///     .merge(("security.https.trusted_proxies", ["10.0.0.1"]));
    /// let findings = rocket_security::Security::fairing().findings(&figment).unwrap();
    /// let ids: Vec<&str> = findings.iter().filter(|f| f.severity() == Severity::Warning).map(|f| f.id()).collect();
    /// assert_eq!(ids, Vec::<&str>::new(), "the defaults behind a TLS proxy pass");
    /// ```
    pub fn findings(&self, figment: &Figment) -> Result<Vec<Finding>, ConfigErrors> {
        // The application's clock: a finding about a date (`security.W026`) reads it.
        let extras = Extras { clock: Some(self.clock.clone()), dashboard: self.dashboard.clone(), ..Extras::default() };
        Ok(self.compile(figment, extras)?.warnings)
    }

    /// Reads (unless configured in code), validates and compiles the
    /// configuration for `figment`, with the deploy-check findings.
    fn compile(&self, figment: &Figment, extras: Extras) -> Result<config::Compiled, ConfigErrors> {
        let config = match &self.config {
            Some(c) => c.clone(),
            None => SecurityConfig::from_figment(figment)?,
        };
        let deployment = config::deployment(figment);
        let mut compiled = config.compile_with(self.only, &deployment, extras)?;
        if self.only.is_none() {
            checks::cross_checks(&config, &mut compiled.warnings);
        }
        Ok(compiled)
    }

    /// The fairing of the single feature `F` (see [`only`]).
    pub(crate) fn only<F: 'static>(config: Option<SecurityConfig>) -> Self {
        Security::new(config, Some(TypeId::of::<F>()))
    }

    fn name(&self) -> &'static str {
        match self.only {
            None => "rocket_security",
            Some(_) => "rocket_security (one feature)",
        }
    }

    /// What the builder adds to the configuration (taken once, at ignite).
    fn extras(&self) -> Extras {
        let take = |m: &std::sync::Mutex<Option<Check>>| m.lock().unwrap_or_else(|e| e.into_inner()).take();
        Extras {
            clock: Some(self.clock.clone()),
            login_check: take(&self.login_check),
            password_check: take(&self.password_check),
            dashboard: self.dashboard.clone(),
            #[cfg(feature = "db")]
            database: self.database.lock().unwrap_or_else(|e| e.into_inner()).take(),
        }
    }
}

#[rocket::async_trait]
impl Fairing for Security {
    fn info(&self) -> Info {
        Info { name: self.name(), kind: Kind::Ignite | Kind::Liftoff | Kind::Request | Kind::Shutdown }
    }

    async fn on_ignite(&self, rocket: Rocket<Build>) -> fairing::Result {
        let checks = [("require_login", &self.login_check), ("require_password_change", &self.password_check)];
        for (method, check) in checks {
            let set = check.lock().unwrap_or_else(|e| e.into_inner()).is_some();
            if self.only.is_some() && set {
                // Silently dropping the check would open every route.
                tracing::error!(
                    target: "security",
                    "launch aborted: `{method}` works on the full fairing only; call it on `Security::fairing()` \
                     (the single-feature fairing runs no request checks)"
                );
                return Err(rocket);
            }
        }
        let compiled = match self.compile(rocket.figment(), self.extras()) {
            Ok(c) => c,
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
        let mut fatal = 0;
        for f in &compiled.warnings {
            match f.severity() {
                Severity::Info => tracing::info!(target: "security", "deploy check: {f}"),
                Severity::Warning if self.strict => {
                    fatal += 1;
                    tracing::error!(target: "security", "deploy check: {f}");
                }
                Severity::Warning => tracing::warn!(target: "security", "deploy check: {f}"),
            }
        }
        if fatal > 0 {
            tracing::error!(
                target: "security",
                "launch aborted by the strict deploy check: {fatal} warning(s) above; fix them or use deploy_check(false)"
            );
            return Err(rocket);
        }
        let refused: Vec<ConfigError> = compiled.parts.iter().filter_map(|p| p.acquire().err()).collect();
        if !refused.is_empty() {
            for e in &refused {
                tracing::error!(target: "security", "invalid configuration: {e}");
            }
            tracing::error!(target: "security", "launch aborted: {} setting(s) could not be applied", refused.len());
            return Err(rocket);
        }
        // Only the full fairing manages the shared state (Rocket allows one value per type).
        let shared = self.only.is_none().then(|| self.clock.clone());
        let (rocket, runner) = crate::core::fairing::ignite(rocket, compiled.into_plan(shared), self.name());
        let _ = self.runner.set(runner);
        Ok(rocket)
    }

    async fn on_liftoff(&self, rocket: &Rocket<Orbit>) {
        if let Some(runner) = self.runner.get() {
            runner.liftoff(rocket).await;
        }
    }

    async fn on_request(&self, req: &mut Request<'_>, data: &mut Data<'_>) {
        if let Some(runner) = self.runner.get() {
            runner.request(req, data).await;
        }
    }

    async fn on_shutdown(&self, rocket: &Rocket<Orbit>) {
        if let Some(runner) = self.runner.get() {
            runner.shutdown(rocket).await;
        }
    }
}
