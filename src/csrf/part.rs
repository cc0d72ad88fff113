//! The CSRF part: compiling the settings, the request gate, and the 403 answer.

use std::sync::{Arc, OnceLock};

use rocket::data::Data;
use rocket::http::uri::Origin as UriOrigin;
use rocket::http::{ContentType, Header, Method, Status};
use rocket::route::{Handler, Outcome};
use rocket::{Build, Request, Response, Rocket, Route};

use super::check::{decide, is_safe, parse_origin, Origin, Refusal};
use super::config::Csrf;
use super::token::{Fresh, TokenKey, FIELD, HEADER};
use crate::core::client::is_api_client;
use crate::core::error::ConfigError;
use crate::core::https::HttpsPolicy;
use crate::core::local::Mark;
use crate::core::part::{Finish, Gate, Part};
use crate::core::paths::{PathPattern, PathSet};
use crate::core::rollout::{would_refuse, Mode};

/// Where refused requests are rewritten to.
const CSRF_ROUTE: &str = "/__rocket_security/csrf";

/// The compiled CSRF protection.
pub(crate) struct CsrfPart {
    trusted: Vec<Origin>,
    exempt: PathSet,
    token: bool,
    https: HttpsPolicy,
    key: Arc<TokenKey>,
    mode: Mode,
}

impl Csrf {
    /// Validates the table; `always_exempt`: paths browsers post to from other
    /// origins by design (the report endpoint). `None` when off.
    pub(crate) fn compile(
        &self,
        https: &HttpsPolicy,
        always_exempt: &[&str],
        secret: Option<Option<&[u8]>>,
        errors: &mut Vec<ConfigError>,
    ) -> Option<CsrfPart> {
        let key = |f: &str| format!("security.csrf.{f}");
        let mut trusted = Vec::new();
        for (i, o) in self.trusted_origins.iter().enumerate() {
            match parse_origin(o.trim()) {
                Some(origin) => trusted.push(origin),
                None => errors.push(ConfigError::new(
                    format!("{}[{i}]", key("trusted_origins")),
                    format!(
                        "{o:?} is not an origin; write scheme, host and optional port only, e.g. \
                         \"https://partner.example\" or \"https://partner.example:8443\" (no path, no wildcard)"
                    ),
                )),
            }
        }
        let mut exempt = PathSet::parse(&key("exempt"), &self.exempt, errors);
        for p in always_exempt {
            if let Ok(p) = PathPattern::parse(p) {
                exempt.push(p);
            }
        }
        let secret = match secret {
            // Validation without a figment (typed config): checked at ignite.
            None => Some(&[0u8; 32][..]),
            Some(s) => s,
        };
        if self.enabled && self.token && secret.is_none() {
            errors.push(ConfigError::new(
                key("token"),
                "token mode derives its tokens from Rocket's `secret_key`, which is not set; add `secret_key = \"...\"` \
                 (`openssl rand -base64 64 | tr -d '\\n'`) or set `security.csrf.token = false`",
            ));
        }
        self.enabled.then(|| CsrfPart {
            trusted,
            exempt,
            token: self.token,
            https: https.clone(),
            key: Arc::new(TokenKey::new(secret, https.clone())),
            mode: self.mode,
        })
    }
}

/// Set on an unsafe request the check let through in enforce mode.
static CHECKED: Mark = Mark::new();

/// Whether CSRF protection checked `req` (an unsafe method on a path that is
/// not exempt) and let it through in enforce mode: what a handler that must
/// never run for a forged request (the dashboard's triage) asks.
pub(crate) fn verified(req: &Request<'_>) -> bool {
    CHECKED.is_set(req)
}

/// Request-local: why the request was refused.
#[derive(Default)]
struct Refused(OnceLock<Refusal>);

impl CsrfPart {
    /// The request's own origin: the scheme HTTPS detection sees, the `Host` header's host and port.
    fn own_origin(&self, req: &Request<'_>) -> Option<Origin> {
        let secure = self.https.is_secure(req);
        let (scheme, default) = if secure { ("https", 443) } else { ("http", 80) };
        let h = self.https.host(req)?;
        Some((scheme.to_string(), h.host, h.port.unwrap_or(default)))
    }

