DROP TABLE security_csp_policies;
