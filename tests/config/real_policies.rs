//! Real sites' policies, pasted as `policy = '...'`: each accepted as
//! browsers apply it (the header sent, exactly) or refused with its message.

use crate::common::{client, fetch};

/// The header this policy is sent as over plain HTTP (`report = false`:
/// nothing added), or the configuration's first error.
async fn outcome(policy: &str) -> Result<Option<String>, String> {
    let toml = format!("[default.security.csp]\nuse_defaults = false\nreport = false\npolicy = {policy:?}");
    if let Err(e) = rocket_security::SecurityConfig::from_figment(&crate::common::figment(&toml)) {
        return Err(e[0].to_string());
    }
    let c = client(crate::common::app(&toml)).await;
    let (_, h) = fetch(&c, "/").await;
    Ok(h.get("Content-Security-Policy").map(str::to_string))
}

/// What happens to a pasted policy.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// Accepted and sent exactly as written.
    AsWritten,
    /// Accepted and sent as this over plain HTTP (`upgrade-insecure-requests`
    /// is only ever sent on HTTPS; `None`: nothing left to send).
    Sent(Option<&'static str>),
    /// Refused at ignite with this message.
    Refused(&'static str),
}
use Outcome::*;

/// Top sites' headers (GitHub, Google, Twitter, ...), the CSP3 and Trusted
/// Types examples, and the malformed ones seen in the wild.
const POLICIES: &[(&str, Outcome)] = &[
    ("frame-ancestors 'self'", AsWritten),
    ("frame-ancestors 'none'", AsWritten),
    ("upgrade-insecure-requests", Sent(None)),
    ("require-trusted-types-for 'script'", AsWritten),
    ("require-trusted-types-for 'script'; trusted-types a b 'allow-duplicates'", AsWritten),
    ("trusted-types 'none'", AsWritten),
    ("webrtc 'block'", AsWritten),
    ("default-src 'self', frame-ancestors 'none'", AsWritten),
    (
        "default-src 'none'; base-uri 'self'; child-src github.com/assets-cdn/worker/ gist.github.com/assets-cdn/worker/; connect-src 'self' uploads.github.com api.github.com wss://alive.github.com; font-src github.githubassets.com; form-action 'self' github.com gist.github.com; frame-ancestors 'none'; frame-src viewscreen.githubusercontent.com notebooks.githubusercontent.com; img-src 'self' data: github.githubassets.com avatars.githubusercontent.com; manifest-src 'self'; media-src github.com user-images.githubusercontent.com; script-src github.githubassets.com; style-src 'unsafe-inline' github.githubassets.com; worker-src github.com/assets-cdn/worker/ gist.github.com/assets-cdn/worker/",
        AsWritten,
    ),
    (
        "object-src 'none'; base-uri 'self'; script-src 'nonce-r4nd0m' 'strict-dynamic' 'report-sample' 'unsafe-eval' 'unsafe-inline' https: http:",
        Refused(
            "`security.csp.policy`: script-src: 'nonce-r4nd0m' is a fixed nonce, which any attacker can read from the header; use the CspNonce request guard for a fresh nonce per response",
        ),
    ),
    (
        "script-src 'strict-dynamic' 'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI=' 'unsafe-inline' https:; object-src 'none'; base-uri 'none'",
        AsWritten,
    ),
    (
        "connect-src 'self' blob: https://*.twitter.com wss://*.twitter.com; default-src 'self'; form-action 'self' https://twitter.com; img-src 'self' blob: data: https://*.twimg.com; script-src 'self' 'unsafe-inline' https://*.twimg.com",
        AsWritten,
    ),
    ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'", AsWritten),
    (
        "default-src 'self'; script-src 'self' 'unsafe-hashes' 'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='",
        AsWritten,
    ),
    ("default-src 'self'; fenced-frame-src https:", AsWritten),
    ("script-src 'self' 'trusted-types-eval'; require-trusted-types-for 'script'", AsWritten),
    ("default-src 'self'; script-src 'self' 'report-sha256'", AsWritten),
    ("default-src https: 'unsafe-eval' 'unsafe-inline'; object-src 'none'", AsWritten),
    ("sandbox allow-scripts allow-same-origin", AsWritten),
    ("default-src *; img-src * data: blob:", AsWritten),
    ("default-src 'self'; report-uri /csp-violations", AsWritten),
    ("upgrade-insecure-requests; default-src https:", Sent(Some("default-src https:"))),
    (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; frame-src https://www.youtube-nocookie.com",
        AsWritten,
    ),
    (
        "default-src 'self'; block-all-mixed-content",
        Refused(
            "`security.csp.policy`: block-all-mixed-content: the directive is obsolete; browsers upgrade or block mixed content by themselves now; use upgrade-insecure-requests",
        ),
    ),
    (
        "default-src 'self'; prefetch-src 'self'",
        Refused(
            "`security.csp.policy`: prefetch-src: the directive is obsolete; it was removed from CSP Level 3; prefetches follow default-src / connect-src",
        ),
    ),
    (
        "referrer no-referrer",
        Refused(
            "`security.csp.policy`: referrer: the directive is obsolete; use the Referrer-Policy header (`security.referrer_policy`)",
        ),
    ),
    (
        "default-src 'self'; reflected-xss block",
        Refused(
            "`security.csp.policy`: reflected-xss: the directive is obsolete; browsers removed their XSS filters; rely on script-src and `security.xss_protection`",
        ),
    ),
    (
        "default-src 'unsafe-inline' script-src 'unsafe-eval' https://a.example",
        Refused(
            "`security.csp.policy`: default-src: \"script-src\" is a directive name, not a source: a `;` is missing before it (write `default-src ...; script-src ...`)",
        ),
    ),
    (
        "default-src 'self'script-src 'self'",
        Refused(
            "`security.csp.policy`: default-src: \"'self'script-src\" has text after the closing quote (and \"script-src\" is a directive name): a space or `;` is missing",
        ),
    ),
    ("default-src self", Refused("`security.csp.policy`: default-src: the keyword self must be quoted: write 'self'")),
    (
        "default-src: 'self'",
        Refused("`security.csp.policy`: \"default-src:\" is not a directive name (lowercase letters, digits and `-`)"),
    ),
    (
        "default-src 'self'; default-src 'none'",
        Refused(
            "`security.csp.policy`: default-src: the directive appears twice; browsers ignore the second one, so merge them",
        ),
    ),
    (
        "default-src *.*.example.com",
        Refused(
            "`security.csp.policy`: default-src: *.*.example.com is not a source; use a quoted keyword ('self'), a scheme (https:), or a host (cdn.example.com, https://*.example.com:443/path)",
        ),
    ),
    (
        "script-src 'nonce-{RANDOM}'",
        Refused(
            "`security.csp.policy`: script-src: 'nonce-{RANDOM}' is a fixed nonce, which any attacker can read from the header; use the CspNonce request guard for a fresh nonce per response",
        ),
    ),
    (
        "default-src 'self'; script-src 'sha256-abc'",
        Refused(
            "`security.csp.policy`: script-src: 'sha256-abc' is not a valid sha256 hash source (base64 of the digest, 44 characters); compute it with CspHash",
        ),
    ),
    (
        "default-src 'self'; plugin-types application/pdf",
        Refused(
            "`security.csp.policy`: plugin-types: the directive is obsolete; plugins are gone from browsers; use `object-src 'none'`",
        ),
    ),
];

#[rocket::async_test]
async fn real_policies_are_sent_as_browsers_apply_them_or_refused_with_the_fix() {
    assert!(POLICIES.len() >= 30);
    for (policy, expected) in POLICIES {
        let got = match outcome(policy).await {
            Ok(Some(sent)) if sent == *policy => AsWritten,
            Ok(sent) => Sent(sent.map(|s| &*Box::leak(s.into_boxed_str()))),
            Err(e) => Refused(Box::leak(e.into_boxed_str())),
        };
        assert_eq!(&got, expected, "{policy}");
    }
}

#[rocket::async_test]
async fn every_policy_of_a_list_gets_the_nonce_if_it_has_the_directive() {
    let toml = "[default.security.csp]\nuse_defaults = false\nreport = false\n\
                policy = [\"default-src 'self'\", \"script-src 'self' https://cdn.example\", \"frame-ancestors 'none'\"]";
    let c = client(crate::common::app(toml)).await;
    let (_, h) = fetch(&c, "/nonce").await;
    let csp = h.get("Content-Security-Policy").unwrap().to_string();
    let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap();
    assert_eq!(
        csp,
        format!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}', script-src 'self' https://cdn.example 'nonce-{nonce}', frame-ancestors 'none'"
        )
    );
}
