//! The database sink's queue: bounded, shared by every request, drained by
//! the writer task (see `sink`). With a spool, what a full queue cannot take
//! is handed on to the spool instead of dropped: it waits in a small
//! overflow buffer the writer drains, and a request that fills that buffer
//! writes it to the spool as one record. Only a spool that refuses too (full,
//! or unwritable) drops a report as `queue_full`.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use rocket::tokio::sync::{mpsc, Notify};
use rocket::tokio::task::JoinHandle;

use super::browser::{BrowserKey, BrowserSample};
use super::report::{NewCspReport, ViolationKey};
use super::spool::{Spool, SpoolError, SpooledBatch, SpooledBrowserGroup, SpooledGroup};
use super::stats::{Counters, DropReason};

pub(crate) struct Item {
    pub(crate) report: Queued,
    pub(crate) at: DateTime<Utc>,
}

/// A queued report: CSP, or one of the other browser report types.
// The CSP report, the common case, stays unboxed: no allocation per report.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Queued {
    Csp(ViolationKey, NewCspReport),
    Browser(BrowserKey, BrowserSample),
}

/// The spool, shared by the writer and the queue's overflow (each holds the
/// lock only for a file operation, never across an `.await`).
pub(crate) type SharedSpool = Arc<Mutex<Spool>>;

/// The spool behind `s`, even if a holder panicked (its state is a file and counters).
pub(crate) fn lock(s: &SharedSpool) -> std::sync::MutexGuard<'_, Spool> {
    s.lock().unwrap_or_else(|e| e.into_inner())
}

/// Reports the overflow buffer holds before a request writes them to the spool.
pub(crate) const OVERFLOW_BATCH: usize = 256;

/// What a full queue hands on to the spool.
pub(crate) struct Overflow {
    pub(crate) items: Mutex<Vec<Item>>,
    pub(crate) spool: SharedSpool,
    /// Wakes the writer to drain `items`.
    pub(crate) wake: Arc<Notify>,
}

impl Overflow {
    /// Everything the buffer holds.
    pub(crate) fn take(&self) -> Vec<Item> {
        std::mem::take(&mut *self.items.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// The sending half, shared by every request.
pub(crate) struct Queue {
    pub(crate) tx: mpsc::Sender<Item>,
    pub(crate) shutdown: Arc<Notify>,
    pub(crate) writer: std::sync::Mutex<Option<JoinHandle<()>>>,
    /// With a spool: where a full queue's reports go.
    pub(crate) overflow: Option<Overflow>,
}

impl Queue {
    pub(crate) fn push(&self, c: &Counters, report: Queued, at: DateTime<Utc>) {
        // Counted before sending, so the writer can never decrement first; a
        // report handed to the overflow stays counted as queued until written.
        Counters::add(&c.queued, 1);
        match self.tx.try_send(Item { report, at }) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(item)) if self.overflow.is_some() => {
                let Some(o) = &self.overflow else { return };
                let full = {
                    let mut items = o.items.lock().unwrap_or_else(|e| e.into_inner());
                    items.push(item);
                    (items.len() >= OVERFLOW_BATCH).then(|| std::mem::take(&mut *items))
                };
                if let Some(items) = full {
                    // A file write and an fsync: on Rocket's multi-threaded runtime the worker
                    // hands its other tasks on first, so no other request waits behind the disk.
                    let write = || spill(c, &o.spool, items);
                    match rocket::tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
                        Ok(rocket::tokio::runtime::RuntimeFlavor::MultiThread) => {
                            rocket::tokio::task::block_in_place(write)
                        }
                        _ => write(),
                    }
                }
                // The writer drains what is left, and stores the spool once the database is back.
                o.wake.notify_one();
            }
            Err(e) => {
                c.queued.fetch_sub(1, Ordering::Relaxed);
                let reason = match e {
                    mpsc::error::TrySendError::Full(_) => DropReason::QueueFull,
                    mpsc::error::TrySendError::Closed(_) => DropReason::ShuttingDown,
                };
                c.drop(reason, 1);
            }
        }
    }
}

