//! Subresource integrity for the application's own files: the `sha384`
//! digest of every file under its static directory, computed at ignite, and
//! the `integrity` value a template puts on a `<script>` or `<link>` for a
//! URL path, so that a site can turn on `Integrity-Policy`
//! (`blocked-destinations=(script)`) for its own scripts.
//!
//! ```toml
//! [default.security.sri]
//! enabled = true
//! dir = "static"       # the directory the application's FileServer serves
//! mount = "/static"    # where it is mounted
//! ```
//!
//! (or, in code, `StaticIntegrity::new("static", "/static").into_fairing()`;
//! the header itself is `Integrity-Policy`, sent by the headers).
//! A handler asks [`Integrity`] (a request guard, or [`Integrity::of`] on
//! the `Rocket`) for a path's value:
//!
//! ```
//! use maud::html;
//! use rocket::local::blocking::Client;
//! use rocket::response::content::RawHtml;
//! use rocket::{get, routes};
//! use rocket_security::sri::Integrity;
//!
//! #[get("/")]
//! fn index(sri: &Integrity) -> RawHtml<String> {
//!     let value = sri.integrity("/static/app.js");
//!     RawHtml(html! { script src="/static/app.js" integrity=[value] crossorigin="anonymous" {} }.into_string())
//! }
//!
//! let dir = std::env::temp_dir().join(format!("sri-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! std::fs::write(dir.join("app.js"), "alert(1)").unwrap();
//!
//! let figment = rocket::figment::Figment::from(rocket::Config::default())
//!     .merge(("security.sri.enabled", true))
//!     .merge(("security.sri.dir", &dir));
//! let rocket = rocket::custom(figment)
//!     .attach(rocket_security::Security::fairing())
//!     .mount("/", routes![index]);
//! let client = Client::tracked(rocket).unwrap();
//! // printf 'alert(1)' | openssl dgst -sha384 -binary | base64
//! let expected = "sha384-HT2E9NfWiuQ/w1PRai+hTyqW16NIoCGA/m8VQDUopfAtcz6YQjtsMmQd5uRbVDpW";
//! assert_eq!(Integrity::of(client.rocket()).unwrap().integrity("/static/app.js").as_deref(), Some(expected));
//! assert!(client.get("/").dispatch().into_string().unwrap().contains(expected));
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```
//!
//! What is read, at ignite:
//! - every regular file below `dir`, in nested directories too, whose name
//!   and directories do not start with `.` (hidden files are left out);
//! - a symbolic link to a file is followed only when its target is inside
//!   `dir`; links to directories are not followed (no loops, no escape);
//! - a file larger than `max_file_size` (_Default:_ 4 MiB) is skipped with a
//!   WARN line naming it: its path then has no value.
//!
//! A missing or unreadable `dir` aborts the launch with an error naming
//! `security.sri.dir`.
//!
//! **Debug and release.** In Rocket's `debug` profile a lookup stats the file
//! (one `stat` per lookup) and reads its digest again when its size or
//! modification time changed, so an edited script keeps a valid value
//! without a restart; a file added after ignite needs a restart. In any
//! other profile the table is fixed at ignite and a lookup is a hash map
//! read. The profile decides, not `debug_assertions`, as for the crate's
//! other deploy-time behaviour.
//!
//! **Per process.** The table holds read-only digests of local files; every
//! instance computes its own at ignite. Instances serving different files
//! under the same path give different values, as the files differ.

use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};
use std::time::SystemTime;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rocket::http::{RawStr, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::{Build, Phase, Rocket};
use sha2::{Digest, Sha384};

use crate::core::error::ConfigError;
use crate::core::feature::{Builder, Feature};
use crate::core::part::Part;

/// The `[security.sri]` table: which directory to digest and the URL path it
/// is served under.
///
/// ```toml
/// [default.security.sri]
/// enabled = false            # Default: false
/// dir = "static"             # relative to the working directory; Default: "static"
/// mount = "/static"          # Default: "/static"
/// max_file_size = 4194304    # bytes; larger files are skipped; Default: 4194304 (4 MiB)
/// ```
///
/// ```
/// use rocket_security::sri::StaticIntegrity;
///
/// let sri = StaticIntegrity::default();
/// assert!(!sri.enabled);
/// assert_eq!(sri.dir, std::path::PathBuf::from("static"));
/// assert_eq!(sri.mount, "/static");
/// assert_eq!(sri.max_file_size, 4 * 1024 * 1024);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StaticIntegrity {
    /// Compute the digests at ignite and manage [`Integrity`]. _Default:_ `false`.
    pub enabled: bool,
    /// The directory the application serves its static files from
    /// (relative to the working directory). _Default:_ `"static"`.
    pub dir: PathBuf,
    /// The URL path the directory is mounted at (`FileServer`'s base).
    /// _Default:_ `"/static"`.
    pub mount: String,
    /// Files larger than this many bytes are skipped (WARN at ignite).
    /// _Default:_ `4194304` (4 MiB).
    pub max_file_size: u64,
}

