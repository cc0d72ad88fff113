//! Session expiry: an idle timeout and an absolute lifetime together, kept in
//! an encrypted cookie, for sessions the application keeps in its own cookies.
//!
//! ```toml
//! [default.security.session]
//! enabled = false              # Default: false (needs Rocket's `secret_key`)
//! cookies = ["user_id"]        # the application's login cookies: present = logged in,
//!                              # removed on expiry; Default: ["user_id"]
//! idle_timeout = 1800          # seconds without activity; Default: 1800 (30 min)
//! absolute_timeout = 28800     # seconds since login, activity or not; Default: 28800 (8 h)
//! refresh_interval = 60        # the activity stamp is rewritten at most this often; Default: 60
//! passive_paths = []           # polling paths: no activity, no expiry; Default: []
//! cookie_name = "security_session"   # Default: "security_session"
//! clear_site_data = false      # also send Clear-Site-Data: "cookies" on expiry; Default: false
//! status_path = "/security/session"  # JSON seconds left, for a client-side warning
//! ```
//!
//! The stamp holds two UTC integers (login time, last activity), encrypted and
//! authenticated with a key derived from Rocket's `secret_key`, which this
//! feature reads itself (so the crate does not force Rocket's `secrets`
//! feature), and bound to the login cookies' values. It is issued only on the
//! response that sets the login cookies (the login itself): a logged-in
//! request without a valid stamp for its cookies counts as expired
//! (`expired=unverified`), so deleting or swapping the stamp never opens a
//! fresh window. It is a browser-session cookie (no `Expires`): closing the
//! browser ends it. Anonymous visitors get no cookie at all, and within
//! `refresh_interval` no `Set-Cookie` is sent. Login cookies are removed with
//! `Path=/` (and `Secure` over HTTPS or for `__Secure-`/`__Host-` names).
//!
//! On expiry the request is answered before any handler runs: browsers get a
//! 303 to `login_url?next=…&expired=idle|absolute`, API clients a 401 with
//! JSON; the response removes the configured cookies and the stamp (set as
//! raw `Set-Cookie` headers, which Rocket keeps even on error responses), an
//! INFO line is logged (target `security`). On the login page and other open
//! paths the cookies are removed without a redirect.

pub(crate) mod config;
pub(crate) mod part;
pub(crate) mod stamp;

pub use config::SessionExpiry;
