//! The counters the collector's batches add to: batch ids, reports per hour
//! and per group and day, written as one script of upserts.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};

use crate::db::models::{hex_literal, stored, truncated};
use crate::db::pool::DbError;

/// (group hash, arrival, reports) summed per group and UTC day.
pub(crate) fn per_day(arrivals: &[(String, DateTime<Utc>, i64)]) -> BTreeMap<(&str, NaiveDateTime), i64> {
    let mut days = BTreeMap::new();
    for (hash, at, n) in arrivals {
        *days.entry((hash.as_str(), truncated(*at, TimeDelta::days(1)))).or_default() += n;
    }
    days
}

/// The statements recording a batch's `ids` and adding its reports per hour
/// and per group and day, as one script of upserts (`ON CONFLICT` on SQLite
/// and PostgreSQL, `ON DUPLICATE KEY` on MySQL). Keys are unique within each
/// map, so no statement touches a row twice.
pub(crate) fn counts_sql(
    backend: crate::db::pool::Backend,
    ids: &[String],
    hours: &BTreeMap<NaiveDateTime, i64>,
    days: &BTreeMap<(&str, NaiveDateTime), i64>,
) -> Result<String, DbError> {
    use crate::db::pool::Backend;
    for id in ids {
        hex_literal(id, 32, "batch id")?;
    }
    for (hash, _) in days.keys() {
        hex_literal(hash, 64, "group hash")?;
    }
    // The format diesel writes timestamps in on SQLite (whole seconds here), read by all three.
    let time = |t: &NaiveDateTime| t.format("%Y-%m-%d %H:%M:%S").to_string();
    let add = |table: &str, key: &str| match backend {
        Backend::Mysql => " ON DUPLICATE KEY UPDATE hits = hits + VALUES(hits)".to_string(),
        _ => format!(" ON CONFLICT ({key}) DO UPDATE SET hits = {table}.hits + excluded.hits"),
    };
    let now = time(&stored(Utc::now()));
    let mut sql = String::new();
    if !ids.is_empty() {
        let values: Vec<String> = ids.iter().map(|id| format!("('{id}', '{now}')")).collect();
        sql.push_str(&format!("INSERT INTO security_csp_batches (id, applied_at) VALUES {};", values.join(", ")));
    }
    if !hours.is_empty() {
        let values: Vec<String> = hours.iter().map(|(h, n)| format!("('{}', {n})", time(h))).collect();
        sql.push_str(&format!(
            "INSERT INTO security_csp_hourly (hour, hits) VALUES {}{};",
            values.join(", "),
            add("security_csp_hourly", "hour")
        ));
    }
    if !days.is_empty() {
        let values: Vec<String> = days.iter().map(|((g, d), n)| format!("('{g}', '{}', {n})", time(d))).collect();
        sql.push_str(&format!(
            "INSERT INTO security_csp_group_days (group_hash, day, hits) VALUES {}{};",
            values.join(", "),
            add("security_csp_group_days", "group_hash, day")
        ));
    }
    Ok(sql)
}
