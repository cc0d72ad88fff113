//! The site's own policies as the record a report is checked against.
//!
//! [`policy_fingerprint`] and [`normalised_policy`] are public; the rest is the collector's.
//!
//! Each instance knows at ignite every policy it can send (per path, per
//! route, enforced and report-only, with and without a nonce, over HTTP and
//! HTTPS); a [`CspOverride`](super::CspOverride) or a header the handler set
//! itself adds one when it is first sent. Each is kept by the fingerprint of
//! its normalised text ([`normalise`]: nonces, hashes and the reporting
//! directives, which vary per response or per browser, taken out), per
//! process and, with a database, in `security_csp_policies` for every
//! instance. A report whose `original-policy` matches none of them was
//! rewritten on the way (a TLS-inspecting proxy, an extension) or forged:
//! the collector counts it as `foreign_policy` and never stores it.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// Most policies one process keeps (per-route overrides built from request
/// data could otherwise grow the set without bound).
const MAX_KNOWN: usize = 10_000;

/// A policy's text with what varies per response taken out: directive names
/// and sources lowercased, each directive's sources sorted and deduplicated,
/// directives sorted by name (the first of a repeated one wins, as in
/// browsers), `'nonce-…'` and `'sha…-…'` sources and the `report-uri` /
/// `report-to` directives dropped (Firefox rewrites `report-uri` as an
/// absolute URL; sampling adds and removes both).
pub(crate) fn normalise(policy: &str) -> String {
    let mut directives: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for part in policy.split(';') {
        let mut tokens = part.split_ascii_whitespace();
        let Some(name) = tokens.next() else { continue };
        let name = name.to_ascii_lowercase();
        if name == "report-uri" || name == "report-to" || directives.contains_key(&name) {
            continue;
        }
        let mut sources: Vec<String> =
            tokens.map(str::to_ascii_lowercase).filter(|t| !varies_per_response(t)).collect();
        sources.sort_unstable();
        sources.dedup();
        directives.insert(name, sources);
    }
    let mut out = String::new();
    for (name, sources) in directives {
        if !out.is_empty() {
            out.push_str("; ");
        }
        out.push_str(&name);
        for s in sources {
            out.push(' ');
            out.push_str(&s);
        }
    }
    out
}

/// A policy as the collector compares it (the site's policies are recorded by it): one
/// policy's text with what varies per response or per browser taken out.
///
/// ```
/// use rocket_security::csp::normalised_policy;
/// assert_eq!(
///     normalised_policy("script-src 'self' 'nonce-r4nd0m'; Default-Src 'self'; report-uri https://a.example/r"),
///     "default-src 'self'; script-src 'self'"
/// );
/// ```
pub fn normalised_policy(policy: &str) -> String {
    normalise(policy)
}

/// The fingerprint the site's policies are recorded by and a report's
/// `original-policy` is checked against: the lowercase hex SHA-256 of
/// [`normalised_policy`].
///
/// ```
/// use rocket_security::csp::policy_fingerprint;
/// let sent = policy_fingerprint("default-src 'self'; script-src 'self' 'nonce-abc'");
/// let reported = policy_fingerprint("default-src 'self'; script-src 'self' 'nonce-xyz'; report-uri /r");
/// assert_eq!(sent, reported);
/// assert_ne!(sent, policy_fingerprint("default-src 'self'; script-src 'self' 'unsafe-inline'"));
/// assert_eq!(sent.len(), 64);
/// ```
pub fn policy_fingerprint(policy: &str) -> String {
    fingerprint(&normalise(policy))
}

fn varies_per_response(source: &str) -> bool {
    ["'nonce-", "'sha256-", "'sha384-", "'sha512-"].iter().any(|p| source.starts_with(p))
}

/// The lowercase hex SHA-256 of a normalised policy.
pub(crate) fn fingerprint(normalised: &str) -> String {
    crate::core::hex::encode(&Sha256::digest(normalised.as_bytes()))
}

