//! The collector part: the endpoint (and the dashboard, when asked for), the
//! database writer started at liftoff and flushed at shutdown.

use std::sync::Arc;

use super::state::{CollectorHandle, CollectorState};
use crate::core::part::Part;

/// Builds the dashboard's routes for its mount path.
pub(crate) type DashboardRoutes = Box<dyn Fn(&str) -> Vec<rocket::Route> + Send + Sync>;

/// The compiled collector and the dashboard routes to mount with it.
pub(crate) struct CollectorPart {
    pub(crate) state: Arc<CollectorState>,
    pub(crate) dashboard: Option<Arc<DashboardRoutes>>,
}

#[rocket::async_trait]
impl Part for CollectorPart {
    /// Opens and locks the spool: a directory another instance holds refuses the launch.
    fn acquire(&self) -> Result<(), crate::core::error::ConfigError> {
        #[cfg(feature = "db")]
        if let Some((dir, max)) = &self.state.config.spool {
            let (spool, found) = super::spool::Spool::open(dir, *max).map_err(|e| {
                crate::core::error::ConfigError::new(
                    "security.reports.spool_dir",
                    format!("the report spool {}: {e}", dir.display()),
                )
            })?;
            let c = &self.state.counters;
            super::stats::Counters::add(&c.recovered, found.reports + found.corrupt_reports);
            c.drop(super::stats::DropReason::SpoolCorrupt, found.corrupt_reports);
            super::sink::publish_spool(&self.state, &spool);
            if found.reports > 0 || found.corrupt_records > 0 {
                tracing::warn!(target: "security", "{}", found.summary(dir));
            }
            *self.state.spool.lock().unwrap_or_else(|e| e.into_inner()) = Some(spool);
        }
        Ok(())
    }

    fn ignite(&self, rocket: rocket::Rocket<rocket::Build>) -> rocket::Rocket<rocket::Build> {
        let mut rocket =
            rocket.mount("/", super::endpoint::routes(&self.state)).manage(CollectorHandle(self.state.clone()));
        if let Some(dashboard) = &self.dashboard {
            rocket = rocket.mount("/", dashboard(&self.state.config.dashboard_path));
        }
        rocket
    }

    async fn liftoff(&self, _rocket: &rocket::Rocket<rocket::Orbit>) {
        // At shutdown: the requests being taken finish, the queue is written,
        // and the last counts go to the cluster totals.
        let state = self.state.clone();
        crate::core::drain::on_shutdown(_rocket, async move {
            #[cfg(feature = "db")]
            super::sink::flush_and_stop(&state, std::time::Duration::from_secs(5)).await;
            #[cfg(not(feature = "db"))]
            state.close(std::time::Duration::from_secs(5)).await;
            #[cfg(feature = "redis")]
            if let Some(cache) = state.cache.get() {
                super::state::publish(&state, cache).await;
            }
        });
        #[cfg(feature = "redis")]
        if let Some(cache) = crate::db::cache::cache_of(_rocket) {
            let _ = self.state.cache.set(cache.clone());
            // Checked out now: at shutdown the pool is closing when the last counts go.
            if let Ok(c) = cache.get().await {
                *self.state.totals_conn.lock().await = Some(c);
            }
            // This instance's counters go into the cluster totals every second.
            let (state, mut shutdown) = (self.state.clone(), _rocket.shutdown());
            rocket::tokio::spawn(async move {
                loop {
                    rocket::tokio::select! {
                        _ = rocket::tokio::time::sleep(std::time::Duration::from_secs(1)) => {
                            super::state::publish(&state, &cache).await
                        }
                        _ = &mut shutdown => break,
                    }
                }
            });
        }
        #[cfg(feature = "db")]
        {
            let state = &self.state;
            match crate::db::bound(_rocket) {
                Some(pool) => {
                    // With the sink off, this lets the dashboard show what an
                    // earlier configuration stored.
                    let _ = state.pool.set(pool.clone());
                    if state.config.database {
                        super::sink::start(state, pool.clone());
                    }
                }
                None if state.config.database => tracing::error!(
                    target: "security",
                    "`security.reports.database = true` but no security database is attached (attach \
                     `SecurityDb::init()`, or name yours with `Security::fairing().database::<Db>()`): \
                     reports are counted as dropped (database_unavailable)"
                ),
                None => {}
            }
        }
    }
}
