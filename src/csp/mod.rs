//! `Content-Security-Policy` and `Content-Security-Policy-Report-Only`:
//! typed policies validated at ignite, per-request nonces, per-path and
//! per-route policies, and reporting to the crate's collector.
//!
//! ```
//! use rocket::local::blocking::Client;
//! use rocket::response::content::RawHtml;
//! use rocket::{get, routes};
//! use rocket_security::CspNonce;
//!
//! #[get("/")]
//! fn index(nonce: CspNonce<'_>) -> RawHtml<String> {
//!     RawHtml(format!("<script {}>console.log('allowed')</script>", nonce.attr()))
//! }
//!
//! // Rocket.toml: [default.security.csp.directives]
//! //              img-src = ["'self'", "https://images.example.com"]
//! // (`Figment::from(Config::default())` keeps this example off the working directory's Rocket.toml;
//! // an application uses `rocket::Config::figment()` or `rocket::build()`.)
//! let figment = rocket::figment::Figment::from(rocket::Config::default())
//!     .merge(("security.csp.directives.img-src", ["'self'", "https://images.example.com"]));
//! let rocket = rocket::custom(figment)
//!     .attach(rocket_security::Security::fairing())
//!     .mount("/", routes![index]);
//! let client = Client::tracked(rocket).unwrap();
//! let res = client.get("/").dispatch();
//! let csp = res.headers().get_one("Content-Security-Policy").unwrap().to_string();
//! let body = res.into_string().unwrap();
//! let nonce = body.split('"').nth(1).unwrap();
//! assert!(csp.contains(&format!("script-src 'self' 'nonce-{nonce}'")), "{csp}");
//! assert!(csp.contains("img-src 'self' https://images.example.com"), "{csp}");
//! assert!(csp.contains("report-uri /security/csp-report"), "{csp}");
//! ```
//!
//! # Configuration
//!
//! ```toml
//! [default.security.csp]
//! enabled = true                     # send the enforced policy; Default: true
//! use_defaults = true                # start from the strict default policy; Default: true
//! # policy = "default-src 'self'"    # or a whole raw policy (validated too); Default: none
//! # policy = ["default-src 'self'", "frame-ancestors 'none'"]   # several policies, each enforced
//! nonce_directives = ["script-src"]  # where a CspNonce goes; Default: ["script-src"]
//! strict_dynamic = false             # add 'strict-dynamic' next to the nonce; Default: false
//! allow_unknown_directives = false   # send directives newer than this crate; Default: false
//! require_default_src = false        # a policy without default-src: error instead of warning
//! report = true                      # report to the collector; false: no reporting; "keep": the
//!                                    # raw policy's own report-uri / report-to; Default: true
//! report_uri = "/security/csp-report"    # Default: "/security/csp-report"
//! report_to = "csp-endpoint"         # Reporting API group (HTTPS only); Default: "csp-endpoint"
//! report_percentage = 100            # share of responses that carry the reporting directives
//! paths = ["/**"]                    # Default: ["/**"]
//! exclude = []                       # Default: []
//! nonce_cache = "no-store"          # Cache-Control of a nonce page that has none: "no-store"
//!                                    # (private, no-store), "private" or "leave"; Default: "no-store"
//!
//! [default.security.csp.directives]  # merged over the default policy
//! img-src = ["'self'", "data:", "https://images.example.com"]
//! upgrade-insecure-requests = true   # boolean directives take true; false removes a directive
//!
//! [[default.security.csp.routes]]    # a different policy for some paths (django-csp #203)
//! paths = ["/admin/**"]
//! directives = { script-src = ["'self'", "'unsafe-inline'"] }
//!
//! [default.security.csp.report_only] # an independent Content-Security-Policy-Report-Only
//! enabled = false                    # Default: false
//! use_defaults = true
//! [default.security.csp.report_only.directives]
//! script-src = ["'self'"]
//! ```
//!
//! # The default policy
//!
//! `default-src 'self'; base-uri 'self'; font-src 'self'; form-action 'self';
//! frame-ancestors 'none'; img-src 'self' data:; object-src 'none'; script-src 'self';
//! script-src-attr 'none'; style-src 'self'`, then on HTTPS responses
//! `upgrade-insecure-requests`, then `report-uri /security/csp-report` and, on
//! HTTPS responses only, `report-to csp-endpoint` with a matching
//! `Reporting-Endpoints` header (one header per response: the groups of the
//! other reporting headers join it, see [`Reporting`](crate::headers::Reporting)). Chromium ignores `report-uri` when `report-to`
//! is present and never delivers `report-to` reports over plain HTTP, so
//! sending `report-to` on HTTP would silence every report.
//! `upgrade-insecure-requests` on plain HTTP (say, a local development server)
//! would send every subresource request to HTTPS and break the page, so it is
//! only ever sent on HTTPS responses, whether it comes from the defaults or
//! from your directives.
//!
//! # Real-world policies
//!
//! A pasted policy is validated strictly but accepted as browsers apply it:
//! one without `default-src` (say `frame-ancestors 'self'` alone) is a
//! warning, not an error (`require_default_src = true` makes it one); several
//! policies, comma-separated or as a list, are each validated and enforced on
//! their own (the nonce goes into every one that has the nonce directive);
//! current CSP3 (`webrtc`, `fenced-frame-src`, Trusted Types, `'wasm-unsafe-eval'`,
//! `'report-sha256'`, ...) needs no `allow_unknown_directives`; obsolete
//! directives (`block-all-mixed-content`, `prefetch-src`, `referrer`, ...) are
//! refused with their replacement; a source that is a directive name, or a
//! keyword glued to one, is a forgotten `;` and refused naming both.
//!
//! # Nonces
//!
//! The nonce is lazy, like Django's: a response gets `'nonce-…'` in its
//! policy only when its handler asked for a [`CspNonce`]. Responses that don't
//! use inline scripts pay nothing, and a page cached by mistake never carries
//! a nonce that other visitors could reuse. The nonce goes into each
//! `nonce_directives` entry (materialised from `default-src` when the directive
//! is absent, so the fallback sources keep working), never into a directive
//! that is `'none'`. A warning is logged when `'unsafe-inline'` sits next to a
//! nonce: browsers then ignore `'unsafe-inline'`.
//!
//! A page whose policy carries the nonce is safe only while no shared cache
//! serves it again (Django ticket 21010): when it has no `Cache-Control`, it
//! gets `private, no-store` ([`NonceCache`], `nonce_cache`); a public one the
//! handler set is kept and logged at WARN once per route (finding W027).
//!
//! # Per route
//!
//! [`CspOverride`] replaces, extends or removes either policy for one
//! handler; a policy header the handler set itself is kept.

pub(crate) mod cache;
pub(crate) mod compile;
pub(crate) mod config;
pub(crate) mod fingerprint;
pub(crate) mod local;
pub(crate) mod nonce;
#[cfg(feature = "db")]
pub(crate) mod policies;
pub(crate) mod policy;
pub(crate) mod render;
pub(crate) mod route;

pub use cache::NonceCache;
pub use config::{Csp, Directives, PolicyConfig, ReportOnly, RoutePolicy};
pub use fingerprint::{normalised_policy, policy_fingerprint};
pub use nonce::{CspHash, CspNonce};
pub use policy::{CspPolicy, CspPolicyError};
pub use route::CspOverride;
