DROP TABLE security_browser_triage;
DROP TABLE security_browser_days;
DROP TABLE security_browser_samples;
DROP TABLE security_browser_reports;
