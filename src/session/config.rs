//! The `[security.session]` table.

use crate::core::feature::{Builder, Feature};

/// The `[default.security.session]` table; see the [module docs](super).
///
/// ```
/// use rocket::figment::Figment;
/// use rocket_security::SecurityConfig;
///
/// // Rocket.toml: [default.security.session] idle_timeout = 900
/// let figment = Figment::from(rocket::Config::default()).merge(("security.session.idle_timeout", 900));
/// let session = SecurityConfig::from_figment(&figment).unwrap().session;
/// assert_eq!(session.idle_timeout, 900);
/// assert_eq!(session.absolute_timeout, 28_800);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionExpiry {
    /// Turn session expiry on. _Default:_ `false`.
    pub enabled: bool,
    /// The application's session cookies. _Default:_ `["user_id"]`.
    pub cookies: Vec<String>,
    /// Idle timeout in seconds. _Default:_ `1800`.
    pub idle_timeout: u64,
    /// Absolute lifetime in seconds. _Default:_ `28800`.
    pub absolute_timeout: u64,
    /// Least seconds between two rewrites of the activity stamp. _Default:_ `60`.
    pub refresh_interval: u64,
    /// Paths that never count as activity (polling), so they never extend a
    /// session; the idle and absolute limits still hold on them. _Default:_ `[]`.
    pub passive_paths: Vec<String>,
    /// The stamp cookie's name. _Default:_ `"security_session"`.
    pub cookie_name: String,
    /// Send `Clear-Site-Data: "cookies"` on expiry. _Default:_ `false`.
    pub clear_site_data: bool,
    /// Path of the JSON status endpoint. _Default:_ `"/security/session"`.
    pub status_path: String,
    /// Keep every session in the security database (`security_sessions`), so
    /// logout, [`Sessions::revoke_others`](super::Sessions::revoke_others) and
    /// the other revocations end it on the server, on every instance. Needs
    /// the security database. _Default:_ `true`.
    pub registry: bool,
    /// How long, in milliseconds, an instance may rely on what it last read of
    /// a session from the registry: the bound within which a revocation on one
    /// instance is honoured by every other. `0`: every request asks the
    /// database. _Default:_ `1000`.
    pub revocation_check_ms: u64,
    /// When the registry cannot answer, admit logged-in requests anyway
    /// (logged at WARN each time) instead of answering `503`. _Default:_ `false`.
    pub fail_open: bool,
    /// Seconds between two prunings of ended sessions from the registry. _Default:_ `3600`.
    pub prune_interval: u64,
    /// At most this many live sessions per user (Spring Security's
    /// `maximumSessions`): a login beyond it ends the user's least recently
    /// active session or is refused, per [`on_limit`](Self::on_limit), on every
    /// instance at once (the count and the new row are written under a lock of
    /// the user's row, see [`Sessions::login`](super::Sessions::login)). From 1
    /// to 100, needing the registry; `0`: no limit (a profile or environment
    /// override switches a limit off with `max_per_user = 0`). _Default:_ `0` (off).
    pub max_per_user: u64,
    /// What a login beyond `max_per_user` does. With `"refuse"`, a user who
    /// lost the cookies of their sessions (another browser, cleared cookies)
    /// cannot sign in until those sessions are idle for `idle_timeout`, and
    /// anyone with the password can hold the places: let a password reset
    /// end them ([`Sessions::revoke_all`](super::Sessions::revoke_all)).
    /// _Default:_ `"end_oldest"`.
    pub on_limit: OnLimit,
}

/// What a login does when the user already has `max_per_user` live sessions.
///
/// ```
/// use rocket::figment::Figment;
/// use rocket_security::session::OnLimit;
///
/// // Rocket.toml: [default.security.session] on_limit = "refuse"
/// let figment = Figment::new().merge(("on_limit", "refuse"));
/// assert_eq!(figment.extract_inner::<OnLimit>("on_limit").unwrap(), OnLimit::Refuse);
/// assert_eq!(OnLimit::default(), OnLimit::EndOldest);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OnLimit {
    /// `"end_oldest"`: the login goes on, and the user's least recently active
    /// session ends (reason `session_limit:N`). The default.
    #[default]
    EndOldest,
    /// `"refuse"`: the login is refused with
    /// [`SessionError::LimitReached`](super::SessionError::LimitReached); the
    /// sessions the user has go on.
    Refuse,
}

impl std::fmt::Display for OnLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            OnLimit::EndOldest => "end_oldest",
            OnLimit::Refuse => "refuse",
        })
    }
}

impl<'de> serde::Deserialize<'de> for OnLimit {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use crate::core::config::{describe, shaped, text};
        shaped(d, |v| match text(v).as_deref() {
            Some("end_oldest") => Ok(OnLimit::EndOldest),
            Some("refuse") => Ok(OnLimit::Refuse),
            Some(other) => Err(format!(
                "{other:?} is not a choice; use \"end_oldest\" (end the user's least recently active session) or \
                 \"refuse\" (refuse the new login)"
            )),
            None => Err(format!("expected a string, found {}", describe(v))),
        })
    }
}

impl Default for SessionExpiry {
    fn default() -> Self {
        SessionExpiry {
            enabled: false,
            cookies: vec!["user_id".into()],
            idle_timeout: 1800,
            absolute_timeout: 28_800,
            refresh_interval: 60,
            passive_paths: vec![],
            cookie_name: "security_session".into(),
            clear_site_data: false,
            status_path: "/security/session".into(),
            registry: true,
            revocation_check_ms: 1000,
            fail_open: false,
            prune_interval: 3600,
            max_per_user: 0,
            on_limit: OnLimit::EndOldest,
        }
    }
}

impl Feature for SessionExpiry {
    const KEY: &'static str = "session";

    fn build(&self, b: &mut Builder<'_>) {
        if self.enabled {
            b.summary.push(format!(
                "session expiry: idle {} s, absolute {} s, stamp refreshed every {} s, cookies {}; {}",
                self.idle_timeout,
                self.absolute_timeout,
                self.refresh_interval,
                self.cookies.join(", "),
                if self.registry {
                    format!(
                        "registry in the database (revocations seen within {} ms, {} when it cannot answer)",
                        self.revocation_check_ms,
                        if self.fail_open { "admitted" } else { "503" }
                    )
                } else {
                    "no registry (sessions end only when their stamp expires)".into()
                }
            ));
            if self.max_per_user > 0 {
                b.summary.push(format!(
                    "session limit: at most {} per user; a login beyond it {}",
                    self.max_per_user,
                    match self.on_limit {
                        OnLimit::EndOldest => "ends the least recently active session",
                        OnLimit::Refuse => "is refused",
                    }
                ));
            } else if self.on_limit != OnLimit::default() {
                // Not an error: a profile switches its limit off with `max_per_user = 0` alone.
                b.warn(
                    "security.W028",
                    format!(
                        "`security.session.on_limit = \"{}\"` does nothing: `security.session.max_per_user` is 0 (no \
                         session limit)",
                        self.on_limit
                    ),
                    "set `security.session.max_per_user` to the most sessions a user may have (1 to 100), or remove \
                     `on_limit`",
                );
            }
            if b.release && self.registry && self.fail_open {
                b.warn(
                    "security.W014",
                    "`security.session.fail_open = true`: while the session registry cannot answer, revoked sessions \
                     are admitted",
                    "set `security.session.fail_open = false` (the default: such requests get 503)",
                );
            }
        } else {
            b.summary.push("session expiry: off".into());
        }
    }
}
