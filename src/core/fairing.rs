//! The runner: what every fairing of the crate does with the parts it was
//! given, in a fixed order. It knows header rules and [`Part`]s, no feature.
//!
//! - **Ignite**: Rocket's default Shield is replaced by an empty one, the
//!   response half ([`ResponseHeaders`]) is attached after it, the shared
//!   state (clock, HTTPS detection) is managed, then each part's
//!   [`ignite`](Part::ignite) runs in list order.
//! - **Liftoff**: each part's [`liftoff`](Part::liftoff) in list order, then
//!   one log line per feature.
//! - **Request**: the gates in list order; the first that rewrites the
//!   request ends the pass.
//! - **Response**: the header table (one pass over the response's headers,
//!   a bitmask of what the handler set), then each responding part in list order.
//! - **Shutdown**: waits for the work the parts registered with
//!   [`drain::on_shutdown`](super::drain::on_shutdown), which started when
//!   shutdown was requested.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Header;
use rocket::shield::Shield;
use rocket::{Build, Data, Orbit, Request, Response, Rocket};

use super::clock::{Clock, SharedClock};
use super::https::{HttpsPolicy, HttpsState};
use super::part::{Finish, Gate, Part};
use super::route::RouteHeaders;
use super::rules::HeaderRule;

/// Everything a fairing runs, compiled once at ignite.
pub(crate) struct Plan {
    /// The pre-rendered headers.
    pub(crate) rules: Vec<HeaderRule>,
    /// The parts, in the order their hooks run.
    pub(crate) parts: Vec<Arc<dyn Part>>,
    /// HTTPS detection.
    pub(crate) https: HttpsPolicy,
    /// `security.overwrite`.
    pub(crate) overwrite: bool,
    /// One line per feature for the liftoff log: (feature key, line).
    pub(crate) summary: Vec<(&'static str, String)>,
    /// Manage the clock and HTTPS detection as state (only one fairing per
    /// Rocket may: the full one).
    pub(crate) shared: Option<Arc<dyn Clock>>,
}

/// The compiled plan of a running fairing.
pub(crate) struct Runner {
    parts: Vec<Arc<dyn Part>>,
    gates: Vec<Arc<dyn Part>>,
    summary: Vec<(&'static str, String)>,
}

/// Sets up `rocket` for `plan`; `name` names the response fairing.
pub(crate) fn ignite(mut rocket: Rocket<Build>, plan: Plan, name: &'static str) -> (Rocket<Build>, Arc<Runner>) {
    tracing::info!(
        target: "security",
        "replacing Rocket's Shield with an empty one: rocket_security sends the security headers \
         (policies configured on a Shield of your own are dropped; configure them under `security`)"
    );
    let responders: Vec<Arc<dyn Part>> = plan.parts.iter().filter(|p| p.responds()).cloned().collect();
    let needs_scheme = plan.rules.iter().any(HeaderRule::needs_scheme) || responders.iter().any(|p| p.needs_scheme());
    // Response fairings run in attach order: attaching ours after the new
    // Shield lets it see (and correct) everything Shield and the app did.
    rocket = rocket.attach(Shield::new()).attach(ResponseHeaders {
        rules: plan.rules,
        responders,
        https: plan.https.clone(),
        overwrite: plan.overwrite,
        needs_scheme,
        shield_forces_hsts: AtomicBool::new(false),
        name,
    });
    if let Some(clock) = plan.shared {
        rocket = rocket
            .manage(HttpsState(plan.https))
            .manage(SharedClock(clock))
            .manage(Arc::new(super::rollout::Observed::default()));
    }
    rocket = super::drain::manage(rocket);
    let before = rocket.routes().count();
    for part in &plan.parts {
        rocket = part.ignite(rocket);
    }
    let mut summary = plan.summary;
    if let Some(line) = mounted(rocket.routes().skip(before)) {
        summary.push(("routes", line));
    }
    let gates = plan.parts.iter().filter(|p| p.gates()).cloned().collect();
    (rocket, Arc::new(Runner { parts: plan.parts, gates, summary }))
}

/// The liftoff line that lists the routes the parts mounted (Rocket appends
/// a mount's routes in order): the public ones by method and path, the
/// internal answer routes (which only a gate's rewrite reaches) counted.
fn mounted<'a>(routes: impl Iterator<Item = &'a rocket::Route>) -> Option<String> {
    let mut public: Vec<String> = Vec::new();
    let mut internal = 0;
    for r in routes {
        if r.uri.path().starts_with("/__rocket_security/") {
            internal += 1;
        } else {
            public.push(format!("{} {}", r.method, r.uri.as_str()));
        }
    }
    if public.is_empty() && internal == 0 {
        return None;
    }
    let list = if public.is_empty() { "none".to_string() } else { public.join(", ") };
    Some(format!("mounted {list}; and {internal} internal answer route(s) under /__rocket_security/"))
}

impl Runner {
    pub(crate) async fn liftoff(&self, rocket: &Rocket<Orbit>) {
        for part in &self.parts {
            part.liftoff(rocket).await;
        }
        for (feature, line) in &self.summary {
            tracing::info!(target: "security", "{feature}: {line}");
        }
    }

    pub(crate) async fn request(&self, req: &mut Request<'_>, data: &mut Data<'_>) {
        for gate in &self.gates {
            if gate.request(req, data).await == Gate::Rewritten {
                return;
            }
        }
    }

