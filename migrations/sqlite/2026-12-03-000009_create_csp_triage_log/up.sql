-- Every triage decision (expected, fixed, reopened by hand), newest last:
-- the audit trail of security_csp_triage, which keeps only the current one.
CREATE TABLE security_csp_triage_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    group_hash VARCHAR(64) NOT NULL,
    directive VARCHAR(64) NOT NULL,
    blocked VARCHAR(2048) NOT NULL,
    disposition VARCHAR(16) NOT NULL,
    state VARCHAR(16) NOT NULL,
    changed_by VARCHAR(191) NOT NULL,
    changed_at TIMESTAMP NOT NULL
);
CREATE INDEX security_csp_triage_log_changed_at ON security_csp_triage_log (changed_at);
