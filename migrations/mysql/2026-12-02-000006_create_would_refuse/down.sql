DROP TABLE security_would_refuse;
