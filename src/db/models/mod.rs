//! The crate's Diesel models.

pub(crate) mod attempts;
pub(crate) mod csp;
pub(crate) mod groups;
pub(crate) mod password;
pub(crate) mod refusals;
pub(crate) mod sessions;

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};

/// A UTC time as stored: microsecond precision (MySQL `DATETIME(6)`, PostgreSQL
/// `TIMESTAMP`), so a value read back equals the value written.
pub(crate) fn stored(now: DateTime<Utc>) -> NaiveDateTime {
    now.naive_utc().trunc_subsecs(6)
}

pub(crate) use crate::db::record::truncate;

/// Update, else insert, else update again when another instance inserted
/// first: portable across the three backends (no upsert syntax, no
/// `RETURNING`). Both statements are `with_conn!` bodies over `$conn`.
macro_rules! update_or_insert {
    ($conn:expr, update: |$cu:ident| $update:expr, insert: |$ci:ident| $insert:expr $(,)?) => {{
        let mut outcome: Result<(), crate::db::pool::DbError> = Ok(());
        for attempt in 0..2 {
            match crate::db::pool::with_conn!($conn, |$cu| $update) {
                Ok(updated) if updated > 0 => break,
                Ok(_) => {}
                Err(e) => {
                    outcome = Err(e.into());
                    break;
                }
            }
            match crate::db::pool::with_conn!($conn, |$ci| $insert) {
                Ok(_) => break,
                Err(e) if crate::db::models::is_unique_violation(&e) && attempt == 0 => continue,
                Err(e) => {
                    outcome = Err(e.into());
                    break;
                }
            }
        }
        outcome
    }};
}
pub(crate) use update_or_insert;

/// Whether a query failed on a unique constraint (another instance won a race).
pub(crate) fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(e, diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _))
}

#[cfg(test)]
mod tests {
    use super::truncate;

    #[test]
    fn truncation_counts_characters_not_bytes() {
        assert_eq!(truncate(Some("héllo".into()), 2), Some("hé".into()));
        assert_eq!(truncate(Some("abc".into()), 5), Some("abc".into()));
        assert_eq!(truncate(None, 5), None);
    }
}
