//! `X-Content-Type-Options: nosniff`.
//!
//! django-security's old `ContentNoSniff` sent the misspelled
//! `X-Content-Options`; this sends the real header.

use crate::core::feature::{Builder, Feature};
use crate::core::rules::Value;

/// Stops browsers from guessing a response's MIME type.
///
/// ```toml
/// [default.security.nosniff]
/// enabled = true    # Default: true
/// paths = ["/**"]   # Default: ["/**"]
/// exclude = []      # Default: []
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NoSniff {
    /// Send `X-Content-Type-Options: nosniff`. _Default:_ `true`.
    pub enabled: bool,
    /// Path patterns that get the header. _Default:_ `["/**"]`.
    pub paths: Vec<String>,
    /// Path patterns that don't. _Default:_ `[]`.
    pub exclude: Vec<String>,
}

impl Default for NoSniff {
    fn default() -> Self {
        NoSniff { enabled: true, paths: crate::core::feature::everywhere(), exclude: vec![] }
    }
}

impl Feature for NoSniff {
    const KEY: &'static str = "nosniff";

    fn build(&self, b: &mut Builder<'_>) {
        if !self.enabled {
            b.off("X-Content-Type-Options");
            return;
        }
        let scope = b.scope(&self.paths, &self.exclude);
        b.header("enabled", "X-Content-Type-Options", Value::Always("nosniff".into()), scope);
    }
}
