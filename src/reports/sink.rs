//! The database sink: a bounded queue and one writer task that batches
//! reports by violation key, so the endpoint never waits for the database.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rocket::tokio::sync::{mpsc, Notify};

use super::queue::{batch_of, lock, Item, Overflow, Queue, SharedSpool};
use super::spool::{Next, Spool, SpoolError, SpooledBatch, SpooledBrowserGroup, SpooledGroup};
use super::state::CollectorState;
use super::stats::{Counters, DropReason};
use super::store::violations::{BatchGroup, BatchOutcome, BrowserPart};
use crate::db::{SecurityConn, SecurityPool};
use crate::reports::{BrowserReportRow, CspViolation};

/// Most reports written in one batch.
const BATCH: usize = 2_000;

/// Most keys the writer remembers as "row and samples complete" (per process).
const KNOWN: usize = 50_000;

/// The writer's own state: its connection, and the key hashes whose row
/// exists and whose samples are complete, so another report costs a share of
/// one `UPDATE`.
#[derive(Default)]
struct Writer {
    conn: Option<SecurityConn>,
    /// Batches the database could not take, waiting on disk (with `spool`);
    /// the queue's overflow appends to it too.
    spool: Option<SharedSpool>,
    /// After a failure the database is tried again from then on, not before:
    /// meanwhile batches go straight to the spool, so an outage that makes
    /// each attempt wait (a locked SQLite file, a server that does not
    /// answer) never slows the writer to one attempt per batch.
    retry_at: Option<std::time::Instant>,
    /// Failed attempts in a row: the wait before the next one doubles, up to 30 s.
    failures: u32,
    /// The application is stopping: no waiting on the database, the spool takes the rest.
    closing: bool,
    /// The last replay of merged records was refused: records go one at a time,
    /// so a record the database refuses is found and the others are stored.
    single: bool,
    /// Times the spool's first record was refused on its own.
    head_refusals: u32,
    known: HashSet<String>,
    /// When retention last ran (per process; every instance prunes).
    pruned: Option<std::time::Instant>,
    /// When `max_violations` was last applied.
    capped: Option<std::time::Instant>,
}

/// `max_violations` is applied at most this often per writer.
const CAP_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Retention runs at most this often per writer.
const PRUNE_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Starts the writer for `state` on the current runtime.
pub(crate) fn start(state: &Arc<CollectorState>, pool: SecurityPool) {
    let (tx, rx) = mpsc::channel(state.config.queue_size);
    let shutdown = Arc::new(Notify::new());
    let spool = state.spool.lock().unwrap_or_else(|e| e.into_inner()).take().map(|s| Arc::new(Mutex::new(s)));
    let wake = Arc::new(Notify::new());
    let overflow = spool.clone().map(|spool| Overflow { items: Mutex::new(Vec::new()), spool, wake: wake.clone() });
    let w = Writer { spool, ..Writer::default() };
    let writer = rocket::tokio::spawn(run(state.clone(), pool, rx, shutdown.clone(), wake, w));
    let _ = state.queue.set(Queue { tx, shutdown, writer: std::sync::Mutex::new(Some(writer)), overflow });
}

/// What the queue's overflow holds, for the writer.
fn overflow(state: &CollectorState) -> Vec<Item> {
    state.queue.get().and_then(|q| q.overflow.as_ref()).map(Overflow::take).unwrap_or_default()
}

/// Stops taking reports, writes what is queued, and waits (bounded) for it.
pub(crate) async fn flush_and_stop(state: &CollectorState, limit: Duration) {
    // Requests already past the door finish first: what they answered 204 for is queued.
    state.close(limit.min(Duration::from_secs(3))).await;
    let Some(q) = state.queue.get() else { return };
    q.shutdown.notify_one();
    let writer = q.writer.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(mut w) = writer {
        let before = state.counters.stored.load(Ordering::Relaxed);
        if rocket::tokio::time::timeout(limit, &mut w).await.is_ok() {
            let n = state.counters.stored.load(Ordering::Relaxed).saturating_sub(before);
            tracing::info!(target: "security", "CSP report queue flushed at shutdown: {n} report(s) written");
        } else {
            // Stopped, so that nothing it still holds is counted twice.
            w.abort();
            // Whatever is still queued is lost: count it, so nothing goes unaccounted.
            let left = state.counters.queued.swap(0, Ordering::Relaxed);
            state.counters.drop(DropReason::ShuttingDown, left);
            tracing::error!(target: "security", "CSP report queue not flushed within {limit:?}: {left} report(s) dropped");
        }
    }
}

