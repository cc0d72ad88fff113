-- CSP reports per hour (UTC), for the dashboard's chart.
CREATE TABLE security_csp_hourly (
    hour DATETIME(6) PRIMARY KEY NOT NULL,
    hits BIGINT NOT NULL
) DEFAULT CHARSET = utf8mb4;
