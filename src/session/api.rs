//! [`Sessions`]: log in, log out, and end sessions on the server.

use std::convert::Infallible;

use chrono::{DateTime, Utc};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::{Orbit, Rocket};

use super::config::OnLimit;
use super::error::SessionError;
use super::rows::{Admission, Limit, Listed, RegistryRows};
use super::stamp::{new_session_id, Stamp};
use super::state::{Local, Shared};
use crate::auth::answer::SessionOwner;
use crate::auth::SecurityUser;

/// The session of this request, and the operations on the session registry.
///
/// `login` issues a new session (a fresh random id, a fresh absolute clock)
/// for the user the handler just authenticated; nothing else starts one, so
/// an id from before the login is never kept (no fixation) and re-setting the
/// login cookie never extends a session. `logout` ends the request's session
/// on the server; the `revoke_*` calls end other sessions of a user, on every
/// instance within `security.session.revocation_check_ms`.
///
/// ```
/// use rocket::http::CookieJar;
/// use rocket::post;
/// use rocket_security::session::{SessionError, Sessions};
/// # struct User(String);
/// # impl rocket_security::SecurityUser for User { fn security_id(&self) -> String { self.0.clone() } }
///
/// #[post("/login")]
/// async fn login(jar: &CookieJar<'_>, sessions: Sessions<'_>) -> Result<&'static str, SessionError> {
///     // ... check the password ...
///     jar.add(("user_id", "alice"));
///     sessions.login(&User("alice".into())).await?;
///     Ok("welcome")
/// }
///
/// #[post("/logout")]
/// async fn logout(jar: &CookieJar<'_>, sessions: Sessions<'_>) -> Result<&'static str, SessionError> {
///     jar.remove("user_id");
///     sessions.logout().await?;
///     Ok("bye")
/// }
/// ```
///
/// With session expiry off (`security.session.enabled = false`) `login` and
/// `logout` do nothing and the registry operations answer
/// [`SessionError::NoRegistry`].
pub struct Sessions<'r> {
    shared: Option<&'r Shared>,
    local: &'r Local,
    /// Whose session the request carries, for the user guards.
    owner: &'r SessionOwner,
    rocket: &'r Rocket<Orbit>,
    client: String,
}

/// One live session of a user, for an "active sessions" page.
///
/// ```
/// use rocket::get;
/// use rocket_security::session::{ActiveSession, SessionError, Sessions};
/// # struct User(String);
/// # impl rocket_security::SecurityUser for User { fn security_id(&self) -> String { self.0.clone() } }
///
/// #[get("/account/sessions")]
/// async fn list(sessions: Sessions<'_>) -> Result<String, SessionError> {
///     let active: Vec<ActiveSession> = sessions.list(&User("alice".into())).await?;
///     let mark = |s: &ActiveSession| if s.current { " (this one)" } else { "" };
///     Ok(active.iter().map(|s| format!("{} {} since {}{}\n", s.id, s.client, s.created, mark(s))).collect())
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveSession {
    /// A public handle for [`Sessions::revoke`] (16 hex digits; it cannot be
    /// used to take the session over).
    pub id: String,
    /// When it started (the login).
    pub created: DateTime<Utc>,
    /// Last activity (updated at most once per `refresh_interval`).
    pub last_seen: DateTime<Utc>,
    /// Browser family and address prefix, e.g. `Firefox on Linux, 203.0.113.0/24`.
    pub client: String,
    /// Whether it is the session of this request.
    pub current: bool,
}