async fn run(
    state: Arc<CollectorState>,
    pool: SecurityPool,
    mut rx: mpsc::Receiver<Item>,
    shutdown: Arc<Notify>,
    wake: Arc<Notify>,
    mut w: Writer,
) {
    // The writer keeps one connection checked out: rocket_db_pools closes the
    // pool at shutdown, concurrently with the final flush, and a checked-out
    // connection stays usable.
    loop {
        // While the spool holds batches, the database is tried again every second.
        let waiting = w.spool.as_ref().is_some_and(|s| {
            let s = lock(s);
            s.pending() > 0 || s.bytes() > 0
        });
        let first = rocket::tokio::select! {
            item = rx.recv() => match item { Some(i) => Some(i), None => break },
            // The queue was full: its overflow waits.
            _ = wake.notified() => None,
            _ = rocket::tokio::time::sleep(RETRY), if waiting => {
                replay(&state, &pool, &mut w).await;
                continue;
            }
            _ = shutdown.notified() => {
                rx.close();
                w.closing = true;
                // Drain what is left, then stop.
                let mut rest = Vec::new();
                while let Ok(i) = rx.try_recv() {
                    rest.push(i);
                    if rest.len() == BATCH {
                        write(&state, &pool, &mut w, std::mem::take(&mut rest)).await;
                    }
                }
                rest.extend(overflow(&state));
                write(&state, &pool, &mut w, rest).await;
                return;
            }
        };
        let mut batch: Vec<Item> = first.into_iter().collect();
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(i) => batch.push(i),
                Err(_) => break,
            }
        }
        // After the queue: what overflowed arrived after it (at most OVERFLOW_BATCH more).
        batch.extend(overflow(&state));
        write(&state, &pool, &mut w, batch).await;
    }
}

async fn write(state: &CollectorState, pool: &SecurityPool, w: &mut Writer, batch: Vec<Item>) {
    let n = batch.len() as u64;
    let empty = batch.is_empty();
    store(state, pool, w, batch).await;
    if !empty {
        retain(state, w).await;
    }
    // Only now: while a batch is written its reports still count as queued, so
    // accepted = stored + dropped + queued holds at every instant.
    // Saturating: a flush that timed out at shutdown has already counted these.
    let _ = state.counters.queued.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |q| Some(q.saturating_sub(n)));
}

/// Applies `max_violations`, then `retention_days`: deletes the violations
/// not seen since the cutoff.
/// A violation the writer still knows is recorded afresh when it reappears.
async fn retain(state: &CollectorState, w: &mut Writer) {
    cap(state, w).await;
    if w.pruned.is_some_and(|t| t.elapsed() < PRUNE_EVERY) {
        return;
    }
    let Some(conn) = w.conn.as_mut() else { return };
    w.pruned = Some(std::time::Instant::now());
    let now = state.clock.now();
    // Batch ids matter while a spooled batch may still come back: a week.
    if let Err(e) = CspViolation::prune_batches(conn, now - chrono::Duration::days(7)).await {
        tracing::warn!(target: "security", "CSP report batch ids not pruned: {e}");
    }
    // The sparklines show at most the last SPARKLINE_DAYS days.
    let oldest = now - chrono::Duration::days(super::dashboard::groups::SPARKLINE_DAYS as i64);
    if let Err(e) = crate::reports::ViolationGroup::prune_days(conn, oldest).await {
        tracing::warn!(target: "security", "CSP report daily counts not pruned: {e}");
    }
    if let Err(e) = BrowserReportRow::prune_days(conn, oldest).await {
        tracing::warn!(target: "security", "browser report daily counts not pruned: {e}");
    }
    let days = state.config.retention_days;
    if days == 0 {
        return;
    }
    let cutoff = now - chrono::Duration::days(days as i64);
    match CspViolation::prune(conn, cutoff).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(target: "security", "CSP reports: {n} violation(s) not seen for {days} days deleted"),
        Err(e) => tracing::warn!(target: "security", "CSP reports not pruned: {e}"),
    }
    match BrowserReportRow::prune(conn, cutoff).await {
        Ok(0) => {}
        Ok(n) => {
            // A deleted row that comes back takes samples again.
            w.known.clear();
            tracing::info!(target: "security", "browser reports: {n} row(s) not seen for {days} days deleted")
        }
        Err(e) => tracing::warn!(target: "security", "browser reports not pruned: {e}"),
    }
}