/// Writes what a full queue handed on (`items`, counted as queued) to the
/// spool as one record; a spool that refuses drops them as `queue_full`.
pub(crate) fn spill(c: &Counters, spool: &SharedSpool, items: Vec<Item>) {
    let n = items.len() as u64;
    let batch = batch_of(items);
    let mut spool = lock(spool);
    match spool.append(&batch) {
        Ok(()) => {}
        Err(SpoolError::Full) => {
            tracing::warn!(target: "security", "{n} CSP report(s) dropped: the queue and the spool are full");
            c.drop(DropReason::QueueFull, n);
        }
        Err(e) => {
            tracing::error!(
                target: "security",
                "{n} CSP report(s) dropped: the queue is full and the spool cannot be written: {e}"
            );
            c.drop(DropReason::QueueFull, n);
        }
    }
    spool.publish(c);
    drop(spool);
    let _ = c.queued.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |q| Some(q.saturating_sub(n)));
}

/// `items` grouped by the key hash the database's unique index is on, with a fresh batch id.
pub(crate) fn batch_of(items: Vec<Item>) -> SpooledBatch {
    let mut groups: HashMap<String, SpooledGroup> = HashMap::new();
    let mut browser: HashMap<String, SpooledBrowserGroup> = HashMap::new();
    for Item { report, at } in items {
        let (hits, last) = match report {
            Queued::Csp(key, report) => {
                let e = groups.entry(key.hash()).or_insert_with(|| SpooledGroup { key, hits: 0, report, at });
                (&mut e.hits, &mut e.at)
            }
            Queued::Browser(key, sample) => {
                let e = browser.entry(key.hash()).or_insert_with(|| SpooledBrowserGroup { key, hits: 0, sample, at });
                (&mut e.hits, &mut e.at)
            }
        };
        *hits += 1;
        *last = (*last).max(at);
    }
    let mut groups: Vec<SpooledGroup> = groups.into_values().collect();
    // One order for every instance: concurrent batches lock rows alike.
    groups.sort_by_cached_key(|g| g.key.hash());
    let mut browser: Vec<SpooledBrowserGroup> = browser.into_values().collect();
    browser.sort_by_cached_key(|g| g.key.hash());
    SpooledBatch { id: new_batch_id(), groups, browser }
}

fn new_batch_id() -> String {
    crate::core::hex::encode(&rand::random::<[u8; 16]>())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A queue of one nobody drains, with a spool of `max_bytes` in a fresh directory (or none).
    fn queue(name: &str, max_bytes: Option<u64>) -> (Queue, mpsc::Receiver<Item>) {
        let (tx, rx) = mpsc::channel(1);
        let overflow = max_bytes.map(|max| {
            let dir = std::env::temp_dir().join(format!("rs-queue-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            let (spool, _) = Spool::open(&dir, max).unwrap();
            Overflow { items: Mutex::new(Vec::new()), spool: Arc::new(Mutex::new(spool)), wake: Arc::default() }
        });
        (Queue { tx, shutdown: Arc::default(), writer: Mutex::new(None), overflow }, rx)
    }

    fn push(q: &Queue, c: &Counters, n: usize) {
        for i in 0..n {
            let key = ViolationKey { document_uri: format!("https://example.com/{i}"), ..Default::default() };
            q.push(c, Queued::Csp(key, NewCspReport::default()), Utc::now());
        }
    }

    #[test]
    fn a_full_queue_hands_its_overflow_to_the_spool() {
        let (q, _rx) = queue("overflow", Some(1 << 20));
        let c = Counters::default();
        // One in the queue, then a full overflow buffer goes to the spool as one record.
        push(&q, &c, 1 + OVERFLOW_BATCH + 2);
        let s = c.snapshot();
        assert_eq!((s.queued, s.spooled), (3, OVERFLOW_BATCH as u64), "{s:?}");
        assert!(s.dropped.is_empty(), "{s:?}");
        let o = q.overflow.as_ref().unwrap();
        assert_eq!(lock(&o.spool).pending(), OVERFLOW_BATCH as u64);
        assert_eq!(o.take().len(), 2, "the rest waits for the writer");
    }

    #[test]
    fn queue_full_only_when_the_spool_refuses_too() {
        let (q, _rx) = queue("both-full", Some(1_000));
        let c = Counters::default();
        push(&q, &c, 1 + OVERFLOW_BATCH);
        let s = c.snapshot();
        assert_eq!((s.queued, s.spooled, s.spool_bytes), (1, 0, 0), "{s:?}");
        assert_eq!(s.dropped.get("queue_full"), Some(&(OVERFLOW_BATCH as u64)), "{s:?}");
    }

    #[test]
    fn without_a_spool_a_full_queue_drops_as_queue_full() {
        let (q, _rx) = queue("none", None);
        let c = Counters::default();
        push(&q, &c, 5);
        let s = c.snapshot();
        assert_eq!((s.queued, s.dropped.get("queue_full")), (1, Some(&4)), "{s:?}");
    }
}
