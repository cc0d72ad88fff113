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