/// Applies `max_violations`: the least recently seen violations beyond it go.
async fn cap(state: &CollectorState, w: &mut Writer) {
    let keep = state.config.max_violations;
    if keep == 0 || w.capped.is_some_and(|t| t.elapsed() < CAP_EVERY) {
        return;
    }
    let Some(conn) = w.conn.as_mut() else { return };
    w.capped = Some(std::time::Instant::now());
    match CspViolation::cap(conn, keep).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            target: "security",
            "CSP reports: {n} least recently seen violation(s) deleted (max_violations = {keep})"
        ),
        Err(e) => tracing::warn!(target: "security", "CSP reports not capped: {e}"),
    }
    match BrowserReportRow::cap(conn, keep).await {
        Ok(0) => {}
        Ok(n) => {
            // A deleted row that comes back takes samples again.
            w.known.clear();
            tracing::info!(
                target: "security",
                "browser reports: {n} least recently seen row(s) deleted (max_violations = {keep})"
            )
        }
        Err(e) => tracing::warn!(target: "security", "browser reports not capped: {e}"),
    }
}

/// Writes one batch: after what the spool holds (in order), in one
/// transaction with a fresh batch id; when the database cannot answer (or
/// the commit's outcome is unknown) the batch goes to the spool, id kept.
async fn store(state: &CollectorState, pool: &SecurityPool, w: &mut Writer, batch: Vec<Item>) {
    if batch.is_empty() {
        return;
    }
    let batch = batch_of(batch);
    let waiting = w.spool.as_ref().is_some_and(|s| lock(s).bytes() > 0);
    // Stopping: older batches are not replayed now (the next start does), this one follows them.
    let stopping = w.closing && waiting;
    if w.spool.is_some() && (stopping || !replay(state, pool, w).await) {
        // Older batches wait: this one goes after them.
        return spool(state, w, batch);
    }
    let ids = std::slice::from_ref(&batch.id);
    let outcome = if w.closing && w.spool.is_some() {
        // Bounded: a database that hangs now leaves the batch to the spool (its id
        // makes a commit that did happen count once).
        match rocket::tokio::time::timeout(SHUTDOWN_ATTEMPT, apply(state, pool, w, ids, &batch.groups, &batch.browser))
            .await
        {
            Ok(outcome) => outcome,
            Err(_) => {
                w.conn = None;
                Applied::Unavailable(crate::db::DbError::Unavailable("no answer while shutting down".into()))
            }
        }
    } else {
        apply(state, pool, w, ids, &batch.groups, &batch.browser).await
    };
    match outcome {
        Applied::Stored => {
            w.failures = 0;
            Counters::add(&state.counters.stored, batch.reports());
        }
        Applied::Unavailable(e) => {
            tracing::warn!(target: "security", "the database cannot take {} CSP report(s) now: {e}", batch.reports());
            backoff(w);
            spool(state, w, batch);
        }
        Applied::Refused(e) => {
            tracing::warn!(target: "security", "{} CSP report(s) dropped: {e}", batch.reports());
            state.counters.drop(DropReason::DatabaseError, batch.reports());
        }
    }
}

/// How often a writer whose spool holds batches looks at the database (each
/// failure doubles the wait, up to [`MAX_BACKOFF`]).
const RETRY: Duration = Duration::from_secs(1);

