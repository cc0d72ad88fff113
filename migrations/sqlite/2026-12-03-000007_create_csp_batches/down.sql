DROP TABLE security_csp_batches;
