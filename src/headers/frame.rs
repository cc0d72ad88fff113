//! `X-Frame-Options`.
//!
//! Differences from django-security: the value is sent in its canonical upper
//! case (`DENY`, not `deny`), and the non-standard `allow-from:` form is
//! refused at ignite: no current browser honours it, so it left pages
//! frameable. Use CSP `frame-ancestors` to allow specific origins.

use crate::core::config::Section;
use crate::core::feature::{one_of, Builder, Common, Feature};
use crate::core::rules::Value;

/// Clickjacking protection for browsers that predate CSP `frame-ancestors`.
///
/// ```toml
/// [default.security.frame_options]
/// enabled = true     # Default: true
/// value = "DENY"     # "DENY" or "SAMEORIGIN"; Default: "DENY"
/// paths = ["/**"]    # Default: ["/**"]
/// exclude = []       # e.g. ["/embed/**"]; Default: []
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameOptions {
    /// Send the header. _Default:_ `true`.
    pub enabled: bool,
    /// `DENY` or `SAMEORIGIN` (any case). _Default:_ `"DENY"`.
    pub value: String,
    /// Path patterns that get the header. _Default:_ `["/**"]`.
    pub paths: Vec<String>,
    /// Path patterns that don't (the original's `X_FRAME_OPTIONS_EXCLUDE_URLS`). _Default:_ `[]`.
    pub exclude: Vec<String>,
}

impl Default for FrameOptions {
    fn default() -> Self {
        FrameOptions { enabled: true, value: "DENY".into(), paths: crate::core::feature::everywhere(), exclude: vec![] }
    }
}

impl Feature for FrameOptions {
    const KEY: &'static str = "frame_options";

    fn read(s: &Section<'_>) -> Self {
        let d = Self::default();
        let c = Common::read(s, d.enabled, &d.paths, &d.exclude);
        FrameOptions { enabled: c.enabled, value: s.string("value", &d.value), paths: c.paths, exclude: c.exclude }
    }

    fn build(&self, b: &mut Builder<'_>) {
        let v = self.value.trim();
        if v.to_ascii_lowercase().starts_with("allow-from") {
            b.error(
                "value",
                "ALLOW-FROM is obsolete and ignored by every current browser; use \"DENY\" or \"SAMEORIGIN\", \
                 and allow specific origins with the CSP `frame-ancestors` directive",
            );
            return;
        }
        let canonical = if v.eq_ignore_ascii_case("same-origin") { "SAMEORIGIN" } else { v };
        let Some(value) = one_of(b, "value", canonical, &["DENY", "SAMEORIGIN"]) else { return };
        if !self.enabled {
            b.off("X-Frame-Options");
            return;
        }
        let scope = b.scope(&self.paths, &self.exclude);
        b.header("value", "X-Frame-Options", Value::Always(value.into()), scope);
    }
}