impl Default for StaticIntegrity {
    fn default() -> Self {
        StaticIntegrity {
            enabled: false,
            dir: "static".into(),
            mount: "/static".into(),
            max_file_size: 4 * 1024 * 1024,
        }
    }
}

impl StaticIntegrity {
    /// Enabled, for the files under `dir` served at `mount`; with
    /// [`into_fairing`](Self::into_fairing) it needs no `Rocket.toml`.
    ///
    /// ```
    /// use rocket_security::sri::StaticIntegrity;
    ///
    /// let sri = StaticIntegrity::new("public", "/assets");
    /// assert!(sri.enabled);
    /// let rocket = rocket::build().attach(sri.into_fairing());
    /// ```
    pub fn new(dir: impl Into<PathBuf>, mount: impl Into<String>) -> Self {
        StaticIntegrity { enabled: true, dir: dir.into(), mount: mount.into(), ..StaticIntegrity::default() }
    }
}

impl Feature for StaticIntegrity {
    const KEY: &'static str = "sri";

    fn build(&self, b: &mut Builder<'_>) {
        if !self.enabled {
            b.summary.push("off".into());
            return;
        }
        let mount = match normalise_mount(&self.mount) {
            Some(m) => m,
            None => {
                b.error(
                    "mount",
                    format!(
                        "{:?} is not a URL path; use the path the static files are served under, e.g. \"/static\"",
                        self.mount
                    ),
                );
                return;
            }
        };
        if self.dir.as_os_str().is_empty() {
            b.error("dir", "empty: name the directory the static files are served from, e.g. \"static\"");
            return;
        }
        if self.max_file_size == 0 {
            b.error("max_file_size", "0 would skip every file; use a size in bytes, e.g. 4194304");
            return;
        }
        let live = !b.release;
        b.summary.push(format!(
            "sha384 of the files under {} for {}/ ({})",
            self.dir.display(),
            mount,
            if live { "read again on change: debug profile" } else { "fixed at ignite" }
        ));
        b.part(IntegrityPart {
            dir: self.dir.clone(),
            mount,
            max_file_size: self.max_file_size,
            live,
            key: b.key("dir"),
            table: Mutex::new(None),
        });
    }
}

/// `"/static/"` -> `"/static"`, `"/"` -> `""`; `None` for what is not a plain path.
fn normalise_mount(mount: &str) -> Option<String> {
    let rest = mount.strip_prefix('/')?;
    let mut out = String::new();
    for seg in rest.split('/').filter(|s| !s.is_empty()) {
        if seg == "." || seg == ".." || seg.contains(['?', '#', '\\']) || seg.chars().any(char::is_control) {
            return None;
        }
        out.push('/');
        out.push_str(seg);
    }
    Some(out)
}

/// The part: computes the table in `acquire` (an error aborts the launch),
/// manages it in `ignite`.
struct IntegrityPart {
    dir: PathBuf,
    mount: String,
    max_file_size: u64,
    live: bool,
    key: String,
    table: Mutex<Option<Integrity>>,
}