/// A session of a user that ended on the server, for the "active sessions"
/// page: which one, and why.
///
/// ```
/// use rocket::get;
/// use rocket_security::session::{EndedSession, SessionError, Sessions};
/// # struct User(String);
/// # impl rocket_security::SecurityUser for User { fn security_id(&self) -> String { self.0.clone() } }
///
/// #[get("/account/sessions/ended")]
/// async fn ended(sessions: Sessions<'_>) -> Result<String, SessionError> {
///     let ended: Vec<EndedSession> = sessions.ended(&User("alice".into())).await?;
///     // e.g. "Firefox on Linux, 203.0.113.0/24: ended: the session limit (2) was reached at a later login"
///     Ok(ended.iter().map(|s| format!("{}: {}\n", s.client, s.why())).collect())
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndedSession {
    /// Its public handle, as [`ActiveSession::id`] showed it.
    pub id: String,
    /// When it started (the login).
    pub created: DateTime<Utc>,
    /// Its last activity.
    pub last_seen: DateTime<Utc>,
    /// When it ended.
    pub ended: DateTime<Utc>,
    /// Browser family and address prefix.
    pub client: String,
    /// The reason the registry recorded: `logout`, `revoked`, `revoked_others`,
    /// `revoked_all`, `replaced`, `idle`, `absolute`, or `session_limit:N` (the
    /// limit `N` ended it at a later login).
    pub reason: String,
}

impl EndedSession {
    /// The reason in words, as the logs give it.
    ///
    /// ```
    /// # use chrono::Utc;
    /// use rocket_security::session::EndedSession;
    /// let s = EndedSession {
    ///     id: "0123456789abcdef".into(), created: Utc::now(), last_seen: Utc::now(), ended: Utc::now(),
    ///     client: "Firefox on Linux".into(), reason: "session_limit:2".into(),
    /// };
    /// assert_eq!(s.why(), "ended: the session limit (2) was reached at a later login");
    /// ```
    pub fn why(&self) -> String {
        super::reason::explain(&self.reason)
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Sessions<'r> {
    type Error = Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Infallible> {
        let client = client_summary(req);
        Outcome::Success(Sessions {
            shared: Shared::of(req.rocket()),
            local: Local::of(req),
            owner: SessionOwner::of(req),
            rocket: req.rocket(),
            client,
        })
    }
}

/// `Firefox on Linux, 203.0.113.0/24`: a browser family, a platform and the
/// client's address prefix (/24 for IPv4, /48 for IPv6), from bounded input.
fn client_summary(req: &Request<'_>) -> String {
    let ua = req.headers().get_one("User-Agent").unwrap_or_default();
    let ua: String = ua.chars().take(512).collect();
    let family = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .iter()
    .find(|(token, _)| ua.contains(token))
    .map_or("Other browser", |(_, name)| name);
    let platform = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(token, _)| ua.contains(token))
    .map(|(_, name)| format!(" on {name}"))
    .unwrap_or_default();
    let https = req.rocket().state::<crate::core::https::HttpsState>();
    let ip = match https {
        Some(h) => h.0.client_ip(req),
        None => req.remote().map(|r| r.ip()),
    };
    let prefix = match ip {
        Some(std::net::IpAddr::V4(v4)) => {
            let o = v4.octets();
            format!(", {}.{}.{}.0/24", o[0], o[1], o[2])
        }
        Some(std::net::IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!(", {:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
        }
        None => String::new(),
    };
    format!("{family}{platform}{prefix}")
}

impl Sessions<'_> {
    /// Whether the request carries a live session of `user_id` (the user its
    /// login cookie names; a session the registry records for another user is
    /// refused, logged at WARN): for an application's own user guard, which
    /// reads the login cookie itself. On an open path (the
    /// login page, `security.auth.allow`) an expired, revoked or unverified
    /// session is not refused, only dropped: its cookies are still on the
    /// request, and a guard that trusts them would see a user who is logged
    /// out. [`LoginRequired`](crate::LoginRequired) and
    /// `MandatoryPasswordChange` refuse such a session already. `false` for anonymous requests and after a logout on the
    /// request; `true` after a login on it. With session expiry off it
    /// answers `true`: the crate keeps no session, the login cookie is the
    /// application's to judge.
    ///
    /// ```
    /// use chrono::{Duration, TimeZone, Utc};
    /// use rocket::http::{CookieJar, Status};
    /// use rocket::local::blocking::Client;
    /// use rocket::request::{self, FromRequest, Request};
    /// use rocket::{get, routes};
    /// use rocket_security::core::ManualClock;
    /// use rocket_security::session::{SessionError, Sessions};
    /// use rocket_security::{Security, SecurityUser};
    ///
    /// struct User(String);
    /// impl SecurityUser for User {
    ///     fn security_id(&self) -> String { self.0.clone() }
    /// }
    ///
    /// #[rocket::async_trait]
    /// impl<'r> FromRequest<'r> for User {
    ///     type Error = ();
    ///     async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
    ///         match req.cookies().get("user_id") {
    ///             // The cookie alone is not enough: its session must be live.
    ///             // ... and belong to the user the cookie names.
    ///             Some(c) if Sessions::is_live(req, c.value()) => request::Outcome::Success(User(c.value().to_string())),
    ///             _ => request::Outcome::Forward(Status::Unauthorized),
    ///         }
    ///     }
    /// }
    ///
    /// /// An open page that greets a logged-in user.
    /// #[get("/")]
    /// fn home(user: Option<User>) -> String {
    ///     user.map_or("hello, guest".into(), |u| format!("hello {}", u.0))
    /// }
    ///
    /// #[get("/login")]
    /// async fn login(jar: &CookieJar<'_>, sessions: Sessions<'_>) -> Result<&'static str, SessionError> {
    ///     jar.add(("user_id", "alice")); // after checking the password
    ///     sessions.login(&User("alice".into())).await?;
    ///     Ok("welcome")
    /// }
    ///
    /// // Rocket.toml: [default.security.session] enabled = true
    /// //              [default.security.auth] allow = ["/"]
    /// let figment = rocket::figment::Figment::from(rocket::Config::default())
    ///     .merge(("secret_key", "hPRYyVRiMyxpw5sBB1XeCMN1kFsDCqKvBi2QJxBVHQk="))
    ///     .merge(("security.session.enabled", true))
    ///     .merge(("security.session.registry", false))
    ///     .merge(("security.auth.allow", ["/"]));
    /// let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap());
    /// let rocket = rocket::custom(figment)
    ///     .attach(Security::fairing().clock(clock.clone()))
    ///     .mount("/", routes![home, login]);
    /// let client = Client::tracked(rocket).unwrap();
    ///
    /// client.get("/login").dispatch();
    /// assert_eq!(client.get("/").dispatch().into_string().unwrap(), "hello alice");
    /// clock.advance(Duration::minutes(31)); // past the idle timeout
    /// assert_eq!(client.get("/").dispatch().into_string().unwrap(), "hello, guest");
    /// ```
    pub fn is_live(req: &Request<'_>, user_id: &str) -> bool {
        if Shared::of(req.rocket()).is_none() {
            return true;
        }
        if crate::auth::answer::session_ended(req) {
            return false;
        }
        let live =
            Local::used(req).is_some_and(|l| !l.logged_out() && (l.login().is_some() || l.current.get().is_some()));
        // The registry's owner of the session must be the user the login cookie names.
        live && crate::auth::answer::owns_session(req, user_id)
    }

