ALTER TABLE security_password_expiry MODIFY user_id VARCHAR(191) NOT NULL;
ALTER TABLE security_login_attempts MODIFY key_hash VARCHAR(64) NOT NULL;
ALTER TABLE security_csp_violations MODIFY key_hash VARCHAR(64) NOT NULL;
