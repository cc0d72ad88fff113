//! Adds the report-mode counters of this instance to the database every
//! second (and at shutdown), so every instance's counts are summed there.
//! Only attached when a control is in report mode.

use std::sync::Arc;
use std::time::Duration;

use rocket::tokio::sync::Mutex;
use rocket::{Orbit, Rocket};

use super::bind::bound;
use super::pool::{SecurityConn, SecurityPool};
use super::WouldRefuse;
use crate::core::part::Part;
use crate::core::rollout::Observed;

/// How often the counters are written.
const EVERY: Duration = Duration::from_secs(1);

/// The part; listed after [`Binding`](super::bind::Binding). It keeps one
/// connection checked out: `rocket_db_pools` closes the pool at shutdown,
/// concurrently with the last write, and a checked-out connection stays usable.
#[derive(Default)]
pub(crate) struct RefusalsFlush {
    conn: Arc<Mutex<Option<SecurityConn>>>,
}

/// Writes what is pending through `slot`'s connection (taken from `pool` if
/// there is none); on failure the counts stay pending for the next try.
async fn flush(observed: &Observed, pool: &SecurityPool, slot: &Mutex<Option<SecurityConn>>) {
    let pending = observed.take_pending();
    if pending.is_empty() {
        return;
    }
    let mut held = slot.lock().await;
    if held.is_none() {
        match pool.conn().await {
            Ok(c) => *held = Some(c),
            Err(e) => {
                tracing::warn!(target: "security", "report-mode counters not written (kept for the next try): {e}");
                observed.restore(pending);
                return;
            }
        }
    }
    let Some(conn) = held.as_mut() else { return };
    let now = chrono::Utc::now();
    let mut failed = Vec::new();
    for (control, reason, n, examples) in pending {
        if let Err(e) = WouldRefuse::add(conn, control, reason, n, now, &examples).await {
            tracing::warn!(target: "security", "report-mode counters not written (kept for the next try): {e}");
            failed.push((control, reason, n, examples));
        }
    }
    if !failed.is_empty() {
        // A fresh connection next time.
        *held = None;
    }
    observed.restore(failed);
}

#[rocket::async_trait]
impl Part for RefusalsFlush {
    async fn liftoff(&self, rocket: &Rocket<Orbit>) {
        let (Some(observed), Some(pool)) = (Observed::of(rocket), bound(rocket)) else { return };
        let (observed, pool, slot) = (observed.clone(), pool.clone(), self.conn.clone());
        if let Ok(c) = pool.conn().await {
            *slot.lock().await = Some(c);
        }
        let mut shutdown = rocket.shutdown();
        let (o, p, s) = (observed.clone(), pool.clone(), slot.clone());
        rocket::tokio::spawn(async move {
            loop {
                rocket::tokio::select! {
                    _ = rocket::tokio::time::sleep(EVERY) => flush(&o, &p, &s).await,
                    _ = &mut shutdown => break,
                }
            }
        });
        crate::core::drain::on_shutdown(rocket, async move { flush(&observed, &pool, &slot).await });
    }
}
