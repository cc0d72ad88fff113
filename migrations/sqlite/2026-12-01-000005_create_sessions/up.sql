-- The session registry: one row per login, so a session can end on the server
-- (logout, "sign out everywhere", a password change) on every instance.
CREATE TABLE security_sessions (
    id_hash VARCHAR(64) PRIMARY KEY NOT NULL,
    user_id VARCHAR(191) NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen TIMESTAMP NOT NULL,
    client VARCHAR(128) NOT NULL,
    revoked_at TIMESTAMP,
    revoked_reason VARCHAR(32)
);
CREATE INDEX security_sessions_user ON security_sessions (user_id);
CREATE INDEX security_sessions_last_seen ON security_sessions (last_seen);
