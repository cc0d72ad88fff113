//! Report mode for the controls that refuse requests: with
//! `mode = "report"` in its section, a control lets the request go on and
//! records what it would have done (an INFO line under `security`, and a
//! counter per control and reason), so a team can watch a control on a live
//! site before enforcing it, as `Content-Security-Policy-Report-Only` does
//! for CSP.
//!
//! The counters of this process are read with [`observations`]; with the
//! security database attached they are also added up there every second,
//! so the reports dashboard shows every instance's total.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use rocket::{Phase, Request, Rocket};

use super::config::{describe, shaped, text};

/// What a control that refuses requests does with a request it would refuse.
///
/// ```
/// use rocket_security::core::Mode;
/// assert_eq!(Mode::default(), Mode::Enforce);
/// assert_eq!(Mode::Report.to_string(), "report");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Mode {
    /// Refuse it (the default).
    #[default]
    Enforce,
    /// Let it go on, and record what would have happened.
    Report,
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mode::Enforce => "enforce",
            Mode::Report => "report",
        })
    }
}

/// Read from `"enforce"` or `"report"` (the `mode` keys of `Rocket.toml`).
///
/// ```
/// use rocket::figment::Figment;
/// use rocket_security::core::Mode;
///
/// let figment = Figment::new().merge(("mode", "report"));
/// assert_eq!(figment.extract_inner::<Mode>("mode").unwrap(), Mode::Report);
/// ```
impl<'de> serde::Deserialize<'de> for Mode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        shaped(d, |v| match text(v).as_deref() {
            Some("enforce") => Ok(Mode::Enforce),
            Some("report") => Ok(Mode::Report),
            Some(other) => Err(format!(
                "{other:?} is not a mode; use \"enforce\" (refuse) or \"report\" (let the request go on and record \
                 what would have been refused)"
            )),
            None => Err(format!("expected a string, found {}", describe(v))),
        })
    }
}

impl Mode {
    /// Whether requests are only watched.
    ///
    /// ```
    /// assert!(rocket_security::core::Mode::Report.is_report());
    /// ```
    pub fn is_report(self) -> bool {
        self == Mode::Report
    }
}

/// Examples kept per control and reason (the most recent).
pub(crate) const EXAMPLES: usize = 5;
/// Longest example kept (characters).
const EXAMPLE_CHARS: usize = 200;
/// Most (control, reason) pairs counted; the controls have a handful each.
const PAIRS: usize = 64;

/// What report mode saw for one control and reason.
///
/// ```
/// # rocket::async_test(async {
/// // (`rocket::custom` with the defaults keeps this example off the working directory's Rocket.toml.)
/// let rocket = rocket::custom(rocket::Config::default()).attach(rocket_security::Security::fairing()).ignite().await.unwrap();
/// assert!(rocket_security::core::observations(&rocket).is_empty());
/// # });
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Observation {
    /// The control: `csrf`, `allowed_hosts`, `require_login`, `ajax_only`,
    /// `login_throttle`, `password_change`.
    pub control: &'static str,
    /// Why it would have refused, e.g. `cross_origin`.
    pub reason: &'static str,
    /// Requests it would have refused (this process).
    pub count: u64,
    /// The most recent, newest first: `METHOD /path (detail)`, bounded.
    pub examples: Vec<String>,
}

#[derive(Default)]
struct Entry {
    total: u64,
    pending: u64,
    examples: VecDeque<String>,
}

/// The process's report-mode counters (managed state of the full fairing).
#[derive(Default)]
pub(crate) struct Observed {
    entries: Mutex<HashMap<(&'static str, &'static str), Entry>>,
}

/// Counts not yet added to the database: (control, reason, count, examples).
pub(crate) type Pending = Vec<(&'static str, &'static str, u64, Vec<String>)>;