/// The longest wait between two attempts while the database cannot answer.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The time one batch may take while the application stops.
const SHUTDOWN_ATTEMPT: Duration = Duration::from_secs(2);

/// After a failed attempt: the next one waits 1 s, 2 s, 4 s ... up to 30 s.
fn backoff(w: &mut Writer) {
    w.failures = w.failures.saturating_add(1);
    let wait = RETRY.saturating_mul(1 << (w.failures - 1).min(5)).min(MAX_BACKOFF);
    w.retry_at = Some(std::time::Instant::now() + wait);
}

/// What became of a batch.
enum Applied {
    /// Committed now or by an earlier attempt.
    Stored,
    /// The database did not answer, or not whether it committed: try again later.
    Unavailable(crate::db::DbError),
    /// The database refused it.
    Refused(crate::db::DbError),
}

/// Applies `groups` with the batch `ids` they came in (three attempts: a race
/// with another instance inserting the same new key, or a row deleted
/// meanwhile, makes an attempt fail).
async fn apply(
    state: &CollectorState,
    pool: &SecurityPool,
    w: &mut Writer,
    ids: &[String],
    groups: &[SpooledGroup],
    browser: &[SpooledBrowserGroup],
) -> Applied {
    let mut last = None;
    // Each group's reports on the day they arrived (the sparklines), the same for every attempt.
    let days: Vec<_> = groups.iter().map(|g| (g.key.group_hash(), g.at, g.hits)).collect();
    for attempt in 0..3 {
        let conn = match connection(pool, &mut w.conn).await {
            Ok(conn) => conn,
            Err(e) => return Applied::Unavailable(e),
        };
        if attempt > 0 {
            // The failed attempt may have committed after all (an error the
            // driver reports late): then its ids are there.
            match CspViolation::applied_batches(conn, ids).await {
                Ok(applied) if applied.len() == ids.len() => return Applied::Stored,
                Ok(_) => {}
                Err(e) if e.is_unavailable() => {
                    w.conn = None;
                    return Applied::Unavailable(e);
                }
                Err(e) => last = Some(e),
            }
        }
        let hashes: Vec<String> = groups.iter().map(|g| g.key.hash()).collect();
        let mut fast = vec![];
        let mut full = vec![];
        for (g, hash) in groups.iter().zip(&hashes) {
            if w.known.contains(hash) {
                fast.push((hash.clone(), g.hits, g.at));
            } else {
                full.push(BatchGroup { key: &g.key, hits: g.hits, sample: &g.report, at: g.at });
            }
        }
        match CspViolation::apply_batch(
            conn,
            ids,
            &fast,
            &full,
            &days,
            BrowserPart { groups: browser, known: Some(&w.known) },
            state.config.samples,
        )
        .await
        {
            Ok(BatchOutcome::Applied { samples_full }) => {
                if w.known.len() + samples_full.len() >= KNOWN {
                    w.known.clear();
                }
                w.known.extend(samples_full);
                return Applied::Stored;
            }
            // A row of the fast path is gone: every key of the batch takes the full path.
            Ok(BatchOutcome::Missing) => {
                for (hash, _, _) in &fast {
                    w.known.remove(hash);
                }
            }
            Err(e) if e.is_unavailable() => {
                // A fresh connection next time (the pool verifies it).
                w.conn = None;
                return Applied::Unavailable(e);
            }
            Err(e) => {
                w.conn = None;
                last = Some(e);
            }
        }
    }
    match last {
        Some(e) => Applied::Refused(e),
        None => Applied::Refused(crate::db::DbError::Unavailable("the batch could not be applied".into())),
    }
}

/// The writer's connection (`held`), taken from `pool` when it has none.
async fn connection<'w>(
    pool: &SecurityPool,
    held: &'w mut Option<SecurityConn>,
) -> Result<&'w mut SecurityConn, crate::db::DbError> {
    if held.is_none() {
        *held = Some(pool.conn().await?);
    }
    held.as_mut().ok_or_else(|| crate::db::DbError::Unavailable("no connection".into()))
}

