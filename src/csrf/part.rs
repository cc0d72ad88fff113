//! The CSRF part: compiling the settings, the request gate, and the 403 answer.

use std::sync::{Arc, OnceLock};

use rocket::data::Data;
use rocket::http::uri::Origin as UriOrigin;
use rocket::http::{ContentType, Header, Method, Status};
use rocket::route::{Handler, Outcome};
use rocket::{Build, Orbit, Request, Response, Rocket, Route};

use super::check::{decide, is_safe, parse_origin, Origin, Refusal};
use super::config::Csrf;
use super::token::{Fresh, TokenKey, FIELD, HEADER};
use crate::core::client::is_api_client;
use crate::core::error::ConfigError;
use crate::core::every::Every;
use crate::core::https::HttpsPolicy;
use crate::core::keys::Keys;
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
    /// `header_auth_paths`: a request without cookies is not checked there.
    header_auth: PathSet,
    /// The paths browsers post to from other origins by design (the report
    /// endpoint): their routes are not a CORS front-end's.
    own_paths: Vec<String>,
    /// Set at liftoff when the app answers CORS (see `cors_route`).
    cors: OnceLock<()>,
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
        keys: Option<&Keys>,
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
        let header_auth = PathSet::parse(&key("header_auth_paths"), &self.header_auth_paths, errors);
        for p in always_exempt {
            if let Ok(p) = PathPattern::parse(p) {
                exempt.push(p);
            }
        }
        if self.enabled && self.token && keys.is_none() {
            errors.push(ConfigError::new(
                key("token"),
                "token mode derives its tokens from Rocket's `secret_key`, which is not set; add `secret_key = \"...\"` \
                 (`openssl rand -base64 64 | tr -d '\\n'`) or set `security.csrf.token = false`",
            ));
        }
        self.enabled.then(|| CsrfPart {
            trusted,
            exempt,
            header_auth,
            own_paths: always_exempt.iter().map(|p| p.to_string()).collect(),
            cors: OnceLock::new(),
            token: self.token,
            https: https.clone(),
            key: Arc::new(TokenKey::new(keys, https.clone())),
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

/// Set on a request to `header_auth_paths` that carried no cookie and would
/// have been refused: its response may not set a cookie ([`CookielessGuard`]).
static UNCHECKED: Mark = Mark::new();

/// Request-local: what the check would have refused an [`UNCHECKED`] request for.
#[derive(Default)]
struct Unchecked(OnceLock<Refusal>);

/// Whether the request carries at least one cookie: a non-blank `Cookie`
/// header, or a cookie in Rocket's jar (the local client's way).
fn carries_cookie(req: &Request<'_>) -> bool {
    req.headers().get("Cookie").any(|v| v.split(';').any(|pair| !pair.trim().is_empty()))
        || req.cookies().iter().next().is_some()
}

/// Whether a browser sends this request only after a CORS preflight the app
/// answered: a script's `fetch` (`Sec-Fetch-Mode: cors`) with an
/// `Authorization` header or a body type a form cannot send (JSON, say), or a
/// method a form cannot use. A form's `_method=put` (which Rocket rewrites
/// before any fairing) keeps its form body type and does not count. Only a
/// claim of the request: the hint built on it says so.
fn preflighted(req: &Request<'_>) -> bool {
    let body = req.content_type();
    let unformlike = body.is_some_and(|c| !(c.is_form() || c.is_form_data() || c.is_plain()));
    req.headers().get_one("Sec-Fetch-Mode").is_some_and(|m| m.eq_ignore_ascii_case("cors"))
        && (req.headers().contains("Authorization") || unformlike || (req.method() != Method::Post && body.is_none()))
}

/// `scheme://host[:port]` of a parsed origin, the default port left out.
fn show_origin((scheme, host, port): &Origin) -> String {
    match (scheme.as_str(), port) {
        ("http", 80) | ("https", 443) => format!("{scheme}://{host}"),
        _ => format!("{scheme}://{host}:{port}"),
    }
}

/// The CORS hint: at most one a minute.
static CORS_HINTED: Every = Every::millis(60_000);

/// A request path for a log line: bounded, quoted and escaped.
fn logged_path(req: &Request<'_>) -> String {
    let p: String = req.uri().path().as_str().chars().take(100).collect();
    format!("{p:?}")
}

impl CsrfPart {
    /// The request's own origin: the scheme HTTPS detection sees, the `Host` header's host and port.
    fn own_origin(&self, req: &Request<'_>) -> Option<Origin> {
        let secure = self.https.is_secure(req);
        let (scheme, default) = if secure { ("https", 443) } else { ("http", 80) };
        let h = self.https.host(req)?;
        Some((scheme.to_string(), h.host, h.port.unwrap_or(default)))
    }

    /// The hint for a refused request that looks like a script's call the
    /// app's CORS policy admitted (see [`preflighted`]): only when the app
    /// answers CORS, at most once a minute, with the config that fixes it
    /// and the origin named as the request's claim.
    fn hint_cors(&self, req: &Request<'_>, refusal: &Refusal) {
        if !matches!(refusal, Refusal::FetchSite(_) | Refusal::Origin(_))
            || !self.trusted.is_empty()
            || !self.header_auth.is_empty()
            || self.cors.get().is_none()
            || !preflighted(req)
            || !CORS_HINTED.due()
        {
            return;
        }
        let origin = req
            .headers()
            .get_one("Origin")
            .and_then(parse_origin)
            .map_or_else(|| "https://app.example".to_string(), |o| show_origin(&o));
        tracing::warn!(
            target: "security",
            "CSRF {} a cross-origin {} {} whose Origin header claims {origin}, sent as a script's CORS call: this \
             app answers CORS, but a browser front-end on another origin gets 403 on every write. If {origin} is \
             your front-end, trust it: [default.security.csrf] trusted_origins = [\"{origin}\"]; or, for an API \
             authenticated by a header (Authorization), never a cookie: header_auth_paths = [\"/api/**\"] (the \
             API's paths)",
            if self.mode.is_report() { "would refuse" } else { "refused" },
            req.method(),
            logged_path(req),
        );
    }

    /// The route that shows the app answers CORS preflights: an `OPTIONS`
    /// route of its own, or `rocket_cors`'s fairing route (`GET
    /// <fairing_route_base>/<status>`, `/cors/<status>` by default).
    fn cors_route<'a>(&self, rocket: &'a Rocket<Orbit>) -> Option<&'a Route> {
        rocket.routes().find(|r| {
            (r.method == Method::Options && !self.own_paths.iter().any(|p| r.uri.path() == p.as_str()))
                || (r.method == Method::Get && r.uri.path().ends_with("/<status>"))
        })
    }

    /// The part that keeps a cookie off the responses to [`UNCHECKED`]
    /// requests; `None` without `header_auth_paths`. Runs last, when every
    /// cookie is on the response.
    pub(crate) fn cookieless_guard(&self) -> Option<CookielessGuard> {
        (!self.header_auth.is_empty()).then_some(CookielessGuard { mode: self.mode })
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

    /// A CORS front-end that CSRF protection will refuse: say so at launch.
    async fn liftoff(&self, rocket: &Rocket<Orbit>) {
        let Some(route) = self.cors_route(rocket) else {
            return;
        };
        let _ = self.cors.set(());
        if self.trusted.is_empty() && self.header_auth.is_empty() {
            tracing::warn!(
                target: "security",
                "this app answers CORS ({} {}) but CSRF protection trusts no other origin: a browser front-end on \
                 another origin gets 403 on every POST, PUT, PATCH and DELETE. If it authenticates with a header \
                 (Authorization), never a cookie, add [default.security.csrf] header_auth_paths = [\"/api/**\"] \
                 (the API's paths); if with cookies, trusted_origins = [\"https://app.example\"] (its origins)",
                route.method,
                route.uri.as_str(),
            );
        }
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
        if !self.header_auth.is_empty() && self.header_auth.matches(req.uri()) && !carries_cookie(req) {
            // No cookie: the browser added no credential to forge.
            UNCHECKED.set(req);
            let _ = req.local_cache(Unchecked::default).0.set(refusal);
            return Gate::Pass;
        }
        self.hint_cors(req, &refusal);
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

/// The page's sentence for a cross-origin refusal.
const CROSS_SITE: &str = "This request came from another site and was refused (cross-site request forgery protection).";

/// The body of a 403: `{"error":"csrf","reason":...}` for script, a short
/// HTML page saying `text` for a page.
fn refusal_body(req: &Request<'_>, reason: &str, text: &str) -> (ContentType, String) {
    if is_api_client(req) {
        (ContentType::JSON, format!(r#"{{"error":"csrf","reason":"{reason}"}}"#))
    } else {
        let page = maud::html! {
            (maud::PreEscaped("<!doctype html>")) title { "403 Forbidden" } h1 { "403 Forbidden" } p { (text) }
        };
        (ContentType::HTML, page.into_string())
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
        let text = match refusal {
            Refusal::Token(_) => "The form's security token is missing or out of date. Reload the page and try again.",
            _ => CROSS_SITE,
        };
        let (kind, body) = refusal_body(req, refusal.reason(), text);
        let res = Response::build()
            .status(Status::Forbidden)
            .header(kind)
            .header(Header::new("Cache-Control", "no-store"))
            .sized_body(body.len(), std::io::Cursor::new(body))
            .finalize();
        Outcome::Success(res)
    }
}

/// Refuses a response that sets a cookie on a request `header_auth_paths`
/// left unchecked (it came from another origin without cookies): a login
/// there would plant the attacker's session in the victim's browser.
pub(crate) struct CookielessGuard {
    mode: Mode,
}

impl Part for CookielessGuard {
    fn responds(&self) -> bool {
        true
    }

    fn response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>, _finish: &Finish<'_>) {
        if !UNCHECKED.is_set(req) || !res.headers().contains("Set-Cookie") {
            return;
        }
        let names: Vec<String> = res
            .headers()
            .get("Set-Cookie")
            .map(|c| c.split('=').next().unwrap_or_default().trim().chars().take(40).collect())
            .collect();
        let why = req.local_cache(Unchecked::default).0.get().map(Refusal::describe).unwrap_or_default();
        let detail = format!("cookie(s) {names:?} set on a request left unchecked without cookies ({why})");
        if self.mode.is_report() {
            would_refuse(req, "csrf", "cookie_on_header_auth_path", &detail);
            return;
        }
        tracing::warn!(
            target: "security",
            "CSRF: refused the answer to {} {}: {detail}. A path in security.csrf.header_auth_paths may not set \
             cookies for another origin (login CSRF): take the path that logs in with a cookie out of the list",
            req.method(),
            logged_path(req),
        );
        let (kind, body) = refusal_body(req, "cookie_on_header_auth_path", CROSS_SITE);
        // The handler ran; only its answer is refused, with nothing of it left
        // but the headers the crate set.
        for name in [
            "Set-Cookie",
            "Location",
            "Refresh",
            "Content-Encoding",
            "Content-Disposition",
            "Content-Language",
            "Content-Location",
            "Content-Range",
            "ETag",
            "Last-Modified",
            "Link",
        ] {
            res.remove_header(name);
        }
        res.set_status(Status::Forbidden);
        res.set_header(kind);
        res.set_header(Header::new("Cache-Control", "no-store"));
        res.set_sized_body(body.len(), std::io::Cursor::new(body));
    }
}

#[cfg(test)]
mod tests {
    use rocket::http::{ContentType, Cookie, Header};
    use rocket::local::blocking::Client;

    use super::{carries_cookie, preflighted};

    #[test]
    fn a_cookie_counts_in_any_cookie_header_or_the_jar_and_blanks_do_not() {
        let client = Client::untracked(rocket::build()).unwrap();
        let with = |values: &[&str]| {
            let mut req = client.post("/");
            for v in values {
                req = req.header(Header::new("Cookie", v.to_string()));
            }
            carries_cookie(req.inner())
        };
        assert!(!with(&[]));
        assert!(!with(&[""]));
        assert!(!with(&[" ; ;  "]));
        assert!(with(&["a=1"]));
        assert!(with(&["", "b=2"]), "a second header after a blank one");
        assert!(with(&[";novalue"]), "a pair that does not parse still counts");
        assert!(carries_cookie(client.post("/").cookie(Cookie::new("sid", "x")).inner()), "the local client's jar");
    }

    #[test]
    fn only_a_scripts_call_that_needs_a_preflight_counts_as_preflighted() {
        let client = Client::untracked(rocket::build()).unwrap();
        let cors = Header::new("Sec-Fetch-Mode", "cors");
        assert!(preflighted(client.post("/").header(cors.clone()).header(ContentType::JSON).inner()));
        let auth = Header::new("Authorization", "Token t");
        assert!(preflighted(client.post("/").header(cors.clone()).header(auth.clone()).inner()));
        assert!(preflighted(client.delete("/").header(cors.clone()).inner()), "a method a form cannot use");
        assert!(!preflighted(client.post("/").header(cors.clone()).header(ContentType::Form).inner()));
        assert!(!preflighted(client.put("/").header(cors.clone()).header(ContentType::Form).inner()), "_method=put");
        assert!(!preflighted(client.post("/").header(ContentType::JSON).inner()), "not a script's fetch");
        let navigate = Header::new("Sec-Fetch-Mode", "navigate");
        assert!(!preflighted(client.post("/").header(navigate).header(ContentType::JSON).inner()));
    }
}
