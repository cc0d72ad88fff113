//! A parsed, validated CSP policy: ordered directives and their sources.

use std::fmt;

/// Why a policy string was refused; its `Display` names the directive and the fix.
///
/// ```
/// use rocket_security::csp::{CspPolicy, CspPolicyError};
/// let e: CspPolicyError = CspPolicy::parse("script-src self", false).unwrap_err();
/// assert!(e.to_string().starts_with("script-src"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CspPolicyError {
    message: String,
}

impl CspPolicyError {
    /// What is wrong and how to fix it (the same text as `Display`).
    ///
    /// ```
    /// use rocket_security::csp::CspPolicy;
    /// let e = CspPolicy::parse("img-src 'self'; img-src data:", false).unwrap_err();
    /// assert_eq!(
    ///     e.message(),
    ///     "img-src: the directive appears twice; browsers ignore the second one, so merge them"
    /// );
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for CspPolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CspPolicyError {}

/// The CSP Level 3 directives this crate knows (plus still-shipping drafts).
const KNOWN: &[&str] = &[
    "base-uri",
    "child-src",
    "connect-src",
    "default-src",
    "fenced-frame-src",
    "font-src",
    "form-action",
    "frame-ancestors",
    "frame-src",
    "img-src",
    "manifest-src",
    "media-src",
    "object-src",
    "report-to",
    "report-uri",
    "require-trusted-types-for",
    "sandbox",
    "script-src",
    "script-src-attr",
    "script-src-elem",
    "style-src",
    "style-src-attr",
    "style-src-elem",
    "trusted-types",
    "upgrade-insecure-requests",
    "webrtc",
    "worker-src",
];

/// Directives that were removed from CSP, and what to use instead.
const OBSOLETE: &[(&str, &str)] = &[
    ("referrer", "use the Referrer-Policy header (`security.referrer_policy`)"),
    ("reflected-xss", "browsers removed their XSS filters; rely on script-src and `security.xss_protection`"),
    ("plugin-types", "plugins are gone from browsers; use `object-src 'none'`"),
    ("disown-opener", "use the Cross-Origin-Opener-Policy header (`security.coop`)"),
    ("navigate-to", "it was removed from CSP Level 3 and never shipped"),
    ("require-sri-for", "it was removed from the specification and never shipped"),
    (
        "block-all-mixed-content",
        "browsers upgrade or block mixed content by themselves now; use upgrade-insecure-requests",
    ),
    ("prefetch-src", "it was removed from CSP Level 3; prefetches follow default-src / connect-src"),
];

/// What is said of a policy without `default-src`.
pub(crate) const MISSING_DEFAULT_SRC: &str =
    "the policy has no default-src; add e.g. default-src 'self' so unlisted fetches are restricted too";

/// Directives that take no value.
const BOOLEAN: &[&str] = &["upgrade-insecure-requests"];

/// Quoted keyword sources.
const KEYWORDS: &[&str] = &[
    "self",
    "none",
    "unsafe-inline",
    "unsafe-eval",
    "strict-dynamic",
    "unsafe-hashes",
    "report-sample",
    "unsafe-allow-redirects",
    "wasm-unsafe-eval",
    "inline-speculation-rules",
    "trusted-types-eval",
    "report-sha256",
    "report-sha384",
    "report-sha512",
];

const SANDBOX: &[&str] = &[
    "allow-downloads",
    "allow-forms",
    "allow-modals",
    "allow-orientation-lock",
    "allow-pointer-lock",
    "allow-popups",
    "allow-popups-to-escape-sandbox",
    "allow-presentation",
    "allow-same-origin",
    "allow-scripts",
    "allow-storage-access-by-user-activation",
    "allow-top-navigation",
    "allow-top-navigation-by-user-activation",
    "allow-top-navigation-to-custom-protocols",
];

/// A Content-Security-Policy: directives in order, each with its values.
///
/// ```
/// use rocket_security::csp::CspPolicy;
/// let p = CspPolicy::parse("default-src 'self'; img-src 'self' data:", false).unwrap();
/// assert_eq!(p.to_string(), "default-src 'self'; img-src 'self' data:");
/// assert_eq!(
///     CspPolicy::parse("default-src self", false).unwrap_err().to_string(),
///     "default-src: the keyword self must be quoted: write 'self'"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CspPolicy {
    pub(crate) directives: Vec<(String, Vec<String>)>,
}

