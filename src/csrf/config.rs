//! The `[security.csrf]` table.

use crate::core::feature::{Builder, Feature};
use crate::core::rollout::Mode;

/// Cross-site request forgery protection; see the [module docs](super).
///
/// ```toml
/// [default.security.csrf]
/// enabled = true                    # Default: true
/// trusted_origins = ["https://partner.example"]   # exact origins also allowed; Default: []
/// exempt = ["/webhooks/**"]         # path patterns never checked; Default: []
/// header_auth_paths = ["/api/**"]   # a request here WITHOUT cookies is not checked; Default: []
/// token = false                     # also require a CsrfToken on unsafe requests; Default: false
/// mode = "enforce"                  # "report": let refused requests through, record them; Default: "enforce"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Csrf {
    /// Refuse cross-origin unsafe requests. _Default:_ `true`.
    pub enabled: bool,
    /// Origins (`scheme://host[:port]`) whose requests are allowed too. _Default:_ `[]`.
    pub trusted_origins: Vec<String>,
    /// Path patterns never checked (the report endpoint always is). _Default:_ `[]`.
    pub exempt: Vec<String>,
    /// Path patterns of an API whose clients authenticate with a header
    /// (`Authorization: Bearer …`, `Token …`), never a cookie: a request to
    /// them that carries **no cookie** is not checked, since the browser
    /// added nothing to forge; a request that carries one is checked as
    /// everywhere else. A response to such an unchecked cross-origin request
    /// may not set a cookie: it is refused with `403`, its `Set-Cookie`
    /// dropped, so a login there cannot plant a session (login CSRF).
    /// What it gives up: credentials a browser adds without a cookie (HTTP
    /// Basic or Digest, a TLS client certificate, or an address the app
    /// trusts) no longer protect those paths. _Default:_ `[]`.
    pub header_auth_paths: Vec<String>,
    /// Token mode: every unsafe request must also carry the [`CsrfToken`](super::CsrfToken)
    /// of its browser, in the `X-CSRF-Token` header or as the first field of a
    /// urlencoded form; the token is bound to the browser's secret cookie and
    /// to its login session, and a login rotates it. Needs Rocket's
    /// `secret_key`. _Default:_ `false`.
    pub token: bool,
    /// `Report`: a request that would be refused goes on, logged and counted
    /// (see [`Mode`]). _Default:_ `Enforce`.
    pub mode: Mode,
}

impl Default for Csrf {
    fn default() -> Self {
        Csrf {
            enabled: true,
            trusted_origins: vec![],
            exempt: vec![],
            header_auth_paths: vec![],
            token: false,
            mode: Mode::Enforce,
        }
    }
}

impl Feature for Csrf {
    const KEY: &'static str = "csrf";

    fn build(&self, b: &mut Builder<'_>) {
        if self.enabled {
            b.report_mode("mode", self.mode, "CSRF protection");
        }
        let line = if self.enabled {
            format!(
                "CSRF: cross-origin unsafe requests refused (Sec-Fetch-Site, else Origin){}{}{}{}",
                if self.trusted_origins.is_empty() {
                    String::new()
                } else {
                    format!(", trusted {}", self.trusted_origins.join(", "))
                },
                if self.exempt.is_empty() { String::new() } else { format!(", exempt {}", self.exempt.join(", ")) },
                if self.header_auth_paths.is_empty() {
                    String::new()
                } else {
                    format!(", unchecked without cookies {}", self.header_auth_paths.join(", "))
                },
                if self.token { ", token required" } else { "" }
            ) + if self.mode.is_report() { " [report mode: nothing refused]" } else { "" }
        } else {
            if b.release {
                b.warn(
                    "security.W009",
                    "CSRF protection is off: forms can be submitted from other sites",
                    "set `security.csrf.enabled = true` (the default)",
                );
            }
            "CSRF: off".into()
        };
        b.summary.push(line);
    }
}
