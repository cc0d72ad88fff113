//! The HTTP-to-HTTPS redirect: plain-HTTP requests get a `308` (or `301`) to
//! the same path on `https://`, before any handler runs.
//!
//! Its settings live in the `[security.https]` table with HTTPS detection
//! (see [`Https`](crate::core::Https)):
//!
//! ```toml
//! [default.security.https]
//! redirect = true                  # Default: false
//! redirect_status = 308            # 301 or 308; Default: 308
//! redirect_host = "www.example.com"   # Default: the request's Host
//! redirect_exempt = ["/health"]    # Default: []
//! ```
//!
//! ```
//! use rocket::local::blocking::Client;
//! use rocket::{get, routes};
//!
//! #[get("/account")]
//! fn account() -> &'static str { "account" }
//!
//! // (`Figment::from(Config::default())` keeps this example off the working directory's Rocket.toml;
//! // an application uses `rocket::Config::figment()` or `rocket::build()`.)
//! let figment = rocket::figment::Figment::from(rocket::Config::default())
//!     .merge(("security.https.redirect", true))
//!     .merge(("security.https.redirect_host", "www.example.com"));
//! let rocket = rocket::custom(figment)
//!     .attach(rocket_security::Security::fairing())
//!     .mount("/", routes![account]);
//! let client = Client::tracked(rocket).unwrap();
//! let res = client.get("/account?tab=1").dispatch();
//! assert_eq!(res.status().code, 308);
//! assert_eq!(res.headers().get_one("Location"), Some("https://www.example.com/account?tab=1"));
//! ```
//!
//! Without `redirect_host` the target is the request's validated host. A host
//! that only a network entry of `allowed_hosts` admitted (`10.0.0.0/8`: a load
//! balancer probing with the pod's IP) is never a target: the answer is
//! `421 Misdirected Request`, with an INFO line under `security` (`HTTPS
//! redirect: host "10.0.0.5:8000" is admitted by a network of allowed_hosts
//! and never becomes a redirect target (GET /health); answering 421; ...`).
//! List health-check paths in `redirect_exempt`, or set `redirect_host`.
//!
//! ```
//! use rocket::http::{Header, Status};
//! use rocket::local::blocking::Client;
//!
//! let figment = rocket::figment::Figment::from(rocket::Config::default())
//!     .merge(("security.allowed_hosts", ["www.example.com", "10.0.0.0/8"]))
//!     .merge(("security.https.redirect", true));
//! let client = Client::tracked(rocket::custom(figment).attach(rocket_security::Security::fairing())).unwrap();
//! let res = client.get("/health").header(Header::new("Host", "10.0.0.5:8000")).dispatch();
//! assert_eq!(res.status(), Status::MisdirectedRequest);
//! assert_eq!(res.headers().get_one("Location"), None);
//! ```

use rocket::http::uri::Origin;
use rocket::http::{Method, Status};
use rocket::request::Request;
use rocket::response::Redirect;
use rocket::route::{Handler, Outcome, Route};
use rocket::{Build, Data, Rocket};

use crate::core::check::Finding;
use crate::core::error::ConfigError;
use crate::core::feature::Deployment;
use crate::core::https::{Admitted, Https, HttpsPolicy};
use crate::core::part::{Gate, Part};
use crate::core::paths::PathSet;

/// Where the request rewrite for the HTTPS redirect points.
const REDIRECT_ROUTE: &str = "/__rocket_security/https-redirect";

/// The compiled redirect.
#[derive(Debug, Clone)]
pub(crate) struct HttpsRedirect {
    status: Status,
    host: Option<String>,
    exempt: PathSet,
    https: HttpsPolicy,
}

impl HttpsRedirect {
    /// The deploy-check findings of an enabled redirect.
    pub(crate) fn findings(&self, deployment: &Deployment, out: &mut Vec<Finding>) {
        if !deployment.tls && self.https.proxies.is_empty() {
            out.push(Finding::warning(
                "security.W021",
                "`security.https.redirect` is on but no request can count as HTTPS (no TLS, no trusted proxy): \
                 every request is redirected, for ever",
                "list the TLS-terminating proxy in `security.https.trusted_proxies`, or configure Rocket's `tls`",
            ));
        }
        if deployment.release && self.host.is_none() {
            out.push(Finding::warning(
                "security.W022",
                "`security.https.redirect_host` is not set: the redirect target comes from the request's Host header",
                "set `security.https.redirect_host = \"www.example.com\"` (or `allowed_hosts`) so a cache in front \
                 cannot be poisoned with a redirect to another host",
            ));
        }
    }

