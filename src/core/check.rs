//! Deploy-check findings: what a feature notices at ignite about a
//! configuration that is valid but weak, in the spirit of Django's
//! `manage.py check --deploy`. Each finding has a stable id, a severity and
//! the fix.

use std::fmt;

/// How serious a [`Finding`] is.
///
/// ```
/// use rocket_security::core::Severity;
/// assert!(Severity::Warning > Severity::Info);
/// assert_eq!(Severity::Warning.to_string(), "warning");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Advice: logged at INFO, never aborts a launch.
    Info,
    /// A weakness of this deployment: logged at WARN;
    /// [`deploy_check(true)`](crate::Security::deploy_check) aborts the launch.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
        })
    }
}

/// One deploy-check finding: a stable id (`security.W004`), a severity, what
/// is wrong and how to fix it.
///
/// The ids are listed in the README ("Deploy checks"); an id never changes
/// meaning, so a team can track or silence one.
///
/// ```
/// # rocket::async_test(async {
/// use rocket_security::core::Severity;
/// let figment = rocket::figment::Figment::from(rocket::Config::release_default())
///     .merge(("security.hsts.enabled", false));
/// let findings = rocket_security::Security::fairing().findings(&figment).unwrap();
/// let hsts = findings.iter().find(|f| f.id() == "security.W002").unwrap();
/// assert_eq!(hsts.severity(), Severity::Warning);
/// assert!(hsts.fix().contains("security.hsts.enabled"));
/// # });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    id: &'static str,
    severity: Severity,
    message: String,
    fix: String,
}

impl Finding {
    /// A [`Severity::Warning`] finding.
    pub(crate) fn warning(id: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Finding {
        Finding { id, severity: Severity::Warning, message: message.into(), fix: fix.into() }
    }

    /// A [`Severity::Info`] finding.
    pub(crate) fn info(id: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Finding {
        Finding { id, severity: Severity::Info, message: message.into(), fix: fix.into() }
    }

    /// W025: the control `what`, configured by `key`, is left in report mode.
    pub(crate) fn report_mode(key: &str, what: &str) -> Finding {
        Finding::warning(
            "security.W025",
            format!("`{key} = \"report\"`: {what} only watches; the requests it would refuse go through"),
            format!(
                "set `{key} = \"enforce\"` once the dashboard's \"would have refused\" table shows only what you \
                 want refused"
            ),
        )
    }

    /// The stable id, e.g. `security.W002`.
    ///
    /// ```
    /// # let figment = rocket::figment::Figment::from(rocket::Config::release_default());
    /// # let findings = rocket_security::Security::fairing().findings(&figment).unwrap();
    /// assert!(findings.iter().all(|f| f.id().starts_with("security.")));
    /// ```
    pub fn id(&self) -> &'static str {
        self.id
    }

    /// How serious it is.
    ///
    /// ```
    /// # let figment = rocket::figment::Figment::from(rocket::Config::release_default());
    /// # let findings = rocket_security::Security::fairing().findings(&figment).unwrap();
    /// assert!(findings.iter().any(|f| f.severity() == rocket_security::core::Severity::Warning));
    /// ```
    pub fn severity(&self) -> Severity {
        self.severity
    }

    /// What is wrong.
    ///
    /// ```
    /// # let figment = rocket::figment::Figment::from(rocket::Config::release_default());
    /// # let findings = rocket_security::Security::fairing().findings(&figment).unwrap();
    /// assert!(findings.iter().all(|f| !f.message().is_empty()));
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }

    /// How to fix it (a setting to change, usually).
    ///
    /// ```
    /// # let figment = rocket::figment::Figment::from(rocket::Config::release_default());
    /// # let findings = rocket_security::Security::fairing().findings(&figment).unwrap();
    /// assert!(findings.iter().all(|f| !f.fix().is_empty()));
    /// ```
    pub fn fix(&self) -> &str {
        &self.fix
    }
}

/// `security.W002 (warning): HSTS is disabled ...; fix: ...`
impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}; fix: {}", self.id, self.severity, self.message, self.fix)
    }
}
