-- Browser reports other than CSP (COEP, COOP, Integrity-Policy,
-- Permissions-Policy, deprecations, interventions, crashes, NEL),
-- aggregated: one row per type, disposition, page and what the type is
-- grouped by (subject, detail); see rocket_security::reports::BrowserKey.
CREATE TABLE security_browser_reports (
    id INTEGER PRIMARY KEY AUTO_INCREMENT NOT NULL,
    key_hash VARCHAR(64) COLLATE utf8mb4_bin NOT NULL UNIQUE,
    group_hash VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
    report_type VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
    disposition VARCHAR(16) COLLATE utf8mb4_bin NOT NULL,
    -- Byte-for-byte texts: distinct pages are counted as SQLite and PostgreSQL count them.
    document_uri VARCHAR(2048) COLLATE utf8mb4_bin NOT NULL,
    subject VARCHAR(2048) COLLATE utf8mb4_bin NOT NULL,
    detail VARCHAR(1024) COLLATE utf8mb4_bin NOT NULL,
    hits BIGINT NOT NULL,
    sample_count INTEGER NOT NULL,
    first_seen DATETIME(6) NOT NULL,
    last_seen DATETIME(6) NOT NULL
) DEFAULT CHARSET = utf8mb4;
CREATE INDEX security_browser_reports_type_seen ON security_browser_reports (report_type, last_seen);
CREATE INDEX security_browser_reports_group ON security_browser_reports (group_hash);
CREATE INDEX security_browser_reports_last_seen ON security_browser_reports (last_seen);

-- A bounded number of samples per row: the typed body as JSON (only the
-- type's own fields, every text cut to its limit).
CREATE TABLE security_browser_samples (
    id INTEGER PRIMARY KEY AUTO_INCREMENT NOT NULL,
    report_id INTEGER NOT NULL,
    body TEXT NOT NULL,
    url VARCHAR(2048),
    user_agent VARCHAR(1024),
    sender_ip VARCHAR(64),
    date_received DATETIME(6) NOT NULL,
    -- InnoDB ignores inline REFERENCES: the constraint must be spelled out.
    CONSTRAINT security_browser_samples_report_fk FOREIGN KEY (report_id)
        REFERENCES security_browser_reports (id) ON DELETE CASCADE
) DEFAULT CHARSET = utf8mb4;
CREATE INDEX security_browser_samples_report ON security_browser_samples (report_id);

-- Reports per group and UTC day: the sparklines and the readiness line.
CREATE TABLE security_browser_days (
    group_hash VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
    day DATETIME(6) NOT NULL,
    report_type VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
    disposition VARCHAR(16) COLLATE utf8mb4_bin NOT NULL,
    hits BIGINT NOT NULL,
    PRIMARY KEY (group_hash, day)
) DEFAULT CHARSET = utf8mb4;
CREATE INDEX security_browser_days_type_day ON security_browser_days (report_type, day);

-- An admin's decision on a group: "expected" (hidden by default, still
-- counted) or "fixed" (open again once a report arrives after changed_at).
CREATE TABLE security_browser_triage (
    group_hash VARCHAR(64) COLLATE utf8mb4_bin PRIMARY KEY NOT NULL,
    report_type VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
    state VARCHAR(16) NOT NULL,
    changed_by VARCHAR(191) NOT NULL,
    changed_at DATETIME(6) NOT NULL
) DEFAULT CHARSET = utf8mb4;
