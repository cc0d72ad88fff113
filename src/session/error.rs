//! [`SessionError`]: why a session operation failed.

use std::fmt;

use rocket::request::Request;

/// Why a session operation failed.
///
/// ```
/// use rocket_security::session::SessionError;
///
/// fn explain(e: &SessionError) -> String {
///     match e {
///         SessionError::NoRegistry => "sessions are not kept on the server".into(),
///         SessionError::Unavailable(why) => format!("try again later ({why})"),
///         _ => e.to_string(),
///     }
/// }
/// assert_eq!(explain(&SessionError::Unavailable("timeout".into())), "try again later (timeout)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionError {
    /// The registry is off (`security.session.registry = false` or session
    /// expiry disabled): sessions cannot be listed or ended on the server.
    NoRegistry,
    /// The security database could not answer; nothing was changed.
    Unavailable(String),
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::NoRegistry => f.write_str(
                "the session registry is off: set `security.session.enabled = true` and `registry = true`, \
                 with the security database attached",
            ),
            SessionError::Unavailable(e) => write!(f, "the session registry is unavailable: {e}"),
        }
    }
}

impl std::error::Error for SessionError {}

/// A failed registry operation answers `503 Service Unavailable`.
impl<'r, 'o: 'r> rocket::response::Responder<'r, 'o> for SessionError {
    fn respond_to(self, _: &'r Request<'_>) -> rocket::response::Result<'o> {
        tracing::error!(target: "security", "{self}");
        Err(rocket::http::Status::ServiceUnavailable)
    }
}
