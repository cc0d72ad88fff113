-- The per-user lock of `security.session.max_per_user`: a login of a user
-- under a session limit first updates (or inserts) the user's row here, which
-- holds the row lock until its transaction commits, so two parallel logins of
-- one user, on any instances, count the user's live sessions one after the
-- other. Locking the user's session rows instead would not do: a user with no
-- live session has none to lock.
CREATE TABLE security_session_locks (
    user_id VARCHAR(191) PRIMARY KEY NOT NULL,
    locked_at TIMESTAMP NOT NULL
);
