DROP TABLE security_csp_triage;
DROP TABLE security_csp_group_days;
