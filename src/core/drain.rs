//! Work that must finish when the application stops (the final flushes of
//! queues and counters). It starts the moment shutdown is *requested*
//! (Rocket's [`Shutdown`](rocket::Shutdown) trips), not when Rocket reaches
//! its shutdown fairings: Rocket 0.5 can return from `launch()` without
//! running those when a signal arrives while it is accepting a connection
//! (it logs `Server shutdown nominally.`, then `Rocket failed to shutdown
//! gracefully.`). The crate's shutdown fairing waits for the work; a `main`
//! that gets that error from `launch()` calls
//! [`Security::finish`](crate::Security::finish) to wait for it too.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use rocket::tokio::task::JoinHandle;
use rocket::{Build, Orbit, Rocket};

/// Managed state: the work registered by the parts at liftoff.
#[derive(Default)]
pub(crate) struct Drains(Mutex<Vec<JoinHandle<()>>>);

/// Manages the registry once per Rocket instance.
pub(crate) fn manage(rocket: Rocket<Build>) -> Rocket<Build> {
    if rocket.state::<Drains>().is_some() {
        rocket
    } else {
        rocket.manage(Drains::default())
    }
}

/// Runs `work` once shutdown is requested; [`finish`] waits for it.
pub(crate) fn on_shutdown(rocket: &Rocket<Orbit>, work: impl Future<Output = ()> + Send + 'static) {
    let requested = rocket.shutdown();
    let handle = rocket::tokio::spawn(async move {
        requested.await;
        work.await;
    });
    match rocket.state::<Drains>() {
        Some(d) => d.0.lock().unwrap_or_else(|e| e.into_inner()).push(handle),
        None => tracing::error!(target: "security", "internal: shutdown work registered without a registry"),
    }
}

/// Waits (up to `limit` in all) for the shutdown work; `true` when all of it finished.
pub(crate) async fn finish(rocket: &Rocket<Orbit>, limit: Duration) -> bool {
    let Some(d) = rocket.state::<Drains>() else { return true };
    let handles: Vec<JoinHandle<()>> = std::mem::take(&mut *d.0.lock().unwrap_or_else(|e| e.into_inner()));
    let all = async {
        for h in handles {
            let _ = h.await;
        }
    };
    match rocket::tokio::time::timeout(limit, all).await {
        Ok(()) => true,
        Err(_) => {
            tracing::error!(target: "security", "shutdown work not finished within {limit:?}");
            false
        }
    }
}
