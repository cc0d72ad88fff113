//! [`SecurityUser`]: how the crate sees the application's user type.

/// Connects the application's user type to the crate.
///
/// ```
/// use rocket_security::SecurityUser;
///
/// struct User { id: i64, active: bool, admin: bool }
///
/// impl SecurityUser for User {
///     fn security_id(&self) -> String { self.id.to_string() }
///     fn is_active(&self) -> bool { self.active }
///     fn is_superuser(&self) -> bool { self.admin }
/// }
/// ```
pub trait SecurityUser {
    /// A stable identifier (integer id, UUID, username), at most 191 characters.
    fn security_id(&self) -> String;
    /// Inactive users count as logged out. _Default:_ `true`.
    fn is_active(&self) -> bool {
        true
    }
    /// Superusers skip mandatory password changes unless `include_superusers`. _Default:_ `false`.
    fn is_superuser(&self) -> bool {
        false
    }
}
