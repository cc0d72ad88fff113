DROP TABLE security_login_attempts;
