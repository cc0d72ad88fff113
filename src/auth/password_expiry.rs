//! [`PasswordExpiry`]: when each application user's password expires.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::models::{is_unique_violation, stored};
use crate::db::pool::{with_conn, DbError, SecurityConn};
use crate::db::schema::security_password_expiry::dsl as t;
use crate::db::MAX_USER_ID;

/// Password expiry of one application user.
///
/// The crate does not own users, so rows are keyed by the application's user
/// identifier as text (`user_id`, at most 191 characters): integer ids,
/// UUIDs and usernames all fit losslessly, and no foreign key ties the table
/// to one schema. `password_expiry_date = NULL` means "never expires".
///
/// ```
/// use rocket_security::auth::PasswordExpiry;
/// let now = chrono::Utc::now();
/// let row = PasswordExpiry {
///     user_id: "42".into(),
///     password_expiry_date: None, // never expires
///     last_changed: Some(now.naive_utc()),
///     created_at: now.naive_utc(),
/// };
/// assert!(!row.is_expired(now));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::db::schema::security_password_expiry)]
pub struct PasswordExpiry {
    /// The application's user identifier.
    pub user_id: String,
    /// When the password expires (UTC); `None`: never.
    pub password_expiry_date: Option<NaiveDateTime>,
    /// When the password was last changed (UTC), if known.
    pub last_changed: Option<NaiveDateTime>,
    /// When this row was created (UTC).
    pub created_at: NaiveDateTime,
}

/// What [`PasswordExpiry::get_or_create`] gives a user who has no row yet.
///
/// ```
/// use rocket_security::auth::ExpiryPolicy;
/// let rotate = ExpiryPolicy { max_age: Some(chrono::Duration::days(90)), ..Default::default() };
/// assert!(!rotate.expire_new_users);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExpiryPolicy {
    /// A new user's password is expired at once (django-security's behaviour,
    /// which forced every existing user to change password). _Default:_ `false`.
    pub expire_new_users: bool,
    /// Rotation: a new row expires this long after its creation, and
    /// [`renew`](PasswordExpiry::renew) sets the next expiry. `None`: no rotation.
    pub max_age: Option<Duration>,
}

