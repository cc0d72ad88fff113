//! The `[security.session]` table.

use crate::core::config::Section;
use crate::core::feature::{Builder, Feature};

/// The `[default.security.session]` table; see the [module docs](super).
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// Paths that neither count as activity nor expire the session. _Default:_ `[]`.
    pub passive_paths: Vec<String>,
    /// The stamp cookie's name. _Default:_ `"security_session"`.
    pub cookie_name: String,
    /// Send `Clear-Site-Data: "cookies"` on expiry. _Default:_ `false`.
    pub clear_site_data: bool,
    /// Path of the JSON status endpoint. _Default:_ `"/security/session"`.
    pub status_path: String,
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
        }
    }
}

impl Feature for SessionExpiry {
    const KEY: &'static str = "session";

    fn read(s: &Section<'_>) -> Self {
        let d = SessionExpiry::default();
        SessionExpiry {
            enabled: s.bool("enabled", d.enabled),
            cookies: s.strings("cookies", &d.cookies),
            idle_timeout: s.u64("idle_timeout", d.idle_timeout),
            absolute_timeout: s.u64("absolute_timeout", d.absolute_timeout),
            refresh_interval: s.u64("refresh_interval", d.refresh_interval),
            passive_paths: s.strings("passive_paths", &d.passive_paths),
            cookie_name: s.string("cookie_name", &d.cookie_name),
            clear_site_data: s.bool("clear_site_data", d.clear_site_data),
            status_path: s.string("status_path", &d.status_path),
        }
    }

    fn build(&self, b: &mut Builder<'_>) {
        if self.enabled {
            b.summary.push(format!(
                "session expiry: idle {} s, absolute {} s, stamp refreshed every {} s, cookies {}",
                self.idle_timeout,
                self.absolute_timeout,
                self.refresh_interval,
                self.cookies.join(", ")
            ));
        } else {
            b.summary.push("session expiry: off".into());
        }
    }
}
