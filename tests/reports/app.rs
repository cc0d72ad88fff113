//! The collector test app: SQLite file, database sink on, a dashboard guard.

use std::path::PathBuf;
use std::time::Duration;

use rocket::figment::providers::{Format, Toml};
use rocket::figment::Figment;
use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::{Client, LocalResponse};
use rocket::request::{self, FromRequest, Request};
use rocket::{get, routes};
use rocket_db_pools::Database;
use rocket_security::core::ManualClock;
use rocket_security::db::{Migrations, SecurityConn, SecurityDb};
use rocket_security::reports::CollectorStats;
use rocket_security::{LoginRequired, Security, SecurityUser};

/// Lets the dashboard through when the request says `X-Admin: yes`; with
/// `X-User: name` too, through `LoginRequired` (so the crate knows who it is).
pub struct Admin;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Admin {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        if req.headers().get_one("X-Admin") != Some("yes") {
            return request::Outcome::Error((Status::Forbidden, ()));
        }
        if req.headers().contains("X-User") && req.guard::<LoginRequired<Named>>().await.is_error() {
            return request::Outcome::Error((Status::Unauthorized, ()));
        }
        request::Outcome::Success(Admin)
    }
}

/// The user named by `X-User`.
pub struct Named(String);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Named {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        match req.headers().get_one("X-User") {
            Some(name) => request::Outcome::Success(Named(name.to_string())),
            None => request::Outcome::Forward(Status::Unauthorized),
        }
    }
}

impl SecurityUser for Named {
    fn security_id(&self) -> String {
        self.0.clone()
    }
}

#[get("/page")]
fn page() -> &'static str {
    "page"
}

/// A page whose policy adds `host` to `img-src` (a per-route policy first sent at request time).
#[get("/override?<host>")]
fn with_override(host: &str) -> rocket_security::csp::CspOverride<&'static str> {
    rocket_security::csp::CspOverride::new("map").extend("img-src", [host.to_string()])
}

pub struct App {
    pub client: Client,
    _file: TempFile,
}

/// The SQLite file, removed when the test ends.
pub struct TempFile(PathBuf);

impl TempFile {
    /// Removes `path` (and its spool directory) when dropped.
    pub fn new(path: PathBuf) -> Self {
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        for s in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{s}", self.0.display()));
        }
        let _ = std::fs::remove_dir_all(self.0.with_extension("spool"));
    }
}

static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// An app whose `Rocket.toml` holds `toml` plus the database settings.
pub async fn app_with_url(toml: &str, url: Option<String>) -> App {
    let (rocket, file) = rocket_with_url(toml, url);
    App { client: Client::tracked(rocket).await.expect("valid app"), _file: TempFile(file) }
}

/// A fresh SQLite file's path (its spool directory: the same with `.spool`).
pub fn temp_db() -> PathBuf {
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::env::temp_dir().join(format!("rocket-security-reports-{}-{n}.db", std::process::id()))
}

/// The app of [`app_with_url`], not launched, and its SQLite file.
pub fn rocket_with_url(toml: &str, url: Option<String>) -> (rocket::Rocket<rocket::Build>, PathBuf) {
    rocket_with_clock(toml, url, None)
}

/// The app of [`app_with_clock`], not launched, and its SQLite file.
pub fn rocket_with_clock(
    toml: &str,
    url: Option<String>,
    clock: Option<ManualClock>,
) -> (rocket::Rocket<rocket::Build>, PathBuf) {
    let file = temp_db();
    let url = url.unwrap_or_else(|| format!("sqlite://{}", file.display()));
    let figment = Figment::from(rocket::Config::debug_default())
        .merge(("log_level", "off"))
        .merge(("databases.security.url", url))
        .merge(("databases.security.connect_timeout", 1))
        // A spool of its own: one directory per instance.
        .merge(
            Toml::string(&format!(
                "[default.security.reports]\ndatabase = true\nlog = false\nspool_dir = {:?}",
                file.with_extension("spool").display().to_string()
            ))
            .nested(),
        )
        .merge(Toml::string(toml).nested());
    let rocket = rocket::custom(figment)
        .attach(SecurityDb::init())
        .attach(Migrations::<SecurityDb>::fairing())
        .attach(match clock {
            Some(c) => Security::fairing().clock(c).reports_dashboard::<Admin>(),
            None => Security::fairing().reports_dashboard::<Admin>(),
        })
        .mount("/", routes![page, with_override]);
    (rocket, file)
}

