//! `X-Frame-Options`.
//!
//! Differences from django-security: the value is sent in its canonical upper
//! case (`DENY`, not `deny`), and the non-standard `allow-from:` form is
//! refused at ignite: no current browser honours it, so it left pages
//! frameable. Use CSP `frame-ancestors` to allow specific origins.

use super::kind;
use crate::core::feature::{one_of, Builder, Feature, HeaderConfig};
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
pub type FrameOptions = HeaderConfig<kind::FrameOptions>;

impl Feature for FrameOptions {
    const KEY: &'static str = "frame_options";

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
