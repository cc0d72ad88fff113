//! `Content-Security-Policy`: a strict static default policy.
//!
//! The default follows OWASP and helmet: everything from this origin only,
//! no plugins, no framing, no `<base>` or form hijacking, no inline script
//! attributes. `upgrade-insecure-requests` is sent only on HTTPS responses
//! (on plain HTTP, for example a local development server, it would make the
//! browser request every subresource over HTTPS and break the page).

use super::{feature_fairing, Builder, Feature, Value};
use crate::config::reader::Section;

/// The default policy, without `upgrade-insecure-requests`.
pub(crate) const DEFAULT_POLICY: &str = "default-src 'self'; base-uri 'self'; font-src 'self'; \
form-action 'self'; frame-ancestors 'none'; img-src 'self' data:; object-src 'none'; \
script-src 'self'; script-src-attr 'none'; style-src 'self'";

/// `Content-Security-Policy`.
///
/// ```toml
/// [default.security.csp]
/// enabled = true     # Default: true
/// policy = "default-src 'self'; object-src 'none'"   # a whole policy; Default: the strict
///                                                    # policy below
/// paths = ["/**"]    # Default: ["/**"]
/// exclude = []       # Default: []
/// ```
///
/// The default policy is
/// `default-src 'self'; base-uri 'self'; font-src 'self'; form-action 'self';
/// frame-ancestors 'none'; img-src 'self' data:; object-src 'none'; script-src 'self';
/// script-src-attr 'none'; style-src 'self'`, plus `; upgrade-insecure-requests`
/// on HTTPS requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Csp {
    /// Send the header. _Default:_ `true`.
    pub enabled: bool,
    /// A complete policy, used verbatim after validation. _Default:_ `None` (the strict default).
    pub policy: Option<String>,
    /// Path patterns that get the header. _Default:_ `["/**"]`.
    pub paths: Vec<String>,
    /// Path patterns that don't. _Default:_ `[]`.
    pub exclude: Vec<String>,
}

impl Default for Csp {
    fn default() -> Self {
        Csp { enabled: true, policy: None, paths: super::everywhere(), exclude: vec![] }
    }
}

feature_fairing!(Csp, csp);

impl Feature for Csp {
    const KEY: &'static str = "csp";

    fn read(s: &Section<'_>) -> Self {
        let c = super::Common::read(s, true, &["/**"]);
        Csp { enabled: c.enabled, policy: s.opt_string("policy"), paths: c.paths, exclude: c.exclude }
    }

    fn build(&self, b: &mut Builder<'_>) {
        if !self.enabled {
            b.off("Content-Security-Policy");
            if b.release {
                b.warn("Content-Security-Policy is disabled (`security.csp.enabled = false`): no defence in depth against XSS");
            }
            return;
        }
        let value = match &self.policy {
            None => Value::ByScheme {
                https: format!("{DEFAULT_POLICY}; upgrade-insecure-requests"),
                http: DEFAULT_POLICY.to_string(),
            },
            Some(p) => match check_policy(p) {
                Ok(p) => Value::Always(p),
                Err(e) => return b.error("policy", e),
            },
        };
        let scope = b.scope(&self.paths, &self.exclude);
        b.header("policy", "Content-Security-Policy", value, scope);
    }
}

/// Structural checks of a raw policy: directive names, duplicates, `default-src`.
fn check_policy(policy: &str) -> Result<String, String> {
    let mut names: Vec<String> = Vec::new();
    for part in policy.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let name = part.split_ascii_whitespace().next().unwrap_or_default().to_ascii_lowercase();
        if !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            return Err(format!("{name:?} is not a directive name"));
        }
        if names.contains(&name) {
            return Err(format!("directive {name:?} appears twice; browsers ignore the second one, so merge them"));
        }
        names.push(name);
    }
    if names.is_empty() {
        return Err("the policy is empty; remove the key for the default policy or set `enabled = false`".into());
    }
    if !names.iter().any(|n| n == "default-src") {
        return Err(
            "the policy has no `default-src`; add e.g. `default-src 'self'` so unlisted fetches are restricted too"
                .into(),
        );
    }
    Ok(policy.trim().trim_end_matches(';').trim().to_string())
}
