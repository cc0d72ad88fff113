-- CSP violations, aggregated: one row per normalised violation.
CREATE TABLE security_csp_violations (
    id INTEGER PRIMARY KEY AUTO_INCREMENT NOT NULL,
    key_hash VARCHAR(64) NOT NULL UNIQUE,
    document_uri VARCHAR(2048) NOT NULL,
    effective_directive VARCHAR(64) NOT NULL,
    blocked VARCHAR(2048) NOT NULL,
    source_file VARCHAR(2048),
    line_number INTEGER,
    disposition VARCHAR(16) NOT NULL,
    hits BIGINT NOT NULL,
    sample_count INTEGER NOT NULL,
    first_seen DATETIME(6) NOT NULL,
    last_seen DATETIME(6) NOT NULL
) DEFAULT CHARSET = utf8mb4;
CREATE INDEX security_csp_violations_last_seen ON security_csp_violations (last_seen);

-- Raw CSP reports: a capped number of samples per violation.
CREATE TABLE security_csp_reports (
    id INTEGER PRIMARY KEY AUTO_INCREMENT NOT NULL,
    violation_id INTEGER,
    report_format VARCHAR(32) NOT NULL,
    document_uri VARCHAR(2048),
    referrer VARCHAR(2048),
    blocked_uri VARCHAR(2048),
    violated_directive VARCHAR(1024),
    effective_directive VARCHAR(64),
    original_policy TEXT,
    disposition VARCHAR(16),
    status_code INTEGER,
    source_file VARCHAR(2048),
    line_number INTEGER,
    column_number INTEGER,
    sample VARCHAR(1024),
    sender_ip VARCHAR(64),
    user_agent VARCHAR(1024),
    date_received DATETIME(6) NOT NULL,
    -- InnoDB ignores inline REFERENCES: the constraint must be spelled out.
    CONSTRAINT security_csp_reports_violation_fk FOREIGN KEY (violation_id)
        REFERENCES security_csp_violations (id) ON DELETE CASCADE
) DEFAULT CHARSET = utf8mb4;
CREATE INDEX security_csp_reports_violation ON security_csp_reports (violation_id);
CREATE INDEX security_csp_reports_date ON security_csp_reports (date_received);

-- Password expiry per application user (the crate does not own users).
CREATE TABLE security_password_expiry (
    user_id VARCHAR(191) PRIMARY KEY NOT NULL,
    password_expiry_date DATETIME(6),
    last_changed DATETIME(6),
    created_at DATETIME(6) NOT NULL
) DEFAULT CHARSET = utf8mb4;
