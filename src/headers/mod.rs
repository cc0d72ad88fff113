//! Response-header features: one file per header family.
//!
//! Every feature reads its own table of `[default.security]`, validates it once
//! at ignite and renders its header value once. At response time the fairing
//! only checks the path scope and inserts the pre-rendered value.
//!
//! ```toml
//! [default.security.hsts]
//! max_age = 31536000
//!
//! [default.security.frame_options]
//! value = "SAMEORIGIN"
//! exclude = ["/embed/**"]
//! ```
//!
//! ```
//! use rocket::local::blocking::Client;
//! use rocket::{get, routes};
//!
//! #[get("/")]
//! fn index() -> &'static str { "hello" }
//!
//! // (`Figment::from(Config::default())` keeps this example off the working directory's Rocket.toml;
//! // an application uses `rocket::Config::figment()` or `rocket::build()`.)
//! let figment = rocket::figment::Figment::from(rocket::Config::default())
//!     .merge(("security.frame_options.value", "SAMEORIGIN"));
//! let rocket = rocket::custom(figment)
//!     .attach(rocket_security::Security::fairing())
//!     .mount("/", routes![index]);
//! let client = Client::tracked(rocket).unwrap();
//! let res = client.get("/").dispatch();
//! assert_eq!(res.headers().get_one("X-Frame-Options"), Some("SAMEORIGIN"));
//! assert_eq!(res.headers().get_one("X-Content-Type-Options"), Some("nosniff"));
//! // HSTS only on requests that arrived over HTTPS.
//! assert_eq!(res.headers().get_one("Strict-Transport-Security"), None);
//! ```
//!
//! One header family alone, typed in code, is a fairing too:
//!
//! ```
//! use rocket_security::headers::{FrameOptions, Hsts};
//! let rocket = rocket::build()
//!     .attach(Hsts::fairing())
//!     .attach(FrameOptions { value: "SAMEORIGIN".into(), ..Default::default() }.into_fairing());
//! ```

/// Which header each [`HeaderConfig`] configures, with its defaults: the
/// [`HeaderKind`]s of the headers that send one configured value.
///
/// ```
/// use rocket_security::headers::{kind, HeaderConfig, ReferrerPolicy};
///
/// let referrer: ReferrerPolicy = HeaderConfig::<kind::ReferrerPolicy>::default();
/// assert_eq!(referrer.value, ["no-referrer"]);
/// ```
pub mod kind {
    use crate::core::feature::header_kind;
    use serde::Deserialize;

    header_kind! {
        /// `X-Frame-Options` ([`FrameOptions`](super::FrameOptions)): on, `"DENY"`.
        FrameOptions: String = "DENY".into(), enabled: true, read: String::deserialize
    }
    header_kind! {
        /// `X-XSS-Protection` ([`XssProtection`](super::XssProtection)): on, `"0"`.
        XssProtection: String = "0".into(), enabled: true, read: String::deserialize
    }
    header_kind! {
        /// `Referrer-Policy` ([`ReferrerPolicy`](super::ReferrerPolicy)): on,
        /// `["no-referrer"]`; in `Rocket.toml` a list or one comma-separated string.
        ReferrerPolicy: Vec<String> = vec!["no-referrer".into()], enabled: true,
        read: crate::core::config::string_or_list
    }
    header_kind! {
        /// `Cross-Origin-Resource-Policy` ([`CrossOriginResourcePolicy`](super::CrossOriginResourcePolicy)):
        /// on, `"same-origin"`.
        CrossOriginResourcePolicy: String = "same-origin".into(), enabled: true, read: String::deserialize
    }
    header_kind! {
        /// `X-Permitted-Cross-Domain-Policies` ([`CrossDomainPolicies`](super::CrossDomainPolicies)): on, `"none"`.
        CrossDomainPolicies: String = "none".into(), enabled: true, read: String::deserialize
    }
}

pub(crate) mod cache;
pub(crate) mod clear_site_data;
pub(crate) mod cross_origin;
pub(crate) mod dnt;
pub(crate) mod frame;
pub(crate) mod hsts;
pub(crate) mod integrity;
pub(crate) mod legacy;
pub(crate) mod nosniff;
pub(crate) mod permissions;
pub(crate) mod privacy;
pub(crate) mod reporting;
pub(crate) mod server;

pub use cache::NoStore;
pub use clear_site_data::ClearSiteData;
pub use cross_origin::{
    CrossDomainPolicies, CrossOriginEmbedderPolicy, CrossOriginEmbedderPolicyReportOnly, CrossOriginOpenerPolicy,
    CrossOriginOpenerPolicyReportOnly, CrossOriginResourcePolicy, OriginAgentCluster,
};
pub use dnt::{Dnt, DoNotTrack};
pub use frame::FrameOptions;
pub use hsts::Hsts;
pub use integrity::{IntegrityPolicy, IntegrityPolicyReportOnly};
pub use legacy::{P3p, XssProtection};
pub use nosniff::NoSniff;
pub use permissions::{PermissionsPolicy, PermissionsPolicyReportOnly};
pub use privacy::{DnsPrefetch, ReferrerPolicy};
pub use reporting::{Nel, Reporting};
pub use server::ServerHeader;

pub use crate::core::feature::{HeaderConfig, HeaderKind};