impl Part for IntegrityPart {
    fn acquire(&self) -> Result<(), ConfigError> {
        let integrity = Integrity::compute(&self.dir, &self.mount, self.max_file_size, self.live)
            .map_err(|e| ConfigError::new(self.key.clone(), unreadable(&self.key, &self.dir, &e)))?;
        tracing::info!(
            target: "security",
            "sri: {} file digest(s) under {} for {}/",
            integrity.files.read().unwrap_or_else(|e| e.into_inner()).len(),
            self.dir.display(),
            self.mount
        );
        *self.table.lock().unwrap_or_else(|e| e.into_inner()) = Some(integrity);
        Ok(())
    }

    fn ignite(&self, rocket: Rocket<Build>) -> Rocket<Build> {
        let Some(integrity) = self.table.lock().unwrap_or_else(|e| e.into_inner()).take() else { return rocket };
        if rocket.state::<Integrity>().is_some() {
            // Rocket manages one value per type (a second `manage` panics).
            tracing::warn!(
                target: "security",
                "sri: a second fairing computed the static file digests; the first one's are used (attach \
                 `Security::fairing()` or `StaticIntegrity`'s fairing, not both)"
            );
            return rocket;
        }
        rocket.manage(integrity)
    }
}

/// The message of a `dir` that cannot be read.
fn unreadable(key: &str, dir: &Path, e: &std::io::Error) -> String {
    let from = match std::env::current_dir() {
        Ok(cwd) if dir.is_relative() => format!(" (relative to the working directory {})", cwd.display()),
        _ => String::new(),
    };
    format!(
        "the directory {}{from} cannot be read: {e}; create it, or set `{key}` to the directory the static \
         files are served from",
        dir.display()
    )
}

/// One file's digest, and what it was computed from.
struct Entry {
    path: PathBuf,
    value: String,
    len: u64,
    modified: Option<SystemTime>,
}

/// The `integrity` values of the static files: managed state, computed at
/// ignite when `security.sri.enabled = true`. A request guard (`&Integrity`);
/// without the table the guard fails with 500 and an ERROR line.
///
/// Per process: each instance digests its own files at ignite.
///
/// ```
/// use rocket::get;
/// use rocket_security::sri::Integrity;
///
/// #[get("/")]
/// fn index(sri: &Integrity) -> String {
///     sri.integrity("/static/app.js").unwrap_or_default()
/// }
/// ```
pub struct Integrity {
    mount: String,
    max_file_size: u64,
    live: bool,
    files: RwLock<HashMap<String, Entry>>,
}

impl Integrity {
    /// The table of `rocket` (ignited), if `security.sri` is enabled.
    ///
    /// ```
    /// # rocket::async_test(async {
    /// use rocket_security::sri::Integrity;
    ///
    /// let rocket = rocket::custom(rocket::Config::default()).attach(rocket_security::Security::fairing());
    /// let rocket = rocket.ignite().await.unwrap();
    /// assert!(Integrity::of(&rocket).is_none(), "off by default");
    /// # });
    /// ```
    pub fn of<P: Phase>(rocket: &Rocket<P>) -> Option<&Integrity> {
        rocket.state::<Integrity>()
    }

