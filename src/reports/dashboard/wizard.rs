//! The policy wizard: from the stored violations of one disposition
//! (typically `report`, the candidate policy a site observes before
//! enforcing it), the smallest change to **the site's own policy, as
//! configured** (never the `original-policy` a report claims: anyone can
//! POST a report) that would have allowed what was seen, per directive, as
//! the `Rocket.toml` snippet to paste.
//!
//! Only plain hosts and `'self'` are ever added. Everything else is listed
//! with the safer way, whatever a report says: inline code and `eval`
//! (`'unsafe-inline'`, `'unsafe-eval'`, `'unsafe-hashes'`; for inline code
//! whose whole text a report carried, its `CspHash` to review), `*`,
//! scheme-only sources (`data:`, `blob:`, `https:` ...) and anything else
//! that is not a plain host. A source reported by a single client (address,
//! or /64 for IPv6) is held back, not proposed: one client can be one
//! attacker. Browser-extension and injected-software sources (the
//! collector's noise list) are listed apart. Groups an admin marked expected
//! or fixed are not read at all. Reports under a policy the site never sent
//! do not reach the store (`foreign_policy`).

use std::collections::BTreeMap;
use std::sync::Arc;

use maud::{html, Markup};
use rocket::futures::future::BoxFuture;
use rocket::http::{ContentType, Status};
use rocket::Request;

use super::view::{Answer, View};
use crate::csp::nonce::CspHash;
use crate::csp::policy::{check_directive, CspPolicy};
use crate::reports::state::CollectorState;

/// Browsers cut a report's sample to this many characters: a shorter one is the whole code.
const SAMPLE_CUT: usize = 40;

/// Distinct clients a source needs before the wizard proposes it.
pub(crate) const MIN_CLIENTS: usize = 2;

/// One stored group the wizard reads: directive, blocked source, reports.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) directive: String,
    pub(crate) blocked: String,
    pub(crate) hits: i64,
    /// Stored samples (`script-sample` / `sample`) of inline groups.
    pub(crate) samples: Vec<String>,
    /// Distinct clients (addresses, /64 for IPv6) among the stored samples.
    pub(crate) clients: usize,
}

/// A source the proposal adds, with the reports it allows and how many clients sent them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Added {
    pub(crate) source: String,
    pub(crate) hits: i64,
    pub(crate) clients: usize,
}

/// A directive the proposal changes: its whole new source list, and what was added.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Change {
    pub(crate) directive: String,
    pub(crate) sources: Vec<String>,
    pub(crate) added: Vec<Added>,
}

/// Something seen that the wizard does not propose to allow, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Flag {
    pub(crate) directive: String,
    pub(crate) blocked: String,
    pub(crate) hits: i64,
    pub(crate) clients: usize,
    pub(crate) instead: String,
    /// For inline code: the hash source of each complete sample seen (review before use).
    pub(crate) hashes: Vec<String>,
}

/// The wizard's answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Proposal {
    pub(crate) changes: Vec<Change>,
    pub(crate) flagged: Vec<Flag>,
    /// Plain hosts reported by fewer than [`MIN_CLIENTS`] clients: not proposed.
    pub(crate) held_back: Vec<Flag>,
    /// Browser-extension and injected-software sources: not the site's, never proposed.
    pub(crate) noise: Vec<Flag>,
}

/// The wizard's page.
pub(crate) fn page<'a>(v: &'a View<'_, '_>) -> BoxFuture<'a, Result<Answer, Status>> {
    Box::pin(async move {
        let d = data(&v.state, v.req).await?;
        let body = super::page::shell("CSP policy wizard", &v.nonce, wizard(&d, v.base()));
        Ok(Answer::new(d.database_error.is_some(), ContentType::HTML, body))
    })
}

/// The wizard's proposal as JSON.
pub(crate) fn json<'a>(v: &'a View<'_, '_>) -> BoxFuture<'a, Result<Answer, Status>> {
    Box::pin(async move {
        let d = data(&v.state, v.req).await?;
        Ok(super::exports::json(&d, d.database_error.is_some()))
    })
}

