//! Three showcase processes behind Debian's HAProxy (round robin, the
//! instances trust it as their proxy), sharing a fresh PostgreSQL database
//! and a `redis-server` of the suite's own (a test stops and restarts it; the
//! machine's Redis is left alone). Clients reach the instances through the
//! balancer only, each from a loopback address of its own (127.x.y.z), which
//! HAProxy passes on in `X-Forwarded-For`; its `X-Served-By` response header
//! names the instance that answered.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rocket::tokio::io::{AsyncReadExt, AsyncWriteExt};
use rocket::tokio::net::TcpSocket;
use rocket_security::db::SecurityPool;
use rocket_security::reports::{CspViolation, ViolationFilter};

use crate::process::{self, OwnRedis};

/// The instances' names, as `X-Served-By` gives them.
pub const NAMES: [&str; 3] = ["a", "b", "c"];

/// Clusters run one at a time (each is three processes on a 2-core machine).
pub static SERIAL: rocket::tokio::sync::Mutex<()> = rocket::tokio::sync::Mutex::const_new(());

/// The PostgreSQL server (`.ci/run` requires it); `None` skips, outside CI.
pub fn postgres_url() -> Option<String> {
    let url = std::env::var("SECURITY_TEST_POSTGRES_URL").ok();
    if url.is_none() {
        assert!(std::env::var_os("SECURITY_TEST_REQUIRE_BACKENDS").is_none(), "SECURITY_TEST_POSTGRES_URL is not set");
        eprintln!("SKIPPED: cluster tests (SECURITY_TEST_POSTGRES_URL is not set)");
    }
    url
}

pub struct Instance {
    pub port: u16,
    /// `None` once a test stopped it.
    pub child: std::sync::Mutex<Option<Child>>,
    pub log: PathBuf,
}

impl Instance {
    pub fn running(&self) -> bool {
        self.child.lock().unwrap().is_some()
    }
}

pub struct Cluster {
    /// The balancer's port: the only one requests go to.
    pub lb: u16,
    pub instances: Vec<Instance>,
    haproxy: Child,
    pub redis: Option<OwnRedis>,
    pub redis_port: u16,
    pub db: SecurityPool,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for i in &mut self.instances {
            if let Some(mut c) = i.child.lock().unwrap().take() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
        let _ = self.haproxy.kill();
        let _ = self.haproxy.wait();
        // The database stays for a look after a failure; the next run drops it.
    }
}

