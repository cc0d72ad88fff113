//! Any policy text: normalising never panics, is idempotent, and the
//! fingerprint is the digest of the normalised text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rocket_security::csp::{normalised_policy, policy_fingerprint};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let once = normalised_policy(text);
    assert_eq!(normalised_policy(&once), once, "normalising is idempotent");
    assert_eq!(policy_fingerprint(text), policy_fingerprint(&once));
    assert_eq!(policy_fingerprint(text).len(), 64);
});
