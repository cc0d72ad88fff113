//! The `[default.security]` configuration: read from Rocket's figment (so
//! `Rocket.toml` and `ROCKET_SECURITY` env overrides both work), validated once
//! at ignite, failing closed with every problem named by its full key.

pub(crate) mod reader;

use std::cell::RefCell;

use rocket::figment::value::Value as FigValue;
use rocket::figment::Figment;

use crate::auth::{Auth, AuthPolicy, PasswordChange, Throttle};
use crate::error::{ConfigError, ConfigErrors};
use crate::headers::{Builder, Feature, HeaderRule};
use crate::https::{Https, HttpsPolicy};
use crate::reports::{Collector, CompiledCollector};
use crate::session::{SessionExpiry, SessionPolicy};
use crate::{
    ClearSiteData, CrossDomainPolicies, CrossOriginEmbedderPolicy, CrossOriginOpenerPolicy, CrossOriginResourcePolicy,
    Csp, DnsPrefetch, Dnt, FrameOptions, Hsts, NoSniff, NoStore, OriginAgentCluster, P3p, PermissionsPolicy,
    ReferrerPolicy, XssProtection,
};
use reader::{describe, Section};

/// What to do with Rocket's `Server` response header.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ServerHeader {
    /// Send no `Server` header (OWASP: don't advertise the stack). The default.
    #[default]
    Hidden,
    /// Leave Rocket's `ident` setting alone (`Server: Rocket` unless configured).
    Rocket,
    /// Send this value.
    Custom(String),
}

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
        #[derive(Debug, Clone, PartialEq)]
        pub struct SecurityConfig {
            /// Rocket's `Server` header. _Default:_ [`ServerHeader::Hidden`].
            pub server_header: ServerHeader,
            /// Replace a header the handler already set. _Default:_ `false` (the handler wins).
            pub overwrite: bool,
            $( $(#[$doc])* pub $field: $ty, )*
        }

        impl Default for SecurityConfig {
            fn default() -> Self {
                SecurityConfig {
                    server_header: ServerHeader::Hidden,
                    overwrite: false,
                    $( $field: <$ty>::default(), )*
                }
            }
        }

        impl SecurityConfig {
            fn read_features(root: &Section<'_>) -> Self {
                let mut config = SecurityConfig::default();
                $(
                    let section = root.section(<$ty as Feature>::KEY);
                    config.$field = <$ty as Feature>::read(&section);
                    section.finish();
                )*
                config
            }

            fn build_features(&self, only: Option<&str>, out: &mut Compiled, errors: &mut Vec<ConfigError>, release: bool) {
                $(
                    if only.map_or(true, |o| o == <$ty as Feature>::KEY) {
                        let mut summary = Vec::new();
                        let mut b = Builder {
                            prefix: format!("security.{}", <$ty as Feature>::KEY),
                            errors: &mut *errors,
                            warnings: &mut out.warnings,
                            rules: &mut out.rules,
                            summary: &mut summary,
                            release,
                            csp: &mut out.csp,
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
    /// `Cross-Origin-Opener-Policy`.
    coop: CrossOriginOpenerPolicy,
    /// `Cross-Origin-Embedder-Policy`.
    coep: CrossOriginEmbedderPolicy,
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
    /// Login settings.
    auth: Auth,
    /// Mandatory password change settings.
    password: PasswordChange,
    /// Session expiry.
    session: SessionExpiry,
    /// Login throttling.
    throttle: Throttle,
}

/// Everything the fairing needs at request time, computed once at ignite.
#[derive(Default)]
pub(crate) struct Compiled {
    pub(crate) rules: Vec<HeaderRule>,
    pub(crate) csp: Option<crate::csp::CompiledCsp>,
    pub(crate) collector: Option<CompiledCollector>,
    pub(crate) auth: Option<AuthPolicy>,
    pub(crate) session: Option<SessionPolicy>,
    pub(crate) throttle: Option<std::sync::Arc<crate::auth::throttle::ThrottleState>>,
    pub(crate) https: HttpsPolicy,
    pub(crate) overwrite: bool,
    pub(crate) dnt_echo: bool,
    pub(crate) needs_scheme: bool,
    pub(crate) summary: Vec<(&'static str, String)>,
    pub(crate) warnings: Vec<String>,
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
        let errors = RefCell::new(Vec::new());
        let value = match figment.find_value("security") {
            Ok(v) => Some(v),
            Err(e) if e.missing() => None,
            Err(e) => {
                errors
                    .borrow_mut()
                    .push(ConfigError::new("security", format!("the configuration cannot be read: {e}")));
                None
            }
        };
        let config = {
            let root = Section::root("security", value.as_ref(), &errors);
            let server_header = match root.get("server_header") {
                None | Some(FigValue::Bool(_, false)) => ServerHeader::Hidden,
                Some(FigValue::Bool(_, true)) => ServerHeader::Rocket,
                Some(FigValue::String(_, s)) => ServerHeader::Custom(s.clone()),
                Some(v) => {
                    root.error(
                        "server_header",
                        format!("expected false (no header), true (Rocket's ident) or a string, found {}", describe(v)),
                    );
                    ServerHeader::Hidden
                }
            };
            let overwrite = root.bool("overwrite", false);
            let mut config = SecurityConfig::read_features(&root);
            root.finish();
            config.server_header = server_header;
            config.overwrite = overwrite;
            config
        };
        let mut errors = errors.into_inner();
        // Values that could not be read kept their defaults, so the remaining
        // checks still run: every mistake is reported in one launch attempt.
        let release = figment.profile() != rocket::Config::DEBUG_PROFILE;
        let secret_key = figment.extract_inner::<String>("secret_key").ok();
        if let Err(e) = config.compile_with(None, release, Some(secret_key)) {
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
    pub fn validate(&self) -> Result<(), ConfigErrors> {
        self.compile_with(None, false, None).map(drop)
    }

    /// Warnings about settings that contradict each other.
    fn cross_checks(&self, only: Option<&str>, warnings: &mut Vec<String>) {
        if only.is_some() {
            return;
        }
        let pp = &self.permissions_policy;
        let isolated_denied = pp.enabled
            && match pp.features.iter().rev().find(|(n, _)| n == "cross-origin-isolated") {
                Some((_, allow)) => allow.is_empty(),
                None => pp.use_defaults,
            };
        if self.coep.enabled && self.coop.enabled && isolated_denied {
            warnings.push(
                "COOP and COEP are on, but Permissions-Policy denies `cross-origin-isolated`, so pages are never \
                 cross-origin isolated; set `[security.permissions_policy.features] cross-origin-isolated = [\"self\"]`"
                    .into(),
            );
        }
        let csp_denies_framing = self.csp.enabled
            && self.csp.policy.policy.is_none()
            && match self.csp.policy.directives.iter().find(|(n, _)| n == "frame-ancestors") {
                Some((_, v)) => v.as_deref() == Some(&["'none'".to_string()][..]),
                None => self.csp.policy.use_defaults,
            };
        let r = &self.reports;
        let c = &self.csp;
        if r.enabled && c.report && c.report_uri.starts_with('/') && c.report_uri != r.path {
            warnings.push(format!(
                "`security.csp.report_uri` ({}) is not the collector's `security.reports.path` ({}): browsers will \
                 post reports where nothing collects them",
                c.report_uri, r.path
            ));
        }
        if self.frame_options.enabled && !self.frame_options.exclude.is_empty() && csp_denies_framing {
            warnings.push(format!(
                "`security.frame_options.exclude` ({}) does not make those pages frameable: the CSP still sends \
                 `frame-ancestors 'none'`, which browsers follow over X-Frame-Options; give those paths a CSP route \
                 policy ([[security.csp.routes]]) or a CspOverride with the frame-ancestors you want",
                self.frame_options.exclude.join(", ")
            ));
        }
    }

    /// Validates and renders everything (or only the feature `only`);
    /// `secret_key` is Rocket's, for session expiry (`None`: not known here,
    /// `Some(None)`: not configured).
    pub(crate) fn compile_with(
        &self,
        only: Option<&str>,
        release: bool,
        secret_key: Option<Option<String>>,
    ) -> Result<Compiled, ConfigErrors> {
        let mut errors = Vec::new();
        let mut out = Compiled { overwrite: self.overwrite, dnt_echo: self.dnt.echo, ..Compiled::default() };
        out.https = self.https.compile(&mut errors);
        if let ServerHeader::Custom(v) = &self.server_header {
            if let Err(e) = crate::headers::check_value(v) {
                errors.push(ConfigError::new("security.server_header", format!("Server value {v:?} {e}")));
            }
        }
        if only.is_some_and(|o| o != "https") {
            // A single-feature fairing never redirects (its internal route is the full fairing's job).
            out.https.redirect = None;
        }
        self.build_features(only, &mut out, &mut errors, release);
        let collector = self.reports.compile(&mut errors);
        let mut open: Vec<String> = vec![];
        if let Some(c) = &collector {
            open.push(c.path.clone());
        }
        open.push(self.session.status_path.clone());
        let open: Vec<&str> = open.iter().map(String::as_str).collect();
        let auth = AuthPolicy::compile(&self.auth, &self.password, &open, &mut errors);
        let report_path: Vec<&str> = collector.iter().map(|c| c.path.as_str()).collect();
        let session = self.session.compile(secret_key, &report_path, &mut errors);
        let throttle = self.throttle.compile(&mut errors);
        if only.is_none() {
            out.collector = collector;
            out.auth = Some(auth);
            out.session = session;
            out.throttle = throttle.map(std::sync::Arc::new);
        }
        if let Some(c) = &out.collector {
            // The endpoint is never confidential: browsers post without credentials.
            if let Ok(p) = crate::paths::PathPattern::parse(&c.path) {
                for rule in out.rules.iter_mut().filter(|r| r.force) {
                    rule.scope.exclude.push(p.clone());
                }
            }
        }
        self.cross_checks(only, &mut out.warnings);
        if only.is_some_and(|o| o != "dnt") {
            out.dnt_echo = false;
        }
        out.needs_scheme = out.csp.is_some() || out.rules.iter().any(HeaderRule::needs_scheme);
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(ConfigErrors(errors))
        }
    }
}
