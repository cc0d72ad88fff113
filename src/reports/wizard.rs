//! The policy wizard: from the stored violations of one disposition
//! (typically `report`, the candidate policy a site observes before
//! enforcing it), the smallest change to that policy that would have allowed
//! what was seen, per directive, as the `[default.security.csp.directives]`
//! snippet to paste. Dangerous sources are never proposed: inline code and
//! `eval` in script or style contexts, `data:` and `blob:` in script
//! contexts, and anything that is not a plain host are listed instead, with
//! the safer way (for inline code whose whole text a report carried, its
//! `CspHash`). Browser-extension and injected-software sources (the
//! collector's noise list) are listed apart, never proposed. Groups an admin
//! marked expected or fixed are not read at all.

use std::collections::BTreeMap;

use crate::csp::nonce::CspHash;
use crate::csp::policy::{check_directive, CspPolicy};

/// Browsers cut a report's sample to this many characters: a shorter one is the whole code.
const SAMPLE_CUT: usize = 40;

/// One stored group the wizard reads: directive, blocked source, reports.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) directive: String,
    pub(crate) blocked: String,
    pub(crate) hits: i64,
    /// Stored samples (`script-sample` / `sample`) of inline groups.
    pub(crate) samples: Vec<String>,
}

/// A directive the proposal changes: its whole new source list, and what was added (with the reports it allows).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Change {
    pub(crate) directive: String,
    pub(crate) sources: Vec<String>,
    pub(crate) added: Vec<(String, i64)>,
}

/// Something seen that the wizard does not propose to allow, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Flag {
    pub(crate) directive: String,
    pub(crate) blocked: String,
    pub(crate) hits: i64,
    pub(crate) instead: String,
    /// For inline code: the hash source of each complete sample seen (review before use).
    pub(crate) hashes: Vec<String>,
}

/// The wizard's answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Proposal {
    pub(crate) changes: Vec<Change>,
    pub(crate) flagged: Vec<Flag>,
    /// Browser-extension and injected-software sources: not the site's, never proposed.
    pub(crate) noise: Vec<Flag>,
}

fn script_context(directive: &str) -> bool {
    directive.starts_with("script-src") || directive == "default-src" || directive == "worker-src"
}

fn style_context(directive: &str) -> bool {
    directive.starts_with("style-src")
}

/// A plain host (optionally with a port), as the collector stores a blocked URL.
fn plain_host(s: &str) -> bool {
    let (host, port) = s.split_once(':').unwrap_or((s, ""));
    !host.is_empty()
        && host.len() <= 253
        && host.contains('.')
        && host.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && port.bytes().all(|b| b.is_ascii_digit())
        && port.len() <= 5
}

/// Whether `list` already allows `source` (so a report about it came from elsewhere).
fn allows(list: &[String], source: &str) -> bool {
    list.iter().any(|s| s == source || s == "*" || (plain_host(source) && (s == "https:" || s == "http:")))
}