    /// The id of this request's live session, if it has one: the one
    /// `login` issued on this request, else the one the request came with.
    fn current_sid(&self) -> Option<String> {
        if self.local.logged_out() {
            return None;
        }
        self.local.login().map(|s| s.sid).or_else(|| self.local.current.get().map(|s| s.sid.clone()))
    }

    /// The id the request came with (before any `login` on it).
    fn previous_sid(&self) -> Option<&str> {
        (!self.local.logged_out()).then(|| self.local.current.get().map(|s| s.sid.as_str())).flatten()
    }

    /// Starts a new session for `user`, who the handler has just
    /// authenticated: a fresh id is registered and the response carries its
    /// stamp. An earlier session of this browser is ended.
    ///
    /// ```
    /// use rocket::http::CookieJar;
    /// use rocket::post;
    /// use rocket_security::session::{SessionError, Sessions};
    /// # struct User(String);
    /// # impl rocket_security::SecurityUser for User { fn security_id(&self) -> String { self.0.clone() } }
    ///
    /// #[post("/login")]
    /// async fn login(jar: &CookieJar<'_>, sessions: Sessions<'_>) -> Result<&'static str, SessionError> {
    ///     // ... check the password ...
    ///     jar.add(("user_id", "alice"));
    ///     sessions.login(&User("alice".into())).await?;
    ///     Ok("welcome")
    /// }
    /// ```
    ///
    /// # The session limit
    ///
    /// With `security.session.max_per_user = N`, a user has at most `N` live
    /// sessions, on every instance together; idle and timed-out ones do not
    /// count, nor the one this login replaces. When `N` are live, the login
    /// ends the least recently active one (`on_limit = "end_oldest"`, the
    /// default: its next request is refused as revoked, the login URL gets
    /// `&ended=session_limit:N`, [`Sessions::ended`] says why) or is refused
    /// (`on_limit = "refuse"`) with [`SessionError::LimitReached`], which the
    /// handler shows (as a responder it answers `409 Conflict`). Parallel
    /// logins of one user count one after the other (a transaction holding
    /// a lock of the user's row), so they never get past the limit together.
    /// A login that cannot have that lock within 5 s (another transaction
    /// holds it) fails with [`SessionError::Unavailable`] (`503`), as does one
    /// the database fails during; nothing of it is written.
    ///
    /// With `"refuse"`, a user who lost the cookies of their sessions cannot
    /// sign in until those sessions are idle for `idle_timeout`, and anyone
    /// with the password can hold the places: a password reset should end
    /// them with [`revoke_all`](Self::revoke_all).
    ///
    /// ```
    /// use rocket::http::CookieJar;
    /// use rocket::post;
    /// use rocket::response::content::RawHtml;
    /// use rocket_security::session::{SessionError, Sessions};
    /// # struct User(String);
    /// # impl rocket_security::SecurityUser for User { fn security_id(&self) -> String { self.0.clone() } }
    ///
    /// // Rocket.toml: [default.security.session] max_per_user = 2, on_limit = "refuse"
    /// #[post("/login")]
    /// async fn login(jar: &CookieJar<'_>, sessions: Sessions<'_>) -> Result<RawHtml<String>, SessionError> {
    ///     // ... check the password ...
    ///     match sessions.login(&User("alice".into())).await {
    ///         // The login cookie only once the session is started.
    ///         Ok(()) => jar.add(("user_id", "alice")),
    ///         Err(SessionError::LimitReached { limit }) => {
    ///             return Ok(RawHtml(format!(
    ///                 "<p>You are signed in on {limit} devices already. Sign out on one of them to sign in here.</p>"
    ///             )));
    ///         }
    ///         Err(e) => return Err(e),
    ///     }
    ///     Ok(RawHtml("welcome".into()))
    /// }
    /// ```
    pub async fn login(&self, user: &(impl SecurityUser + ?Sized)) -> Result<(), SessionError> {
        let Some(shared) = self.shared else { return Ok(()) };
        let sid = new_session_id();
        let now = shared.clock.now();
        if shared.registry.is_some() {
            match shared.policy.config.max_per_user {
                0 => self.register(&sid, &user.security_id(), now).await?,
                max => self.register_limited(&sid, &user.security_id(), max, now).await?,
            }
        }
        tracing::info!(target: "security", "session started for user {:?}", user.security_id());
        self.local.set_login(Stamp { start: now.timestamp(), last: now.timestamp(), sid });
        self.owner.set(Some(user.security_id().into()));
        Ok(())
    }

