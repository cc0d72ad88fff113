//! What is sent: each policy rendered for every case at ignite, and the
//! part that picks one per response and adds the nonce.

use std::borrow::Cow;
use std::sync::Arc;

use rocket::http::Header;
use rocket::{Request, Response};

use crate::core::part::{Finish, Part};
use crate::core::paths::Scope;
use crate::core::rules::intern;

use super::cache::NoncePages;
use super::fingerprint::{disposition_of, KnownPolicies};
use super::local::{Change, CspLocal};
use super::policy::CspPolicy;

#[derive(Debug, Clone)]
pub(crate) struct Reporting {
    pub(crate) uri: String,
    pub(crate) group: String,
    pub(crate) percentage: f64,
}

/// Turns a base policy into what is sent: scheme-dependent directives,
/// reporting directives, and the nonce.
#[derive(Debug, Clone)]
pub(crate) struct Finisher {
    pub(crate) nonce_directives: Vec<&'static str>,
    pub(crate) strict_dynamic: bool,
    pub(crate) reporting: Option<Reporting>,
}

impl Finisher {
    pub(crate) fn finish(&self, base: &CspPolicy, secure: bool, report: bool, nonce: Option<&str>) -> String {
        let mut p = base.clone();
        if !secure {
            p.remove("upgrade-insecure-requests");
        }
        if let Some(nonce) = nonce {
            for d in &self.nonce_directives {
                let Some(sources) = p.effective(d).map(<[String]>::to_vec) else { continue };
                if sources.iter().any(|s| s == "'none'") {
                    continue;
                }
                let mut sources = sources;
                sources.push(format!("'nonce-{nonce}'"));
                if self.strict_dynamic && !sources.iter().any(|s| s == "'strict-dynamic'") {
                    sources.push("'strict-dynamic'".into());
                }
                p.set(d, sources);
            }
        }
        if let (Some(r), true) = (&self.reporting, report) {
            p.set("report-uri", vec![r.uri.clone()]);
            if secure {
                p.set("report-to", vec![r.group.clone()]);
            }
        }
        p.to_string()
    }
}

/// The nonce placeholder in pre-rendered templates (never valid in a header).
const SLOT: &str = "\0";