/// The policies of a header value (CSP separates policies with commas),
/// each normalised, without empty ones.
fn policies(header: &str) -> impl Iterator<Item = String> + '_ {
    header.split(',').map(normalise).filter(|p| !p.is_empty())
}

/// `enforce` (`Content-Security-Policy`) or `report` (`-Report-Only`), as reports name them.
pub(crate) fn disposition_of(header: &str) -> &'static str {
    if header.eq_ignore_ascii_case("Content-Security-Policy-Report-Only") {
        "report"
    } else {
        "enforce"
    }
}

/// One known policy.
#[derive(Debug, Clone)]
struct Entry {
    /// The normalised text (what the database row shows).
    policy: String,
    /// Whether this process has written it to the database.
    recorded: bool,
    /// Whether this process sends it (else it was only read from the database).
    ours: bool,
}

/// The site's own policy for one disposition, as configured (the default
/// one, not a per-path one): what the policy wizard starts from.
#[derive(Debug, Clone)]
pub(crate) struct Configured {
    pub(crate) policy: super::policy::CspPolicy,
    /// Configured as one raw `policy` string (a snippet must then replace that string).
    pub(crate) raw: bool,
    /// The further policies of a comma-separated raw `policy`, as sent.
    pub(crate) extra: Vec<String>,
}

#[derive(Debug, Default)]
struct Inner {
    known: HashMap<(String, &'static str), Entry>,
    configured: HashMap<&'static str, Configured>,
    /// Set once the process stopped taking new policies at [`MAX_KNOWN`].
    full: bool,
}

/// What a report's `original-policy` is, for the collector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Every policy in it is one the site sends.
    Known,
    /// At least one is not.
    Foreign,
}

/// The policies this site sends (per process), and what every instance
/// recorded in the database as last read. Managed state of the CSP feature.
#[derive(Debug, Default)]
pub(crate) struct KnownPolicies {
    inner: Mutex<Inner>,
    /// When the database's set was last read in full (a miss reads it again, at most every [`REREAD`]).
    read_at: rocket::tokio::sync::Mutex<Option<Instant>>,
}

/// The shortest time between two reads of the database's set on a miss, so
/// forged reports cannot turn into one query each.
const REREAD: Duration = Duration::from_millis(250);

