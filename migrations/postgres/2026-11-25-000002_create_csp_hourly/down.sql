DROP TABLE security_csp_hourly;
