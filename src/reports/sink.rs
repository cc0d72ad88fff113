//! The database sink: a bounded queue and one writer task that batches
//! reports by violation key, so the endpoint never waits for the database.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rocket::tokio::sync::{mpsc, Notify};

use super::queue::{Item, Queue};
use super::state::CollectorState;
use super::stats::{Counters, DropReason};
use crate::db::{CspHourly, CspViolation, NewCspReport, SecurityConn, SecurityPool, ViolationKey};

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
    let writer = rocket::tokio::spawn(run(state.clone(), pool, rx, shutdown.clone()));
    let _ = state.queue.set(Queue { tx, shutdown, writer: std::sync::Mutex::new(Some(writer)) });
}

/// Stops taking reports, writes what is queued, and waits (bounded) for it.
pub(crate) async fn flush_and_stop(state: &CollectorState, limit: Duration) {
    // Requests already past the door finish first: what they answered 204 for is queued.
    state.close(limit).await;
    let Some(q) = state.queue.get() else { return };
    q.shutdown.notify_one();
    let writer = q.writer.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(w) = writer {
        let before = state.counters.stored.load(Ordering::Relaxed);
        if rocket::tokio::time::timeout(limit, w).await.is_ok() {
            let n = state.counters.stored.load(Ordering::Relaxed).saturating_sub(before);
            tracing::info!(target: "security", "CSP report queue flushed at shutdown: {n} report(s) written");
        } else {
            // Whatever is still queued is lost: count it, so nothing goes unaccounted.
            let left = state.counters.queued.swap(0, Ordering::Relaxed);
            state.counters.drop(DropReason::ShuttingDown, left);
            tracing::error!(target: "security", "CSP report queue not flushed within {limit:?}: {left} report(s) dropped");
        }
    }
}

async fn run(state: Arc<CollectorState>, pool: SecurityPool, mut rx: mpsc::Receiver<Item>, shutdown: Arc<Notify>) {
    // The writer keeps one connection checked out: rocket_db_pools closes the
    // pool at shutdown, concurrently with the final flush, and a checked-out
    // connection stays usable.
    let mut w = Writer::default();
    loop {
        let first = rocket::tokio::select! {
            item = rx.recv() => match item { Some(i) => i, None => break },
            _ = shutdown.notified() => {
                rx.close();
                // Drain what is left, then stop.
                let mut rest = Vec::new();
                while let Ok(i) = rx.try_recv() {
                    rest.push(i);
                    if rest.len() == BATCH {
                        write(&state, &pool, &mut w, std::mem::take(&mut rest)).await;
                    }
                }
                write(&state, &pool, &mut w, rest).await;
                return;
            }
        };
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(i) => batch.push(i),
                Err(_) => break,
            }
        }
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
    let days = state.config.retention_days;
    if days == 0 || w.pruned.is_some_and(|t| t.elapsed() < PRUNE_EVERY) {
        return;
    }
    let Some(conn) = w.conn.as_mut() else { return };
    w.pruned = Some(std::time::Instant::now());
    let cutoff = Utc::now() - chrono::Duration::days(days as i64);
    match CspViolation::prune(conn, cutoff).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(target: "security", "CSP reports: {n} violation(s) not seen for {days} days deleted"),
        Err(e) => tracing::warn!(target: "security", "CSP reports not pruned: {e}"),
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
}

async fn store(state: &CollectorState, pool: &SecurityPool, w: &mut Writer, batch: Vec<Item>) {
    if batch.is_empty() {
        return;
    }
    let c = &state.counters;
    let n = batch.len() as u64;
    // Grouped by the key hash the database's unique index is on.
    let mut groups: HashMap<String, Group> = HashMap::new();
    for item in batch {
        let e = groups.entry(item.key.hash()).or_insert_with(|| Group {
            key: item.key,
            hits: 0,
            report: item.report,
            at: item.at,
        });
        e.hits += 1;
        e.at = e.at.max(item.at);
    }
    if w.conn.is_none() {
        match pool.conn().await {
            Ok(conn) => w.conn = Some(conn),
            Err(e) => {
                tracing::warn!(target: "security", "{n} CSP report(s) dropped: {e}");
                return c.drop(DropReason::DatabaseUnavailable, n);
            }
        }
    }
    let Some(conn) = w.conn.as_mut() else { return };
    // Keys already complete: one all-or-nothing UPDATE per chunk (one round
    // trip and one commit per batch). Others: the full record path, each
    // statement on its own, where a race with another instance retries.
    let (known, mut fresh): (Vec<_>, Vec<_>) = groups.into_iter().partition(|(hash, _)| w.known.contains(hash));
    let mut stored = 0;
    let mut latest = None;
    let mut broken = false;
    // Once the database is unreachable, the rest of the batch is not tried.
    let mut unreachable = false;
    for chunk in known.chunks(500) {
        let hits: i64 = chunk.iter().map(|(_, g)| g.hits).sum();
        if unreachable {
            c.drop(DropReason::DatabaseUnavailable, hits as u64);
            continue;
        }
        let rows: Vec<(String, i64)> = chunk.iter().map(|(hash, g)| (hash.clone(), g.hits)).collect();
        let at = chunk.iter().map(|(_, g)| g.at).max().unwrap_or_else(Utc::now);
        match CspViolation::add_hits_by_hash(conn, &rows, at).await {
            Ok(true) => {
                stored += hits;
                latest = latest.max(Some(at));
            }
            Err(e) if e.is_unavailable() => {
                tracing::warn!(target: "security", "{hits} CSP report(s) dropped: {e}");
                c.drop(DropReason::DatabaseUnavailable, hits as u64);
                broken = true;
                unreachable = true;
            }
            // Nothing was changed (a row was deleted meanwhile, or the
            // statement failed): these keys take the full path.
            outcome => {
                if let Err(e) = outcome {
                    tracing::warn!(target: "security", "CSP hits update failed, recording key by key: {e}");
                }
                for (hash, _) in chunk {
                    w.known.remove(hash);
                }
                fresh.extend(chunk.iter().cloned());
            }
        }
    }
    for (hash, g) in fresh {
        if unreachable {
            c.drop(DropReason::DatabaseUnavailable, g.hits as u64);
            continue;
        }
        match CspViolation::record(conn, &g.key, g.hits, Some(&g.report), state.config.samples, g.at).await {
            Ok(outcome) => {
                stored += g.hits;
                latest = latest.max(Some(g.at));
                if outcome.samples_full {
                    if w.known.len() >= KNOWN {
                        w.known.clear();
                    }
                    w.known.insert(hash);
                }
            }
            Err(e) => {
                let reason =
                    if e.is_unavailable() { DropReason::DatabaseUnavailable } else { DropReason::DatabaseError };
                tracing::warn!(target: "security", "{} CSP report(s) dropped: {e}", g.hits);
                c.drop(reason, g.hits as u64);
                broken = true;
                unreachable = e.is_unavailable();
            }
        }
    }
    Counters::add(&c.stored, stored as u64);
    if let (Some(at), true) = (latest, stored > 0) {
        if let Err(e) = CspHourly::add(conn, at, stored).await {
            tracing::warn!(target: "security", "CSP hourly totals not updated: {e}");
        }
    }
    if broken {
        // A fresh connection next time (the pool verifies it).
        w.conn = None;
    }
}

/// The reports of one violation key within a batch.
#[derive(Clone)]
struct Group {
    key: ViolationKey,
    hits: i64,
    /// The first report, stored as a sample while the key has room.
    report: NewCspReport,
    at: DateTime<Utc>,
}
