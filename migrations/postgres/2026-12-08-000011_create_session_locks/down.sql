DROP TABLE security_session_locks;