    /// Validates the redirect settings of `config`; `None` when `redirect` is off.
    pub(crate) fn compile(config: &Https, https: &HttpsPolicy, errors: &mut Vec<ConfigError>) -> Option<Self> {
        let key = |f: &str| format!("security.https.{f}");
        let status = match config.redirect_status {
            301 => Status::MovedPermanently,
            308 => Status::PermanentRedirect,
            other => {
                errors.push(ConfigError::new(
                    key("redirect_status"),
                    format!("{other} is not allowed; use 301 (Moved Permanently) or 308 (Permanent Redirect)"),
                ));
                Status::PermanentRedirect
            }
        };
        if let Some(h) = &config.redirect_host {
            let ok = !h.is_empty()
                && h.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
            if !ok {
                errors.push(ConfigError::new(
                    key("redirect_host"),
                    format!("{h:?} is not a host name; write it without scheme or path, e.g. \"www.example.com\""),
                ));
            }
        }
        let exempt = PathSet::parse(&key("redirect_exempt"), &config.redirect_exempt, errors);
        config.redirect.then(|| HttpsRedirect {
            status,
            host: config.redirect_host.clone(),
            exempt,
            https: https.clone(),
        })
    }

    /// The `https` line of the liftoff log.
    pub(crate) fn describe(redirect: Option<&Self>, https: &HttpsPolicy) -> String {
        match redirect {
            None => format!("{}; redirect off", https.describe()),
            Some(r) => format!(
                "{}; redirect plain HTTP with {}{}",
                https.describe(),
                r.status.code,
                if r.exempt.is_empty() { String::new() } else { format!(" except {}", r.exempt.describe()) }
            ),
        }
    }
}

#[rocket::async_trait]
impl Part for HttpsRedirect {
    fn ignite(&self, rocket: Rocket<Build>) -> Rocket<Build> {
        rocket.mount("/", vec![Route::ranked(-100, Method::Get, REDIRECT_ROUTE, RedirectHandler(self.status))])
    }

    fn gates(&self) -> bool {
        true
    }

    /// Rewrites a plain-HTTP request to the internal redirect route.
    async fn request(&self, req: &mut Request<'_>, _data: &mut rocket::Data<'_>) -> Gate {
        if self.https.is_secure(req) || self.exempt.matches(req.uri()) {
            return Gate::Pass;
        }
        let target = match (&self.host, self.https.admit(req)) {
            (Some(h), _) => Target::Url(format!("https://{h}{}", req.uri())),
            // The validated host; its port is the plain-HTTP one, not the
            // HTTPS port (use `redirect_host = "host:port"` for a non-standard one).
            (None, Some(Admitted::Named(h))) => Target::Url(format!("https://{}{}", h.host, req.uri())),
            (None, Some(Admitted::Network(h))) => {
                let host: String = h.to_string().chars().take(100).collect();
                tracing::info!(
                    target: "security",
                    "HTTPS redirect: host {host:?} is admitted by a network of allowed_hosts and never becomes a \
                     redirect target ({} {}); answering 421; set security.https.redirect_host, or list the path in \
                     security.https.redirect_exempt",
                    req.method(),
                    req.uri().path()
                );
                Target::Refused(Status::MisdirectedRequest)
            }
            (None, None) => Target::Refused(Status::BadRequest),
        };
        req.local_cache(|| RedirectTarget(Some(target)));
        req.set_method(Method::Get);
        req.set_uri(Origin::parse(REDIRECT_ROUTE).expect("static route URI"));
        Gate::Rewritten
    }
}

/// Where the pending HTTPS redirect goes.
enum Target {
    Url(String),
    /// No host to build it from: `400` without a usable host, `421` for one
    /// only a network entry of `allowed_hosts` admitted.
    Refused(Status),
}

/// The pending HTTPS redirect; `None`: the route was reached directly.
struct RedirectTarget(Option<Target>);

/// The internal route the redirect rewrite points to.
#[derive(Clone)]
struct RedirectHandler(Status);

#[rocket::async_trait]
impl Handler for RedirectHandler {
    async fn handle<'r>(&self, req: &'r Request<'_>, data: Data<'r>) -> Outcome<'r> {
        match &req.local_cache(|| RedirectTarget(None)).0 {
            // Reached directly, not through the rewrite: there is nothing here.
            None => Outcome::forward(data, Status::NotFound),
            Some(Target::Refused(status)) => Outcome::Error(*status),
            Some(Target::Url(target)) => {
                let redirect = match self.0 {
                    Status::MovedPermanently => Redirect::moved(target.clone()),
                    _ => Redirect::permanent(target.clone()),
                };
                Outcome::from(req, redirect)
            }
        }
    }
}
