DROP TABLE security_sessions;
