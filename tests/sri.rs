//! Subresource integrity for the application's own files (`security.sri`):
//! the digests computed at ignite, the lookups, the limits and the errors.
//! Every expected value was computed with
//! `printf '<content>' | openssl dgst -sha384 -binary | base64`.

#[path = "common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use common::capture::captured;
use rocket::http::Status;
use rocket::local::asynchronous::Client;
use rocket::{get, routes};
use rocket_security::sri::{Integrity, StaticIntegrity};
use rocket_security::{Security, SecurityConfig};

/// `alert(1)`
const ALERT_1: &str = "sha384-HT2E9NfWiuQ/w1PRai+hTyqW16NIoCGA/m8VQDUopfAtcz6YQjtsMmQd5uRbVDpW";
/// `alert(2);`
const ALERT_2: &str = "sha384-12k+NCbacJqd/UmOStqAhM1IPgCH8fvcMMxAryRS6AnJvlOTpYx91pksMKwciTeJ";
/// `body{}`
const BODY: &str = "sha384-myyg/hQ74aSgjBBvVME/QXAXEkT4Y9dHbVQ5C0lIyGpldvNLJV2IWc5ElXbqLi06";

/// A fresh, empty directory for one test, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("rocket-security-sri-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn write(&self, path: &str, content: &str) -> &Self {
        let file = self.0.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, content).unwrap();
        self
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn toml(dir: &Path, extra: &str) -> String {
    format!("[default.security.sri]\nenabled = true\ndir = {:?}\n{extra}", dir.display().to_string())
}

async fn client(toml: &str) -> Client {
    common::client(common::app(toml)).await
}

fn lookup(client: &Client, path: &str) -> Option<String> {
    Integrity::of(client.rocket()).expect("managed").integrity(path)
}

fn log() -> String {
    String::from_utf8(captured().0.lock().unwrap().clone()).unwrap()
}

#[rocket::async_test]
async fn a_file_gets_the_sha384_of_its_exact_contents() {
    let dir = TempDir::new();
    dir.write("app.js", "alert(1)");
    let client = client(&toml(dir.path(), "")).await;
    assert_eq!(lookup(&client, "/static/app.js").as_deref(), Some(ALERT_1));
}

#[rocket::async_test]
async fn files_in_nested_directories_are_found_by_their_url_path() {
    let dir = TempDir::new();
    dir.write("js/app.js", "alert(1)").write("css/deep/site.css", "body{}");
    let client = client(&toml(dir.path(), "mount = \"/assets/\"")).await;
    assert_eq!(lookup(&client, "/assets/js/app.js").as_deref(), Some(ALERT_1));
    assert_eq!(lookup(&client, "/assets/css/deep/site.css").as_deref(), Some(BODY));
    assert_eq!(lookup(&client, "/assets/css/deep/site.css?v=3").as_deref(), Some(BODY));
    assert_eq!(lookup(&client, "/static/js/app.js"), None, "another mount");
}

#[rocket::async_test]
async fn unknown_hidden_and_escaping_paths_have_no_value() {
    let dir = TempDir::new();
    dir.write("app.js", "alert(1)").write(".hidden.js", "alert(1)").write(".git/config.js", "alert(1)");
    let client = client(&toml(dir.path(), "")).await;
    for path in ["/static/nope.js", "/static/.hidden.js", "/static/.git/config.js", "/static/x/../app.js", "/app.js"] {
        assert_eq!(lookup(&client, path), None, "{path}");
    }
}

#[rocket::async_test]
async fn a_changed_file_is_read_again_in_the_debug_profile() {
    let dir = TempDir::new();
    dir.write("app.js", "alert(1)");
    let client = client(&toml(dir.path(), "")).await;
    assert_eq!(lookup(&client, "/static/app.js").as_deref(), Some(ALERT_1));
    dir.write("app.js", "alert(2);");
    assert_eq!(lookup(&client, "/static/app.js").as_deref(), Some(ALERT_2));
    std::fs::remove_file(dir.path().join("app.js")).unwrap();
    assert_eq!(lookup(&client, "/static/app.js"), None, "gone");
}