    pub(crate) async fn shutdown(&self, rocket: &Rocket<Orbit>) {
        super::drain::finish(rocket, std::time::Duration::from_secs(10)).await;
    }
}

/// The response half, attached after Rocket's (empty) Shield.
struct ResponseHeaders {
    rules: Vec<HeaderRule>,
    responders: Vec<Arc<dyn Part>>,
    https: HttpsPolicy,
    overwrite: bool,
    needs_scheme: bool,
    /// Rocket's Shield adds its own HSTS in release builds served over TLS
    /// when it has no HSTS policy; the configured rules decide instead.
    shield_forces_hsts: AtomicBool,
    name: &'static str,
}

/// The header Rocket's Shield forces (see [`ResponseHeaders::shield_forces_hsts`]).
const SHIELD_HSTS: &str = "Strict-Transport-Security";

#[rocket::async_trait]
impl Fairing for ResponseHeaders {
    fn info(&self) -> Info {
        Info { name: self.name, kind: Kind::Liftoff | Kind::Response }
    }

    async fn on_liftoff(&self, rocket: &Rocket<Orbit>) {
        let forced = rocket.config().tls_enabled() && rocket.figment().profile() != rocket::Config::DEBUG_PROFILE;
        self.shield_forces_hsts.store(forced, Ordering::Relaxed);
        if forced {
            tracing::info!(
                target: "security",
                "Rocket's Shield adds `Strict-Transport-Security: max-age=31536000` in release builds with TLS; \
                 rocket_security replaces it with the configured HSTS (or removes it where HSTS is off)"
            );
        }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let route = RouteHeaders::of(req);
        let owns = |name: &str| route.as_ref().is_some_and(|c| c.owns(name));
        if let Some(route) = &route {
            for name in &route.removed {
                res.remove_header(name);
            }
        }
        if self.shield_forces_hsts.load(Ordering::Relaxed) && !owns(SHIELD_HSTS) {
            res.remove_header(SHIELD_HSTS);
        }
        // Which of our headers the response already has, in one pass over its
        // (few) headers instead of one hash lookup per rule.
        let mut present: u64 = 0;
        if !self.overwrite {
            for h in res.headers().iter() {
                for (i, rule) in self.rules.iter().enumerate().take(64) {
                    if h.name().as_str().eq_ignore_ascii_case(rule.name) {
                        present |= 1 << i;
                    }
                }
            }
        }
        let secure = self.needs_scheme && self.https.is_secure(req);
        for (i, rule) in self.rules.iter().enumerate() {
            let Some(value) = rule.value_for(secure) else { continue };
            if !rule.scope.applies(req.uri()) || owns(rule.name) || rule.follows.is_some_and(owns) {
                continue;
            }
            let handler_set = if i < 64 { present & (1 << i) != 0 } else { res.headers().contains(rule.name) };
            if handler_set && !(rule.force || self.overwrite) {
                continue;
            }
            res.set_header(Header::new(rule.name, value));
        }
        let finish = Finish { secure, overwrite: self.overwrite, route: route.as_ref() };
        for part in &self.responders {
            part.response(req, res, &finish);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use rocket::local::asynchronous::Client;

    use super::*;

    /// A part that records when its gate runs and answers `gate`.
    struct Recorder {
        name: &'static str,
        gate: Option<Gate>,
        log: Arc<Mutex<Vec<&'static str>>>,
    }

    #[rocket::async_trait]
    impl Part for Recorder {
        fn gates(&self) -> bool {
            self.gate.is_some()
        }

        async fn request(&self, _: &mut Request<'_>, _: &mut Data<'_>) -> Gate {
            self.log.lock().unwrap().push(self.name);
            self.gate.unwrap_or(Gate::Pass)
        }
    }

    /// A request fairing that hands the runner a real request and its data.
    struct Gates(Arc<Runner>);

    #[rocket::async_trait]
    impl Fairing for Gates {
        fn info(&self) -> Info {
            Info { name: "gates", kind: Kind::Request }
        }

        async fn on_request(&self, req: &mut Request<'_>, data: &mut Data<'_>) {
            self.0.request(req, data).await;
        }
    }

    async fn run(gates: &[(&'static str, Option<Gate>)]) -> Vec<&'static str> {
        let log = Arc::new(Mutex::new(Vec::new()));
        let parts = gates
            .iter()
            .map(|(name, gate)| Arc::new(Recorder { name, gate: *gate, log: log.clone() }) as Arc<dyn Part>)
            .collect();
        let plan = Plan {
            rules: vec![],
            parts,
            https: HttpsPolicy::default(),
            overwrite: false,
            summary: vec![],
            shared: None,
        };
        let (_, runner) = ignite(rocket::build(), plan, "test");
        let client = Client::untracked(rocket::build().attach(Gates(runner))).await.unwrap();
        client.get("/").dispatch().await;

        log.lock().unwrap().clone()
    }

    #[rocket::async_test]
    async fn every_gate_runs_in_list_order_when_all_pass() {
        let seen =
            run(&[("redirect", Some(Gate::Pass)), ("session", Some(Gate::Pass)), ("auth", Some(Gate::Pass))]).await;
        assert_eq!(seen, ["redirect", "session", "auth"]);
    }

    #[rocket::async_test]
    async fn the_first_rewrite_ends_the_pass() {
        let seen =
            run(&[("redirect", Some(Gate::Pass)), ("session", Some(Gate::Rewritten)), ("auth", Some(Gate::Pass))])
                .await;
        assert_eq!(seen, ["redirect", "session"]);
    }

    #[rocket::async_test]
    async fn a_part_that_does_not_gate_is_never_asked() {
        let seen = run(&[("headers", None), ("auth", Some(Gate::Pass))]).await;
        assert_eq!(seen, ["auth"]);
    }
}
