//! The `[default.security]` configuration: read from Rocket's figment (so
//! `Rocket.toml` and `ROCKET_SECURITY` env overrides both work), validated once
//! at ignite, failing closed with every problem named by its full key; and
//! the one place that lists the features and compiles them into parts.

use std::any::TypeId;
use std::sync::Arc;

use rocket::figment::Figment;

use crate::auth::answer::AuthPolicy;
use crate::auth::gate::{AuthPart, Check};
use crate::auth::throttle::ThrottlePart;
use crate::auth::{Auth, PasswordChange, Throttle};
use crate::cookies::{CookieRules, Cookies};
use crate::core::check::Finding;
use crate::core::clock::Clock;
use crate::core::error::{ConfigError, ConfigErrors};
use crate::core::fairing::Plan;
use crate::core::feature::{Builder, Deployment, Feature};
use crate::core::https::Https;
use crate::core::keys::Keys;
use crate::core::part::Part;
use crate::core::paths::{PathPattern, PathSet};
use crate::core::rules::{check_value, HeaderRule};
use crate::csp::Csp;
use crate::csrf::Csrf;
use crate::headers::server::Ident;
use crate::headers::{
    ClearSiteData, CrossDomainPolicies, CrossOriginEmbedderPolicy, CrossOriginEmbedderPolicyReportOnly,
    CrossOriginOpenerPolicy, CrossOriginOpenerPolicyReportOnly, CrossOriginResourcePolicy, DnsPrefetch, Dnt,
    FrameOptions, Hsts, IntegrityPolicy, IntegrityPolicyReportOnly, Nel, NoSniff, NoStore, OriginAgentCluster, P3p,
    PermissionsPolicy, PermissionsPolicyReportOnly, ReferrerPolicy, Reporting, ServerHeader, XssProtection,
};
use crate::hosts::AllowedHosts;
use crate::redirect::HttpsRedirect;
use crate::reports::part::CollectorPart;
use crate::reports::part::DashboardRoutes;
use crate::reports::state::CollectorState;
use crate::reports::Collector;
use crate::session::part::SessionPart;
use crate::session::SessionExpiry;
use crate::sri::StaticIntegrity;