    /// Ends this request's session on the server and drops its stamp; the
    /// handler removes the application's own login cookies.
    ///
    /// ```
    /// use rocket::http::CookieJar;
    /// use rocket::post;
    /// use rocket::response::Redirect;
    /// use rocket_security::session::{SessionError, Sessions};
    ///
    /// #[post("/logout")]
    /// async fn logout(jar: &CookieJar<'_>, sessions: Sessions<'_>) -> Result<Redirect, SessionError> {
    ///     jar.remove("user_id");
    ///     sessions.logout().await?;
    ///     Ok(Redirect::to("/login"))
    /// }
    /// ```
    pub async fn logout(&self) -> Result<(), SessionError> {
        let Some(shared) = self.shared else { return Ok(()) };
        if let (Some(_), Some(sid)) = (&shared.registry, self.current_sid()) {
            self.end(&sid, "logout", shared.clock.now()).await?;
        }
        self.local.set_logged_out();
        self.owner.set(None);
        Ok(())
    }
}

/// The registry operations: [`SessionError::NoRegistry`] with the registry
/// off (or no database backend compiled in).
impl<'r> Sessions<'r> {
    fn registry(&self) -> Result<(&'r Shared, RegistryRows<'r>), SessionError> {
        let shared = self.shared.filter(|s| s.registry.is_some()).ok_or(SessionError::NoRegistry)?;
        Ok((shared, RegistryRows::of(self.rocket)?))
    }