impl Cluster {
    /// Starts the cluster `name` with `security` merged over the showcase's
    /// configuration (an inline TOML table, as `ROCKET_SECURITY` takes it).
    pub async fn start(name: &str, security: &str) -> Cluster {
        let admin_url = std::env::var("SECURITY_TEST_POSTGRES_URL").expect("checked by postgres_url");
        let dir = process::fresh_dir("cluster", name);
        let db_name = format!("rs_cluster_{}", name.replace('-', "_"));
        let (db_url, db) = crate::backends::fresh_postgres(&admin_url, &db_name).await;
        let redis_port = process::free_port();
        let redis = OwnRedis::start(redis_port);
        let secret = {
            use base64::Engine;
            let bytes = [rand::random::<[u8; 32]>(), rand::random::<[u8; 32]>()].concat();
            base64::engine::general_purpose::STANDARD.encode(bytes)
        };
        let mut instances = vec![];
        for n in NAMES {
            let port = process::free_port();
            let log = dir.join(format!("{n}.log"));
            let out = std::fs::File::create(&log).expect("log file");
            // A working directory of its own, as on separate machines (the report spool is there).
            let home = dir.join(n);
            std::fs::create_dir_all(&home).expect("instance directory");
            let child = Command::new(process::example_binary("showcase"))
                .current_dir(&home)
                .env("ROCKET_PORT", port.to_string())
                .env("ROCKET_ADDRESS", "127.0.0.1")
                .env("ROCKET_PROFILE", "debug")
                .env("ROCKET_LOG_LEVEL", "normal")
                .env("ROCKET_CLI_COLORS", "false")
                .env("ROCKET_SECRET_KEY", &secret)
                .env(
                    "ROCKET_DATABASES",
                    format!(
                        "{{security={{url=\"{db_url}\",migrate=false}},\
                         security_cache={{url=\"redis://127.0.0.1:{redis_port}\",connect_timeout=1}}}}"
                    ),
                )
                .env(
                    "ROCKET_SECURITY",
                    format!(
                        "{{https={{trusted_proxies=[\"127.0.0.2\"]}},throttle={{storage=\"redis\"}},\
                         reports={{log=false,cluster=\"{name}\"}}{security}}}"
                    ),
                )
                .stdin(Stdio::null())
                .stdout(out.try_clone().expect("log"))
                .stderr(out)
                .spawn()
                .expect("start the showcase");
            instances.push(Instance { port, child: std::sync::Mutex::new(Some(child)), log });
        }
        for i in &instances {
            // Listening, or a launch that failed (its log says why).
            let deadline = Instant::now() + Duration::from_secs(30);
            while std::net::TcpStream::connect(("127.0.0.1", i.port)).is_err() {
                let exited = i.child.lock().unwrap().as_mut().and_then(|c| c.try_wait().ok().flatten());
                let log = || std::fs::read_to_string(&i.log).unwrap_or_default();
                assert!(exited.is_none(), "an instance exited at launch ({exited:?}):\n{}", log());
                assert!(Instant::now() < deadline, "an instance did not listen within 30 s:\n{}", log());
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let lb = process::free_port();
        let servers: String = NAMES
            .iter()
            .zip(&instances)
            .map(|(n, i)| {
                format!("  server {n} 127.0.0.1:{} source 127.0.0.2 check inter 100ms fall 3 rise 2\n", i.port)
            })
            .collect();
        let cfg = dir.join("haproxy.cfg");
        std::fs::write(
            &cfg,
            format!(
                "global\n  maxconn 2048\ndefaults\n  mode http\n  timeout connect 2s\n  timeout check 2s\n  timeout client 30s\n  \
                 timeout server 30s\n  option forwardfor\n  option http-server-close\n  option redispatch\n  \
                 retries 3\nfrontend lb\n  bind 127.0.0.1:{lb}\n  default_backend showcase\n\
                 backend showcase\n  balance roundrobin\n  http-response set-header X-Served-By %[srv_name]\n{servers}"
            ),
        )
        .unwrap();
        let haproxy = Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(&cfg)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("haproxy.log")).expect("log"))
            .spawn()
            .expect("haproxy (Debian package `haproxy`; scripts/test.sh installs it)");
        process::wait_for_port(lb, Duration::from_secs(30), || "haproxy".into());
        let cluster = Cluster { lb, instances, haproxy, redis: Some(redis), redis_port, db };
        // Every instance in rotation (its health check passed).
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let mut seen = vec![];
            for _ in 0..6 {
                let r = cluster.get([127, 0, 0, 1], "/style.css", "").await;
                seen.push(r.served_by);
            }
            if NAMES.iter().all(|n| seen.iter().any(|s| s == n)) {
                break;
            }
            assert!(Instant::now() < deadline, "not every instance came into rotation: {seen:?}");
        }
        cluster
    }

    /// Sends one request through the balancer from `from`.
    pub async fn request(&self, from: [u8; 4], method: &str, path: &str, headers: &str, body: &str) -> Res {
        let socket = TcpSocket::new_v4().expect("socket");
        socket.bind((std::net::Ipv4Addr::from(from), 0).into()).expect("bind a loopback source address");
        let mut s = socket.connect(([127, 0, 0, 1], self.lb).into()).await.expect("connect to the balancer");
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n{headers}\r\n",
            body.len()
        );
        s.write_all(head.as_bytes()).await.unwrap();
        s.write_all(body.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        rocket::tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut raw))
            .await
            .expect("an answer within 30 s")
            .expect("read");
        Res::parse(&String::from_utf8_lossy(&raw))
    }

    pub async fn get(&self, from: [u8; 4], path: &str, cookies: &str) -> Res {
        let h = if cookies.is_empty() { String::new() } else { format!("Cookie: {cookies}\r\n") };
        self.request(from, "GET", path, &h, "").await
    }

    /// `POST /login` with `user` and `password`.
    pub async fn login(&self, from: [u8; 4], user: &str, password: &str) -> Res {
        let body = format!("username={user}&password={password}");
        self.request(from, "POST", "/login", "Content-Type: application/x-www-form-urlencoded\r\n", &body).await
    }

    /// The cookies of a successful login of `user`.
    pub async fn session(&self, from: [u8; 4], user: &str) -> String {
        let r = self.login(from, user, &format!("{user}-pass")).await;
        assert_eq!(r.status, 303, "{user} logs in: {r:?}");
        let jar = r.cookies();
        assert!(jar.contains("security_session="), "{jar}");
        jar
    }

    /// Posts `n` copies of one CSP report (Reporting API format) from `from`.
    pub async fn report(&self, from: [u8; 4], n: usize, blocked: &str) -> Res {
        let one = format!(
            r#"{{"type":"csp-violation","age":0,"url":"http://127.0.0.1/page","body":{{"documentURL":"http://127.0.0.1/page","effectiveDirective":"img-src","blockedURL":"{blocked}","disposition":"enforce"}}}}"#
        );
        let body = format!("[{}]", vec![one.as_str(); n].join(","));
        self.request(from, "POST", "/security/csp-report", "Content-Type: application/reports+json\r\n", &body).await
    }

    /// The dashboard's JSON (as the admin whose cookies are `admin`).
    pub async fn dashboard(&self, admin: &str) -> serde_json::Value {
        let r = self.get([127, 0, 0, 1], "/security/reports/api", admin).await;
        assert_eq!(r.status, 200, "{r:?}");
        serde_json::from_str(&r.body).expect("dashboard JSON")
    }

    /// Polls the dashboard until `done` holds of the cluster totals; panics after 20 s.
    pub async fn totals_until(&self, admin: &str, done: impl Fn(&Totals) -> bool) -> Totals {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let t = Totals::of(&self.dashboard(admin).await["cluster"]);
            if done(&t) {
                return t;
            }
            assert!(Instant::now() < deadline, "the cluster totals never settled: {t:?}");
            rocket::tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The stored violations whose blocked URL was `blocked` (stored as its host), read from the database.
    pub async fn violations(&self, blocked: &str) -> Vec<CspViolation> {
        let mut conn = self.db.conn().await.expect("database");
        let host = blocked.split('/').nth(2).expect("an absolute URL");
        let filter = ViolationFilter { blocked: Some(host.to_string()), ..Default::default() };
        CspViolation::search(&mut conn, &filter, 100).await.expect("search")
    }

    /// Polls the dashboard until every running instance says its queue is
    /// empty (each answers the dashboard in turn); panics after 20 s.
    pub async fn queues_empty(&self, admin: &str) {
        let running = self.instances.iter().filter(|i| i.running()).count();
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut empty = std::collections::BTreeSet::new();
        while empty.len() < running {
            let r = self.get([127, 0, 0, 1], "/security/reports/api", admin).await;
            assert_eq!(r.status, 200, "{r:?}");
            let v: serde_json::Value = serde_json::from_str(&r.body).expect("JSON");
            if v["stats"]["queued"].as_u64() == Some(0) {
                empty.insert(r.served_by);
            }
            assert!(Instant::now() < deadline, "queues not empty: {}", v["stats"]);
        }
    }

    /// What instance `i` logged so far.
    pub fn log(&self, i: usize) -> String {
        std::fs::read_to_string(&self.instances[i].log).unwrap_or_default()
    }

    /// Polls until every running instance's log contains `line`; panics after `limit`.
    pub async fn logs_until(&self, line: &str, limit: Duration) {
        let deadline = Instant::now() + limit;
        for (i, inst) in self.instances.iter().enumerate() {
            if !inst.running() {
                continue;
            }
            while !self.log(i).contains(line) {
                assert!(Instant::now() < deadline, "instance {} never logged {line:?}:\n{}", NAMES[i], self.log(i));
                rocket::tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }

    /// Sends SIGTERM (`"TERM"`) or SIGKILL (`"KILL"`) to instance `i` and waits for it to exit.
    pub fn signal(&self, i: usize, signal: &str) -> std::process::ExitStatus {
        let mut child = self.instances[i].child.lock().unwrap().take().expect("running");
        let ok = Command::new("kill").args([&format!("-{signal}"), &child.id().to_string()]).status().unwrap();
        assert!(ok.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(s) = child.try_wait().unwrap() {
                return s;
            }
            assert!(Instant::now() < deadline, "instance {} did not exit after SIG{signal}", NAMES[i]);
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A response, as the client saw it.
#[derive(Debug)]
pub struct Res {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The instance that answered (HAProxy's `X-Served-By`).
    pub served_by: String,
}

impl Res {
    fn parse(raw: &str) -> Res {
        let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw, ""));
        let mut lines = head.split("\r\n");
        let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).unwrap_or(0);
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let served_by = headers.iter().find(|(k, _)| k == "x-served-by").map(|(_, v)| v.clone()).unwrap_or_default();
        Res { status, headers, body: body.to_string(), served_by }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// `name=value; ...` of the cookies this response set (not its removals).
    pub fn cookies(&self) -> String {
        self.headers
            .iter()
            .filter(|(k, v)| k == "set-cookie" && !v.contains("Max-Age=0") && !v.contains("expires=Thu, 01 Jan 1970"))
            .filter_map(|(_, v)| v.split(';').next())
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// The collector's counters summed over every instance (Redis).
#[derive(Debug, Default)]
pub struct Totals {
    pub received: u64,
    pub accepted: u64,
    pub stored: u64,
    /// Accepted but lost (the database sink's reasons).
    pub lost: u64,
    pub rate_limited: u64,
}

impl Totals {
    fn of(v: &serde_json::Value) -> Totals {
        let n = |k: &str| v[k].as_u64().unwrap_or(0);
        let d = |k: &str| v["dropped"][k].as_u64().unwrap_or(0);
        Totals {
            received: n("received"),
            accepted: n("accepted"),
            stored: n("stored"),
            lost: d("queue_full")
                + d("database_unavailable")
                + d("database_error")
                + d("shutting_down")
                + d("spool_full")
                + d("spool_corrupt"),
            rate_limited: d("rate_limited"),
        }
    }
}
