DROP TABLE security_csp_triage_log;
