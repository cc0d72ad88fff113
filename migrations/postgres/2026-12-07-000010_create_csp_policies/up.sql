-- Every Content-Security-Policy the site's instances send (at ignite, and
-- per-route overrides when first sent), by the fingerprint of the policy
-- with its per-response nonces and hashes normalised away: a report whose
-- original-policy matches none of them was rewritten on the way or forged.
CREATE TABLE security_csp_policies (
    fingerprint VARCHAR(64) NOT NULL,
    disposition VARCHAR(16) NOT NULL,
    policy TEXT NOT NULL,
    first_seen TIMESTAMP NOT NULL,
    last_seen TIMESTAMP NOT NULL,
    PRIMARY KEY (fingerprint, disposition)
);
