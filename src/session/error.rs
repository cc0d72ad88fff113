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
    /// [`Sessions::login`](super::Sessions::login) refused a login: the user
    /// has `limit` live sessions already (`security.session.max_per_user`,
    /// with `on_limit = "refuse"`). No session was started and the user's
    /// other sessions go on; the handler should not set its login cookie.
    /// As a responder: `409 Conflict`.
    LimitReached {
        /// `security.session.max_per_user`.
        limit: u64,
    },
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::NoRegistry => f.write_str(
                "the session registry is off: set `security.session.enabled = true` and `registry = true`, \
                 with the security database attached",
            ),
            SessionError::Unavailable(e) => write!(f, "the session registry is unavailable: {e}"),
            SessionError::LimitReached { limit } => write!(
                f,
                "this account is signed in on {limit} session(s) already, the most allowed: sign out of one of them \
                 to sign in here"
            ),
        }
    }
}

impl std::error::Error for SessionError {}

/// A failed registry operation answers `503 Service Unavailable` (logged at
/// ERROR); a login refused by the session limit `409 Conflict` (logged at
/// INFO by [`Sessions::login`](super::Sessions::login) already).
impl<'r, 'o: 'r> rocket::response::Responder<'r, 'o> for SessionError {
    fn respond_to(self, _: &'r Request<'_>) -> rocket::response::Result<'o> {
        if let SessionError::LimitReached { .. } = self {
            return Err(rocket::http::Status::Conflict);
        }
        tracing::error!(target: "security", "{self}");
        Err(rocket::http::Status::ServiceUnavailable)
    }
}