    /// The `integrity` attribute value (`sha384-` and the base64 digest) of
    /// the file served at the URL path `path` (e.g. `/static/js/app.js`;
    /// percent-encoded segments are decoded, a query or fragment ignored).
    /// `None` for a path outside the mount, with `..` or a hidden segment,
    /// or of a file that was not read (unknown, too large, or gone in debug).
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("sri-integrity-{}", std::process::id()));
    /// # std::fs::create_dir_all(dir.join("js")).unwrap();
    /// # std::fs::write(dir.join("js/app.js"), "alert(1)").unwrap();
    /// # let figment = rocket::figment::Figment::from(rocket::Config::default())
    /// #     .merge(("security.sri.enabled", true))
    /// #     .merge(("security.sri.dir", &dir));
    /// # let rocket = rocket::custom(figment).attach(rocket_security::Security::fairing());
    /// # let client = rocket::local::blocking::Client::tracked(rocket).unwrap();
    /// let sri = rocket_security::sri::Integrity::of(client.rocket()).unwrap();
    /// assert_eq!(
    ///     sri.integrity("/static/js/app.js").as_deref(),
    ///     Some("sha384-HT2E9NfWiuQ/w1PRai+hTyqW16NIoCGA/m8VQDUopfAtcz6YQjtsMmQd5uRbVDpW")
    /// );
    /// assert_eq!(sri.integrity("/static/js/../js/app.js"), None);
    /// assert_eq!(sri.integrity("/static/js/nope.js"), None);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn integrity(&self, path: &str) -> Option<String> {
        let key = self.key(path)?;
        if !self.live {
            return self.files.read().unwrap_or_else(|e| e.into_inner()).get(&key).map(|e| e.value.clone());
        }
        let (file, len, modified, value) = {
            let files = self.files.read().unwrap_or_else(|e| e.into_inner());
            let e = files.get(&key)?;
            (e.path.clone(), e.len, e.modified, e.value.clone())
        };
        let meta = fs::metadata(&file).ok().filter(|m| m.is_file())?;
        if meta.len() == len && meta.modified().ok() == modified {
            return Some(value);
        }
        let (value, len) = digest(&file, self.max_file_size).ok()??;
        tracing::debug!(target: "security", "sri: {} changed; its digest was read again", file.display());
        let mut files = self.files.write().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = files.get_mut(&key) {
            (e.value, e.len, e.modified) = (value.clone(), len, meta.modified().ok());
        }
        Some(value)
    }

    /// The table's key (the path below the directory) for a URL path.
    fn key(&self, path: &str) -> Option<String> {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let rest = path.strip_prefix(self.mount.as_str())?.strip_prefix('/')?;
        let mut segments = Vec::new();
        for seg in rest.split('/').filter(|s| !s.is_empty() && *s != ".") {
            let seg = RawStr::new(seg).percent_decode().ok()?;
            if seg.starts_with('.') || seg.contains('/') {
                return None;
            }
            segments.push(seg);
        }
        (!segments.is_empty()).then(|| segments.join("/"))
    }

    /// Reads every file under `dir` (see the module doc for what is read).
    fn compute(dir: &Path, mount: &str, max_file_size: u64, live: bool) -> std::io::Result<Integrity> {
        let root = fs::canonicalize(dir)?;
        let mut files = HashMap::new();
        // The top directory must be readable; below it, an unreadable entry is skipped with a warning.
        let entries = fs::read_dir(&root)?;
        let mut pending = vec![(entries, String::new())];
        while let Some((entries, prefix)) = pending.pop() {
            for entry in entries {
                let entry = match entry {
                    Ok(e) => e,
                    Err(e) => {
                        tracing::warn!(target: "security", "sri: skipped an entry under {}/{prefix}: {e}", dir.display());
                        continue;
                    }
                };
                let Some(name) = entry.file_name().to_str().map(str::to_owned) else { continue };
                if name.starts_with('.') {
                    continue;
                }
                let key = format!("{prefix}{name}");
                let path = entry.path();
                let Ok(kind) = entry.file_type() else { continue };
                if kind.is_dir() {
                    match fs::read_dir(&path) {
                        Ok(inner) => pending.push((inner, format!("{key}/"))),
                        Err(e) => tracing::warn!(target: "security", "sri: skipped {}: {e}", path.display()),
                    }
                    continue;
                }
                if kind.is_symlink() {
                    let inside = fs::canonicalize(&path).is_ok_and(|t| t.starts_with(&root) && t.is_file());
                    if !inside {
                        tracing::warn!(
                            target: "security",
                            "sri: skipped {}: a link to a directory or to a file outside {}",
                            path.display(),
                            dir.display()
                        );
                        continue;
                    }
                } else if !kind.is_file() {
                    continue;
                }
                let modified = fs::metadata(&path).and_then(|m| m.modified()).ok();
                match digest(&path, max_file_size) {
                    Ok(Some((value, len))) => {
                        files.insert(key, Entry { path, value, len, modified });
                    }
                    Ok(None) => tracing::warn!(
                        target: "security",
                        "sri: skipped {mount}/{key}: larger than `security.sri.max_file_size` ({max_file_size} \
                         bytes), so it has no integrity value; raise the limit to cover it"
                    ),
                    Err(e) => tracing::warn!(target: "security", "sri: skipped {}: {e}", path.display()),
                }
            }
        }
        Ok(Integrity { mount: mount.to_string(), max_file_size, live, files: RwLock::new(files) })
    }
}

