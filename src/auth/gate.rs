//! The authentication part: the internal answer route, the 401/403
//! catchers, and deny-by-default (`Security::require_login`) and the global
//! password change (`Security::require_password_change`) as request gates.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use rocket::catcher::Catcher;
use rocket::http::Method;
use rocket::outcome::Outcome;
use rocket::request::FromRequest;
use rocket::{Build, Request, Rocket, Route};

use super::answer::{login_needed, rewrite, AuthCatcher, AuthPolicy, AuthRoute, AUTH_ROUTE};
use super::user::SecurityUser;
use crate::core::part::{Gate, Part};

/// A check run before routing: `true` lets the request through.
pub(crate) type Check = Box<dyn for<'r, 'a> Fn(&'r Request<'a>) -> BoxFuture<'r, bool> + Send + Sync>;
type BoxFuture<'r, T> = Pin<Box<dyn Future<Output = T> + Send + 'r>>;

/// Passes a logged-in, active `U`.
pub(crate) fn login_check<U>() -> Check
where
    U: for<'r> FromRequest<'r> + SecurityUser + Send + 'static,
{
    Box::new(|req| {
        Box::pin(async move {
            use super::answer::owns_session;
            matches!(req.guard::<U>().await, Outcome::Success(u) if u.is_active() && owns_session(req, &u.security_id()))
        })
    })
}

/// Passes anyone but a logged-in `U` whose password has expired (the guard
/// records the refusal for the answer).
#[cfg(feature = "db")]
pub(crate) fn password_check<U>() -> Check
where
    U: for<'r> FromRequest<'r> + SecurityUser + Send + 'static,
{
    Box::new(|req| {
        Box::pin(async move {
            use super::password_change::MandatoryPasswordChange;
            // Refused for an expired password (403) or a store that cannot answer (503).
            let refused = req.guard::<MandatoryPasswordChange<U>>().await;
            !matches!(
                refused,
                Outcome::Error((rocket::http::Status::Forbidden | rocket::http::Status::ServiceUnavailable, _))
            )
        })
    })
}

/// The application's own catcher that answers `code` at the root base (for
/// `code` itself, or its default catcher), by name: the crate's catcher
/// would collide with the first and take `code` over from the second.
fn app_catcher(rocket: &Rocket<Build>, code: u16) -> Option<String> {
    rocket
        .catchers()
        .find(|c| c.base.path() == "/" && c.code.is_none_or(|c| c == code))
        .map(|c| c.name.as_deref().map_or_else(|| format!("(unnamed, for {code})"), |n| format!("`{n}`")))
}

/// The compiled authentication part.
pub(crate) struct AuthPart {
    pub(crate) policy: Arc<AuthPolicy>,
    pub(crate) login: Option<Check>,
    pub(crate) password: Option<Check>,
}

#[rocket::async_trait]
impl Part for AuthPart {
    fn ignite(&self, mut rocket: Rocket<Build>) -> Rocket<Build> {
        rocket = rocket.mount("/", vec![Route::ranked(-100, Method::Get, AUTH_ROUTE, AuthRoute)]);
        if self.policy.auth.catchers {
            for c in rocket.catchers().filter(|c| c.base.path() != "/" && c.code.is_none_or(|c| c == 401 || c == 403)) {
                tracing::info!(
                    target: "security",
                    "the application's catcher {} answers under {}: there it answers the crate's refusals too (call \
                     `rocket_security::auth::auth_response(req)` from it for the login redirects)",
                    c.name.as_deref().unwrap_or("(unnamed)"),
                    c.base.path(),
                );
            }
            let mine: Vec<Catcher> = [401, 403]
                .into_iter()
                .filter(|code| match app_catcher(&rocket, *code) {
                    None => true,
                    Some(name) => {
                        tracing::info!(
                            target: "security",
                            "the application's catcher {name} answers {code} at \"/\": the crate's {code} catcher is \
                             not registered (call `rocket_security::auth::auth_response(req)` from it for the \
                             login redirects of the crate's guards)"
                        );
                        false
                    }
                })
                .map(|code| Catcher::new(code, AuthCatcher))
                .collect();
            if !mine.is_empty() {
                rocket = rocket.register("/", mine);
            }
        }
        rocket.manage(self.policy.clone())
    }

    fn gates(&self) -> bool {
        self.login.is_some() || self.password.is_some()
    }

    async fn request(&self, req: &mut Request<'_>, _data: &mut rocket::Data<'_>) -> Gate {
        if let Some(check) = &self.login
            && !self.policy.open.matches(req.uri())
            && !check(req).await
        {
            if self.policy.auth.mode.is_report() {
                crate::core::rollout::would_refuse(req, "require_login", "not_logged_in", "no logged-in user");
            } else {
                login_needed(req);
                rewrite(req);
                return Gate::Rewritten;
            }
        }
        if let Some(check) = &self.password {
            // The guard records the refusal (password change) for the answer.
            if !self.policy.password_exempt.matches(req.uri()) && !check(req).await {
                rewrite(req);
                return Gate::Rewritten;
            }
        }
        Gate::Pass
    }
}
