-- Reports per group (directive, blocked source, disposition) and UTC day,
-- for the grouped view's sparklines; group_hash is ViolationKey::group_hash.
CREATE TABLE security_csp_group_days (
    group_hash VARCHAR(64) NOT NULL,
    day TIMESTAMP NOT NULL,
    hits BIGINT NOT NULL,
    PRIMARY KEY (group_hash, day)
);
CREATE INDEX security_csp_group_days_day ON security_csp_group_days (day);
-- An admin's decision on a group: "expected" (hidden by default, still
-- counted) or "fixed" (open again once a report arrives after changed_at).
CREATE TABLE security_csp_triage (
    group_hash VARCHAR(64) PRIMARY KEY NOT NULL,
    directive VARCHAR(64) NOT NULL,
    blocked VARCHAR(2048) NOT NULL,
    disposition VARCHAR(16) NOT NULL,
    state VARCHAR(16) NOT NULL,
    changed_by VARCHAR(191) NOT NULL,
    changed_at TIMESTAMP NOT NULL
);