impl CspPolicy {
    /// Parses and validates a policy string. `allow_unknown` accepts directive
    /// names this crate does not know (for directives newer than the crate).
    ///
    /// ```
    /// use rocket_security::csp::CspPolicy;
    /// let p = CspPolicy::parse("Default-Src 'self';  object-src 'none'", false).unwrap();
    /// assert_eq!(p.to_string(), "default-src 'self'; object-src 'none'");
    ///
    /// assert!(CspPolicy::parse("default-src 'self'; future-src 'self'", false).is_err());
    /// assert!(CspPolicy::parse("default-src 'self'; future-src 'self'", true).is_ok());
    /// ```
    pub fn parse(policy: &str, allow_unknown: bool) -> Result<Self, CspPolicyError> {
        CspPolicy::parse_checked(policy, allow_unknown).map_err(|message| CspPolicyError { message })
    }

    pub(crate) fn parse_checked(policy: &str, allow_unknown: bool) -> Result<Self, String> {
        let mut p = CspPolicy::default();
        for part in policy.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            let mut tokens = part.split_ascii_whitespace();
            let name = tokens.next().unwrap_or_default().to_ascii_lowercase();
            let values: Vec<String> = tokens.map(str::to_string).collect();
            p.push(&name, values, allow_unknown)?;
        }
        if p.directives.is_empty() {
            return Err("the policy is empty".into());
        }
        Ok(p)
    }

    /// Adds a directive after validating it.
    pub(crate) fn push(&mut self, name: &str, values: Vec<String>, allow_unknown: bool) -> Result<(), String> {
        check_directive(name, &values, allow_unknown)?;
        if self.get(name).is_some() {
            return Err(format!("{name}: the directive appears twice; browsers ignore the second one, so merge them"));
        }
        self.directives.push((name.to_string(), values));
        Ok(())
    }

    /// The values of `name`, if the directive is present.
    ///
    /// ```
    /// use rocket_security::csp::CspPolicy;
    /// let p = CspPolicy::parse("default-src 'self'; img-src 'self' data:", false).unwrap();
    /// assert_eq!(p.get("img-src").unwrap(), ["'self'", "data:"]);
    /// // No fallback: script-src is absent even though default-src covers it.
    /// assert_eq!(p.get("script-src"), None);
    /// ```
    pub fn get(&self, name: &str) -> Option<&[String]> {
        self.directives.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_slice())
    }

    pub(crate) fn get_mut(&mut self, name: &str) -> Option<&mut Vec<String>> {
        self.directives.iter_mut().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Sets (or replaces) a directive, keeping its position if present.
    pub(crate) fn set(&mut self, name: &str, values: Vec<String>) {
        match self.get_mut(name) {
            Some(v) => *v = values,
            None => self.directives.push((name.to_string(), values)),
        }
    }

    pub(crate) fn remove(&mut self, name: &str) {
        self.directives.retain(|(n, _)| n != name);
    }

    /// The whole-policy checks that need every directive.
    /// Refuses a policy without `default-src` (with `require_default_src = true`).
    pub(crate) fn check_complete(&self) -> Result<(), String> {
        if self.get("default-src").is_none() {
            return Err(MISSING_DEFAULT_SRC.into());
        }
        Ok(())
    }

    /// The sources a fetch directive falls back to when it is absent.
    /// Adds sources to directives; an absent fetch directive starts from what
    /// it fell back to (so extending `img-src` keeps `default-src`'s sources).
    pub(crate) fn extend(&mut self, extra: &[(String, Vec<String>)]) {
        for (name, sources) in extra {
            let mut current = self.effective(name).map(<[String]>::to_vec).unwrap_or_default();
            if current.len() == 1 && current[0] == "'none'" {
                current.clear();
            }
            for s in sources {
                if !current.contains(s) {
                    current.push(s.clone());
                }
            }
            self.set(name, current);
        }
    }

    pub(crate) fn effective(&self, name: &str) -> Option<&[String]> {
        self.get(name).or_else(|| match name {
            "script-src-elem" | "script-src-attr" => self.get("script-src").or_else(|| self.get("default-src")),
            "style-src-elem" | "style-src-attr" => self.get("style-src").or_else(|| self.get("default-src")),
            "frame-ancestors" | "base-uri" | "form-action" | "sandbox" | "report-uri" | "report-to" => None,
            _ => self.get("default-src"),
        })
    }
}

