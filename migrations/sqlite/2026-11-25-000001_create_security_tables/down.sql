DROP TABLE security_password_expiry;
DROP TABLE security_csp_reports;
DROP TABLE security_csp_violations;
