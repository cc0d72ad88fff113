//! Allowed hosts (Django's `ALLOWED_HOSTS`): a request whose host is not in
//! `security.allowed_hosts` gets `400` before routing; none of the app's
//! handlers run.
//!
//! ```toml
//! [default.security]
//! allowed_hosts = ["www.example.com", ".example.org", "10.0.0.5:8000", "[::1]", "10.0.0.0/8", "fd00::/8"]
//! allowed_hosts_exempt = ["/health"]   # paths served whatever the host; Default: []
//! allowed_hosts_mode = "enforce"       # "report": other hosts go on, logged and counted; Default: "enforce"
//! ```
//!
//! Entries are exact hosts, `.example.org` for a domain and all its
//! subdomains, `*` for any host, each with an optional port (without one,
//! any port matches), and networks (django-allow-cidr's `ALLOWED_CIDR_NETS`).
//! A network (`10.0.0.0/8`, `fd00::/8`) admits a literal IP host inside it,
//! on any port, IPv6 in brackets (`[fd00::5]:8000`): the pod's address a load
//! balancer or orchestrator probes with, which no one can list in advance.
//! It never admits a name (`10.0.0.5.nip.io`, `localhost`), and a host only a
//! network admitted is served but never built into a URL: the HTTPS redirect
//! answers it `421` (or goes to `redirect_host`), and the CSRF and
//! collector origin checks do not count it as the site's own origin. A
//! network with host bits set (`10.0.0.1/8`) or a prefix longer than the
//! address (`10.0.0.0/33`) fails ignite naming `security.allowed_hosts[i]`
//! and the network to write. The host is the one Rocket routes with (`Host`, or
//! HTTP/2's `:authority`; a `Host` that disagrees with it is refused), or
//! with `security.https.trust_forwarded_host = true` a trusted proxy's
//! `X-Forwarded-Host` (never another peer's). Empty (the
//! default) means not checked, a deploy-check warning in release.
//!
//! Rocket's local test client sends no `Host` and has no remote address: its
//! requests are admitted, so an app's own tests keep passing with the list
//! set (a `Host` the test sets is judged). Put the list under
//! `[release.security]` when the debug profile serves other names
//! (`localhost:8000`, a tunnel).
//!
//! With `allowed_hosts` set, a request with more than one `Host` header gets `400` whatever its path
//! and mode (RFC 9112 §3.2; Rocket would route by the first, a proxy in front
//! may have used another). An absolute-form request target (`GET
//! http://www.example.com/ HTTP/1.1`) is judged by its `Host` header, which
//! RFC 9112 §3.2.2 requires a client to send equal to the target's authority:
//! Rocket 0.5 keeps only the target's path and query, so the authority never
//! reaches the application and nothing is built from it.
//!
//! ```
//! use rocket::http::{Header, Status};
//! use rocket::local::blocking::Client;
//!
//! let figment = rocket::figment::Figment::from(rocket::Config::default())
//!     .merge(("security.allowed_hosts", ["www.example.com"]));
//! let client = Client::tracked(rocket::custom(figment).attach(rocket_security::Security::fairing())).unwrap();
//! let res = client.get("/").header(Header::new("Host", "evil.example")).dispatch();
//! assert_eq!(res.status(), Status::BadRequest);
//! let res = client.get("/").header(Header::new("Host", "www.example.com")).dispatch();
//! assert_eq!(res.status(), Status::NotFound); // allowed: on to routing (no route here)
//! ```
//!
//! A network for the probes:
//!
//! ```
//! use rocket::http::{Header, Status};
//! use rocket::local::blocking::Client;
//!
//! let figment = rocket::figment::Figment::from(rocket::Config::default())
//!     .merge(("security.allowed_hosts", ["www.example.com", "10.0.0.0/8"]));
//! let client = Client::tracked(rocket::custom(figment).attach(rocket_security::Security::fairing())).unwrap();
//! let probe = |host: &str| client.get("/health").header(Header::new("Host", host.to_string())).dispatch().status();
//! assert_eq!(probe("10.0.0.5:8000"), Status::NotFound); // admitted: on to routing
//! assert_eq!(probe("11.0.0.5:8000"), Status::BadRequest);
//! assert_eq!(probe("10.0.0.5.nip.io"), Status::BadRequest); // a name, never matched by a network
//! ```