impl fmt::Display for CspPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, values)) in self.directives.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            f.write_str(name)?;
            for v in values {
                write!(f, " {v}")?;
            }
        }
        Ok(())
    }
}

/// Validates one directive and its values.
pub(crate) fn check_directive(name: &str, values: &[String], allow_unknown: bool) -> Result<(), String> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
        return Err(format!("{name:?} is not a directive name (lowercase letters, digits and `-`)"));
    }
    if let Some((_, instead)) = OBSOLETE.iter().find(|(n, _)| *n == name) {
        return Err(format!("{name}: the directive is obsolete; {instead}"));
    }
    if !allow_unknown && !KNOWN.contains(&name) {
        let hint = crate::core::config::suggest(name, KNOWN).map(|s| format!("did you mean {s}? ")).unwrap_or_default();
        return Err(format!(
            "{name}: unknown directive; {hint}set `allow_unknown_directives = true` to send directives newer than \
             this crate"
        ));
    }
    for v in values {
        if v.contains([';', ',']) {
            return Err(format!("{name}: {v:?} contains `;` or `,`, which would end the directive or the policy"));
        }
        if v.chars().any(|c| c.is_whitespace()) {
            return Err(format!("{name}: {v:?} contains whitespace; give one source per list item"));
        }
        if let Some(c) = v.chars().find(|c| !c.is_ascii_graphic()) {
            return Err(format!("{name}: {v:?} contains {c:?}; use ASCII (punycode for international domains)"));
        }
    }
    if BOOLEAN.contains(&name) {
        if !values.is_empty() {
            return Err(format!("{name}: the directive takes no value; write `{name} = true`"));
        }
        return Ok(());
    }
    match name {
        "sandbox" => {
            for v in values {
                if !SANDBOX.contains(&v.as_str()) {
                    return Err(format!("sandbox: {v:?} is not a sandbox token; use {}", SANDBOX.join(", ")));
                }
            }
            Ok(())
        }
        "report-uri" => {
            if values.len() != 1 {
                return Err("report-uri: give exactly one URI (a string, not a list)".into());
            }
            Ok(())
        }
        "report-to" => {
            if values.len() != 1 {
                return Err("report-to: give exactly one endpoint group name".into());
            }
            Ok(())
        }
        "require-trusted-types-for" => match values {
            [v] if v == "'script'" => Ok(()),
            _ => Err("require-trusted-types-for: the only value is 'script'".into()),
        },
        "trusted-types" => Ok(()),
        "webrtc" => match values {
            [v] if v == "'allow'" || v == "'block'" => Ok(()),
            _ => Err("webrtc: use 'allow' or 'block'".into()),
        },
        _ if KNOWN.contains(&name) => check_sources(name, values),
        _ => Ok(()),
    }
}

fn check_sources(name: &str, values: &[String]) -> Result<(), String> {
    if values.is_empty() {
        return Err(format!("{name}: no sources; write ['none'] to block everything"));
    }
    if values.len() > 1 && values.iter().any(|v| v == "'none'") {
        return Err(format!("{name}: 'none' must be the only source; browsers ignore it next to others"));
    }
    for v in values {
        check_source(name, v)?;
    }
    Ok(())
}

/// Whether `v` names a directive (current or obsolete).
fn is_directive_name(v: &str) -> bool {
    KNOWN.contains(&v) || OBSOLETE.iter().any(|(n, _)| *n == v)
}