    /// The token the request submitted: the header, else the first field of a urlencoded form.
    async fn submitted(req: &Request<'_>, data: &mut Data<'_>) -> Option<String> {
        if let Some(t) = req.headers().get_one(HEADER) {
            return Some(t.to_string());
        }
        if req.content_type().is_some_and(|c| c.is_form()) {
            let head = data.peek(512).await;
            let head = std::str::from_utf8(head).ok()?;
            for pair in head.split('&') {
                if let Some(v) = pair.strip_prefix(FIELD).and_then(|r| r.strip_prefix('=')) {
                    return Some(rocket::http::RawStr::new(v).percent_decode_lossy().into_owned());
                }
            }
        }
        None
    }
}

#[rocket::async_trait]
impl Part for CsrfPart {
    fn ignite(&self, rocket: Rocket<Build>) -> Rocket<Build> {
        rocket.manage(self.key.clone()).mount("/", vec![Route::ranked(-100, Method::Get, CSRF_ROUTE, Answer)])
    }

    fn gates(&self) -> bool {
        true
    }

    async fn request(&self, req: &mut Request<'_>, data: &mut Data<'_>) -> Gate {
        if is_safe(req.method().as_str()) || self.exempt.matches(req.uri()) {
            return Gate::Pass;
        }
        let h = req.headers();
        let r = super::check::Request {
            method: req.method().as_str(),
            fetch_site: h.get_one("Sec-Fetch-Site"),
            origin: h.get_one("Origin"),
            own: self.own_origin(req),
        };
        let mut verdict = decide(&r, &self.trusted);
        if verdict.is_ok() && self.token {
            verdict = match Self::submitted(req, data).await {
                None => Err(Refusal::Token("missing")),
                Some(t) => self.key.verify(req, &t).map_err(Refusal::Token),
            };
        }
        let Err(refusal) = verdict else {
            if !self.mode.is_report() {
                CHECKED.set(req);
            }
            return Gate::Pass;
        };
        if self.mode.is_report() {
            would_refuse(req, "csrf", refusal.reason(), &refusal.describe());
            return Gate::Pass;
        }
        tracing::info!(
            target: "security",
            "CSRF: refused {} {} ({})",
            req.method(),
            req.uri().path(),
            refusal.describe()
        );
        let _ = req.local_cache(Refused::default).0.set(refusal);
        req.set_method(Method::Get);
        req.set_uri(UriOrigin::parse(CSRF_ROUTE).expect("static route URI"));
        Gate::Rewritten
    }

    fn responds(&self) -> bool {
        true
    }

    /// A login rotates the browser's secret (Django's `rotate_token`): a
    /// browser that has one gets a new one, unless a token of this response
    /// already made it.
    fn response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>, _finish: &Finish<'_>) {
        if !crate::core::principal::session_started(req) || req.local_cache(Fresh::default).0.get().is_some() {
            return;
        }
        if req.cookies().get(self.key.cookie_name(req)).is_none() {
            return;
        }
        let (_, cookie) = self.key.new_cookie(req);
        res.adjoin_header(Header::new("Set-Cookie", cookie.to_string()));
    }
}

/// The internal route behind a refusal: 403, HTML for browsers, JSON for scripts.
#[derive(Clone)]
struct Answer;

#[rocket::async_trait]
impl Handler for Answer {
    async fn handle<'r>(&self, req: &'r Request<'_>, data: Data<'r>) -> Outcome<'r> {
        let Some(refusal) = req.local_cache(Refused::default).0.get() else {
            // Reached directly, not through the rewrite.
            return Outcome::forward(data, Status::NotFound);
        };
        let reason = refusal.reason();
        let (kind, body) = if is_api_client(req) {
            (ContentType::JSON, format!(r#"{{"error":"csrf","reason":"{reason}"}}"#))
        } else {
            let text = match refusal {
                Refusal::Token(_) => {
                    "The form's security token is missing or out of date. Reload the page and try again."
                }
                _ => "This request came from another site and was refused (cross-site request forgery protection).",
            };
            (
                ContentType::HTML,
                format!("<!doctype html><title>403 Forbidden</title><h1>403 Forbidden</h1><p>{text}</p>"),
            )
        };
        let res = Response::build()
            .status(Status::Forbidden)
            .header(kind)
            .header(Header::new("Cache-Control", "no-store"))
            .sized_body(body.len(), std::io::Cursor::new(body))
            .finalize();
        Outcome::Success(res)
    }
}