/// The `sha384-...` value of the file at `path` and its length; `None` when
/// it is longer than `max` bytes (read at most `max + 1` bytes).
fn digest(path: &Path, max: u64) -> std::io::Result<Option<(String, u64)>> {
    let file = fs::File::open(path)?;
    if file.metadata()?.len() > max {
        return Ok(None);
    }
    let mut hasher = Sha384::new();
    let mut reader = file.take(max + 1);
    let mut buf = [0u8; 16 * 1024];
    let mut len = 0u64;
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        len += n as u64;
        hasher.update(&buf[..n]);
    }
    if len > max {
        return Ok(None);
    }
    Ok(Some((format!("sha384-{}", STANDARD.encode(hasher.finalize())), len)))
}

/// Why no [`Integrity`] could be given to a handler: `security.sri` is not
/// enabled (or its fairing is not attached).
///
/// ```
/// use rocket_security::sri::NoIntegrity;
/// assert_eq!(
///     NoIntegrity.to_string(),
///     "Integrity needs `security.sri.enabled = true` and `Security::fairing()`"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoIntegrity;

impl std::fmt::Display for NoIntegrity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Integrity needs `security.sri.enabled = true` and `Security::fairing()`")
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for &'r Integrity {
    type Error = NoIntegrity;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, NoIntegrity> {
        match Integrity::of(req.rocket()) {
            Some(i) => Outcome::Success(i),
            None => {
                tracing::error!(target: "security", "{NoIntegrity}");
                Outcome::Error((Status::InternalServerError, NoIntegrity))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(mount: &str) -> Integrity {
        Integrity { mount: mount.into(), max_file_size: 10, live: false, files: RwLock::new(HashMap::new()) }
    }

    #[test]
    fn a_url_path_maps_to_its_file_below_the_mount() {
        let t = table("/static");
        assert_eq!(t.key("/static/app.js").as_deref(), Some("app.js"));
        assert_eq!(t.key("/static/js//app.js?v=2#x").as_deref(), Some("js/app.js"));
        assert_eq!(t.key("/static/./my%20file.js").as_deref(), Some("my file.js"));
        assert_eq!(t.key("/staticx/app.js"), None);
        assert_eq!(t.key("/static"), None);
        assert_eq!(t.key("/static/"), None);
        assert_eq!(t.key("/static/../secret"), None);
        assert_eq!(t.key("/static/%2e%2e/secret"), None);
        assert_eq!(t.key("/static/.env"), None);
        assert_eq!(t.key("/static/a%2fb"), None);
        assert_eq!(table("").key("/app.js").as_deref(), Some("app.js"));
    }

    #[test]
    fn the_mount_is_normalised_or_refused() {
        assert_eq!(normalise_mount("/static/").as_deref(), Some("/static"));
        assert_eq!(normalise_mount("/").as_deref(), Some(""));
        assert_eq!(normalise_mount("/a//b").as_deref(), Some("/a/b"));
        assert_eq!(normalise_mount("static"), None);
        assert_eq!(normalise_mount("/a/../b"), None);
        assert_eq!(normalise_mount("/a?x"), None);
    }
}