impl KnownPolicies {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(KnownPolicies::default())
    }

    /// The instance of `rocket`, if the CSP feature runs there.
    pub(crate) fn of<P: rocket::Phase>(rocket: &rocket::Rocket<P>) -> Option<&Arc<KnownPolicies>> {
        rocket.state::<Arc<KnownPolicies>>()
    }

    /// Sets the configured policy of `disposition` (at ignite).
    pub(crate) fn configure(&self, disposition: &'static str, configured: Configured) {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).configured.insert(disposition, configured);
    }

    /// The configured policy of `disposition` (`enforce` or `report`), if the site sends one.
    pub(crate) fn configured(&self, disposition: &str) -> Option<Configured> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).configured.get(disposition).cloned()
    }

    /// Adds the policies of a header value this instance sends; `true` when
    /// one was new here (and so waits to be written to the database).
    pub(crate) fn sent(&self, disposition: &'static str, header: &str) -> bool {
        let mut new = false;
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        for policy in policies(header) {
            let key = (fingerprint(&policy), disposition);
            if let Some(e) = inner.known.get_mut(&key) {
                if !e.ours {
                    // Read from the database before this process sent it: its own now.
                    e.ours = true;
                    e.policy = policy;
                    new = true;
                }
                continue;
            }
            if inner.known.len() >= MAX_KNOWN {
                if !inner.full {
                    inner.full = true;
                    tracing::warn!(
                        target: "security",
                        "CSP: over {MAX_KNOWN} distinct policies sent by this instance; later ones are not recorded, \
                         and reports sent under them count as foreign_policy (does a per-route policy carry request \
                         data?)"
                    );
                }
                break;
            }
            inner.known.insert(key, Entry { policy, recorded: false, ours: true });
            new = true;
        }
        new
    }

    /// Whether every policy in `original` (a report's `original-policy`) is
    /// one the site sends with `disposition` (either, when the report does
    /// not say), from what this process knows.
    pub(crate) fn verdict(&self, disposition: Option<&str>, original: &str) -> Verdict {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut any = false;
        for policy in policies(original) {
            any = true;
            let fp = fingerprint(&policy);
            let known = |d: &'static str| inner.known.contains_key(&(fp.clone(), d));
            let ok = match disposition.map(str::trim) {
                Some(d) if d.eq_ignore_ascii_case("enforce") => known("enforce"),
                Some(d) if d.eq_ignore_ascii_case("report") => known("report"),
                _ => known("enforce") || known("report"),
            };
            if !ok {
                return Verdict::Foreign;
            }
        }
        if any {
            Verdict::Known
        } else {
            Verdict::Foreign
        }
    }

    /// The policies this process sends and has not written to the database yet, with their keys.
    #[cfg(feature = "db")]
    fn unrecorded(&self) -> Vec<((String, &'static str), super::policies::SitePolicy)> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner
            .known
            .iter()
            .filter(|(_, e)| e.ours && !e.recorded)
            .map(|((fp, d), e)| {
                let row = super::policies::SitePolicy {
                    fingerprint: fp.clone(),
                    disposition: (*d).to_string(),
                    policy: e.policy.clone(),
                };
                ((fp.clone(), *d), row)
            })
            .collect()
    }

    /// Writes the policies this process has not recorded yet; each one that
    /// fails stays pending for the next call.
    #[cfg(feature = "db")]
    pub(crate) async fn record(&self, pool: &crate::db::SecurityPool) -> Result<usize, crate::db::DbError> {
        let pending = self.unrecorded();
        if pending.is_empty() {
            return Ok(0);
        }
        let mut conn = pool.conn().await?;
        let now = chrono::Utc::now();
        for (key, row) in &pending {
            row.record(&mut conn, now).await?;
            if let Some(e) = self.inner.lock().unwrap_or_else(|e| e.into_inner()).known.get_mut(key) {
                e.recorded = true;
            }
        }
        Ok(pending.len())
    }

    /// Marks every policy this process sends to be written again (its
    /// `last_seen` moves on, so a pruned database learns them again).
    #[cfg(feature = "db")]
    fn touch_all(&self) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        for e in inner.known.values_mut().filter(|e| e.ours) {
            e.recorded = false;
        }
    }

    /// Reads every instance's policies from the database into this process's set.
    #[cfg(feature = "db")]
    pub(crate) async fn read(&self, pool: &crate::db::SecurityPool) -> Result<(), crate::db::DbError> {
        let mut conn = pool.conn().await?;
        let rows = super::policies::SitePolicy::fingerprints(&mut conn).await?;
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        for (fp, d) in rows {
            let d = match d.as_str() {
                "enforce" => "enforce",
                "report" => "report",
                _ => continue,
            };
            if inner.known.len() >= MAX_KNOWN {
                break;
            }
            inner.known.entry((fp, d)).or_insert(Entry { policy: String::new(), recorded: true, ours: false });
        }
        Ok(())
    }

    /// [`verdict`](Self::verdict), and on a miss one fresh read of what the
    /// other instances recorded (at most every 250 ms), then the verdict
    /// again. A database that cannot answer leaves the miss a miss (fail closed).
    #[cfg(feature = "db")]
    pub(crate) async fn check(
        &self,
        pool: Option<&crate::db::SecurityPool>,
        disposition: Option<&str>,
        original: &str,
    ) -> Verdict {
        let first = self.verdict(disposition, original);
        let Some(pool) = pool.filter(|_| first == Verdict::Foreign) else { return first };
        // One read at a time; a report that waited for another's read uses its result
        // (the interval counts from the end of a read, so a slow database is not read
        // once per waiting report).
        let mut read_at = self.read_at.lock().await;
        let again = self.verdict(disposition, original);
        if again == Verdict::Known || read_at.is_some_and(|t| t.elapsed() < REREAD) {
            return again;
        }
        if let Err(e) = self.read(pool).await {
            tracing::warn!(target: "security", "CSP policies of the other instances not read: {e}");
        }
        *read_at = Some(Instant::now());
        drop(read_at);
        self.verdict(disposition, original)
    }
}