/// Keeps `batch` on disk for later; without a spool (or beyond its bound) it is dropped, counted.
fn spool(state: &CollectorState, w: &mut Writer, batch: SpooledBatch) {
    let c = &state.counters;
    let n = batch.reports();
    let Some(shared) = w.spool.as_ref() else {
        return c.drop(DropReason::DatabaseUnavailable, n);
    };
    let mut spool = lock(shared);
    match spool.append(&batch) {
        Ok(()) => {}
        Err(SpoolError::Full) => {
            tracing::warn!(target: "security", "{n} CSP report(s) dropped: the spool is full (spool_max_bytes)");
            c.drop(DropReason::SpoolFull, n);
        }
        Err(e) => {
            tracing::error!(target: "security", "{n} CSP report(s) dropped: the spool cannot be written: {e}");
            c.drop(DropReason::DatabaseUnavailable, n);
        }
    }
    publish_spool(state, &spool);
}

/// The spool's gauges as the counters show them (the spool is their one source).
pub(crate) fn publish_spool(state: &CollectorState, spool: &Spool) {
    spool.publish(&state.counters);
}

/// Most spooled records one replay transaction merges.
const REPLAY_RECORDS: usize = 256;

/// Stores what the spool holds, oldest first, until it is empty (`true`) or
/// the database cannot answer (`false`). Consecutive records are merged into
/// one transaction (up to a batch's worth of reports) with all their ids;
/// records whose id is already in the database (committed by an attempt whose
/// outcome was unknown) count as stored and are not applied again.
async fn replay(state: &CollectorState, pool: &SecurityPool, w: &mut Writer) -> bool {
    let c = &state.counters;
    if w.retry_at.is_some_and(|t| std::time::Instant::now() < t) {
        return w.spool.as_ref().is_none_or(|s| lock(s).bytes() == 0);
    }
    let Some(shared) = w.spool.clone() else { return true };
    loop {
        let limit = if w.single { 1 } else { REPLAY_RECORDS };
        // Read ahead: the records to merge, and where they end (the lock is not held across an await).
        let (at, records, reports, skipped, corrupt) = {
            let mut spool = lock(&shared);
            let (mut at, mut records, mut reports) = (spool.offset(), Vec::new(), 0u64);
            let (mut skipped, mut corrupt) = (0u64, 0u64);
            while records.len() < limit && reports < BATCH as u64 {
                match spool.read(at) {
                    Ok(None) => break,
                    Ok(Some(Next::Batch { batch, reports: n, end })) => {
                        records.push(batch);
                        reports += n;
                        at = end;
                    }
                    Ok(Some(Next::Corrupt { reports: n, end })) => {
                        // Damaged since the start (what the start found was moved aside and counted
                        // then); counted once it is consumed.
                        skipped += n;
                        corrupt += 1;
                        at = end;
                    }
                    Err(e) => {
                        tracing::error!(target: "security", "the CSP report spool cannot be read: {e}");
                        return false;
                    }
                }
            }
            if at == spool.offset() {
                return true;
            }
            (at, records, reports, skipped, corrupt)
        };
        let mut refused = 0;
        if !records.is_empty() {
            let merged_records = records.len();
            let ids: Vec<String> = records.iter().map(|r| r.id.clone()).collect();
            let applied = match connection(pool, &mut w.conn).await {
                Ok(conn) => CspViolation::applied_batches(conn, &ids).await,
                Err(_) => {
                    backoff(w);
                    return false;
                }
            };
            let applied = match applied {
                Ok(a) => a,
                Err(e) => {
                    if e.is_unavailable() {
                        w.conn = None;
                    }
                    backoff(w);
                    return false;
                }
            };
            // Merge what is left to apply, by key.
            let mut merged: HashMap<String, SpooledGroup> = HashMap::new();
            let mut merged_browser: HashMap<String, SpooledBrowserGroup> = HashMap::new();
            let mut todo_ids = vec![];
            for r in records.into_iter().filter(|r| !applied.contains(&r.id)) {
                todo_ids.push(r.id);
                for g in r.browser {
                    match merged_browser.entry(g.key.hash()) {
                        std::collections::hash_map::Entry::Occupied(mut e) => {
                            let m = e.get_mut();
                            m.hits += g.hits;
                            m.at = m.at.max(g.at);
                        }
                        std::collections::hash_map::Entry::Vacant(e) => {
                            e.insert(g);
                        }
                    }
                }
                for g in r.groups {
                    match merged.entry(g.key.hash()) {
                        std::collections::hash_map::Entry::Occupied(mut e) => {
                            let m = e.get_mut();
                            m.hits += g.hits;
                            m.at = m.at.max(g.at);
                        }
                        std::collections::hash_map::Entry::Vacant(e) => {
                            e.insert(g);
                        }
                    }
                }
            }
            if !todo_ids.is_empty() {
                let mut groups: Vec<SpooledGroup> = merged.into_values().collect();
                groups.sort_by_cached_key(|g| g.key.hash());
                let mut browser: Vec<SpooledBrowserGroup> = merged_browser.into_values().collect();
                browser.sort_by_cached_key(|g| g.key.hash());
                match apply(state, pool, w, &todo_ids, &groups, &browser).await {
                    Applied::Stored => {
                        w.failures = 0;
                        w.head_refusals = 0;
                        w.single = false;
                    }
                    Applied::Unavailable(_) => {
                        backoff(w);
                        return false;
                    }
                    // Merged records: one at a time from here, to find the one refused.
                    Applied::Refused(e) if merged_records > 1 => {
                        tracing::warn!(target: "security", "spooled CSP reports refused ({e}); retrying record by record");
                        w.single = true;
                        continue;
                    }
                    // One record, refused on its own: a few more tries (a read-only
                    // primary during a failover refuses for a while), then it goes.
                    Applied::Refused(e) if w.head_refusals < 2 => {
                        w.head_refusals += 1;
                        tracing::warn!(target: "security", "a spooled CSP report batch was refused ({e}); retrying later");
                        backoff(w);
                        return false;
                    }
                    Applied::Refused(e) => {
                        let n: u64 = groups.iter().map(|g| g.hits.max(0) as u64).sum::<u64>()
                            + browser.iter().map(|g| g.hits.max(0) as u64).sum::<u64>();
                        let n = n.min(reports);
                        tracing::warn!(target: "security", "{n} spooled CSP report(s) dropped after 3 refusals: {e}");
                        c.drop(DropReason::DatabaseError, n);
                        refused = n;
                        w.head_refusals = 0;
                    }
                }
            }
            Counters::add(&c.stored, reports - refused);
        }
        let mut spool = lock(&shared);
        let consumed = spool.consumed(at, reports + skipped);
        publish_spool(state, &spool);
        match consumed {
            Ok(lost) => {
                // `lost`: reports of records damaged beyond reading, left pending as the file emptied.
                if corrupt > 0 {
                    tracing::warn!(
                        target: "security",
                        "{corrupt} corrupted CSP report spool record(s) skipped ({} report(s), counted as spool_corrupt)",
                        skipped + lost
                    );
                }
                c.drop(DropReason::SpoolCorrupt, skipped + lost);
            }
            Err(e) => {
                tracing::error!(target: "security", "the CSP report spool cannot be updated: {e}");
                return false;
            }
        }
        if spool.pending() == 0 && spool.bytes() == 0 {
            tracing::info!(target: "security", "CSP report spool drained: the database took everything it held");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spooled_record_never_holds_more_reports_than_the_spool_trusts() {
        assert!((BATCH + super::super::queue::OVERFLOW_BATCH) as u64 <= super::super::spool::MAX_RECORD_REPORTS);
    }

    #[test]
    fn each_failure_doubles_the_wait_up_to_thirty_seconds() {
        let mut w = Writer::default();
        let mut waits = vec![];
        for _ in 0..8 {
            let before = std::time::Instant::now();
            backoff(&mut w);
            waits.push((w.retry_at.unwrap() - before).as_secs());
        }
        assert_eq!(waits, vec![1, 2, 4, 8, 16, 30, 30, 30]);
    }
}
