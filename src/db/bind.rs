//! Which database the crate's features use: resolved once at liftoff and
//! kept as managed state, so every feature reads the same pool.

use std::sync::OnceLock;

use rocket::{Build, Orbit, Phase, Rocket};

use super::pool::SecurityPool;
use crate::core::part::Part;

/// Finds the security pool among the application's databases.
pub(crate) type PoolLookup = Box<dyn Fn(&Rocket<Orbit>) -> Option<SecurityPool> + Send + Sync>;

/// The pool of database `D`, if it is attached (asked as state, so an app
/// without a database logs nothing).
pub(crate) fn pool_of<D: rocket_db_pools::Database<Pool = SecurityPool>>(
    rocket: &Rocket<Orbit>,
) -> Option<SecurityPool> {
    rocket.state::<D>().map(|db| {
        let pool: &SecurityPool = db;
        pool.clone()
    })
}

/// Managed state: the pool, once liftoff found it.
struct Bound(OnceLock<SecurityPool>);

/// The security pool of `rocket`, if one is attached (from liftoff on).
pub(crate) fn bound<P: Phase>(rocket: &Rocket<P>) -> Option<&SecurityPool> {
    rocket.state::<Bound>().and_then(|b| b.0.get())
}

/// The part that binds the pool; it runs before every part that uses it.
pub(crate) struct Binding(pub(crate) PoolLookup);

#[rocket::async_trait]
impl Part for Binding {
    fn ignite(&self, rocket: Rocket<Build>) -> Rocket<Build> {
        rocket.manage(Bound(OnceLock::new()))
    }

    async fn liftoff(&self, rocket: &Rocket<Orbit>) {
        if let (Some(pool), Some(slot)) = ((self.0)(rocket), rocket.state::<Bound>()) {
            let _ = slot.0.set(pool);
        }
    }
}