/// What the wizard page shows.
#[derive(serde::Serialize)]
struct WizardData {
    /// `report` (the report-only policy's reports) or `enforce`.
    disposition: String,
    /// The site's own policy for the disposition, as configured: what the proposal starts from.
    policy_seen: Option<String>,
    proposal: Proposal,
    /// The `Rocket.toml` snippet to paste (empty: nothing to change).
    snippet: String,
    /// The site's policy with the change applied (for review).
    proposed_policy: Option<String>,
    /// Reports this instance dropped because their `original-policy` is none the site sends.
    foreign_policy: u64,
    database_error: Option<String>,
}

/// The configuration table of the policy of `disposition`.
fn table_of(disposition: &str) -> &'static str {
    if disposition == "report" {
        "default.security.csp.report_only"
    } else {
        "default.security.csp"
    }
}

/// The wizard's proposal for the violations of `?disposition=` (default `report`).
#[cfg(feature = "db")]
async fn data(state: &Arc<CollectorState>, req: &Request<'_>) -> Result<WizardData, Status> {
    use crate::reports::{GroupFilter, ViolationGroup};
    let disposition = super::view::param(req, "disposition").unwrap_or_else(|| "report".into());
    if disposition != "enforce" && disposition != "report" {
        return Err(Status::BadRequest);
    }
    let configured = crate::csp::fingerprint::KnownPolicies::of(req.rocket()).and_then(|k| k.configured(&disposition));
    let mut out = WizardData {
        disposition: disposition.clone(),
        policy_seen: configured.as_ref().map(|c| c.policy.to_string()),
        proposal: Default::default(),
        snippet: String::new(),
        proposed_policy: None,
        foreign_policy: state.counters.snapshot().dropped.get("foreign_policy").copied().unwrap_or(0),
        database_error: None,
    };
    let read = async {
        let pool = state.pool.get().ok_or_else(|| crate::db::DbError::Unavailable("no security database".into()))?;
        let mut conn = pool.conn().await?;
        let filter = GroupFilter { disposition: Some(disposition.clone()), ..Default::default() };
        // Open groups only: what an admin marked expected or fixed needs no change.
        let groups = ViolationGroup::page(&mut conn, &filter, 1000, 0).await?;
        let clients = ViolationGroup::clients(&mut conn, &disposition).await?;
        let mut seen = vec![];
        for g in groups {
            let samples = if g.blocked == "inline" {
                ViolationGroup::samples(&mut conn, &g.directive, &g.blocked, &g.disposition, 5).await?
            } else {
                vec![]
            };
            let clients = clients.get(&(g.directive.clone(), g.blocked.clone())).map_or(0, |c| c.len());
            seen.push(Seen { directive: g.directive, blocked: g.blocked, hits: g.hits, samples, clients });
        }
        Ok::<_, crate::db::DbError>(seen)
    };
    match read.await {
        Ok(seen) => {
            let policy = configured.as_ref().map(|c| &c.policy);
            out.proposal = propose(policy, &seen);
            let whole = configured.as_ref().filter(|c| c.raw).map(|c| (&c.policy, c.extra.as_slice()));
            out.snippet = out.proposal.toml(table_of(&disposition), whole);
            out.proposed_policy = out.proposal.applied_to(policy);
        }
        Err(e) => {
            tracing::warn!(target: "security", "CSP reports dashboard (wizard): {e}");
            out.database_error = Some("the database is unavailable (details in the server log)".into());
        }
    }
    Ok(out)
}

/// Without a database backend there are no stored violations.
#[cfg(not(feature = "db"))]
async fn data(state: &Arc<CollectorState>, _: &Request<'_>) -> Result<WizardData, Status> {
    Ok(WizardData {
        disposition: "report".into(),
        policy_seen: None,
        proposal: Default::default(),
        snippet: String::new(),
        proposed_policy: None,
        foreign_policy: state.counters.snapshot().dropped.get("foreign_policy").copied().unwrap_or(0),
        database_error: Some("no database backend".into()),
    })
}