fn check_source(name: &str, v: &str) -> Result<(), String> {
    let lower = v.to_ascii_lowercase();
    // A forgotten `;`: the next directive's name read as a source.
    if is_directive_name(&lower) {
        return Err(format!(
            "{name}: {v:?} is a directive name, not a source: a `;` is missing before it (write `{name} ...; {lower} ...`)"
        ));
    }
    // A keyword glued to the next directive: `'self'script-src`.
    if let Some(rest) = lower.strip_prefix('\'').and_then(|s| s.split_once('\'')).map(|(_, rest)| rest)
        && !rest.is_empty()
    {
        let glued =
            if is_directive_name(rest) { format!(" (and {rest:?} is a directive name)") } else { String::new() };
        return Err(format!("{name}: {v:?} has text after the closing quote{glued}: a space or `;` is missing"));
    }
    if let Some(inner) = lower.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')).filter(|_| v.len() >= 2) {
        if let Some(nonce) = inner.strip_prefix("nonce-") {
            let _ = nonce;
            return Err(format!(
                "{name}: {v} is a fixed nonce, which any attacker can read from the header; use the CspNonce request \
                 guard for a fresh nonce per response"
            ));
        }
        for (alg, len) in [("sha256-", 44), ("sha384-", 64), ("sha512-", 88)] {
            if lower.starts_with(&format!("'{alg}")) {
                let b64 = &v[alg.len() + 1..v.len() - 1];
                let ok = b64.len() == len
                    && b64.trim_end_matches('=').chars().all(|c| c.is_ascii_alphanumeric() || "+/-_".contains(c));
                if !ok {
                    return Err(format!(
                        "{name}: {v} is not a valid {} hash source (base64 of the digest, {len} characters); compute \
                         it with CspHash",
                        alg.trim_end_matches('-')
                    ));
                }
                return Ok(());
            }
        }
        if KEYWORDS.contains(&inner) {
            if name == "frame-ancestors" && inner != "self" && inner != "none" {
                return Err(format!("frame-ancestors: {v} has no effect here; use 'self', 'none', hosts or schemes"));
            }
            return Ok(());
        }
        return Err(format!("{name}: {v} is not a CSP keyword; the quoted keywords are {}", quoted(KEYWORDS)));
    }
    if KEYWORDS.contains(&lower.as_str()) {
        return Err(format!("{name}: the keyword {v} must be quoted: write '{v}'"));
    }
    if lower.starts_with("nonce-")
        || lower.starts_with("sha256-")
        || lower.starts_with("sha384-")
        || lower.starts_with("sha512-")
    {
        return Err(format!("{name}: {v} must be quoted: write '{v}'"));
    }
    if v.contains(['\'', '"']) {
        return Err(format!("{name}: {v} has a stray quote; keywords are written 'self', hosts without quotes"));
    }
    if v == "*" {
        return Ok(());
    }
    // scheme-source, e.g. `https:` or `data:`
    if let Some(scheme) = v.strip_suffix(':') {
        if scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        {
            return Ok(());
        }
        return Err(format!("{name}: {v} is not a scheme source (e.g. https: or data:)"));
    }
    // host-source: [scheme://]host[:port][/path]
    let rest = match v.split_once("://") {
        Some((scheme, rest)) => {
            if !scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                || !scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
            {
                return Err(format!("{name}: {v} has an invalid scheme"));
            }
            rest
        }
        None => v,
    };
    let host = rest.split(['/', ':']).next().unwrap_or_default();
    let host_ok = !host.is_empty()
        && (host == "*"
            || host
                .strip_prefix("*.")
                .unwrap_or(host)
                .split('.')
                .all(|label| !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')));
    if !host_ok {
        return Err(format!(
            "{name}: {v} is not a source; use a quoted keyword ('self'), a scheme (https:), or a host \
             (cdn.example.com, https://*.example.com:443/path)"
        ));
    }
    if let Some(after) = rest[host.len()..].strip_prefix(':') {
        let port = after.split('/').next().unwrap_or_default();
        if !(port == "*" || port.parse::<u16>().is_ok_and(|_| port.chars().all(|c| c.is_ascii_digit()))) {
            return Err(format!("{name}: {v} has an invalid port"));
        }
    }
    Ok(())
}

fn quoted(list: &[&str]) -> String {
    list.iter().map(|k| format!("'{k}'")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::CspPolicy;

    fn err(p: &str) -> String {
        CspPolicy::parse(p, false).unwrap_err().to_string()
    }

    #[test]
    fn sources_are_checked() {
        assert!(CspPolicy::parse("default-src 'self' https: data: *.example.com https://a.b:8443/x *", false).is_ok());
        assert_eq!(
            err("default-src 'selfish'").split(';').next().unwrap(),
            "default-src: 'selfish' is not a CSP keyword"
        );
        assert_eq!(err("default-src nonce-abc"), "default-src: nonce-abc must be quoted: write 'nonce-abc'");
        assert!(err("default-src 'sha256-abc'").starts_with("default-src: 'sha256-abc' is not a valid sha256 hash"));
        assert_eq!(
            err("default-src 'none' 'self'"),
            "default-src: 'none' must be the only source; browsers ignore it next to others"
        );
        assert!(err("default-src https://exa_mple.com").contains("is not a source"));
        assert_eq!(err("default-src https://a:99999"), "default-src: https://a:99999 has an invalid port");
    }
}
