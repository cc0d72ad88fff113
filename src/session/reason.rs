//! Why a session ended on the server: the reasons the registry records, and
//! the words a sessions page and the logs show for them.

/// The reason recorded for a session the session limit ended, before `:N`
/// (`session_limit:2`: `max_per_user` was 2).
pub(crate) const SESSION_LIMIT: &str = "session_limit";

/// The reason recorded for a session the limit `max` ended: `session_limit:N`.
pub(crate) fn session_limit(max: u64) -> String {
    format!("{SESSION_LIMIT}:{max}")
}

/// What a refusal says of a session the registry does not have (never
/// issued, or pruned since it ended).
pub(crate) const UNKNOWN: &str = "unknown";

/// The words for the recorded reason `code`: `ended: ...`.
pub(crate) fn explain(code: &str) -> String {
    let words = match code {
        "logout" => "signed out",
        "revoked" => "signed out from another session",
        "revoked_others" => "every other session was signed out (from another session, or a password change)",
        "revoked_all" => "every session of the account was signed out",
        "replaced" => "a new login in the same browser replaced it",
        "idle" => "the idle timeout passed",
        "absolute" => "the session reached its longest lifetime",
        UNKNOWN => "not in the registry (never issued, or pruned since it ended)",
        other => match other.strip_prefix(SESSION_LIMIT).and_then(|n| n.strip_prefix(':')) {
            Some(n) if is_session_limit(other) => {
                return format!("ended: the session limit ({n}) was reached at a later login");
            }
            // Any text `SessionRecord::revoke` was given: quoted, so that it reads as one value in a log line.
            _ => return format!("ended: {other:?}"),
        },
    };
    format!("ended: {words}")
}

/// Whether `code` records an end by the session limit (`session_limit:N`).
pub(crate) fn is_session_limit(code: &str) -> bool {
    let n = code.strip_prefix(SESSION_LIMIT).and_then(|rest| rest.strip_prefix(':'));
    n.is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_limit_end_names_the_limit() {
        assert_eq!(explain("session_limit:2"), "ended: the session limit (2) was reached at a later login");
        assert!(is_session_limit("session_limit:2"));
        assert!(!is_session_limit("session_limits"));
        assert!(!is_session_limit("session_limit:2&next=//evil.example"), "only digits go into a login URL");
    }

    #[test]
    fn every_recorded_reason_has_words() {
        assert_eq!(explain("logout"), "ended: signed out");
        assert_eq!(explain("idle"), "ended: the idle timeout passed");
        assert_eq!(explain("something new"), r#"ended: "something new""#);
        assert_eq!(explain("x\nINFO forged"), r#"ended: "x\nINFO forged""#, "one log line, whatever the reason");
        assert_eq!(explain("session_limit:"), r#"ended: "session_limit:""#, "no limit without digits");
    }
}
