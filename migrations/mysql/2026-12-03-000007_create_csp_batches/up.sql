-- The report batches written to security_csp_violations: a batch whose
-- commit outcome was unknown is replayed from the spool, and applied only
-- if its id is not here (written in the same transaction).
CREATE TABLE security_csp_batches (
    id VARCHAR(32) NOT NULL PRIMARY KEY,
    applied_at DATETIME(6) NOT NULL
) DEFAULT CHARSET = utf8mb4;
