//! The policies the site sends, shared by every instance: what a report's
//! `original-policy` is checked against (see `csp::fingerprint`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::models::{stored, update_or_insert};
use crate::db::pool::{with_conn, DbError, SecurityConn};
use crate::db::schema::security_csp_policies::dsl as p;

/// Most policies read back (a site sends a handful; per-route overrides a few more).
pub(crate) const MAX_POLICIES: i64 = 10_000;

/// One policy a site instance sent: its fingerprint, `enforce` or `report`,
/// and its normalised text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SitePolicy {
    pub(crate) fingerprint: String,
    pub(crate) disposition: String,
    pub(crate) policy: String,
}

impl SitePolicy {
    /// Records that this instance sends `self` (now): a new row, or a later `last_seen`.
    pub(crate) async fn record(&self, conn: &mut SecurityConn, now: DateTime<Utc>) -> Result<(), DbError> {
        let at = stored(now);
        let (fp, disposition, policy) = (self.fingerprint.as_str(), self.disposition.as_str(), self.policy.as_str());
        update_or_insert!(
            conn,
            update: |c| diesel::update(p::security_csp_policies.filter(p::fingerprint.eq(fp)).filter(p::disposition.eq(disposition)))
                .set(p::last_seen.eq(at))
                .execute(c)
                .await,
            insert: |c| diesel::insert_into(p::security_csp_policies)
                .values((
                    p::fingerprint.eq(fp),
                    p::disposition.eq(disposition),
                    p::policy.eq(policy),
                    p::first_seen.eq(at),
                    p::last_seen.eq(at),
                ))
                .execute(c)
                .await,
        )
    }

    /// Every recorded (fingerprint, disposition), most recently seen first.
    pub(crate) async fn fingerprints(conn: &mut SecurityConn) -> Result<Vec<(String, String)>, DbError> {
        let rows = with_conn!(conn, |c| {
            p::security_csp_policies
                .order(p::last_seen.desc())
                .select((p::fingerprint, p::disposition))
                .limit(MAX_POLICIES)
                .load(c)
                .await
        })?;
        Ok(rows)
    }

    /// Deletes the policies no instance has sent since `before`.
    pub(crate) async fn prune(conn: &mut SecurityConn, before: DateTime<Utc>) -> Result<usize, DbError> {
        let before = stored(before);
        let n = with_conn!(conn, |c| diesel::delete(p::security_csp_policies.filter(p::last_seen.lt(before)))
            .execute(c)
            .await)?;
        Ok(n)
    }
}