/// The change to `policy` (the policy the reports were sent under, if known)
/// that allows what `seen` shows, most reports first.
pub(crate) fn propose(policy: Option<&CspPolicy>, seen: &[Seen]) -> Proposal {
    let mut out = Proposal::default();
    // Per directive: its new source list, and what was added with the reports it allows.
    type Added = Vec<(String, i64)>;
    let mut lists: BTreeMap<String, (Vec<String>, Added)> = BTreeMap::new();
    let mut seen: Vec<&Seen> = seen.iter().collect();
    seen.sort_by(|a, b| b.hits.cmp(&a.hits).then_with(|| (&a.directive, &a.blocked).cmp(&(&b.directive, &b.blocked))));
    for s in seen {
        let d = s.directive.as_str();
        let flag = |instead: &str| Flag {
            directive: s.directive.clone(),
            blocked: s.blocked.clone(),
            hits: s.hits,
            instead: instead.to_string(),
            hashes: vec![],
        };
        if super::filter::is_noise(&s.blocked) {
            out.noise.push(flag("a browser extension or injected software, not the site: nothing to change"));
            continue;
        }
        let source = match s.blocked.as_str() {
            "inline" if d.ends_with("-attr") => {
                out.flagged.push(flag(
                    "never 'unsafe-inline' (nor 'unsafe-hashes'): move the handler or style attribute into a file \
                     (addEventListener, a class)",
                ));
                continue;
            }
            "inline" if script_context(d) || style_context(d) => {
                let mut f = flag(
                    "never 'unsafe-inline': give the element a nonce (CspNonce in the template), or move the code \
                     to a file; fixed code can be allowed by its hash (CspHash::sha256)",
                );
                // Only a sample shorter than the browsers' cut is the whole code (less
                // the whitespace around it, which Chromium trims: the page says so).
                let mut hashes: Vec<String> =
                    s.samples.iter().filter(|x| x.chars().count() < SAMPLE_CUT).map(|x| CspHash::sha256(x)).collect();
                hashes.sort();
                hashes.dedup();
                f.hashes = hashes;
                out.flagged.push(f);
                continue;
            }
            "eval" | "wasm-eval" => {
                out.flagged.push(flag(
                    "never 'unsafe-eval': replace eval/new Function/string timers with real functions \
                     ('wasm-unsafe-eval' only for WebAssembly you load yourself)",
                ));
                continue;
            }
            "data:" | "blob:" if script_context(d) => {
                out.flagged
                    .push(flag("never data:/blob: for scripts: serve the script from a file on your own origin"));
                continue;
            }
            "'self'" => "'self'".to_string(),
            "data:" | "blob:" => s.blocked.clone(),
            host if plain_host(host) => host.to_string(),
            _ => {
                out.flagged.push(flag("not a plain host: allow it by hand if you trust it"));
                continue;
            }
        };
        // `script-src-elem` absent: the change goes where its sources (and the
        // crate's nonce) are, `script-src`; likewise for styles.
        let parent = d
            .strip_suffix("-elem")
            .filter(|p| policy.is_some_and(|policy| policy.get(d).is_none() && policy.get(p).is_some()));
        let d = parent.unwrap_or(d);
        let (list, added) = lists.entry(d.to_string()).or_insert_with(|| {
            let current = policy.and_then(|p| p.effective(d)).map(<[String]>::to_vec).unwrap_or_default();
            // `'none'` cannot stand next to a source; nonces are the crate's, new for every response.
            (current.into_iter().filter(|s| s != "'none'" && !s.starts_with("'nonce-")).collect(), vec![])
        });
        match added.iter_mut().find(|(a, _)| *a == source) {
            Some((_, n)) => *n += s.hits,
            None if allows(list, &source) => {}
            None => {
                list.push(source.clone());
                added.push((source, s.hits));
            }
        }
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
    /// The policy the reports were sent under (`raw`, as browsers quoted
    /// it) with the changes applied: each changed directive keeps the
    /// response's nonce, which the crate adds; the others stay as they were.
    /// What browsers would get, for review and for the CSP Evaluator gate.
    /// `None` without changes.
    pub(crate) fn applied_to(&self, raw: Option<&str>) -> Option<String> {
        if self.changes.is_empty() {
            return None;
        }
        let mut parts: Vec<String> = vec![];
        let mut done: Vec<&str> = vec![];
        for part in raw.unwrap_or("").split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let mut tokens = part.split_ascii_whitespace();
            let name = tokens.next().unwrap_or("").to_ascii_lowercase();
            match self.changes.iter().find(|c| c.directive == name && !done.contains(&c.directive.as_str())) {
                Some(c) => {
                    done.push(&c.directive);
                    let nonces = tokens.filter(|t| t.starts_with("'nonce-"));
                    let all: Vec<&str> = std::iter::once(c.directive.as_str())
                        .chain(c.sources.iter().map(String::as_str))
                        .chain(nonces)
                        .collect();
                    parts.push(all.join(" "));
                }
                None => parts.push(part.to_string()),
            }
        }
        for c in self.changes.iter().filter(|c| !done.contains(&c.directive.as_str())) {
            parts.push(format!("{} {}", c.directive, c.sources.join(" ")));
        }
        Some(parts.join("; "))
    }

    /// `raw` without its nonces (they are the crate's, new for every
    /// response, and refused in configuration), to parse as the current policy.
    pub(crate) fn without_nonces(raw: &str) -> String {
        raw.split(';')
            .map(|part| {
                part.split_ascii_whitespace().filter(|t| !t.starts_with("'nonce-")).collect::<Vec<_>>().join(" ")
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The `Rocket.toml` snippet of the changes (empty when there is none).
    pub(crate) fn toml(&self) -> String {
        if self.changes.is_empty() {
            return String::new();
        }
        let mut out = String::from("[default.security.csp.directives]\n");
        for c in &self.changes {
            let list: Vec<String> = c.sources.iter().map(|s| format!("{s:?}")).collect();
            out.push_str(&format!("{} = [{}]\n", c.directive, list.join(", ")));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(directive: &str, blocked: &str, hits: i64) -> Seen {
        Seen { directive: directive.into(), blocked: blocked.into(), hits, samples: vec![] }
    }

    #[test]
    fn hosts_and_self_are_added_to_the_smallest_directive_and_dangers_are_flagged() {
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
            ],
        );
        assert_eq!(
            p.toml(),
            "[default.security.csp.directives]\n\
             connect-src = [\"'self'\", \"api.example\"]\n\
             font-src = [\"fonts.example:8443\"]\n\
             img-src = [\"'self'\", \"data:\", \"cdn.example\"]\n"
        );
        assert_eq!(p.changes[2].added, vec![("cdn.example".to_string(), 7)]);
        let flagged: Vec<(&str, &str)> = p.flagged.iter().map(|f| (f.directive.as_str(), f.blocked.as_str())).collect();
        assert_eq!(
            flagged,
            vec![
                ("script-src-elem", "inline"),
                ("script-src-elem", "data:"),
                ("frame-src", "javascript:alert(1)"),
                ("script-src", "eval"),
            ]
        );
        assert!(p.flagged[0].instead.starts_with("never 'unsafe-inline'"));
    }

    #[test]
    fn without_a_known_policy_the_sources_seen_are_proposed_alone() {
        let p = propose(None, &[seen("img-src", "'self'", 2), seen("img-src", "a.example", 1)]);
        assert_eq!(p.toml(), "[default.security.csp.directives]\nimg-src = [\"'self'\", \"a.example\"]\n");
    }

    #[test]
    fn what_the_policy_already_allows_is_not_proposed() {
        let policy = CspPolicy::parse("default-src 'self' https:", false).unwrap();
        let p = propose(Some(&policy), &[seen("img-src", "cdn.example", 2)]);
        assert_eq!(p, Proposal::default());
        assert_eq!(p.toml(), "");
    }

    #[test]
    fn complete_samples_give_hashes_extension_noise_is_apart_and_nonces_stay_the_crates() {
        let raw = "default-src 'self'; script-src 'self' 'nonce-VDM4cFs3sufOtxKWEhcuw==' 'report-sample'";
        let policy = CspPolicy::parse(&Proposal::without_nonces(raw), false).unwrap();
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
            p.toml(),
            "[default.security.csp.directives]\nscript-src = [\"'self'\", \"'report-sample'\", \"cdn.example\", \
             \"js.example\"]\n",
            "script-src-elem is absent: its host goes to script-src, where the nonce is"
        );
        assert_eq!(
            p.applied_to(Some(raw)).as_deref(),
            Some("default-src 'self'; script-src 'self' 'report-sample' cdn.example js.example 'nonce-VDM4cFs3sufOtxKWEhcuw=='")
        );
    }
}
