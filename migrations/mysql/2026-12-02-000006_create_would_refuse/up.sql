-- What controls in report mode would have refused, summed over every instance.
CREATE TABLE security_would_refuse (
    control VARCHAR(32) NOT NULL,
    reason VARCHAR(64) NOT NULL,
    hits BIGINT NOT NULL,
    last_seen DATETIME(6) NOT NULL,
    examples TEXT NOT NULL,
    PRIMARY KEY (control, reason)
) DEFAULT CHARSET = utf8mb4;
