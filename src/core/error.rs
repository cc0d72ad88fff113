//! Configuration errors: what is wrong, where, and how to fix it.

use std::fmt;

/// One invalid configuration value.
///
/// `key` is the full dotted key as written in `Rocket.toml`, below the profile
/// (for example `security.hsts.max_age`); the message says what is allowed.
///
/// ```
/// use rocket_security::SecurityConfig;
/// use rocket_security::core::ConfigError;
/// use rocket::figment::Figment;
///
/// let figment = Figment::from(rocket::Config::default())
///     .merge(("security.hsts.maxage", 10));
/// let errors = SecurityConfig::from_figment(&figment).unwrap_err();
/// assert_eq!(errors[0].key, "security.hsts.maxage");
/// assert!(errors[0].to_string().contains("did you mean `max_age`"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The full key, e.g. `security.hsts.max_age`.
    pub key: String,
    /// What is wrong and what would be accepted.
    pub message: String,
}

impl ConfigError {
    pub(crate) fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError { key: key.into(), message: message.into() }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.key, self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Every problem found in one configuration, so a launch reports them all at once.
///
/// ```
/// use rocket::figment::Figment;
/// use rocket_security::core::ConfigErrors;
/// use rocket_security::SecurityConfig;
///
/// let figment = Figment::from(rocket::Config::default())
///     .merge(("security.hsts.max_age", -1))
///     .merge(("security.auth.login_url", "login"));
/// let errors: ConfigErrors = SecurityConfig::from_figment(&figment).unwrap_err();
/// assert_eq!(errors.len(), 2);
/// assert!(errors.to_string().starts_with("invalid security configuration\n  `security.hsts.max_age`"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    /// The error for `key`, if there is one.
    ///
    /// ```
    /// use rocket::figment::Figment;
    /// use rocket_security::SecurityConfig;
    ///
    /// let figment = Figment::from(rocket::Config::default()).merge(("security.auth.login_url", "login"));
    /// let errors = SecurityConfig::from_figment(&figment).unwrap_err();
    /// assert!(errors.for_key("security.auth.login_url").unwrap().message.contains("not a local path"));
    /// assert_eq!(errors.for_key("security.hsts.max_age"), None);
    /// ```
    pub fn for_key(&self, key: &str) -> Option<&ConfigError> {
        self.0.iter().find(|e| e.key == key)
    }
}

impl std::ops::Deref for ConfigErrors {
    type Target = [ConfigError];
    fn deref(&self) -> &[ConfigError] {
        &self.0
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid security configuration")?;
        for e in &self.0 {
            write!(f, "\n  {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}