/// Writes this instance's policies to the database now and whenever a new
/// one is sent (checked every second), rewrites them all daily (so
/// `last_seen` says which are still sent) and deletes those no instance sent
/// for 30 days.
#[cfg(feature = "db")]
pub(crate) async fn keep_recorded(known: Arc<KnownPolicies>, pool: crate::db::SecurityPool) {
    const EVERY: Duration = Duration::from_secs(1);
    const DAILY: Duration = Duration::from_secs(24 * 3600);
    let mut last_day = Instant::now();
    let mut failing = false;
    loop {
        if last_day.elapsed() >= DAILY {
            last_day = Instant::now();
            known.touch_all();
            if let Ok(mut conn) = pool.conn().await {
                let before = chrono::Utc::now() - chrono::Duration::days(30);
                if let Err(e) = super::policies::SitePolicy::prune(&mut conn, before).await {
                    tracing::warn!(target: "security", "CSP policies not pruned: {e}");
                }
            }
        }
        match known.record(&pool).await {
            Ok(n) => {
                if n > 0 {
                    tracing::debug!(target: "security", "CSP: {n} policy fingerprint(s) recorded");
                }
                failing = false;
            }
            Err(e) if !failing => {
                failing = true;
                tracing::warn!(target: "security", "CSP policy fingerprints not recorded (retried every second): {e}");
            }
            Err(_) => {}
        }
        rocket::tokio::time::sleep(EVERY).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_hashes_reporting_case_and_order_are_normalised_away() {
        let sent = "default-src 'self'; script-src 'self' 'nonce-AbC123==' 'sha256-abc='; report-uri /r; report-to g";
        let firefox = "script-src 'SELF' 'self' 'nonce-Other=='; Default-Src 'self'; report-uri https://site.example/r";
        assert_eq!(normalise(sent), "default-src 'self'; script-src 'self'");
        assert_eq!(normalise(sent), normalise(firefox));
        assert_eq!(fingerprint(&normalise(sent)), fingerprint(&normalise(firefox)));
    }

    #[test]
    fn a_changed_source_or_directive_is_another_policy() {
        let site = normalise("default-src 'self'; script-src 'self'");
        for other in [
            "default-src 'self'; script-src 'self' 'unsafe-inline'",
            "default-src 'self'; script-src 'self' evil.example",
            "default-src 'self'",
            "default-src 'self'; script-src 'self'; img-src *",
        ] {
            assert_ne!(normalise(other), site, "{other}");
        }
        assert_eq!(normalise("script-src a; script-src b"), "script-src a", "the first of a repeated directive wins");
    }

    #[test]
    fn a_report_matches_only_what_the_site_sends_with_its_disposition() {
        let k = KnownPolicies::default();
        assert!(k.sent("enforce", "default-src 'self'; script-src 'self' 'nonce-x', frame-ancestors 'none'"));
        assert!(!k.sent("enforce", "default-src 'self'; script-src 'self' 'nonce-y'"), "the same policy");
        let report = "default-src 'self'; script-src 'self' 'nonce-z'; report-uri /security/csp-report";
        assert_eq!(k.verdict(Some("enforce"), report), Verdict::Known);
        assert_eq!(k.verdict(None, report), Verdict::Known);
        assert_eq!(k.verdict(Some("enforce"), "frame-ancestors 'none'"), Verdict::Known);
        assert_eq!(k.verdict(Some("report"), report), Verdict::Foreign, "sent enforced, not report-only");
        assert_eq!(
            k.verdict(Some("enforce"), "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'"),
            Verdict::Foreign
        );
        assert_eq!(k.verdict(Some("enforce"), &format!("{report}, img-src *")), Verdict::Foreign);
        assert_eq!(k.verdict(Some("enforce"), " ; "), Verdict::Foreign, "no policy at all");
    }
}