    /// Registers the new session `sid` of `user_id`, ending the request's earlier one.
    async fn register(&self, sid: &str, user_id: &str, now: DateTime<Utc>) -> Result<(), SessionError> {
        let (shared, rows) = self.registry()?;
        let hash = super::registry::id_hash(sid);
        rows.create(&hash, user_id, &self.client, now).await?;
        if let Some(registry) = &shared.registry {
            registry.remember(sid, true, Some(user_id));
        }
        if let Some(old) = self.previous_sid() {
            // No fixation: the browser's earlier session does not live on.
            self.end(old, "replaced", now).await?;
        }
        Ok(())
    }

    /// Registers the new session `sid` of `user_id` under the session limit
    /// `max`, ending the request's earlier one and, with `on_limit =
    /// "end_oldest"`, the user's least recently active sessions beyond it.
    async fn register_limited(
        &self,
        sid: &str,
        user_id: &str,
        max: u64,
        now: DateTime<Utc>,
    ) -> Result<(), SessionError> {
        let (shared, rows) = self.registry()?;
        let config = &shared.policy.config;
        let seconds = |s: u64| chrono::Duration::seconds(s.min(1 << 40) as i64);
        let old = self.previous_sid().map(str::to_string);
        let limit = Limit {
            max,
            refuse: config.on_limit == OnLimit::Refuse,
            seen_after: now - seconds(config.idle_timeout),
            started_after: now - seconds(config.absolute_timeout),
            replaces: old.as_deref().map(super::registry::id_hash),
        };
        let replaced = limit.replaces.clone();
        let hash = super::registry::id_hash(sid);
        let ended = match rows.create_limited(&hash, user_id, &self.client, limit, now).await? {
            Admission::Admitted { ended } => ended,
            Admission::Refused { live } => {
                tracing::info!(
                    target: "security",
                    "login of user {user_id:?} refused: {live} live session(s), the limit \
                     (security.session.max_per_user = {max}, on_limit = \"refuse\")"
                );
                return Err(SessionError::LimitReached { limit: max });
            }
        };
        let Some(registry) = &shared.registry else { return Ok(()) };
        registry.remember(sid, true, Some(user_id));
        let reason = super::reason::session_limit(max);
        registry.end_hashes(&ended, Some(&reason));
        if let Some(old) = &old {
            registry.remember_ended(old, Some("replaced"));
        }
        let announcer = super::state::Announcer::of(self.rocket);
        announcer.announce(&reason, &ended).await;
        announcer.announce("replaced", replaced.as_slice()).await;
        for hash in &ended {
            tracing::info!(target: "security", "session {} ended ({reason})", super::registry::public_id(hash));
        }
        if let Some(hash) = &replaced {
            tracing::info!(target: "security", "session {} ended (replaced)", super::registry::public_id(hash));
        }
        Ok(())
    }

    async fn end(&self, sid: &str, reason: &str, now: DateTime<Utc>) -> Result<(), SessionError> {
        let (shared, rows) = self.registry()?;
        let hash = super::registry::id_hash(sid);
        rows.revoke(&hash, None, reason, now).await?;
        if let Some(registry) = &shared.registry {
            registry.remember_ended(sid, Some(reason));
        }
        super::state::Announcer::of(self.rocket).announce(reason, std::slice::from_ref(&hash)).await;
        tracing::info!(target: "security", "session {} ended ({reason})", super::registry::public_id(&hash));
        Ok(())
    }