use rocket::http::uri::Origin;
use rocket::http::{ContentType, Method, Status};
use rocket::route::{Handler, Outcome};
use rocket::{Build, Data, Request, Response, Rocket, Route};

use crate::core::https::{has_duplicate_host, HttpsPolicy};
use crate::core::local::Mark;
use crate::core::part::{Gate, Part};
use crate::core::paths::PathSet;
use crate::core::rollout::{would_refuse, Mode};

/// Where refused requests are rewritten to.
const BAD_HOST_ROUTE: &str = "/__rocket_security/bad-host";

/// Marks a request refused for its host.
static REFUSED: Mark = Mark::new();

/// Marks a request refused for carrying more than one `Host` header.
static DUPLICATE: Mark = Mark::new();

/// The compiled check.
pub(crate) struct AllowedHosts {
    pub(crate) https: HttpsPolicy,
    pub(crate) exempt: PathSet,
    pub(crate) mode: Mode,
}

#[rocket::async_trait]
impl Part for AllowedHosts {
    fn ignite(&self, rocket: Rocket<Build>) -> Rocket<Build> {
        rocket.mount("/", vec![Route::ranked(-100, Method::Get, BAD_HOST_ROUTE, BadHost)])
    }

    fn gates(&self) -> bool {
        true
    }

    async fn request(&self, req: &mut Request<'_>, _: &mut Data<'_>) -> Gate {
        if has_duplicate_host(req) {
            // Not a host to judge but a malformed request: refused on every path, in every mode.
            let all: String = req.headers().get("Host").collect::<Vec<_>>().join(", ").chars().take(100).collect();
            tracing::info!(
                target: "security",
                "more than one Host header: {all:?} ({} {}); answering 400",
                req.method(),
                req.uri().path()
            );
            DUPLICATE.set(req);
        } else if self.exempt.matches(req.uri()) || self.https.admit(req).is_some() || from_local_client(req) {
            return Gate::Pass;
        } else {
            let raw: String = self.https.raw_host(req).unwrap_or_default().chars().take(100).collect();
            if self.mode.is_report() {
                would_refuse(req, "allowed_hosts", "host_not_allowed", &raw);
                return Gate::Pass;
            }
            tracing::info!(
                target: "security",
                "host not allowed: {raw:?} ({} {}); answering 400",
                req.method(),
                req.uri().path()
            );
        }
        REFUSED.set(req);
        req.set_method(Method::Get);
        req.set_uri(Origin::parse(BAD_HOST_ROUTE).expect("static route URI"));
        Gate::Rewritten
    }
}

/// Whether `req` came from Rocket's local test client without a `Host`: it
/// has no remote address, which Rocket's server sets for every TCP or TLS
/// peer whose address it can read (one that reset the connection before may
/// have none, and cannot read the answer). As Django admits its test
/// client's `testserver`; a `Host` the test sets is judged like any other.
fn from_local_client(req: &Request<'_>) -> bool {
    req.remote().is_none() && req.headers().get_one("Host").is_none()
}

/// The internal route behind a refusal.
#[derive(Clone)]
struct BadHost;

#[rocket::async_trait]
impl Handler for BadHost {
    async fn handle<'r>(&self, req: &'r Request<'_>, data: Data<'r>) -> Outcome<'r> {
        if !REFUSED.is_set(req) {
            // Reached directly, not through the rewrite.
            return Outcome::forward(data, Status::NotFound);
        }
        let body = if DUPLICATE.is_set(req) {
            "400 Bad Request: more than one Host header"
        } else {
            "400 Bad Request: this site is not served under that host name"
        };
        let res = Response::build()
            .status(Status::BadRequest)
            .header(ContentType::Plain)
            .sized_body(body.len(), std::io::Cursor::new(body))
            .finalize();
        Outcome::Success(res)
    }
}
