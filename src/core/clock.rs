//! The one clock everything time-dependent reads (session expiry, login
//! throttling, password expiry), so tests can control time.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

/// A source of the current time.
///
/// ```
/// use chrono::{DateTime, TimeZone, Utc};
/// use rocket_security::core::Clock;
///
/// /// A clock stopped at the start of 2026.
/// struct Frozen;
/// impl Clock for Frozen {
///     fn now(&self) -> DateTime<Utc> { Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() }
/// }
///
/// assert_eq!(Frozen.now().timestamp(), 1_767_225_600);
/// let rocket = rocket::build().attach(rocket_security::Security::fairing().clock(Frozen));
/// ```
pub trait Clock: Send + Sync + 'static {
    /// Now, in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock (the default).
///
/// ```
/// use rocket_security::core::{Clock, SystemClock};
///
/// let before = chrono::Utc::now();
/// assert!(SystemClock.now() >= before);
/// let rocket = rocket::build().attach(rocket_security::Security::fairing().clock(SystemClock));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told to: for tests.
///
/// ```
/// use chrono::{Duration, TimeZone, Utc};
/// use rocket_security::core::{Clock, ManualClock};
///
/// let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
/// clock.advance(Duration::minutes(31));
/// assert_eq!(clock.now(), Utc.with_ymd_and_hms(2026, 1, 1, 0, 31, 0).unwrap());
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    /// A clock showing `start`.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use rocket_security::core::{Clock, ManualClock};
    ///
    /// let start = Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap();
    /// let clock = ManualClock::new(start);
    /// assert_eq!(clock.now(), start);
    /// ```
    pub fn new(start: DateTime<Utc>) -> Self {
        ManualClock(Arc::new(Mutex::new(start)))
    }

    /// Moves the clock forward by `by`.
    ///
    /// ```
    /// use chrono::{Duration, TimeZone, Utc};
    /// use rocket_security::core::{Clock, ManualClock};
    ///
    /// let start = Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap();
    /// let clock = ManualClock::new(start);
    /// clock.advance(Duration::hours(8));
    /// assert_eq!(clock.now(), start + Duration::hours(8));
    /// ```
    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) += by;
    }

    /// Sets the clock to `to`.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use rocket_security::core::{Clock, ManualClock};
    ///
    /// let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap());
    /// let later = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
    /// clock.set(later);
    /// assert_eq!(clock.now(), later);
    /// ```
    pub fn set(&self, to: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Managed state: the clock of this Rocket instance.
#[derive(Clone)]
pub(crate) struct SharedClock(pub(crate) Arc<dyn Clock>);

impl SharedClock {
    /// The clock managed by `rocket`, or the system clock.
    pub(crate) fn of<P: rocket::Phase>(rocket: &rocket::Rocket<P>) -> Arc<dyn Clock> {
        rocket.state::<SharedClock>().map_or_else(|| Arc::new(SystemClock) as Arc<dyn Clock>, |c| c.0.clone())
    }
}
