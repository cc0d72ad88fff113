//! Password policy as a Rocket form validator, with django-security's
//! messages.

use std::borrow::Cow;

use rocket::form::{self, Error};

/// What a new password must contain.
///
/// ```
/// use rocket_security::auth::PasswordPolicy;
/// let policy = PasswordPolicy::default();
/// assert_eq!(policy.check("abc").unwrap_err(), vec![
///     "It must contain at least 12 characters.".to_string(),
///     "It must contain at least one uppercase letter.".to_string(),
///     "It must contain at least one decimal digit.".to_string(),
/// ]);
/// assert!(policy.check("Correct-Horse-7").is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// Minimum length in characters. _Default:_ `12` (the original: 6).
    pub min_length: usize,
    /// Maximum length in characters (password hashing cost). _Default:_ `128`.
    pub max_length: usize,
    /// Require a lowercase letter. _Default:_ `true`.
    pub lowercase: bool,
    /// Require an uppercase letter. _Default:_ `true`.
    pub uppercase: bool,
    /// Require a decimal digit. _Default:_ `true`.
    pub digit: bool,
    /// Require a character that is not a letter or digit. _Default:_ `false`.
    pub symbol: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy { min_length: 12, max_length: 128, lowercase: true, uppercase: true, digit: true, symbol: false }
    }
}

impl PasswordPolicy {
    /// Every rule `password` breaks, in the original's wording.
    ///
    /// ```
    /// use rocket_security::auth::PasswordPolicy;
    ///
    /// let policy = PasswordPolicy { symbol: true, ..PasswordPolicy::default() };
    /// assert_eq!(policy.check("Correct-Horse-7"), Ok(()));
    /// assert_eq!(policy.check("CorrectHorse77"), Err(vec!["It must contain at least one symbol.".to_string()]));
    /// ```
    pub fn check(&self, password: &str) -> Result<(), Vec<String>> {
        let mut errors = Vec::new();
        let len = password.chars().count();
        if len < self.min_length {
            errors.push(format!("It must contain at least {} characters.", self.min_length));
        }
        if len > self.max_length {
            errors.push(format!("It must contain at most {} characters.", self.max_length));
        }
        if self.lowercase && !password.chars().any(|c| c.is_ascii_lowercase()) {
            errors.push("It must contain at least one lowercase letter.".into());
        }
        if self.uppercase && !password.chars().any(|c| c.is_ascii_uppercase()) {
            errors.push("It must contain at least one uppercase letter.".into());
        }
        if self.digit && !password.chars().any(|c| c.is_ascii_digit()) {
            errors.push("It must contain at least one decimal digit.".into());
        }
        if self.symbol && !password.chars().any(|c| !c.is_alphanumeric()) {
            errors.push("It must contain at least one symbol.".into());
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// A form validator: `#[field(validate = password_policy(&POLICY))]`.
///
/// ```
/// use rocket::FromForm;
/// use rocket_security::auth::{password_policy, PasswordPolicy};
///
/// static POLICY: PasswordPolicy = PasswordPolicy {
///     min_length: 12, max_length: 128, lowercase: true, uppercase: true, digit: true, symbol: false,
/// };
///
/// #[derive(FromForm)]
/// struct Change<'r> {
///     #[field(validate = password_policy(&POLICY))]
///     new_password: &'r str,
/// }
/// ```
pub fn password_policy<'v, S: AsRef<str>>(value: &S, policy: &PasswordPolicy) -> form::Result<'v, ()> {
    match policy.check(value.as_ref()) {
        Ok(()) => Ok(()),
        Err(messages) => Err(messages.into_iter().map(|m| Error::validation(Cow::Owned(m))).collect::<Vec<_>>().into()),
    }
}

#[cfg(test)]
mod tests {
    use super::PasswordPolicy;

    #[test]
    fn the_originals_min_length_rule() {
        // django-security §7.12: min_length(6)("abcde") fails, ("abcdef") passes.
        let p =
            PasswordPolicy { min_length: 6, lowercase: false, uppercase: false, digit: false, ..Default::default() };
        assert_eq!(p.check("abcde").unwrap_err(), vec!["It must contain at least 6 characters.".to_string()]);
        assert!(p.check("abcdef").is_ok());
    }

    #[test]
    fn abc_breaks_three_rules_like_the_original() {
        let p = PasswordPolicy { min_length: 6, ..Default::default() };
        assert_eq!(
            p.check("abc").unwrap_err(),
            vec![
                "It must contain at least 6 characters.".to_string(),
                "It must contain at least one uppercase letter.".to_string(),
                "It must contain at least one decimal digit.".to_string()
            ]
        );
    }
}
