//! The one `Reporting-Endpoints` header of a response: every part that asks
//! browsers for reports adds its member (`group="url"`) here, so a response
//! carries one header naming every group in use, whichever parts ran.
//!
//! A part whose header names its own URL (CSP's `report-uri`) sets its
//! member itself ([`set_own`]) and records it with that URL; the others are
//! joined to it by the composition root, with strings rendered at ignite.
//! A `Reporting-Endpoints` the route (`Override`) or the handler set itself
//! is kept as it is: the crate adds to its own header only.

use rocket::http::Header;
use rocket::Response;

use super::part::Finish;
use super::paths::Scope;

/// The header's name.
pub(crate) const NAME: &str = "Reporting-Endpoints";

/// A header asks browsers to report to `group` on the paths of `scope`
/// (HTTPS responses only: Reporting API endpoints are secure contexts).
#[derive(Debug, Clone)]
pub(crate) struct ReportGroup {
    /// The full key of the setting that named the group (for error messages).
    pub(crate) key: String,
    /// The group name, e.g. `default`.
    pub(crate) group: String,
    /// Where the header that names it is sent.
    pub(crate) scope: Scope,
    /// The URL, when the feature names its own and sets its member itself
    /// (with [`set_own`]); `None`: `security.reporting.endpoint`'s.
    pub(crate) url: Option<String>,
}

/// Whether `group` is a Reporting API endpoint name this crate renders: an
/// sf-key (RFC 8941 §3.1.2): a lowercase letter or `*`, then lowercase
/// letters, digits, `_`, `-`, `.`, `*`. Mixed case would make an invalid key.
pub(crate) fn valid_group(group: &str) -> bool {
    group.starts_with(|c: char| c.is_ascii_lowercase() || c == '*')
        && group.len() <= 64
        && group.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_-.*".contains(c))
}

/// What is wrong with `group`, a setting that must be a [`valid_group`]
/// (`example`: a good one to suggest).
pub(crate) fn invalid_group(group: &str, example: &str) -> String {
    format!(
        "{group:?} is not a Reporting API group name; use lowercase letters, digits, `_`, `-` and `.`, starting \
         with a letter, such as {example:?}"
    )
}

/// Sets a part's own `Reporting-Endpoints` (its one rendered member), unless
/// the route or the handler set the header: theirs is kept as it is. The
/// members of the other groups in use join it later (the composition root's
/// part), so a response that names one group allocates nothing.
pub(crate) fn set_own(res: &mut Response<'_>, finish: &Finish<'_>, member: &'static str) {
    if finish.owns(NAME) || res.headers().contains(NAME) {
        return;
    }
    res.set_header(Header::new(NAME, member));
}