/// One policy rendered for every case: `[secure][report]`.
#[derive(Debug)]
pub(crate) struct Variant {
    pub(crate) base: CspPolicy,
    pub(crate) plain: [[&'static str; 2]; 2],
    /// The same with the nonce: the parts around each nonce slot.
    nonce: [[Vec<&'static str>; 2]; 2],
}

impl Variant {
    pub(crate) fn render(base: CspPolicy, f: &Finisher) -> Self {
        let plain = [0, 1].map(|s| [0, 1].map(|r| intern(f.finish(&base, s == 1, r == 1, None))));
        let nonce = [0, 1].map(|s| {
            [0, 1].map(|r| {
                f.finish(&base, s == 1, r == 1, Some(SLOT)).split(SLOT).map(|p| intern(p.to_string())).collect()
            })
        });
        Variant { base, plain, nonce }
    }

    /// Every value this variant can send, with a stand-in nonce (the
    /// fingerprints take nonces out).
    pub(crate) fn every_value(&self) -> impl Iterator<Item = Cow<'static, str>> + '_ {
        [false, true].into_iter().flat_map(move |s| {
            [false, true].into_iter().flat_map(move |r| [None, Some("n")].map(|n| self.value(s, r, n)))
        })
    }

    pub(crate) fn value(&self, secure: bool, report: bool, nonce: Option<&str>) -> Cow<'static, str> {
        let (s, r) = (usize::from(secure), usize::from(report));
        match nonce {
            None => Cow::Borrowed(self.plain[s][r]),
            Some(n) => {
                let parts = &self.nonce[s][r];
                if parts.len() == 1 {
                    return Cow::Borrowed(parts[0]);
                }
                let len = parts.iter().map(|p| p.len()).sum::<usize>() + n.len() * (parts.len() - 1);
                let mut out = String::with_capacity(len);
                for (i, p) in parts.iter().enumerate() {
                    if i > 0 {
                        out.push_str(n);
                    }
                    out.push_str(p);
                }
                Cow::Owned(out)
            }
        }
    }
}

#[derive(Debug)]
pub(crate) struct CompiledPolicy {
    pub(crate) default: Variant,
    pub(crate) routes: Vec<(Scope, Variant)>,
    /// Further policies of a comma-separated `policy`, sent after the first
    /// in the same header (each enforced on its own).
    pub(crate) extra: Vec<Variant>,
}

impl CompiledPolicy {
    /// Records in `known` every policy this one can send.
    pub(crate) fn record_in(&self, known: &KnownPolicies, disposition: &'static str) {
        for v in std::iter::once(&self.default).chain(self.routes.iter().map(|(_, v)| v)).chain(&self.extra) {
            for value in v.every_value() {
                known.sent(disposition, &value);
            }
        }
    }
}

impl CompiledPolicy {
    fn variant(&self, req: &Request<'_>) -> &Variant {
        self.routes.iter().find(|(s, _)| s.applies(req.uri())).map_or(&self.default, |(_, v)| v)
    }
}

/// Everything the fairing needs for CSP at request time.
#[derive(Debug)]
pub(crate) struct CompiledCsp {
    pub(crate) scope: Scope,
    pub(crate) enforce: Option<CompiledPolicy>,
    pub(crate) report_only: Option<CompiledPolicy>,
    pub(crate) percentage: Option<f64>,
    pub(crate) endpoints: Option<&'static str>,
    pub(crate) finisher: Finisher,
    /// The policies this site sends (managed state, read by the collector).
    pub(crate) known: Arc<KnownPolicies>,
    /// The `Cache-Control` of pages whose policy carries the nonce.
    pub(crate) nonce_pages: NoncePages,
}

impl CompiledCsp {
    /// Records the `name` policies a route or handler put in `res` itself.
    fn record_own(&self, res: &Response<'_>, name: &str) {
        for value in res.headers().get(name) {
            self.known.sent(disposition_of(name), value);
        }
    }

    /// Whether this response carries the reporting directives (sampling).
    fn sampled(&self) -> bool {
        match self.percentage {
            None => false,
            Some(p) if p >= 100.0 => true,
            Some(p) if p <= 0.0 => false,
            Some(p) => rand::random::<f64>() * 100.0 < p,
        }
    }
}

#[rocket::async_trait]
impl Part for CompiledCsp {
    fn ignite(&self, rocket: rocket::Rocket<rocket::Build>) -> rocket::Rocket<rocket::Build> {
        rocket.manage(self.known.clone())
    }

    async fn liftoff(&self, _rocket: &rocket::Rocket<rocket::Orbit>) {
        #[cfg(feature = "db")]
        if let Some(pool) = crate::db::bound(_rocket) {
            rocket::tokio::spawn(super::fingerprint::keep_recorded(self.known.clone(), pool.clone()));
        }
    }

    fn responds(&self) -> bool {
        true
    }

    fn needs_scheme(&self) -> bool {
        true
    }

    fn response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>, finish: &Finish<'_>) {
        let local = CspLocal::used(req);
        let nonce = local.and_then(|l| l.nonce.get()).map(String::as_str);
        self.send_policies(req, res, finish, local, nonce);
        // Only a response whose handler asked for a nonce pays for the check.
        if let Some(nonce) = nonce {
            self.nonce_pages.finish(req, res, finish, nonce);
        }
    }
}

impl CompiledCsp {
    /// Sets (or leaves) the two policy headers of `res`; `local`: the
    /// request's CSP state, if a handler used it, and `nonce` its nonce.
    fn send_policies<'r>(
        &self,
        req: &'r Request<'_>,
        res: &mut Response<'r>,
        finish: &Finish<'_>,
        local: Option<&CspLocal>,
        nonce: Option<&str>,
    ) {
        let (secure, overwrite) = (finish.secure, finish.overwrite);
        if !self.scope.applies(req.uri()) {
            // A policy a handler sends where the crate's does not apply is one the site sends too.
            for name in ["Content-Security-Policy", "Content-Security-Policy-Report-Only"] {
                self.record_own(res, name);
            }
            return;
        }
        let report = self.sampled();
        let changes = local.and_then(CspLocal::changes);
        let mut sent = false;
        for (name, policy, change) in [
            ("Content-Security-Policy", &self.enforce, changes.as_ref().map(|c| &c.enforce)),
            ("Content-Security-Policy-Report-Only", &self.report_only, changes.as_ref().map(|c| &c.report_only)),
        ] {
            let change = change.filter(|c| !matches!(c, Change::Keep));
            if policy.is_none() && change.is_none() {
                // Nothing of this kind from the crate (not even a lookup: the hot path).
                continue;
            }
            if finish.owns(name) || (change.is_none() && !overwrite && res.headers().contains(name)) {
                // A policy the route or handler set itself is one the site sends too.
                self.record_own(res, name);
                continue;
            }
            let value: Cow<'static, str> = match (change, policy) {
                (Some(Change::Remove), _) => {
                    res.remove_header(name);
                    continue;
                }
                (Some(Change::Replace(p)), _) => Cow::Owned(self.finisher.finish(p, secure, report, nonce)),
                (Some(Change::Extend(extra)), Some(policy)) => {
                    let mut p = policy.variant(req).base.clone();
                    p.extend(extra);
                    Cow::Owned(self.finisher.finish(&p, secure, report, nonce))
                }
                (None | Some(Change::Keep), Some(policy)) => policy.variant(req).value(secure, report, nonce),
                (_, None) => continue,
            };
            // The further policies of a comma-separated `policy` follow the first, unchanged by routes.
            let value = match policy.as_ref().filter(|p| !p.extra.is_empty()) {
                None => value,
                Some(p) => {
                    let mut all = value.into_owned();
                    for v in &p.extra {
                        all.push_str(", ");
                        all.push_str(&v.value(secure, report, nonce));
                    }
                    Cow::Owned(all)
                }
            };
            if value.is_empty() {
                // Only `upgrade-insecure-requests` on plain HTTP: nothing to send.
                continue;
            }
            if matches!(change, Some(Change::Replace(_) | Change::Extend(_))) {
                self.known.sent(disposition_of(name), &value);
            }
            res.set_header(Header::new(name, value));
            sent = true;
        }
        if sent
            && secure
            && report
            && let Some(endpoints) = self.endpoints
        {
            // The other groups in use join it later (the composition root's part).
            crate::core::reporting::set_own(res, finish, endpoints);
        }
    }
}