    /// Ends on this instance at once the live sessions of `user_id` but
    /// `keep`, and returns their keys (to announce once the database
    /// recorded it; other instances follow within the bound without Redis).
    async fn end_locally(
        &self,
        shared: &Shared,
        rows: &RegistryRows<'_>,
        user_id: &str,
        keep: Option<&str>,
        reason: &str,
    ) -> Vec<String> {
        let Some(registry) = &shared.registry else { return vec![] };
        let Ok(rows) = rows.list(user_id).await else { return vec![] };
        let hashes: Vec<String> = rows.into_iter().map(|r| r.id_hash).filter(|h| Some(h.as_str()) != keep).collect();
        registry.end_hashes(&hashes, Some(reason));
        hashes
    }

    /// Ends every session of `user` except this request's (call it after a
    /// password change, like Django's `update_session_auth_hash`); returns how many.
    ///
    /// ```
    /// use rocket::post;
    /// use rocket_security::session::{SessionError, Sessions};
    /// # struct User(String);
    /// # impl rocket_security::SecurityUser for User { fn security_id(&self) -> String { self.0.clone() } }
    ///
    /// #[post("/password/change")]
    /// async fn change(sessions: Sessions<'_>) -> Result<String, SessionError> {
    ///     // ... check the current password, store the new hash ...
    ///     let ended = sessions.revoke_others(&User("alice".into())).await?;
    ///     Ok(format!("password changed; {ended} other session(s) logged out"))
    /// }
    /// ```
    pub async fn revoke_others(&self, user: &(impl SecurityUser + ?Sized)) -> Result<usize, SessionError> {
        let (shared, rows) = self.registry()?;
        let keep = self.current_sid().map(|s| super::registry::id_hash(&s));
        let ended = self.end_locally(shared, &rows, &user.security_id(), keep.as_deref(), "revoked_others").await;
        let n = rows.revoke_user(&user.security_id(), keep.as_deref(), "revoked_others", shared.clock.now()).await?;
        super::state::Announcer::of(self.rocket).announce("revoked_others", &ended).await;
        tracing::info!(target: "security", "{n} other session(s) of user {:?} ended", user.security_id());
        Ok(n)
    }

    /// Ends every session of `user`, this request's included; returns how many.
    ///
    /// ```
    /// use rocket::post;
    /// use rocket_security::session::{SessionError, Sessions};
    /// # struct User(String);
    /// # impl rocket_security::SecurityUser for User { fn security_id(&self) -> String { self.0.clone() } }
    ///
    /// #[post("/account/logout-everywhere")]
    /// async fn everywhere(sessions: Sessions<'_>) -> Result<String, SessionError> {
    ///     let ended = sessions.revoke_all(&User("alice".into())).await?;
    ///     Ok(format!("{ended} session(s) logged out"))
    /// }
    /// ```
    pub async fn revoke_all(&self, user: &(impl SecurityUser + ?Sized)) -> Result<usize, SessionError> {
        let (shared, rows) = self.registry()?;
        let ended = self.end_locally(shared, &rows, &user.security_id(), None, "revoked_all").await;
        let n = rows.revoke_user(&user.security_id(), None, "revoked_all", shared.clock.now()).await?;
        super::state::Announcer::of(self.rocket).announce("revoked_all", &ended).await;
        if let (Some(sid), Some(registry)) = (self.current_sid(), &shared.registry) {
            registry.remember_ended(&sid, Some("revoked_all"));
            self.local.set_logged_out();
        }
        tracing::info!(target: "security", "all {n} session(s) of user {:?} ended", user.security_id());
        Ok(n)
    }