#[rocket::async_test]
async fn the_table_is_fixed_at_ignite_in_release() {
    let dir = TempDir::new();
    dir.write("app.js", "alert(1)");
    let client = common::client(common::release_app(&toml(dir.path(), ""))).await;
    dir.write("app.js", "alert(2);");
    assert_eq!(lookup(&client, "/static/app.js").as_deref(), Some(ALERT_1));
}

#[rocket::async_test]
async fn a_file_over_the_cap_is_skipped_with_a_warning() {
    let _ = captured();
    let dir = TempDir::new();
    dir.write("big.js", "alert(2);").write("small.js", "alert(1)");
    let client = client(&toml(dir.path(), "mount = \"/over-cap\"\nmax_file_size = 8")).await;
    assert_eq!(lookup(&client, "/over-cap/small.js").as_deref(), Some(ALERT_1), "8 bytes: at the cap");
    assert_eq!(lookup(&client, "/over-cap/big.js"), None);
    let out = log();
    let line = " WARN security: sri: skipped /over-cap/big.js: larger than `security.sri.max_file_size` (8 bytes), \
                so it has no integrity value; raise the limit to cover it";
    assert_eq!(out.lines().filter(|l| l.ends_with(line)).count(), 1, "{out}");
}

#[rocket::async_test]
async fn a_missing_directory_aborts_the_launch_naming_the_key() {
    let _ = captured();
    let dir = TempDir::new();
    let missing = dir.path().join("missing");
    assert!(common::ignite_fails(common::app(&toml(&missing, ""))).await);
    let out = log();
    let line = format!(
        " ERROR security: invalid configuration: `security.sri.dir`: the directory {} cannot be read: No such file \
         or directory (os error 2); create it, or set `security.sri.dir` to the directory the static files are \
         served from",
        missing.display()
    );
    assert_eq!(out.lines().filter(|l| l.ends_with(&line)).count(), 1, "{out}");
}

#[cfg(unix)]
#[rocket::async_test]
async fn links_are_followed_inside_the_directory_only() {
    let outside = TempDir::new();
    outside.write("secret.js", "alert(1)");
    let dir = TempDir::new();
    dir.write("real/app.js", "alert(1)");
    std::os::unix::fs::symlink(dir.path().join("real/app.js"), dir.path().join("link.js")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.js"), dir.path().join("escape.js")).unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("out")).unwrap();
    let client = client(&toml(dir.path(), "")).await;
    assert_eq!(lookup(&client, "/static/link.js").as_deref(), Some(ALERT_1));
    assert_eq!(lookup(&client, "/static/escape.js"), None);
    assert_eq!(lookup(&client, "/static/out/secret.js"), None);
}

#[test]
fn an_unknown_key_is_refused() {
    let figment = common::figment("[default.security.sri]\nenabled = true\ndirectory = \"static\"");
    let errors = SecurityConfig::from_figment(&figment).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors}");
    assert_eq!(
        errors[0].to_string(),
        "`security.sri.directory`: unknown key; the keys of `security.sri` are: dir, enabled, max_file_size, mount"
    );
}

#[test]
fn a_mount_that_is_not_a_path_is_refused() {
    let figment = common::figment("[default.security.sri]\nenabled = true\nmount = \"static\"");
    let errors = SecurityConfig::from_figment(&figment).unwrap_err();
    assert_eq!(
        errors.to_string(),
        "invalid security configuration\n  `security.sri.mount`: \"static\" is not a URL path; use the path the \
         static files are served under, e.g. \"/static\""
    );
}

#[get("/page")]
fn page(sri: &Integrity) -> String {
    sri.integrity("/static/app.js").unwrap_or_default()
}

#[rocket::async_test]
async fn the_guard_gives_handlers_the_table_and_fails_without_it() {
    let dir = TempDir::new();
    dir.write("app.js", "alert(1)");
    let rocket = common::bare("").attach(StaticIntegrity::new(dir.path(), "/static").into_fairing());
    let client = common::client(rocket.mount("/", routes![page])).await;
    assert_eq!(client.get("/page").dispatch().await.into_string().await.as_deref(), Some(ALERT_1));

    let off = common::client(common::bare("").attach(Security::fairing()).mount("/", routes![page])).await;
    assert_eq!(off.get("/page").dispatch().await.status(), Status::InternalServerError);
}
