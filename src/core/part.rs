//! [`Part`]: what a feature contributes at ignite, liftoff, request and
//! response time. The fairing runs the parts in the order the composition root
//! lists them and never names one.

use rocket::{Build, Data, Orbit, Request, Response, Rocket};

use super::route::RouteHeaders;

/// What a request gate decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gate {
    /// The request goes on (to the next gate, then to routing).
    Pass,
    /// The gate rewrote the request to one of its internal routes (a fairing
    /// cannot answer a request itself); the later gates do not run.
    Rewritten,
}

/// What a part sees of the response being finished, computed once per response.
pub(crate) struct Finish<'a> {
    /// Whether the request arrived over HTTPS. Only computed when a rule or
    /// part depends on the scheme (see [`Part::needs_scheme`]); `false` otherwise.
    pub(crate) secure: bool,
    /// `security.overwrite`: replace headers the handler set itself.
    pub(crate) overwrite: bool,
    /// The headers the route set or removed with `Override`, if any.
    pub(crate) route: Option<&'a RouteHeaders>,
}

impl Finish<'_> {
    /// Whether the route set or removed `name` itself (it then always wins).
    pub(crate) fn owns(&self, name: &str) -> bool {
        self.route.is_some_and(|r| r.owns(name))
    }
}

/// One feature's request-time work. Every hook is optional; the fairing calls
/// [`request`](Part::request) only on parts that say they [`gate`](Part::gates)
/// and [`response`](Part::response) only on parts that say they [`respond`](Part::responds),
/// so a part costs nothing on the hooks it does not use.
#[rocket::async_trait]
pub(crate) trait Part: Send + Sync + 'static {
    /// At ignite, before any part mounts anything: take what this part needs
    /// for itself alone (a directory lock, say); an error aborts the launch.
    fn acquire(&self) -> Result<(), super::error::ConfigError> {
        Ok(())
    }

    /// At ignite: mount routes, manage state, register catchers.
    fn ignite(&self, rocket: Rocket<Build>) -> Rocket<Build> {
        rocket
    }

    /// At liftoff: bind to databases, start background work, deploy
    /// warnings; work for the end goes to [`drain::on_shutdown`](super::drain::on_shutdown).
    async fn liftoff(&self, _rocket: &Rocket<Orbit>) {}

    /// Whether [`request`](Part::request) does anything.
    fn gates(&self) -> bool {
        false
    }

    /// Before routing: let the request pass or rewrite it to an internal route
    /// (`data` may be peeked, never consumed).
    async fn request(&self, _req: &mut Request<'_>, _data: &mut Data<'_>) -> Gate {
        Gate::Pass
    }

    /// Whether [`response`](Part::response) does anything.
    fn responds(&self) -> bool {
        false
    }

    /// Whether [`response`](Part::response) reads [`Finish::secure`].
    fn needs_scheme(&self) -> bool {
        false
    }

    /// After the handler (and the header rules): change the response.
    fn response<'r>(&self, _req: &'r Request<'_>, _res: &mut Response<'r>, _finish: &Finish<'_>) {}
}
