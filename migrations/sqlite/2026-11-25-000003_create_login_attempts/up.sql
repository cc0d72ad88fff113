-- Login throttling counters shared by every instance (hashed username or address).
CREATE TABLE security_login_attempts (
    key_hash VARCHAR(64) PRIMARY KEY NOT NULL,
    failures INTEGER NOT NULL,
    last_failure TIMESTAMP NOT NULL
);