/// An app on a stopped clock (`Security::clock`), its database a fresh SQLite file.
pub async fn app_with_clock(toml: &str, clock: ManualClock) -> App {
    let (rocket, file) = rocket_with_clock(toml, None, Some(clock));
    App { client: Client::tracked(rocket).await.expect("valid app"), _file: TempFile(file) }
}

pub async fn app(toml: &str) -> App {
    app_with_url(toml, None).await
}

impl App {
    /// Shuts the application down (shutdown fairings run) and returns it.
    pub async fn terminate(self) -> rocket::Rocket<rocket::Ignite> {
        let App { client, _file } = self;
        client.terminate().await
    }

    /// POSTs `body` as `content_type` to the endpoint, from `Host: 127.0.0.1`.
    pub async fn post(&self, content_type: &str, body: impl Into<Vec<u8>>) -> LocalResponse<'_> {
        self.report(None, content_type, body.into()).await
    }

    /// [`post`](Self::post) from the client at `ip` (its socket address).
    pub async fn post_from(&self, ip: &str, content_type: &str, body: impl Into<Vec<u8>>) -> LocalResponse<'_> {
        let addr = std::net::SocketAddr::new(ip.parse().expect("an IP address"), 40000);
        self.report(Some(addr), content_type, body.into()).await
    }

    async fn report(
        &self,
        remote: Option<std::net::SocketAddr>,
        content_type: &str,
        body: Vec<u8>,
    ) -> LocalResponse<'_> {
        let mut req = self
            .client
            .post("/security/csp-report")
            .header(Header::new("Host", "127.0.0.1:8000"))
            .header(Header::new("Content-Type", content_type.to_string()))
            .header(Header::new("User-Agent", "TestBrowser/1.0"))
            .body(body);
        if let Some(addr) = remote {
            req = req.remote(addr);
        }
        req.dispatch().await
    }

    pub fn stats(&self) -> CollectorStats {
        rocket_security::reports::stats(self.client.rocket()).expect("collector on")
    }

    /// The counters once the database queue is empty and everything accepted is accounted for.
    pub async fn settled(&self) -> CollectorStats {
        // A deadline, not a count of polls: a loaded machine's fsyncs are slow.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let s = self.stats();
            if s.queued == 0 && s.unaccounted() == 0 {
                return s;
            }
            assert!(std::time::Instant::now() < deadline, "reports never settled: {s:?}");
            rocket::tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    pub async fn conn(&self) -> SecurityConn {
        let db = SecurityDb::fetch(self.client.rocket()).expect("database attached");
        let pool: &rocket_security::db::SecurityPool = db;
        pool.conn().await.expect("database up")
    }

    pub async fn dashboard(
        &self,
        path: &str,
        admin: bool,
    ) -> (Status, Option<ContentType>, Vec<(String, String)>, String) {
        let mut req = self.client.get(path.to_string());
        if admin {
            req = req.header(Header::new("X-Admin", "yes"));
        }
        let res = req.dispatch().await;
        let headers = res.headers().iter().map(|h| (h.name().to_string(), h.value().to_string())).collect();
        (res.status(), res.content_type(), headers, res.into_string().await.unwrap_or_default())
    }
}

/// The policy the test app enforces (the crate's default) as a plain-HTTP
/// response without a nonce sends it: what a real report names.
pub const SITE_POLICY: &str = "default-src 'self'; base-uri 'self'; font-src 'self'; form-action 'self'; \
    frame-ancestors 'none'; img-src 'self' data:; object-src 'none'; script-src 'self'; script-src-attr 'none'; \
    style-src 'self'; report-uri /security/csp-report";

/// A legacy `report-uri` body for a page on `doc`.
pub fn legacy(doc: &str, directive: &str, blocked: &str) -> String {
    serde_json::json!({"csp-report": {
        "document-uri": doc, "referrer": "", "violated-directive": directive, "effective-directive": directive,
        "original-policy": SITE_POLICY, "disposition": "enforce", "blocked-uri": blocked,
        "line-number": 3, "column-number": 8, "source-file": doc, "status-code": 200, "script-sample": ""
    }})
    .to_string()
}
