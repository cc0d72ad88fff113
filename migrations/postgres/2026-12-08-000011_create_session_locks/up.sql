-- The per-user lock of `security.session.max_per_user`: a login of a user
-- under a session limit first makes sure the user's row is here (an insert
-- that does nothing when it is, in a statement of its own), then updates it
-- in its transaction, which holds the row lock until the commit, so two
-- parallel logins of one user, on any instances, count the user's live
-- sessions one after the other. Locking the user's session rows instead would
-- not do: a user with no live session has none to lock.
CREATE TABLE security_session_locks (
    user_id VARCHAR(191) PRIMARY KEY NOT NULL,
    locked_at TIMESTAMP NOT NULL
);

-- The hourly prune deletes the rows of users who have not logged in for
-- longer than a session lives: through this index, InnoDB locks the rows it
-- deletes, not every row of the table (logins would wait on it).
CREATE INDEX security_session_locks_locked_at ON security_session_locks (locked_at);
