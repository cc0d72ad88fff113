-- The default utf8mb4 collation ignores case, accents and (MariaDB) trailing
-- spaces: `Alice` and `alice` would share one row. Compare byte for byte,
-- like SQLite and PostgreSQL.
ALTER TABLE security_password_expiry MODIFY user_id VARCHAR(191) COLLATE utf8mb4_bin NOT NULL;
ALTER TABLE security_login_attempts MODIFY key_hash VARCHAR(64) COLLATE utf8mb4_bin NOT NULL;
ALTER TABLE security_csp_violations MODIFY key_hash VARCHAR(64) COLLATE utf8mb4_bin NOT NULL;