impl PasswordExpiry {
    /// Whether the password has expired at `now`.
    ///
    /// ```
    /// use chrono::{Duration, Utc};
    /// use rocket_security::auth::PasswordExpiry;
    ///
    /// let now = Utc::now();
    /// let row = PasswordExpiry {
    ///     user_id: "7".into(),
    ///     password_expiry_date: Some((now - Duration::seconds(1)).naive_utc()),
    ///     last_changed: None,
    ///     created_at: now.naive_utc(),
    /// };
    /// assert!(row.is_expired(now));
    /// ```
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.password_expiry_date.is_some_and(|d| d <= now.naive_utc())
    }

    /// The row as the configured rotation sees it: a row without an expiry
    /// (created before rotation was switched on, or marked "never") expires
    /// `max_age` after its last change (or its creation).
    ///
    /// ```
    /// use chrono::{Duration, Utc};
    /// use rocket_security::auth::PasswordExpiry;
    ///
    /// let now = Utc::now();
    /// let old = PasswordExpiry {
    ///     user_id: "7".into(),
    ///     password_expiry_date: None,
    ///     last_changed: None,
    ///     created_at: (now - Duration::days(120)).naive_utc(),
    /// };
    /// assert!(!old.is_expired(now));
    /// assert!(old.with_rotation(Some(Duration::days(90))).is_expired(now));
    /// ```
    pub fn with_rotation(mut self, max_age: Option<Duration>) -> Self {
        if let (None, Some(age)) = (self.password_expiry_date, max_age) {
            self.password_expiry_date = Some(self.last_changed.unwrap_or(self.created_at) + age);
        }
        self
    }

    /// Time left before expiry (`None` if it never expires; zero or negative if expired).
    ///
    /// ```
    /// use chrono::{Duration, Utc};
    /// use rocket_security::auth::PasswordExpiry;
    /// let now = Utc::now();
    /// let row = PasswordExpiry {
    ///     user_id: "7".into(),
    ///     password_expiry_date: Some((now + Duration::days(3)).naive_utc()),
    ///     last_changed: None,
    ///     created_at: now.naive_utc(),
    /// };
    /// assert_eq!(row.expires_in(now), Some(Duration::days(3)));
    /// ```
    pub fn expires_in(&self, now: DateTime<Utc>) -> Option<Duration> {
        self.password_expiry_date.map(|d| d - now.naive_utc())
    }

    /// The row of `user_id`, if there is one.
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::auth::PasswordExpiry;
    /// let expired = PasswordExpiry::find(conn, "alice").await?.is_some_and(|row| row.is_expired(chrono::Utc::now()));
    /// # Ok(()) }
    /// ```
    pub async fn find(conn: &mut SecurityConn, user_id: &str) -> Result<Option<Self>, DbError> {
        let row = with_conn!(conn, |c| {
            t::security_password_expiry
                .filter(t::user_id.eq(user_id))
                .select(PasswordExpiry::as_select())
                .first(c)
                .await
                .optional()
        })?;
        Ok(row)
    }

    /// The row of `user_id`, created under `policy` if missing. Safe when
    /// several instances create the same row at once.
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::auth::{ExpiryPolicy, PasswordExpiry};
    /// let policy = ExpiryPolicy { max_age: Some(chrono::Duration::days(90)), ..Default::default() };
    /// let row = PasswordExpiry::get_or_create(conn, "alice", policy, chrono::Utc::now()).await?;
    /// if row.is_expired(chrono::Utc::now()) {
    ///     println!("alice must change her password");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn get_or_create(
        conn: &mut SecurityConn,
        user_id: &str,
        policy: ExpiryPolicy,
        now: DateTime<Utc>,
    ) -> Result<Self, DbError> {
        check_user_id(user_id)?;
        if let Some(row) = Self::find(conn, user_id).await? {
            return Ok(row);
        }
        let now = stored(now);
        let expiry = if policy.expire_new_users { Some(now) } else { policy.max_age.map(|a| now + a) };
        let row = PasswordExpiry {
            user_id: user_id.to_string(),
            password_expiry_date: expiry,
            last_changed: None,
            created_at: now,
        };
        let inserted =
            with_conn!(conn, |c| diesel::insert_into(t::security_password_expiry).values(&row).execute(c).await);
        match inserted {
            Ok(_) => Ok(row),
            Err(e) if is_unique_violation(&e) => {
                Self::find(conn, user_id).await?.ok_or(DbError::Query(diesel::result::Error::NotFound))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Expires the password now (the user must change it).
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::auth::PasswordExpiry;
    /// let row = PasswordExpiry::expire_now(conn, "alice", chrono::Utc::now()).await?;
    /// assert!(row.is_expired(chrono::Utc::now()));
    /// # Ok(()) }
    /// ```
    pub async fn expire_now(conn: &mut SecurityConn, user_id: &str, now: DateTime<Utc>) -> Result<Self, DbError> {
        let at = stored(now);
        Self::upsert(conn, user_id, now, |row| row.password_expiry_date = Some(at)).await
    }

    /// Records a password change at `now`: the next expiry is `now + max_age`,
    /// or never with `None`. Call it after the application changed the password.
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::auth::PasswordExpiry;
    /// // The application has just stored alice's new password.
    /// PasswordExpiry::renew(conn, "alice", Some(chrono::Duration::days(90)), chrono::Utc::now()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn renew(
        conn: &mut SecurityConn,
        user_id: &str,
        max_age: Option<Duration>,
        now: DateTime<Utc>,
    ) -> Result<Self, DbError> {
        let at = stored(now);
        Self::upsert(conn, user_id, now, |row| {
            row.last_changed = Some(at);
            row.password_expiry_date = max_age.map(|a| at + a);
        })
        .await
    }

    /// Makes the password never expire (django-security's `never_expire_password`).
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::auth::PasswordExpiry;
    /// let row = PasswordExpiry::never_expire(conn, "backup-robot", chrono::Utc::now()).await?;
    /// assert_eq!(row.password_expiry_date, None);
    /// # Ok(()) }
    /// ```
    pub async fn never_expire(conn: &mut SecurityConn, user_id: &str, now: DateTime<Utc>) -> Result<Self, DbError> {
        Self::upsert(conn, user_id, now, |row| row.password_expiry_date = None).await
    }

    /// Applies `change` to the user's row, creating it if needed (portable:
    /// update, else insert, else update again if another instance inserted first).
    async fn upsert(
        conn: &mut SecurityConn,
        user_id: &str,
        now: DateTime<Utc>,
        change: impl Fn(&mut PasswordExpiry),
    ) -> Result<Self, DbError> {
        check_user_id(user_id)?;
        for _ in 0..2 {
            if let Some(mut row) = Self::find(conn, user_id).await? {
                change(&mut row);
                with_conn!(conn, |c| {
                    diesel::update(t::security_password_expiry.filter(t::user_id.eq(user_id)))
                        .set((
                            t::password_expiry_date.eq(row.password_expiry_date),
                            t::last_changed.eq(row.last_changed),
                        ))
                        .execute(c)
                        .await
                })?;
                return Ok(row);
            }
            let mut row = PasswordExpiry {
                user_id: user_id.to_string(),
                password_expiry_date: None,
                last_changed: None,
                created_at: stored(now),
            };
            change(&mut row);
            let inserted = with_conn!(conn, |c| {
                diesel::insert_into(t::security_password_expiry).values(&row).execute(c).await
            });
            match inserted {
                Ok(_) => return Ok(row),
                Err(e) if is_unique_violation(&e) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(DbError::Query(diesel::result::Error::NotFound))
    }
}

fn check_user_id(user_id: &str) -> Result<(), DbError> {
    if user_id.is_empty() || user_id.chars().count() > MAX_USER_ID {
        return Err(DbError::Invalid(format!("a user id must have 1 to {MAX_USER_ID} characters")));
    }
    Ok(())
}
