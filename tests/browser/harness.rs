//! The parts of a browser test: the showcase binary in a fresh directory,
//! headless Chromium driven by chromedriver over WebDriver, a self-signed
//! certificate, and a tiny "other origin" server.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::process;

/// One browser test at a time: two Chromiums on two cores make timing flaky.
pub static SERIAL: rocket::tokio::sync::Mutex<()> = rocket::tokio::sync::Mutex::const_new(());

/// A fresh, empty directory for one test's files.
pub fn fresh_dir(name: &str) -> PathBuf {
    process::fresh_dir("browser", name)
}

/// Chromium and chromedriver, or `None` when the run explicitly skips
/// browser tests (`SECURITY_TEST_SKIP_BROWSER=1`). Missing tools without
/// that variable fail the test: a browser test is never silently skipped.
pub fn tools() -> Option<(PathBuf, PathBuf)> {
    let chromium = PathBuf::from(std::env::var("SECURITY_TEST_CHROMIUM").unwrap_or("/usr/bin/chromium".into()));
    let driver = PathBuf::from(std::env::var("SECURITY_TEST_CHROMEDRIVER").unwrap_or("/usr/bin/chromedriver".into()));
    if chromium.exists() && driver.exists() {
        return Some((chromium, driver));
    }
    if std::env::var("SECURITY_TEST_SKIP_BROWSER").as_deref() == Ok("1") {
        eprintln!("SKIPPED: browser test (SECURITY_TEST_SKIP_BROWSER=1)");
        return None;
    }
    panic!(
        "browser tests need {} and {}: `apt-get install chromium chromium-driver` (as .ci/run does), \
         or set SECURITY_TEST_SKIP_BROWSER=1 to skip them knowingly",
        chromium.display(),
        driver.display()
    );
}

/// A self-signed certificate for 127.0.0.1 and localhost, written to `dir`.
pub struct Cert {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// base64(SHA-256(SubjectPublicKeyInfo)): Chromium's
    /// `--ignore-certificate-errors-spki-list` value.
    pub spki_hash: String,
}

impl Cert {
    pub fn generate(dir: &Path) -> Cert {
        use rcgen::PublicKeyData;
        let ck = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .expect("self-signed certificate");
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        std::fs::write(&cert, ck.cert.pem()).expect("write cert");
        std::fs::write(&key, ck.signing_key.serialize_pem()).expect("write key");
        let spki = ck.signing_key.subject_public_key_info();
        let spki_hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(spki));
        Cert { cert, key, spki_hash }
    }
}

/// The showcase example, run as a newcomer runs it: its own process, a fresh
/// working directory (its SQLite file lands there), configured only by
/// `ROCKET_...` variables.
pub struct Showcase {
    child: Child,
    pub dir: PathBuf,
    pub base: String,
}

impl Showcase {
    pub fn start(name: &str, env: &[(&str, String)], cert: Option<&Cert>) -> Showcase {
        let dir = fresh_dir(name);
        Self::start_in(dir, env, cert)
    }

    pub fn start_in(dir: PathBuf, env: &[(&str, String)], cert: Option<&Cert>) -> Showcase {
        let binary = process::example_binary("showcase");
        let port = process::free_port();
        let log = std::fs::File::create(dir.join("showcase.log")).expect("log file");
        let mut cmd = Command::new(&binary);
        cmd.current_dir(&dir)
            .env("ROCKET_PORT", port.to_string())
            .env("ROCKET_ADDRESS", "127.0.0.1")
            .env_remove("ROCKET_PROFILE")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log);
        if let Some(c) = cert {
            cmd.env("ROCKET_TLS", format!("{{certs={:?},key={:?}}}", c.cert, c.key));
        }
        let child = cmd.spawn().expect("start the showcase");
        let scheme = if cert.is_some() { "https" } else { "http" };
        let showcase = Showcase { child, dir, base: format!("{scheme}://127.0.0.1:{port}") };
        // The showcase contract: a debug build answers within 10 s of start.
        process::wait_for_port(port, Duration::from_secs(30), || format!("the showcase (log: {})", showcase.log()));
        showcase
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("showcase.log")).unwrap_or_default()
    }
}

