-- Reports per group (directive, blocked source, disposition) and UTC day,
-- for the grouped view's sparklines; group_hash is ViolationKey::group_hash.
CREATE TABLE security_csp_group_days (
    group_hash VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
    day DATETIME(6) NOT NULL,
    hits BIGINT NOT NULL,
    PRIMARY KEY (group_hash, day)
) DEFAULT CHARSET = utf8mb4;
CREATE INDEX security_csp_group_days_day ON security_csp_group_days (day);
-- An admin's decision on a group: "expected" (hidden by default, still
-- counted) or "fixed" (open again once a report arrives after changed_at).
-- Byte-for-byte texts: the dashboard joins them with COLLATE utf8mb4_bin.
CREATE TABLE security_csp_triage (
    group_hash VARCHAR(64) COLLATE utf8mb4_bin PRIMARY KEY NOT NULL,
    directive VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
    blocked VARCHAR(2048) COLLATE utf8mb4_bin NOT NULL,
    disposition VARCHAR(16) COLLATE utf8mb4_bin NOT NULL,
    state VARCHAR(16) NOT NULL,
    changed_by VARCHAR(191) NOT NULL,
    changed_at DATETIME(6) NOT NULL
) DEFAULT CHARSET = utf8mb4;