    /// Ends the session of `user` whose [`ActiveSession::id`] is `id`;
    /// returns whether there was one.
    ///
    /// ```
    /// use rocket::post;
    /// use rocket_security::session::{SessionError, Sessions};
    /// # struct User(String);
    /// # impl rocket_security::SecurityUser for User { fn security_id(&self) -> String { self.0.clone() } }
    ///
    /// #[post("/account/sessions/<id>/revoke")]
    /// async fn revoke(id: &str, sessions: Sessions<'_>) -> Result<&'static str, SessionError> {
    ///     let ended = sessions.revoke(&User("alice".into()), id).await?;
    ///     Ok(if ended { "logged out" } else { "no such session" })
    /// }
    /// ```
    pub async fn revoke(&self, user: &(impl SecurityUser + ?Sized), id: &str) -> Result<bool, SessionError> {
        let (shared, registry_rows) = self.registry()?;
        let rows = registry_rows.list(&user.security_id()).await?;
        let Some(row) = rows.iter().find(|r| id.len() == 16 && super::registry::public_id(&r.id_hash) == id) else {
            return Ok(false);
        };
        if let Some(registry) = &shared.registry {
            registry.end_hashes(std::slice::from_ref(&row.id_hash), Some("revoked"));
        }
        let ended =
            registry_rows.revoke(&row.id_hash, Some(&user.security_id()), "revoked", shared.clock.now()).await?;
        super::state::Announcer::of(self.rocket).announce("revoked", std::slice::from_ref(&row.id_hash)).await;
        if let Some(sid) = self.current_sid()
            && super::registry::id_hash(&sid) == row.id_hash
        {
            if let Some(registry) = &shared.registry {
                registry.remember_ended(&sid, Some("revoked"));
            }
            self.local.set_logged_out();
        }
        Ok(ended)
    }

    /// The live sessions of `user`, most recently active first (at most 100).
    ///
    /// ```
    /// use rocket::get;
    /// use rocket_security::session::{SessionError, Sessions};
    /// # struct User(String);
    /// # impl rocket_security::SecurityUser for User { fn security_id(&self) -> String { self.0.clone() } }
    ///
    /// #[get("/account/sessions")]
    /// async fn list(sessions: Sessions<'_>) -> Result<String, SessionError> {
    ///     let active = sessions.list(&User("alice".into())).await?;
    ///     Ok(active.iter().map(|s| format!("{} {} {}\n", s.id, s.client, s.last_seen)).collect())
    /// }
    /// ```
    pub async fn list(&self, user: &(impl SecurityUser + ?Sized)) -> Result<Vec<ActiveSession>, SessionError> {
        let (_, rows) = self.registry()?;
        let rows = rows.list(&user.security_id()).await?;
        let current = self.current_sid().map(|s| super::registry::id_hash(&s));
        Ok(rows
            .into_iter()
            .map(|r| ActiveSession {
                id: super::registry::public_id(&r.id_hash).to_string(),
                created: chrono::TimeZone::from_utc_datetime(&Utc, &r.created),
                last_seen: chrono::TimeZone::from_utc_datetime(&Utc, &r.last_seen),
                client: r.client.clone(),
                current: current.as_deref() == Some(r.id_hash.as_str()),
            })
            .collect())
    }

    /// The sessions of `user` that ended on the server, most recently ended
    /// first (at most 20; ended sessions are kept for `absolute_timeout`):
    /// which one ended and why, for the "active sessions" page.
    ///
    /// ```
    /// use rocket::get;
    /// use rocket_security::session::{SessionError, Sessions};
    /// # struct User(String);
    /// # impl rocket_security::SecurityUser for User { fn security_id(&self) -> String { self.0.clone() } }
    ///
    /// #[get("/account/sessions/ended")]
    /// async fn ended(sessions: Sessions<'_>) -> Result<String, SessionError> {
    ///     let ended = sessions.ended(&User("alice".into())).await?;
    ///     Ok(ended.iter().map(|s| format!("{} {} {}\n", s.id, s.ended, s.why())).collect())
    /// }
    /// ```
    pub async fn ended(&self, user: &(impl SecurityUser + ?Sized)) -> Result<Vec<EndedSession>, SessionError> {
        let (_, rows) = self.registry()?;
        let utc = |t: &chrono::NaiveDateTime| chrono::TimeZone::from_utc_datetime(&Utc, t);
        Ok(rows
            .list_ended(&user.security_id(), 20)
            .await?
            .into_iter()
            .filter_map(|r: Listed| {
                let (at, reason) = r.ended?;
                Some(EndedSession {
                    id: super::registry::public_id(&r.id_hash).to_string(),
                    created: utc(&r.created),
                    last_seen: utc(&r.last_seen),
                    ended: utc(&at),
                    client: r.client,
                    reason,
                })
            })
            .collect())
    }
}
