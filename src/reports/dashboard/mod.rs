//! The reports dashboard (the Django admin's role), one job a file: the
//! routes (this file), the violation list ([`list`]) and one violation
//! ([`violation`]), the grouped view ([`groups`]), triage ([`triage`]), the
//! other browser report types ([`types`]), the policy wizard ([`wizard`]), safe CSV and JSON ([`exports`]), the SVG
//! charts ([`charts`]), the page shell ([`page`]) and what every view gets
//! and answers ([`view`]). Every page is a maud
//! template (`html!`): each value it splices in is escaped, so a report
//! field, which anyone can POST, is text on the page whatever it holds.

use std::marker::PhantomData;
use std::sync::Arc;

use rocket::futures::future::BoxFuture;
use rocket::http::{Method, Status};
use rocket::request::{FromRequest, Request};
use rocket::route::{Handler, Outcome, Route};
use rocket::Data;

use super::state::{CollectorHandle, CollectorState};
use crate::core::route::Override;
use crate::csp::nonce::CspNonce;
use view::Answer;

pub(crate) mod charts;
pub(crate) mod exports;
pub(crate) mod groups;
pub(crate) mod list;
pub(crate) mod page;
pub(crate) mod triage;
pub(crate) mod types;
pub(crate) mod view;
pub(crate) mod violation;
pub(crate) mod wizard;

use view::View;

/// A GET view: a page or an export.
type Get = for<'a, 'r> fn(&'a View<'_, 'r>) -> BoxFuture<'a, Result<Answer, Status>>;
/// A POST form: the URL to go back to (303).
type Post = for<'r> fn(Arc<CollectorState>, &'r Request<'_>, Data<'r>) -> BoxFuture<'r, Result<String, Status>>;

#[derive(Clone, Copy)]
enum Job {
    Get(Get),
    Post(Post),
}

/// Every dashboard route: method, path under the dashboard path, job.
const ROUTES: [(Method, &str, Job); 14] = [
    (Method::Get, "", Job::Get(list::page)),
    (Method::Get, "/api", Job::Get(list::json)),
    (Method::Get, "/violations.csv", Job::Get(list::csv)),
    (Method::Get, "/violation/<id>", Job::Get(violation::view)),
    (Method::Get, "/groups", Job::Get(groups::page)),
    (Method::Get, "/groups.json", Job::Get(groups::json)),
    (Method::Get, "/groups.csv", Job::Get(groups::csv)),
    (Method::Get, "/wizard", Job::Get(wizard::page)),
    (Method::Get, "/wizard.json", Job::Get(wizard::json)),
    (Method::Post, "/triage", Job::Post(triage::post)),
    (Method::Get, "/types", Job::Get(types::index)),
    (Method::Get, "/types/<type>", Job::Get(types::view)),
    (Method::Get, "/types/<type>/<group>", Job::Get(types::group)),
    (Method::Post, "/types/triage", Job::Post(triage::post_browser)),
];

/// The dashboard routes under `path`, each requiring guard `G`.
pub(crate) fn routes<G>(path: &str) -> Vec<Route>
where
    G: for<'r> FromRequest<'r> + Send + Sync + 'static,
{
    let base = path.trim_end_matches('/');
    ROUTES
        .iter()
        .map(|&(method, sub, job)| Route::ranked(-80, method, &format!("{base}{sub}"), Guarded::<G>(job, PhantomData)))
        .collect()
}

/// A dashboard job behind guard `G`, answered under the dashboard's own headers.
struct Guarded<G>(Job, PhantomData<fn() -> G>);

impl<G> Clone for Guarded<G> {
    fn clone(&self) -> Self {
        Guarded(self.0, PhantomData)
    }
}

#[rocket::async_trait]
impl<G> Handler for Guarded<G>
where
    G: for<'r> FromRequest<'r> + Send + Sync + 'static,
{
    async fn handle<'r>(&self, req: &'r Request<'_>, data: Data<'r>) -> Outcome<'r> {
        match req.guard::<G>().await {
            rocket::outcome::Outcome::Success(_) => {}
            rocket::outcome::Outcome::Error((status, _)) => return Outcome::Error(status),
            rocket::outcome::Outcome::Forward(status) => return Outcome::Forward((data, status)),
        }
        let Some(handle) = req.rocket().state::<CollectorHandle>() else { return Outcome::Error(Status::NotFound) };
        let state = handle.0.clone();
        let get = match self.0 {
            Job::Post(post) => {
                return match post(state, req, data).await {
                    Ok(to) => Outcome::from(req, rocket::response::Redirect::to(to)),
                    Err(status) => Outcome::Error(status),
                };
            }
            Job::Get(get) => get,
        };
        let view = View { req, state, nonce: CspNonce::of(req).as_str().to_string() };
        let answer = match get(&view).await {
            Ok(a) => a,
            Err(status) => return Outcome::Error(status),
        };
        let policy = format!(
            "default-src 'none'; style-src 'nonce-{}'; img-src 'self'; form-action 'self'; base-uri 'none'; \
             frame-ancestors 'none'",
            view.nonce
        );
        let mut res = Override::new((answer.status, (answer.content_type, answer.body)))
            .set("Content-Security-Policy", policy)
            .set("Cache-Control", "no-store, max-age=0")
            .remove("Content-Security-Policy-Report-Only");
        if let Some(name) = answer.download {
            res = res.set("Content-Disposition", format!("attachment; filename=\"{name}\""));
        }
        Outcome::from(req, res)
    }
}
