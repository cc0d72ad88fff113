//! Legacy headers kept for parity with django-security 0.x:
//! `X-XSS-Protection` and `P3P`.
//!
//! Differences from the original: `X-XSS-Protection` defaults to `0` (OWASP:
//! the old XSS auditors created XSS holes; django-security defaulted to `1`),
//! and the legacy values log a warning. `P3P` is off by default, warns when
//! on, and separates its fields with `, ` as the P3P 1.0 grammar requires.

use super::kind;
use crate::core::feature::{Builder, Feature, HeaderConfig};
use crate::core::rules::Value;

/// `X-XSS-Protection`.
///
/// ```toml
/// [default.security.xss_protection]
/// enabled = true    # Default: true
/// value = "0"       # "0", or the legacy "1" / "1; mode=block" (warns); Default: "0"
/// ```
pub type XssProtection = HeaderConfig<kind::XssProtection>;

impl Feature for XssProtection {
    const KEY: &'static str = "xss_protection";

    fn build(&self, b: &mut Builder<'_>) {
        let compact: String =
            self.value.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
        let v = match compact.as_str() {
            "0" => "0",
            "1" => "1",
            "1;mode=block" => "1; mode=block",
            _ => {
                b.error(
                    "value",
                    format!("{:?} is not allowed; use \"0\" (recommended), \"1\" or \"1; mode=block\"", self.value),
                );
                return;
            }
        };
        if !self.enabled {
            b.off("X-XSS-Protection");
            return;
        }
        if v != "0" {
            b.warn(
                "security.W010",
                format!(
                    "`security.xss_protection.value = {v:?}` turns on the legacy XSS auditor, which itself enabled \
                     cross-site leaks"
                ),
                "set `security.xss_protection.value = \"0\"` (OWASP's advice) and rely on the Content-Security-Policy",
            );
        }
        let scope = b.scope(&self.paths, &self.exclude);
        b.header("value", "X-XSS-Protection", Value::Always(v.into()), scope);
    }
}

/// `P3P` compact privacy policy (obsolete; only old Internet Explorer read it).
///
/// ```toml
/// [default.security.p3p]
/// enabled = false                   # Default: false
/// compact_policy = "NOI DSP COR"    # required when enabled
/// policy_url = "/w3c/p3p.xml"       # Default: "/w3c/p3p.xml"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct P3p {
    /// Send the header. _Default:_ `false`.
    pub enabled: bool,
    /// The compact policy tokens (`CP="..."`). Required when enabled. _Default:_ `""`.
    pub compact_policy: String,
    /// The policy reference (`policyref="..."`). _Default:_ `"/w3c/p3p.xml"`.
    pub policy_url: String,
    /// Path patterns that get the header. _Default:_ `["/**"]`.
    pub paths: Vec<String>,
    /// Path patterns that don't. _Default:_ `[]`.
    pub exclude: Vec<String>,
}

impl Default for P3p {
    fn default() -> Self {
        P3p {
            enabled: false,
            compact_policy: String::new(),
            policy_url: "/w3c/p3p.xml".into(),
            paths: crate::core::feature::everywhere(),
            exclude: vec![],
        }
    }
}

impl Feature for P3p {
    const KEY: &'static str = "p3p";

    fn build(&self, b: &mut Builder<'_>) {
        if !self.enabled {
            b.off("P3P");
            return;
        }
        let cp = self.compact_policy.split_whitespace().collect::<Vec<_>>();
        if cp.is_empty() {
            b.error("compact_policy", "required when P3P is enabled, e.g. \"NOI DSP COR\"");
            return;
        }
        if let Some(t) = cp.iter().find(|t| !(t.len() <= 5 && t.chars().all(|c| c.is_ascii_alphanumeric()))) {
            b.error(
                "compact_policy",
                format!("{t:?} is not a compact-policy token (letters and digits, e.g. NOI DSP COR)"),
            );
            return;
        }
        let url = self.policy_url.trim();
        if url.is_empty() || url.contains(['"', '\\']) {
            b.error("policy_url", "must be a non-empty URL without quotes or backslashes");
            return;
        }
        b.info(
            "security.I001",
            "P3P is enabled: the header is obsolete (no current browser reads it) and only adds bytes to every response",
            "set `security.p3p.enabled = false` unless a legacy client needs it",
        );
        let v = format!("policyref=\"{url}\", CP=\"{}\"", cp.join(" "));
        let scope = b.scope(&self.paths, &self.exclude);
        b.header("compact_policy", "P3P", Value::Always(v), scope);
    }
}
