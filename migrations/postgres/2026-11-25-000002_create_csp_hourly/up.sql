-- CSP reports per hour (UTC), for the dashboard's chart.
CREATE TABLE security_csp_hourly (
    hour TIMESTAMP PRIMARY KEY NOT NULL,
    hits BIGINT NOT NULL
);
