//! Where the reports are stored: the Diesel models of the report tables
//! (their schema and migrations stay in [`crate::db`]).
//!
//! - [`violations`]: one row per normalised violation with its hit count
//!   ([`CspViolation`]), a capped number of raw samples ([`CspReport`]) and
//!   the hourly totals ([`CspHourly`]);
//! - [`groups`]: the violations grouped by directive, blocked source and
//!   disposition ([`ViolationGroup`]), their daily counts and their triage;
//! - [`browser`]: every other browser report type ([`BrowserReportRow`],
//!   [`BrowserSampleRow`]), grouped for the per-type views ([`BrowserGroup`])
//!   with daily counts, the readiness of report-only controls ([`Readiness`])
//!   and their triage ([`BrowserTriage`]);
//! - `counts`: the counters a batch adds to (batch ids, reports per hour and
//!   per group and day), written as one script of upserts.

pub(crate) mod browser;
pub(crate) mod counts;
pub(crate) mod groups;
pub(crate) mod violations;

pub use browser::{
    BrowserDay, BrowserGroup, BrowserReportRow, BrowserSampleRow, BrowserTotals, BrowserTriage, Readiness,
    TriagedBrowserGroup,
};
pub use groups::{
    GroupDay, GroupFilter, Hidden, TopDocument, Triage, TriageEvent, TriageState, TriageView, ViolationGroup,
    TRIAGE_LOG_DAYS, TRIAGE_LOG_MAX,
};
pub use violations::{CspHourly, CspReport, CspViolation, RecordOutcome, ViolationFilter};
