-- The session registry: one row per login, so a session can end on the server
-- (logout, "sign out everywhere", a password change) on every instance.
CREATE TABLE security_sessions (
    id_hash VARCHAR(64) COLLATE utf8mb4_bin PRIMARY KEY NOT NULL,
    user_id VARCHAR(191) COLLATE utf8mb4_bin NOT NULL,
    created_at DATETIME(6) NOT NULL,
    last_seen DATETIME(6) NOT NULL,
    client VARCHAR(128) NOT NULL,
    revoked_at DATETIME(6),
    revoked_reason VARCHAR(32)
) DEFAULT CHARSET = utf8mb4;
CREATE INDEX security_sessions_user ON security_sessions (user_id);
CREATE INDEX security_sessions_last_seen ON security_sessions (last_seen);
