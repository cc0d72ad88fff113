//! The crate's Diesel models.

pub(crate) mod attempts;
pub(crate) mod csp;
pub(crate) mod password;

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};

/// A UTC time as stored: microsecond precision (MySQL `DATETIME(6)`, PostgreSQL
/// `TIMESTAMP`), so a value read back equals the value written.
pub(crate) fn stored(now: DateTime<Utc>) -> NaiveDateTime {
    now.naive_utc().trunc_subsecs(6)
}

pub(crate) use crate::reports::record::truncate;

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
