//! The database sink's queue: bounded, shared by every request, drained by
//! the writer task (see `sink`).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rocket::tokio::sync::{mpsc, Notify};
use rocket::tokio::task::JoinHandle;

use super::stats::{Counters, DropReason};
use crate::db::record::{NewCspReport, ViolationKey};

pub(crate) struct Item {
    pub(crate) key: ViolationKey,
    pub(crate) report: NewCspReport,
    pub(crate) at: DateTime<Utc>,
}

/// The sending half, shared by every request.
pub(crate) struct Queue {
    pub(crate) tx: mpsc::Sender<Item>,
    pub(crate) shutdown: Arc<Notify>,
    pub(crate) writer: std::sync::Mutex<Option<JoinHandle<()>>>,
}

impl Queue {
    pub(crate) fn push(&self, c: &Counters, key: ViolationKey, report: NewCspReport) {
        // Counted before sending, so the writer can never decrement first.
        Counters::add(&c.queued, 1);
        match self.tx.try_send(Item { key, report, at: Utc::now() }) {
            Ok(()) => {}
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