impl Drop for Showcase {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Kills chromedriver and its Chromium if `Browser::start` fails half-way.
struct DriverGuard {
    driver: Option<Child>,
    profile: PathBuf,
}

impl Drop for DriverGuard {
    fn drop(&mut self) {
        if let Some(mut d) = self.driver.take() {
            let _ = d.kill();
            let _ = d.wait();
            let _ = Command::new("pkill").arg("-f").arg(self.profile.as_os_str()).status();
        }
    }
}

/// Headless Chromium behind chromedriver, with a fresh profile.
pub struct Browser {
    pub client: Client,
    driver: Child,
    profile: PathBuf,
}

impl Browser {
    /// Starts Chromium with the flags this machine needs plus `extra` flags.
    pub async fn start(name: &str, extra: &[String]) -> Browser {
        let (chromium, chromedriver) = tools().expect("checked by the caller");
        let profile = fresh_dir(&format!("{name}-profile"));
        let port = process::free_port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        // Killed (with its Chromium) on any panic from here on.
        let mut guard = DriverGuard { driver: Some(driver), profile: profile.clone() };
        process::wait_for_port(port, Duration::from_secs(30), || "chromedriver".into());
        let mut args: Vec<String> = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1280,900",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        args.extend(extra.iter().cloned());
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args },
        });
        let caps = match caps {
            Value::Object(map) => map,
            _ => unreachable!(),
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a WebDriver session with Chromium");
        let driver = guard.driver.take().expect("the driver");
        Browser { client, driver, profile }
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|e| panic!("goto {url}: {e}"));
    }

    /// The path and query of the current page.
    pub async fn location(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    pub async fn text(&self, css: &str) -> String {
        let el = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("find {css}: {e}"));
        el.text().await.expect("element text")
    }

    pub async fn script(&self, js: &str) -> Value {
        self.client.execute(js, vec![]).await.unwrap_or_else(|e| panic!("script {js}: {e}"))
    }

    /// Fills the named fields of the page's first form and submits it, then
    /// waits for the next page.
    pub async fn submit(&self, fields: &[(&str, &str)]) {
        let before = self.script("return performance.timeOrigin").await;
        for (name, value) in fields {
            let el = self
                .client
                .find(Locator::Css(&format!("form [name=\"{name}\"]")))
                .await
                .unwrap_or_else(|e| panic!("field {name}: {e}"));
            el.clear().await.ok();
            el.send_keys(value).await.expect("type");
        }
        let button = self.client.find(Locator::Css("main form button")).await.expect("submit button");
        button.click().await.expect("click");
        self.wait_for_new_document(before).await;
    }

    /// Waits until a new document replaced the one whose `timeOrigin` is `before`.
    pub async fn wait_for_new_document(&self, before: Value) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(now) = self.client.execute("return performance.timeOrigin", vec![]).await {
                let ready = self.client.execute("return document.readyState", vec![]).await.ok();
                if now != before && ready == Some(json!("complete")) {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "no new page within 10 s");
            rocket::tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Logs in through the showcase's form.
    pub async fn login(&self, showcase: &Showcase, user: &str, password: &str) {
        self.goto(&showcase.url("/login")).await;
        self.submit(&[("username", user), ("password", password)]).await;
    }

    pub async fn close(self) {
        let client = self.client.clone();
        client.close().await.expect("end the WebDriver session");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        // A Chromium left behind by a failed test: find it by its profile.
        let _ = Command::new("pkill").arg("-f").arg(self.profile.as_os_str()).status();
    }
}

/// A tiny HTTP server on another origin (another port), answering fixed
/// pages with no security headers at all: the hostile framer.
pub struct OtherOrigin {
    pub base: String,
}

impl OtherOrigin {
    pub fn serve(pages: Vec<(&'static str, String)>) -> OtherOrigin {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://127.0.0.1:{}", listener.local_addr().expect("addr").port());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut buf = [0u8; 4096];
                let n = stream.read(&mut buf).unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]);
                let path = head.split_whitespace().nth(1).unwrap_or("/");
                let body = pages.iter().find(|(p, _)| *p == path).map(|(_, b)| b.as_str());
                let response = match body {
                    Some(b) => format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{b}",
                        b.len()
                    ),
                    None => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string(),
                };
                let _ = stream.write_all(response.as_bytes());
            }
        });
        OtherOrigin { base }
    }
}