impl Observed {
    pub(crate) fn of<P: Phase>(rocket: &Rocket<P>) -> Option<&Arc<Observed>> {
        rocket.state::<Arc<Observed>>()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(&'static str, &'static str), Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn add(&self, control: &'static str, reason: &'static str, example: String) {
        let mut entries = self.lock();
        if entries.len() >= PAIRS && !entries.contains_key(&(control, reason)) {
            return;
        }
        let e = entries.entry((control, reason)).or_default();
        e.total += 1;
        e.pending += 1;
        if e.examples.len() == EXAMPLES {
            e.examples.pop_back();
        }
        e.examples.push_front(example);
    }

    /// Takes the counts not yet written (to add them to the database).
    pub(crate) fn take_pending(&self) -> Pending {
        let mut entries = self.lock();
        entries
            .iter_mut()
            .filter(|(_, e)| e.pending > 0)
            .map(|(&(c, r), e)| (c, r, std::mem::take(&mut e.pending), e.examples.iter().cloned().collect()))
            .collect()
    }

    /// Gives back counts that could not be written.
    pub(crate) fn restore(&self, pending: Pending) {
        let mut entries = self.lock();
        for (c, r, n, _) in pending {
            if let Some(e) = entries.get_mut(&(c, r)) {
                e.pending += n;
            }
        }
    }

    fn snapshot(&self) -> Vec<Observation> {
        let mut out: Vec<Observation> = self
            .lock()
            .iter()
            .map(|(&(control, reason), e)| Observation {
                control,
                reason,
                count: e.total,
                examples: e.examples.iter().cloned().collect(),
            })
            .collect();
        out.sort_by(|a, b| (a.control, a.reason).cmp(&(b.control, b.reason)));
        out
    }
}

/// What this process's controls in report mode would have refused, by
/// control and reason (empty without [`Security::fairing`](crate::Security::fairing)).
///
/// ```
/// # rocket::async_test(async {
/// // (`rocket::custom` with the defaults keeps this example off the working directory's Rocket.toml.)
/// let rocket = rocket::custom(rocket::Config::default()).attach(rocket_security::Security::fairing()).ignite().await.unwrap();
/// assert_eq!(rocket_security::core::observations(&rocket), vec![]);
/// # });
/// ```
pub fn observations<P: Phase>(rocket: &Rocket<P>) -> Vec<Observation> {
    Observed::of(rocket).map(|o| o.snapshot()).unwrap_or_default()
}

/// Records that `control` would have refused `req` for `reason` (`detail`:
/// the deciding header or value, bounded and escaped here). The caller lets
/// the request go on.
pub(crate) fn would_refuse(req: &Request<'_>, control: &'static str, reason: &'static str, detail: &str) {
    let at = RequestLine::of(req);
    record(Observed::of(req.rocket()), &at, control, reason, detail);
}

/// The method and path of a request, bounded: what a report-mode record
/// names when the request itself is no longer at hand.
#[derive(Debug, Clone)]
pub(crate) struct RequestLine {
    method: rocket::http::Method,
    path: String,
}

impl RequestLine {
    pub(crate) fn of(req: &Request<'_>) -> RequestLine {
        RequestLine { method: req.method(), path: req.uri().path().as_str().chars().take(EXAMPLE_CHARS).collect() }
    }
}

/// [`would_refuse`] for a request seen earlier (`at`).
pub(crate) fn record(
    observed: Option<&Arc<Observed>>,
    at: &RequestLine,
    control: &'static str,
    reason: &'static str,
    detail: &str,
) {
    let detail: String = detail.chars().take(EXAMPLE_CHARS).collect();
    let RequestLine { method, path } = at;
    tracing::info!(
        target: "security",
        "report mode: {control} would refuse {method} {path:?} ({reason}: {detail:?}); letting it through"
    );
    if let Some(o) = observed {
        let example: String = format!("{method} {path} ({detail})")
            .chars()
            .flat_map(|c| {
                // Control characters stay visible, never raw (the dashboard escapes HTML).
                let escaped: Vec<char> = if c.is_control() { c.escape_default().collect() } else { vec![c] };
                escaped
            })
            .take(EXAMPLE_CHARS)
            .collect();
        o.add(control, reason, example);
    }
}
