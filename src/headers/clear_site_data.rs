//! `Clear-Site-Data` on configured paths, typically logout.
//!
//! Differences from django-security: paths are patterns matched by segment
//! (the original's string setting did substring matching), unknown directives
//! fail at ignite instead of being dropped silently, and the default
//! directives are OWASP's `"cache", "cookies", "storage"`.

use crate::core::feature::{Builder, Feature};
use crate::core::rules::Value;

const DIRECTIVES: &[&str] =
    &["cache", "cookies", "storage", "executionContexts", "clientHints", "prefetchCache", "prerenderCache", "*"];

/// `Clear-Site-Data`.
///
/// ```toml
/// [default.security.clear_site_data]
/// paths = ["/logout"]                              # Default: [] (off)
/// exclude = []                                     # Default: []
/// directives = ["cache", "cookies", "storage"]     # Default: ["cache", "cookies", "storage"]
/// ```
///
/// Browsers honour it only in secure contexts (HTTPS, or `localhost`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClearSiteData {
    /// Path patterns that get the header. _Default:_ `[]` (the feature is off).
    pub paths: Vec<String>,
    /// Path patterns excluded from `paths`. _Default:_ `[]`.
    pub exclude: Vec<String>,
    /// What to clear: `cache`, `cookies`, `storage`, `executionContexts`,
    /// `clientHints`, `prefetchCache`, `prerenderCache` or `*`.
    /// _Default:_ `["cache", "cookies", "storage"]`.
    pub directives: Vec<String>,
}

impl Default for ClearSiteData {
    fn default() -> Self {
        ClearSiteData {
            paths: vec![],
            exclude: vec![],
            directives: vec!["cache".into(), "cookies".into(), "storage".into()],
        }
    }
}

impl ClearSiteData {
    /// Renders `directives` as a header value (`"cookies", "storage"`), or
    /// explains what is wrong.
    pub(crate) fn render(directives: &[String]) -> Result<String, String> {
        if directives.is_empty() {
            return Err("empty list; give at least one of \"cache\", \"cookies\", \"storage\"".into());
        }
        let mut out: Vec<&str> = Vec::with_capacity(directives.len());
        for d in directives {
            let t = d.trim().trim_matches('"');
            let Some(known) = DIRECTIVES.iter().find(|k| **k == t) else {
                return Err(match DIRECTIVES.iter().find(|k| k.eq_ignore_ascii_case(t)) {
                    Some(k) => format!("{t:?} must be written {k:?} (directives are case-sensitive)"),
                    None => format!("{t:?} is not a Clear-Site-Data directive; use {}", DIRECTIVES.join(", ")),
                });
            };
            if out.contains(known) {
                return Err(format!("{known:?} is listed twice; remove the duplicate"));
            }
            out.push(known);
        }
        if out.len() > 1 && out.contains(&"*") {
            return Err("\"*\" already clears everything; list it alone".into());
        }
        Ok(out.iter().map(|d| format!("\"{d}\"")).collect::<Vec<_>>().join(", "))
    }
}

impl Feature for ClearSiteData {
    const KEY: &'static str = "clear_site_data";

    fn build(&self, b: &mut Builder<'_>) {
        let value = match ClearSiteData::render(&self.directives) {
            Ok(v) => v,
            Err(e) => return b.error("directives", e),
        };
        if self.paths.is_empty() {
            b.off("Clear-Site-Data");
            return;
        }
        let scope = b.scope(&self.paths, &self.exclude);
        b.header("directives", "Clear-Site-Data", Value::Always(value), scope);
    }
}
