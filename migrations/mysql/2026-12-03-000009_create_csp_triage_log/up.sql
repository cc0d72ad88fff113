-- Every triage decision (expected, fixed, reopened by hand), newest last:
-- the audit trail of security_csp_triage, which keeps only the current one.
CREATE TABLE security_csp_triage_log (
    id BIGINT AUTO_INCREMENT PRIMARY KEY,
    group_hash VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
    directive VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
    blocked VARCHAR(2048) COLLATE utf8mb4_bin NOT NULL,
    disposition VARCHAR(16) COLLATE utf8mb4_bin NOT NULL,
    state VARCHAR(16) NOT NULL,
    changed_by VARCHAR(191) NOT NULL,
    changed_at DATETIME(6) NOT NULL
) DEFAULT CHARSET = utf8mb4;
CREATE INDEX security_csp_triage_log_changed_at ON security_csp_triage_log (changed_at);