/// The wizard page's body, its links under `base`.
fn wizard(d: &WizardData, base: &str) -> Markup {
    let other = if d.disposition == "report" { "enforce" } else { "report" };
    let source_row = |directive: &str, blocked: &str, hits: i64, clients: usize| {
        html! {
            tr {
                td { (directive) } td { code { (blocked) } } td class="n" { (hits) } td class="n" { (clients) }
            }
        }
    };
    html! {
        p {
            a href=(base) { "All violations" }
            " · "
            a href={ (base) "/groups" } { "By directive and blocked source" }
            " · "
            a href={ (base) "/types" } { "Other report types" }
            " · "
            a href={ (base) "/wizard?disposition=" (other) } { "The " (other) " policy's reports" }
            " · "
            a href={ (base) "/wizard.json?disposition=" (d.disposition) } { "JSON" }
        }
        p {
            "From the stored reports of the " strong { (d.disposition) } " policy: the smallest change to your own \
             policy, as configured, that would have allowed what browsers blocked, checked by the crate's policy \
             validator. Only plain hosts reported by at least " (MIN_CLIENTS) " clients are proposed; nothing a \
             report claims about the policy is used. Review it before you paste it into " code { "Rocket.toml" }
            ": a report is evidence of what a page loads, not that it should. Groups marked expected or fixed in \
             the " a href={ (base) "/groups" } { "grouped view" } " are left out."
        }
        @if let Some(e) = &d.database_error { p class="error" { (e) } }
        h2 { "Your policy, as configured" }
        @if let Some(p) = &d.policy_seen {
            pre { code { (p) } }
        } @else {
            p { "The site sends no such policy: the proposal starts from nothing." }
        }
        @if d.foreign_policy > 0 {
            p id="foreign-policy" {
                (d.foreign_policy) " report(s) on this instance named a policy your site never sent (rewritten on \
                 the way by a proxy or an extension, or forged): counted as " code { "foreign_policy" } ", not \
                 stored, never a reason to change the policy."
            }
        }
        h2 { "Proposed change" }
        @if d.snippet.is_empty() {
            p { "Nothing to add." }
        } @else {
            pre { code { (d.snippet) } }
            table {
                thead { tr { th { "Directive" } th { "Source added" } th { "Reports it allows" } th { "Clients" } } }
                tbody {
                    @for c in &d.proposal.changes {
                        @for a in &c.added { (source_row(&c.directive, &a.source, a.hits, a.clients)) }
                    }
                }
            }
            @if let Some(p) = &d.proposed_policy {
                h2 { "The policy with the change" }
                pre { code { (p) } }
            }
        }
        @if !d.proposal.flagged.is_empty() {
            h2 { "Not proposed" }
            table {
                thead { tr { th { "Directive" } th { "Blocked" } th { "Reports" } th { "Instead" } } }
                tbody {
                    @for f in &d.proposal.flagged {
                        tr {
                            td { (f.directive) }
                            td { code { (f.blocked) } }
                            td class="n" { (f.hits) }
                            td {
                                (f.instead)
                                @if !f.hashes.is_empty() {
                                    br;
                                    "A report carried this code whole (browsers trim the whitespace around a \
                                     sample, so the hash fits only an element whose content is exactly this \
                                     text); if you wrote it, its hash allows exactly that: "
                                    @for (i, h) in f.hashes.iter().enumerate() {
                                        @if i > 0 { " " }
                                        code { (h) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if !d.proposal.held_back.is_empty() {
            h2 id="held-back" { "Held back: reported by a single client" }
            p {
                "One client can be one attacker posting reports; these are proposed once a second client reports \
                 them."
            }
            table {
                thead { tr { th { "Directive" } th { "Blocked" } th { "Reports" } th { "Clients" } } }
                tbody {
                    @for f in &d.proposal.held_back { (source_row(&f.directive, &f.blocked, f.hits, f.clients)) }
                }
            }
        }
        @if !d.proposal.noise.is_empty() {
            h2 { "Left out as noise" }
            p {
                "Browser extensions and software injected into visitors' pages: not your site's code, so not a \
                 reason to change the policy."
            }
            table {
                thead { tr { th { "Directive" } th { "Blocked" } th { "Reports" } } }
                tbody {
                    @for f in &d.proposal.noise {
                        tr { td { (f.directive) } td { code { (f.blocked) } } td class="n" { (f.hits) } }
                    }
                }
            }
        }
    }
}

/// Directives that protect the page itself rather than list what it loads:
/// a report never widens them (a forged `frame-ancestors` report would
/// otherwise propose framing by the attacker's site).
const PROTECTIVE: &[&str] = &["frame-ancestors", "form-action", "base-uri", "object-src", "sandbox", "navigate-to"];

fn script_context(directive: &str) -> bool {
    directive.starts_with("script-src") || directive == "default-src" || directive == "worker-src"
}

fn style_context(directive: &str) -> bool {
    directive.starts_with("style-src")
}

/// A plain host (optionally with a port), as the collector stores a blocked URL.
fn plain_host(s: &str) -> bool {
    let (host, port) = match s.split_once(':') {
        // `host:` alone is a scheme source to a browser.
        Some((_, "")) => return false,
        Some(split) => split,
        None => (s, ""),
    };
    !host.is_empty()
        && host.len() <= 253
        && host.contains('.')
        && !host.starts_with(['.', '-'])
        && host.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && port.bytes().all(|b| b.is_ascii_digit())
        && port.len() <= 5
}

/// Whether `list` already allows `source` (so a report about it came from elsewhere).
fn allows(list: &[String], source: &str) -> bool {
    list.iter().any(|s| s == source || s == "*" || (plain_host(source) && (s == "https:" || s == "http:")))
}

/// What the wizard says instead of adding `blocked` (not a plain host or `'self'`) to `directive`.
fn instead(directive: &str, blocked: &str) -> &'static str {
    match blocked {
        "inline" if directive.ends_with("-attr") => {
            "never 'unsafe-inline' (nor 'unsafe-hashes'): move the handler or style attribute into a file \
             (addEventListener, a class)"
        }
        "inline" if script_context(directive) || style_context(directive) => {
            "never 'unsafe-inline': give the element a nonce (CspNonce in the template), or move the code \
             to a file; fixed code can be allowed by its hash (CspHash::sha256)"
        }
        "inline" => "never 'unsafe-inline': move the code into a file on your own origin",
        "eval" | "wasm-eval" => {
            "never 'unsafe-eval': replace eval/new Function/string timers with real functions \
             ('wasm-unsafe-eval' only for WebAssembly you load yourself)"
        }
        "data:" | "blob:" if script_context(directive) => {
            "never data:/blob: for scripts: serve the script from a file on your own origin"
        }
        b if b.ends_with(':') || b == "*" || b.contains('*') => {
            "never a whole scheme or a wildcard: it allows any site; name the hosts you load from (for \
             inline images, data: in img-src is yours to add by hand)"
        }
        _ => "not a plain host: allow it by hand if you trust it",
    }
}

/// The change to `policy` (the site's own policy for the disposition, as
/// configured) that allows what `seen` shows, most reports first.
pub(crate) fn propose(policy: Option<&CspPolicy>, seen: &[Seen]) -> Proposal {
    let mut out = Proposal::default();
    // Per directive: its new source list, and what was added.
    let mut lists: BTreeMap<String, (Vec<String>, Vec<Added>)> = BTreeMap::new();
    let mut seen: Vec<&Seen> = seen.iter().collect();
    seen.sort_by(|a, b| b.hits.cmp(&a.hits).then_with(|| (&a.directive, &a.blocked).cmp(&(&b.directive, &b.blocked))));
    for s in seen {
        let d = s.directive.as_str();
        let flag = |instead: &str| Flag {
            directive: s.directive.clone(),
            blocked: s.blocked.clone(),
            hits: s.hits,
            clients: s.clients,
            instead: instead.to_string(),
            hashes: vec![],
        };
        if crate::reports::filter::is_noise(&s.blocked) {
            out.noise.push(flag("a browser extension or injected software, not the site: nothing to change"));
            continue;
        }
        if PROTECTIVE.contains(&d) {
            out.flagged.push(flag(
                "never widened from reports: this directive protects the page itself (framing, form targets, \
                 <base>, plugins); change it by hand if you mean to",
            ));
            continue;
        }
        let source = match s.blocked.as_str() {
            "'self'" => "'self'".to_string(),
            host if plain_host(host) => host.to_string(),
            blocked => {
                let mut f = flag(instead(d, blocked));
                // A hash only for code at least two clients reported: one client's sample
                // may be an attacker's payload.
                let inline_code = !d.ends_with("-attr") && (script_context(d) || style_context(d));
                if blocked == "inline" && inline_code && s.clients >= MIN_CLIENTS {
                    // Only a sample shorter than the browsers' cut is the whole code (less
                    // the whitespace around it, which Chromium trims: the page says so).
                    let mut hashes: Vec<String> = s
                        .samples
                        .iter()
                        .filter(|x| x.chars().count() < SAMPLE_CUT)
                        .map(|x| CspHash::sha256(x))
                        .collect();
                    hashes.sort();
                    hashes.dedup();
                    f.hashes = hashes;
                }
                out.flagged.push(f);
                continue;
            }
        };
        // `script-src-elem` absent: the change goes where its sources (and the
        // crate's nonce) are, `script-src`; likewise for styles.
        let parent = d
            .strip_suffix("-elem")
            .filter(|p| policy.is_some_and(|policy| policy.get(d).is_none() && policy.get(p).is_some()));
        let d = parent.unwrap_or(d);
        let current = policy.and_then(|p| p.effective(d)).map(<[String]>::to_vec).unwrap_or_default();
        if current.iter().any(|s| s == "'none'") {
            // A directive configured 'none' is a decision: a report never replaces it.
            out.flagged.push(flag("the directive is 'none' in your policy: change it by hand if you mean to"));
            continue;
        }
        let (list, added) = lists.entry(d.to_string()).or_insert_with(|| (current, vec![]));
        if let Some(a) = added.iter_mut().find(|a| a.source == source) {
            a.hits += s.hits;
            a.clients = a.clients.max(s.clients);
            continue;
        }
        if allows(list, &source) {
            continue;
        }
        if s.clients < MIN_CLIENTS {
            out.held_back.push(flag(
                "reported by a single client: not proposed (one client can be one attacker); it is proposed once \
                 a second client reports it",
            ));
            continue;
        }
        list.push(source.clone());
        added.push(Added { source, hits: s.hits, clients: s.clients });
    }
    for (directive, (sources, added)) in lists {
        if added.is_empty() {
            continue;
        }
        // The crate's own validator has the last word.
        if let Err(e) = check_directive(&directive, &sources, false) {
            out.flagged.push(Flag {
                directive: directive.clone(),
                blocked: String::new(),
                hits: 0,
                clients: 0,
                instead: e,
                hashes: vec![],
            });
            continue;
        }
        out.changes.push(Change { directive, sources, added });
    }
    out
}

impl Proposal {
    /// `policy` with the changes applied: what the site would send (without
    /// its nonce), for review and for the CSP Evaluator gate. `None` without
    /// changes.
    pub(crate) fn applied_to(&self, policy: Option<&CspPolicy>) -> Option<String> {
        if self.changes.is_empty() {
            return None;
        }
        let mut p = policy.cloned().unwrap_or_default();
        for c in &self.changes {
            p.set(&c.directive, c.sources.clone());
        }
        Some(p.to_string())
    }

    /// The `Rocket.toml` snippet of the changes (empty when there is none):
    /// `table` is the configuration table of the policy
    /// (`default.security.csp` or `default.security.csp.report_only`);
    /// with `whole`, the policy is configured as one raw `policy` string
    /// (followed by the further policies of a comma-separated one, kept as
    /// they are), so the snippet is that string.
    pub(crate) fn toml(&self, table: &str, whole: Option<(&CspPolicy, &[String])>) -> String {
        if self.changes.is_empty() {
            return String::new();
        }
        let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
        if let Some((policy, extra)) = whole {
            let applied = self.applied_to(Some(policy)).unwrap_or_default();
            let all = std::iter::once(applied).chain(extra.iter().cloned()).collect::<Vec<_>>().join(", ");
            return format!("[{table}]\npolicy = {}\n", quote(&all));
        }
        let mut out = format!("[{table}.directives]\n");
        for c in &self.changes {
            let list: Vec<String> = c.sources.iter().map(|s| quote(s)).collect();
            out.push_str(&format!("{} = [{}]\n", c.directive, list.join(", ")));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(directive: &str, blocked: &str, hits: i64) -> Seen {
        Seen { directive: directive.into(), blocked: blocked.into(), hits, samples: vec![], clients: 3 }
    }

    const TABLE: &str = "default.security.csp.report_only";

    #[test]
    fn hosts_and_self_are_added_to_the_smallest_directive_and_everything_else_is_flagged() {
        let policy = CspPolicy::parse(
            "default-src 'self'; img-src 'self' data:; script-src 'self' 'report-sample'; font-src 'none'",
            false,
        )
        .unwrap();
        let p = propose(
            Some(&policy),
            &[
                seen("img-src", "cdn.example", 5),
                seen("img-src", "cdn.example", 2),
                seen("img-src", "data:", 9),
                seen("font-src", "fonts.example:8443", 3),
                seen("script-src-elem", "inline", 7),
                seen("script-src", "eval", 1),
                seen("script-src-elem", "data:", 4),
                seen("connect-src", "api.example", 6),
                seen("frame-src", "javascript:alert(1)", 1),
                seen("media-src", "https:", 8),
            ],
        );
        assert_eq!(
            p.toml(TABLE, None),
            "[default.security.csp.report_only.directives]\n\
             connect-src = [\"'self'\", \"api.example\"]\n\
             img-src = [\"'self'\", \"data:\", \"cdn.example\"]\n"
        );
        assert_eq!(p.changes[1].added, vec![Added { source: "cdn.example".into(), hits: 7, clients: 3 }]);
        let flagged: Vec<(&str, &str)> = p.flagged.iter().map(|f| (f.directive.as_str(), f.blocked.as_str())).collect();
        assert_eq!(
            flagged,
            vec![
                ("img-src", "data:"),
                ("media-src", "https:"),
                ("script-src-elem", "inline"),
                ("script-src-elem", "data:"),
                ("font-src", "fonts.example:8443"),
                ("frame-src", "javascript:alert(1)"),
                ("script-src", "eval"),
            ]
        );
        assert!(p.flagged[4].instead.starts_with("the directive is 'none' in your policy"));
        assert!(p.flagged[1].instead.starts_with("never a whole scheme or a wildcard"));
        assert!(p.flagged[2].instead.starts_with("never 'unsafe-inline'"));
    }

    #[test]
    fn a_forged_report_of_every_unsafe_source_and_an_attacker_host_from_one_client_proposes_nothing() {
        let policy = CspPolicy::parse("default-src 'self'; script-src 'self'", false).unwrap();
        let mut forged: Vec<Seen> =
            ["inline", "eval", "wasm-eval", "*", "data:", "blob:", "https:", "http:", "*.evil.example"]
                .iter()
                .map(|b| Seen { clients: 1, ..seen("script-src-elem", b, 50) })
                .collect();
        forged.push(Seen { clients: 1, ..seen("script-src-elem", "evil.example", 50) });
        forged.push(Seen { clients: 1, ..seen("script-src-attr", "inline", 50) });
        let mut inline = Seen { clients: 1, ..seen("script-src-elem", "inline", 50) };
        inline.samples = vec!["alert(document.cookie)".into()];
        forged.push(inline);
        // Protective directives are never widened, even by a host many clients report.
        for d in ["frame-ancestors", "form-action", "base-uri", "object-src"] {
            forged.push(Seen { clients: 9, ..seen(d, "evil.example", 50) });
        }
        forged.push(Seen { clients: 9, ..seen("img-src", "evil.example:", 50) });
        let p = propose(Some(&policy), &forged);
        assert_eq!(p.changes, vec![]);
        assert!(p.flagged.iter().all(|f| f.hashes.is_empty()), "no hash from one client's sample: {:?}", p.flagged);
        assert_eq!(p.toml(TABLE, None), "");
        assert_eq!(p.flagged.len(), 16, "{:?}", p.flagged);
        let protective: Vec<&str> = p
            .flagged
            .iter()
            .filter(|f| f.instead.starts_with("never widened from reports"))
            .map(|f| f.directive.as_str())
            .collect();
        assert_eq!(protective, vec!["base-uri", "form-action", "frame-ancestors", "object-src"]);
        assert_eq!(p.held_back.len(), 1);
        assert_eq!((p.held_back[0].blocked.as_str(), p.held_back[0].clients), ("evil.example", 1));
        // A second client makes the host a proposal.
        forged.push(Seen { clients: 2, ..seen("script-src-elem", "evil.example", 1) });
        let p = propose(Some(&policy), &forged);
        assert_eq!(
            p.toml(TABLE, None),
            "[default.security.csp.report_only.directives]\nscript-src = [\"'self'\", \"evil.example\"]\n"
        );
    }

    #[test]
    fn what_the_policy_already_allows_is_not_proposed() {
        let policy = CspPolicy::parse("default-src 'self' https:", false).unwrap();
        let p = propose(Some(&policy), &[seen("img-src", "cdn.example", 2)]);
        assert_eq!(p, Proposal::default());
        assert_eq!(p.toml(TABLE, None), "");
    }

    #[test]
    fn a_raw_policy_is_proposed_as_the_whole_string() {
        let policy = CspPolicy::parse("default-src 'self'; img-src 'self'", false).unwrap();
        let p = propose(Some(&policy), &[seen("img-src", "cdn.example", 2)]);
        assert_eq!(
            p.toml("default.security.csp", Some((&policy, &[]))),
            "[default.security.csp]\npolicy = \"default-src 'self'; img-src 'self' cdn.example\"\n"
        );
    }

    #[test]
    fn complete_samples_give_hashes_extension_noise_is_apart_and_elem_hosts_go_where_the_nonce_is() {
        let policy = CspPolicy::parse("default-src 'self'; script-src 'self' 'report-sample'", false).unwrap();
        let whole = "console.log(1)";
        let cut = "x".repeat(SAMPLE_CUT);
        let mut inline = seen("script-src-elem", "inline", 4);
        inline.samples = vec![whole.into(), cut, whole.into()];
        let p = propose(
            Some(&policy),
            &[
                inline,
                seen("script-src-attr", "inline", 2),
                seen("script-src-elem", "chrome-extension://abcdef", 9),
                seen("img-src", "cdn.superfish.com", 3),
                seen("script-src", "cdn.example", 1),
                seen("script-src-elem", "js.example", 1),
            ],
        );
        assert_eq!(p.flagged[0].hashes, vec![CspHash::sha256(whole)], "one hash, of the whole sample");
        assert!(p.flagged[1].instead.starts_with("never 'unsafe-inline' (nor 'unsafe-hashes')"));
        assert!(p.flagged[1].hashes.is_empty());
        let noise: Vec<&str> = p.noise.iter().map(|f| f.blocked.as_str()).collect();
        assert_eq!(noise, vec!["chrome-extension://abcdef", "cdn.superfish.com"]);
        assert_eq!(
            p.toml("default.security.csp", None),
            "[default.security.csp.directives]\nscript-src = [\"'self'\", \"'report-sample'\", \"cdn.example\", \
             \"js.example\"]\n",
            "script-src-elem is absent: its host goes to script-src, where the nonce is"
        );
        assert_eq!(
            p.applied_to(Some(&policy)).as_deref(),
            Some("default-src 'self'; script-src 'self' 'report-sample' cdn.example js.example")
        );
    }
}