macro_rules! security_config {
    ($( $(#[$doc:meta])* $field:ident: $ty:ty, )*) => {
        /// The whole `security` table.
        ///
        /// Every field has a secure default, so no configuration at all is a
        /// valid (and recommended) start. The annotated sample with every key is
        /// the showcase's `Rocket.toml`; each feature type documents its table.
        ///
        /// ```toml
        /// [default.security]
        /// server_header = false   # false: no Server header; true: Rocket's `ident`;
        ///                         # "name": that value; Default: false
        /// overwrite = false       # replace headers a handler set itself; Default: false
        ///
        /// [default.security.hsts]
        /// max_age = 31536000
        /// ```
        ///
        /// Environment overrides use Rocket's usual variable, e.g.
        /// `ROCKET_SECURITY='{hsts={max_age=0}}'`.
        #[derive(Debug, Clone, PartialEq, serde::Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct SecurityConfig {
            /// Rocket's `Server` header. _Default:_ [`ServerHeader::Hidden`].
            pub server_header: ServerHeader,
            /// Replace a header the handler already set. _Default:_ `false` (the handler wins).
            pub overwrite: bool,
            /// Keys that Rocket's `secret_key` held before (Django's
            /// `SECRET_KEY_FALLBACKS`): what they sealed is still accepted and
            /// sealed again with `secret_key` on the next response. See
            /// [`SecretKeyFallback`](crate::core::SecretKeyFallback). _Default:_ `[]`.
            pub secret_key_fallbacks: Vec<crate::core::SecretKeyFallback>,
            /// Hosts the site answers to (Django's `ALLOWED_HOSTS`), and networks
            /// (`10.0.0.0/8`, `fd00::/8`) that admit literal IP hosts only; empty: not checked. _Default:_ `[]`.
            pub allowed_hosts: Vec<String>,
            /// Paths served whatever the host (load-balancer health checks). _Default:_ `[]`.
            pub allowed_hosts_exempt: Vec<String>,
            /// `Report`: a request with another host goes on, logged and
            /// counted (see [`Mode`](crate::core::Mode)). _Default:_ `Enforce`.
            pub allowed_hosts_mode: crate::core::Mode,
            $( $(#[$doc])* pub $field: $ty, )*
        }

        impl Default for SecurityConfig {
            fn default() -> Self {
                SecurityConfig {
                    server_header: ServerHeader::default(),
                    overwrite: false,
                    secret_key_fallbacks: vec![],
                    allowed_hosts: vec![],
                    allowed_hosts_exempt: vec![],
                    allowed_hosts_mode: crate::core::Mode::Enforce,
                    $( $field: <$ty>::default(), )*
                }
            }
        }

        impl SecurityConfig {
            /// Each feature's table is its field (`Feature::KEY` names both).
            #[cfg(test)]
            fn keys() -> Vec<(&'static str, &'static str)> {
                vec![$( (stringify!($field), <$ty as Feature>::KEY), )*]
            }

            fn build_features(&self, only: Option<TypeId>, out: &mut Compiled, errors: &mut Vec<ConfigError>, deployment: &Deployment) {
                $(
                    if only.is_none_or(|o| o == TypeId::of::<$ty>()) {
                        let mut summary = Vec::new();
                        let mut b = Builder {
                            prefix: format!("security.{}", <$ty as Feature>::KEY),
                            errors: &mut *errors,
                            warnings: &mut out.warnings,
                            rules: &mut out.rules,
                            summary: &mut summary,
                            release: deployment.release,
                            deployment,
                            https: &out.plan_https,
                            parts: &mut out.parts,
                            reporting: &mut out.reporting,
                        };
                        self.$field.build(&mut b);
                        if !summary.is_empty() {
                            out.summary.push((<$ty as Feature>::KEY, summary.join("; ")));
                        }
                    }
                )*
            }
        }
    };
}

security_config! {
    /// HTTPS detection and redirect.
    https: Https,
    /// `Content-Security-Policy`.
    csp: Csp,
    /// `Strict-Transport-Security`.
    hsts: Hsts,
    /// `X-Content-Type-Options`.
    nosniff: NoSniff,
    /// `X-Frame-Options`.
    frame_options: FrameOptions,
    /// `X-XSS-Protection`.
    xss_protection: XssProtection,
    /// `Referrer-Policy`.
    referrer_policy: ReferrerPolicy,
    /// `Permissions-Policy`.
    permissions_policy: PermissionsPolicy,
    /// `Permissions-Policy-Report-Only` (opt-in).
    permissions_policy_report_only: PermissionsPolicyReportOnly,
    /// `Cross-Origin-Opener-Policy`.
    coop: CrossOriginOpenerPolicy,
    /// `Cross-Origin-Opener-Policy-Report-Only` (opt-in).
    coop_report_only: CrossOriginOpenerPolicyReportOnly,
    /// `Cross-Origin-Embedder-Policy`.
    coep: CrossOriginEmbedderPolicy,
    /// `Cross-Origin-Embedder-Policy-Report-Only` (opt-in).
    coep_report_only: CrossOriginEmbedderPolicyReportOnly,
    /// `Integrity-Policy` (opt-in).
    integrity_policy: IntegrityPolicy,
    /// `Integrity-Policy-Report-Only` (opt-in).
    integrity_policy_report_only: IntegrityPolicyReportOnly,
    /// `Cross-Origin-Resource-Policy`.
    corp: CrossOriginResourcePolicy,
    /// `Origin-Agent-Cluster`.
    origin_agent_cluster: OriginAgentCluster,
    /// `X-Permitted-Cross-Domain-Policies`.
    cross_domain_policies: CrossDomainPolicies,
    /// `X-DNS-Prefetch-Control`.
    dns_prefetch: DnsPrefetch,
    /// `Cache-Control: no-store` on confidential paths.
    no_store: NoStore,
    /// `Clear-Site-Data` on configured paths.
    clear_site_data: ClearSiteData,
    /// `P3P` (legacy, opt-in).
    p3p: P3p,
    /// `DNT` echo.
    dnt: Dnt,
    /// The CSP report collector.
    reports: Collector,
    /// Where the reporting headers send reports: the one `Reporting-Endpoints`.
    reporting: Reporting,
    /// Network Error Logging (`NEL` and `Report-To`, opt-in).
    nel: Nel,
    /// Login settings.
    auth: Auth,
    /// Mandatory password change settings.
    password: PasswordChange,
    /// Session expiry.
    session: SessionExpiry,
    /// Login throttling.
    throttle: Throttle,
    /// Cross-site request forgery protection.
    csrf: Csrf,
    /// Cookie attributes (`Secure` behind a TLS proxy, `SameSite`, `HttpOnly`).
    cookies: Cookies,
    /// Subresource integrity values of the static files.
    sri: StaticIntegrity,
}

/// What compiling the configuration produces: the core's plan inputs.
#[derive(Default)]
pub(crate) struct Compiled {
    pub(crate) rules: Vec<HeaderRule>,
    pub(crate) parts: Vec<Arc<dyn Part>>,
    pub(crate) plan_https: crate::core::https::HttpsPolicy,
    pub(crate) overwrite: bool,
    pub(crate) summary: Vec<(&'static str, String)>,
    pub(crate) warnings: Vec<Finding>,
    /// The Reporting API groups the features' headers name.
    pub(crate) reporting: Vec<crate::core::reporting::ReportGroup>,
}

impl Compiled {
    /// The core's plan; `shared` for the full fairing (see [`Plan::shared`]).
    pub(crate) fn into_plan(self, shared: Option<Arc<dyn Clock>>) -> Plan {
        Plan {
            rules: self.rules,
            parts: self.parts,
            https: self.plan_https,
            overwrite: self.overwrite,
            summary: self.summary,
            shared,
        }
    }
}

/// What the `Security` builder adds to the file's configuration: the
/// application's types and callbacks.
#[derive(Default)]
pub(crate) struct Extras {
    pub(crate) clock: Option<Arc<dyn Clock>>,
    pub(crate) login_check: Option<Check>,
    pub(crate) password_check: Option<Check>,
    pub(crate) dashboard: Option<Arc<DashboardRoutes>>,
    #[cfg(feature = "db")]
    pub(crate) database: Option<crate::db::bind::PoolLookup>,
}

impl SecurityConfig {
    /// Reads and validates the `security` table of `figment` (the active
    /// profile of a Rocket figment). A missing table means all defaults.
    ///
    /// ```
    /// use rocket::figment::Figment;
    /// use rocket_security::SecurityConfig;
    ///
    /// let figment = Figment::from(rocket::Config::default())
    ///     .merge(("security.frame_options.value", "SAMEORIGIN"));
    /// let config = SecurityConfig::from_figment(&figment).unwrap();
    /// assert_eq!(config.frame_options.value, "SAMEORIGIN");
    ///
    /// let bad = Figment::from(rocket::Config::default()).merge(("security.hsts.max_age", -1));
    /// let errors = SecurityConfig::from_figment(&bad).unwrap_err();
    /// assert_eq!(errors[0].to_string(),
    ///     "`security.hsts.max_age`: expected a whole number >= 0, found the number -1");
    /// ```
    pub fn from_figment(figment: &Figment) -> Result<Self, ConfigErrors> {
        let mut errors = Vec::new();
        let value = match figment.find_value("security") {
            Ok(v) => Some(v),
            Err(e) if e.missing() => None,
            Err(e) => {
                errors.push(ConfigError::new("security", format!("the configuration cannot be read: {e}")));
                None
            }
        };
        let config: SecurityConfig = crate::core::config::read("security", value.as_ref(), &mut errors);
        // Values that could not be read kept their defaults, so the remaining
        // checks still run: every mistake is reported in one launch attempt.
        if let Err(e) = config.compile_with(None, &deployment(figment), Extras::default()) {
            for e in e.0 {
                if !errors.iter().any(|known| known.key == e.key) {
                    errors.push(e);
                }
            }
        }
        if errors.is_empty() {
            Ok(config)
        } else {
            Err(ConfigErrors(errors))
        }
    }

    /// Validates a configuration built in code, with the same rules as the file
    /// (except the presence of Rocket's `secret_key`, checked at ignite).
    ///
    /// ```
    /// use rocket_security::auth::Auth;
    /// use rocket_security::SecurityConfig;
    ///
    /// assert_eq!(SecurityConfig::default().validate(), Ok(()));
    /// let auth = Auth { login_url: "login".into(), ..Auth::default() };
    /// let errors = SecurityConfig { auth, ..SecurityConfig::default() }.validate().unwrap_err();
    /// assert_eq!(errors[0].key, "security.auth.login_url");
    /// ```
    pub fn validate(&self) -> Result<(), ConfigErrors> {
        self.compile_with(None, &Deployment::default(), Extras::default()).map(drop)
    }

    /// Validates and renders everything (or only the feature `only`) for
    /// `deployment` (its `secret_key` feeds sessions and CSRF tokens).
    pub(crate) fn compile_with(
        &self,
        only: Option<TypeId>,
        deployment: &Deployment,
        extras: Extras,
    ) -> Result<Compiled, ConfigErrors> {
        let (release, secret_key) = (deployment.release, deployment.secret_key.clone());
        let mut errors = Vec::new();
        let full = only.is_none();
        let mut https = self.https.compile(&mut errors);
        let mut patterns = Vec::with_capacity(self.allowed_hosts.len());
        for (i, p) in self.allowed_hosts.iter().enumerate() {
            match crate::core::host::HostPattern::parse(p) {
                Ok(p) => patterns.push(p),
                Err(e) => errors.push(ConfigError::new(format!("security.allowed_hosts[{i}]"), e)),
            }
        }
        https.allowed = (!self.allowed_hosts.is_empty()).then_some(patterns);
        let hosts_exempt = PathSet::parse("security.allowed_hosts_exempt", &self.allowed_hosts_exempt, &mut errors);
        let redirect = HttpsRedirect::compile(&self.https, &https, &mut errors);
        let mut out = Compiled { overwrite: self.overwrite, plan_https: https, ..Compiled::default() };
        if let ServerHeader::Custom(v) = &self.server_header
            && let Err(e) = check_value(v)
        {
            errors.push(ConfigError::new("security.server_header", format!("Server value {v:?} {e}")));
        }
        let with_https = full || only == Some(TypeId::of::<Https>());
        if with_https {
            out.summary.push(("https", HttpsRedirect::describe(redirect.as_ref(), &out.plan_https)));
        }
        // The header features render their rules and add their parts (CSP, the
        // DNT echo and Vary, the HSTS deploy check) into `out`; kept aside so
        // the list below has its documented order.
        self.build_features(only, &mut out, &mut errors, deployment);
        let feature_parts = std::mem::take(&mut out.parts);
        let collector = self.reports.compile(&mut errors);
        let mut open: Vec<&str> = vec![];
        if let Some(c) = &collector {
            open.push(c.path.as_str());
        }
        open.push(self.session.status_path.as_str());
        let auth = AuthPolicy::compile(&self.auth, &self.password, &open, &mut errors);
        let report_path: Vec<&str> = collector.iter().map(|c| c.path.as_str()).collect();
        if let (true, Some(Some(secret))) = (release, &secret_key)
            && crate::core::secret::is_published(secret)
        {
            errors.push(ConfigError::new(
                    "secret_key",
                    "is a published value (the sample Rocket.toml's, or Rocket's documentation example): anyone can \
                     forge session stamps and CSRF tokens with it; generate your own with `openssl rand -base64 64 | tr -d '\\n'` \
                     and set it for the release profile (e.g. ROCKET_SECRET_KEY)",
                ));
        }
        let keyed = self.session.enabled || self.csrf.token;
        if deployment.ephemeral_key && keyed && full {
            out.warnings.push(Finding::info(
                "security.I003",
                "no `secret_key` in this debug profile: a random key for this run, so sessions and CSRF tokens \
                 end at every restart",
                "set `secret_key` (generate one with `openssl rand -base64 64 | tr -d '\\n'`), or use \
                 `rocket_security::core::development_secret_key` for a key kept in the working directory",
            ));
        }
        // The current key and the fallbacks: what every sealer (the session
        // stamp, CSRF tokens, `PrivateCookies`) seals and opens with.
        let keys = Keys::compile(secret_key.as_ref().map(|s| s.as_deref()), &self.secret_key_fallbacks, &mut errors)
            .map(Arc::new);
        // Browsers post reports from other origins by design: the endpoint is exempt.
        let csrf = self.csrf.compile(&out.plan_https, &report_path, keys.as_deref().ok(), &mut errors).filter(|_| full);
        let session = self.session.compile(keys.as_ref().map_err(|e| *e), &report_path, &mut errors);
        let throttle = self.throttle.compile(&mut errors);
        let clock = extras.clock.unwrap_or_else(|| Arc::new(crate::core::clock::SystemClock));
        if full {
            // What a fallback sealed lives at most as long as a session.
            crate::core::keys::findings(
                &self.secret_key_fallbacks,
                self.session.absolute_timeout,
                clock.now(),
                release,
                &mut out.warnings,
            );
        }

        // The parts, in the order their hooks run (see `core::fairing`): the
        // database is bound before anything uses it at liftoff; the gates run
        // redirect, session expiry, then deny-by-default; CSP finishes a
        // response before the session cookie work.
        let parts = &mut out.parts;
        if full {
            parts.push(Arc::new(Ident(self.server_header.clone())));
            if out.plan_https.allowed.is_some() {
                // Also answers a request with more than one Host header with 400 (RFC 9112 §3.2).
                // Without the list, such a request has no usable host (nothing is built from
                // it) but is served: a gate on every request of the zero-config stack
                // cost ~1,100 instructions (3 % of its request), over the 2 % budget.
                parts.push(Arc::new(AllowedHosts {
                    https: out.plan_https.clone(),
                    exempt: hosts_exempt,
                    mode: self.allowed_hosts_mode,
                }));
                if release && self.allowed_hosts_mode.is_report() {
                    out.warnings.push(Finding::report_mode("security.allowed_hosts_mode", "allowed hosts"));
                }
            } else if release {
                out.warnings.push(Finding::warning(
                    "security.W001",
                    "`security.allowed_hosts` is empty: the Host header is trusted (redirect targets, the report \
                     origin check and CSRF origin comparisons rest on it)",
                    "list the site's hosts under `[release.security]` in Rocket.toml: allowed_hosts = \
                     [\"www.example.com\"]",
                ));
            }
            if let Ok(keys) = &keys {
                parts.push(Arc::new(crate::cookies::PrivateKeys(keys.clone())));
            }
            #[cfg(feature = "db")]
            let lookup = extras.database.unwrap_or_else(|| Box::new(crate::db::bind::pool_of::<crate::db::SecurityDb>));
            #[cfg(feature = "db")]
            parts.push(Arc::new(crate::db::bind::Binding(lookup)));
            let report_mode = [
                self.allowed_hosts_mode,
                self.csrf.mode,
                self.auth.mode,
                self.auth.ajax_mode,
                self.throttle.mode,
                self.password.mode,
            ]
            .iter()
            .any(|m| m.is_report());
            #[cfg(feature = "db")]
            if report_mode {
                parts.push(Arc::new(crate::db::refusals::RefusalsFlush::default()));
            }
            #[cfg(not(feature = "db"))]
            let _ = report_mode;
        }
        // A single-feature fairing other than `Https` never redirects.
        if let Some(r) = redirect.filter(|_| with_https) {
            r.findings(deployment, &mut out.warnings);
            parts.push(Arc::new(r));
        }
        let cookieless_guard = csrf.as_ref().and_then(|c| c.cookieless_guard());
        if let Some(csrf) = csrf {
            parts.push(Arc::new(csrf));
        }
        parts.extend(feature_parts);
        // After the features (CSP adds its group first): one header for every group in use.
        let (endpoints, nel) = crate::headers::reporting::compile(
            &Reporting { browser_reports: self.reporting.browser_reports && full, ..self.reporting.clone() },
            &Nel { enabled: self.nel.enabled && full, ..self.nel.clone() },
            crate::headers::reporting::Inputs {
                groups: std::mem::take(&mut out.reporting),
                collector: collector.as_ref().map(|c| c.path.as_str()),
                https: &out.plan_https,
            },
            &mut errors,
            &mut out.warnings,
            &mut out.summary,
        );
        if let Some(e) = endpoints {
            parts.push(Arc::new(e));
        }
        if let Some(n) = nel {
            parts.push(Arc::new(n));
        }
        if only.is_some_and(|o| o != TypeId::of::<Dnt>()) {
            // Every fairing adds `Vary` where the handler consulted DoNotTrack.
            parts.push(Arc::new(crate::headers::dnt::vary_only()));
        }
        if full {
            if let Some(session) = session {
                parts.push(Arc::new(SessionPart::new(session, auth.open.clone(), clock.clone())));
            }
            parts.push(Arc::new(AuthPart {
                policy: Arc::new(auth),
                login: extras.login_check,
                password: extras.password_check,
            }));
            if let Some(t) = throttle {
                parts.push(Arc::new(ThrottlePart(Arc::new(t))));
            }
        }
        if let (true, Some(c)) = (full, collector) {
            // The endpoint is never confidential: browsers post without credentials.
            if let Ok(p) = PathPattern::parse(&c.path) {
                for rule in out.rules.iter_mut().filter(|r| r.force) {
                    rule.scope.exclude.push(p.clone());
                }
            }
            let state = CollectorState::new(c, out.plan_https.clone(), clock.clone());
            out.parts.push(Arc::new(CollectorPart { state, dashboard: extras.dashboard }));
        } else if extras.dashboard.is_some() {
            out.warnings.push(Finding::warning(
                "security.W019",
                "the reports dashboard is not mounted: the collector is off",
                "set `security.reports.enabled = true`, or drop `reports_dashboard`",
            ));
        }
        if full {
            // Last: it sees every cookie the app and the other parts set.
            let c = &self.cookies;
            if c.secure || c.same_site || c.http_only {
                let mut session_cookies = self.session.cookies.clone();
                session_cookies.push(self.session.cookie_name.clone());
                let rules = CookieRules {
                    config: c.clone(),
                    session_cookies,
                    sessions: self.session.enabled,
                    no_proxies: out.plan_https.proxies.is_empty(),
                };
                rules.findings(deployment, &mut out.warnings);
                out.parts.push(Arc::new(rules));
            }
        }
        if let Some(guard) = cookieless_guard {
            // After the cookie rules too: it sees every cookie of the response.
            out.parts.push(Arc::new(guard));
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(ConfigErrors(errors))
        }
    }
}

/// Where the application runs, as the deploy checks read it: the core's
/// reading of the figment, and whether the security database is a server
/// several instances share (the database layer names the backend).
pub(crate) fn deployment(figment: &rocket::figment::Figment) -> Deployment {
    Deployment { shared_database: shared_database(figment), ..Deployment::of(figment) }
}

#[cfg(feature = "db")]
fn shared_database(figment: &rocket::figment::Figment) -> bool {
    let url = figment.extract_inner::<String>("databases.security.url").unwrap_or_default();
    crate::db::Backend::from_url(&url).is_ok_and(|(b, _)| b != crate::db::Backend::Sqlite)
}

#[cfg(not(feature = "db"))]
fn shared_database(_: &rocket::figment::Figment) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::SecurityConfig;

    /// A feature's table is read by its field name and reported under its `KEY`: they must agree.
    #[test]
    fn every_feature_key_is_its_field_name() {
        for (field, key) in SecurityConfig::keys() {
            assert_eq!(field, key);
        }
    }
}
