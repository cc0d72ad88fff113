//! The `[security.auth]` and `[security.password]` tables.

use crate::core::feature::{Builder, Feature};
use crate::core::rollout::Mode;

/// The `[default.security.auth]` table; see the [module docs](super).
///
/// ```
/// use rocket::figment::Figment;
/// use rocket_security::SecurityConfig;
///
/// // Rocket.toml: [default.security.auth] login_url = "/signin"
/// let figment = Figment::from(rocket::Config::default()).merge(("security.auth.login_url", "/signin"));
/// let auth = SecurityConfig::from_figment(&figment).unwrap().auth;
/// assert_eq!(auth.login_url, "/signin");
/// assert_eq!(auth.next_field, "next");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Auth {
    /// The login page. _Default:_ `"/login"`.
    pub login_url: String,
    /// The query parameter carrying the target after login. _Default:_ `"next"`.
    pub next_field: String,
    /// Hosts an absolute `next` may name. _Default:_ `[]`.
    pub allowed_hosts: Vec<String>,
    /// Register the crate's 401 and 403 catchers at `/`, each only where the
    /// application registered no catcher of its own for that status (or a
    /// default one) at `/`; what is skipped is logged at ignite. They answer
    /// the crate's guards with their login redirects and every other 401 or
    /// 403 as Rocket's default catcher would. _Default:_ `true`.
    pub catchers: bool,
    /// Path patterns open to anonymous users when `require_login`. _Default:_ `[]`.
    pub allow: Vec<String>,
    /// Static file path patterns (exempt from login and password change). _Default:_ `[]`.
    pub static_paths: Vec<String>,
    /// The logout path (exempt from the password change). _Default:_ `"/logout"`.
    pub logout_url: String,
    /// `AjaxOnly` also accepts Fetch Metadata. _Default:_ `false`.
    pub ajax_fetch_metadata: bool,
    /// Deny-by-default (`Security::require_login`) in `Report` mode lets
    /// anonymous requests through, logged and counted (see [`Mode`]).
    /// _Default:_ `Enforce`.
    pub mode: Mode,
    /// [`AjaxOnly`](crate::AjaxOnly) in `Report` mode passes every request,
    /// logging and counting those it would refuse. _Default:_ `Enforce`.
    pub ajax_mode: Mode,
}

impl Default for Auth {
    fn default() -> Self {
        Auth {
            login_url: "/login".into(),
            next_field: "next".into(),
            allowed_hosts: vec![],
            catchers: true,
            allow: vec![],
            static_paths: vec![],
            logout_url: "/logout".into(),
            ajax_fetch_metadata: false,
            mode: Mode::Enforce,
            ajax_mode: Mode::Enforce,
        }
    }
}

impl Feature for Auth {
    const KEY: &'static str = "auth";

    fn build(&self, b: &mut Builder<'_>) {
        b.report_mode("mode", self.mode, "deny-by-default login (`require_login`)");
        b.report_mode("ajax_mode", self.ajax_mode, "AjaxOnly");
        b.summary.push(format!(
            "login at {}, open paths (with require_login): {}",
            self.login_url,
            self.allow.join(", ")
        ));
    }
}

/// The `[default.security.password]` table; see the [module docs](super).
///
/// ```
/// use rocket::figment::Figment;
/// use rocket_security::SecurityConfig;
///
/// // Rocket.toml: [default.security.password] max_age_days = 90
/// let figment = Figment::from(rocket::Config::default()).merge(("security.password.max_age_days", 90));
/// let password = SecurityConfig::from_figment(&figment).unwrap().password;
/// assert_eq!(password.max_age_days, 90);
/// assert_eq!(password.change_url, "/password/change");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordChange {
    /// The password-change page. _Default:_ `"/password/change"`.
    pub change_url: String,
    /// Days until a password expires after a change; `0`: never. _Default:_ `0`.
    pub max_age_days: u64,
    /// A user without a row must change at once. _Default:_ `false`.
    pub expire_new_users: bool,
    /// Superusers must change too. _Default:_ `false`.
    pub include_superusers: bool,
    /// Days before expiry that count as "expires soon". _Default:_ `7`.
    pub warn_days: u64,
    /// Admit users when the expiry cannot be read (logged at WARN) instead of
    /// answering `503`. _Default:_ `false`.
    pub fail_open: bool,
    /// `Report`: a user whose password expired goes on, logged and counted
    /// (see [`Mode`]). _Default:_ `Enforce`.
    pub mode: Mode,
}

impl Default for PasswordChange {
    fn default() -> Self {
        PasswordChange {
            change_url: "/password/change".into(),
            max_age_days: 0,
            expire_new_users: false,
            include_superusers: false,
            warn_days: 7,
            fail_open: false,
            mode: Mode::Enforce,
        }
    }
}

impl Feature for PasswordChange {
    const KEY: &'static str = "password";

    fn build(&self, b: &mut Builder<'_>) {
        b.report_mode("mode", self.mode, "the mandatory password change");
        b.summary.push(format!(
            "password change at {}, {}, new users {}",
            self.change_url,
            if self.max_age_days == 0 {
                "no rotation".to_string()
            } else {
                format!("rotation every {} days", self.max_age_days)
            },
            if self.expire_new_users { "must change at once" } else { "are not expired" }
        ));
        if b.release && self.fail_open {
            b.warn(
                "security.W015",
                "`security.password.fail_open = true`: while password expiry cannot be read, expired passwords are \
                 admitted",
                "set `security.password.fail_open = false` (the default: the guarded route answers 503)",
            );
        }
    }
}

impl PasswordChange {
    /// The policy for [`PasswordExpiry::get_or_create`](super::password_expiry::PasswordExpiry::get_or_create).
    ///
    /// ```
    /// use rocket_security::auth::PasswordChange;
    ///
    /// let password = PasswordChange { max_age_days: 90, ..PasswordChange::default() };
    /// let policy = password.expiry_policy();
    /// assert_eq!(policy.max_age, Some(chrono::Duration::days(90)));
    /// assert!(!policy.expire_new_users);
    /// ```
    #[cfg(feature = "db")]
    #[cfg_attr(docsrs, doc(cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))))]
    pub fn expiry_policy(&self) -> super::password_expiry::ExpiryPolicy {
        super::password_expiry::ExpiryPolicy {
            expire_new_users: self.expire_new_users,
            max_age: (self.max_age_days > 0).then(|| chrono::Duration::days(self.max_age_days.min(36_500) as i64)),
        }
    }
}
