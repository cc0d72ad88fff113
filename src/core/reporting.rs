//! The one `Reporting-Endpoints` header of a response: every part that asks
//! browsers for reports adds its member (`group="url"`) here, so a response
//! carries one header naming every group in use, whichever parts ran.
//!
//! A `Reporting-Endpoints` the route (`Override`) or the handler set itself is
//! kept as it is: the crate adds to its own header only.

use std::sync::Mutex;

use rocket::http::Header;
use rocket::{Request, Response};

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
}

/// Whether `group` is a Reporting API endpoint name this crate renders: an
/// sf-key (RFC 8941 §3.1.2): a lowercase letter or `*`, then lowercase
/// letters, digits, `_`, `-`, `.`, `*`. Mixed case would make an invalid key.
pub(crate) fn valid_group(group: &str) -> bool {
    group.starts_with(|c: char| c.is_ascii_lowercase() || c == '*')
        && group.len() <= 64
        && group.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_-.*".contains(c))
}

/// The members this crate put in the response's header.
#[derive(Default)]
struct Sent(Mutex<Vec<&'static str>>);

/// Adds `member` (a rendered `group="url"`) to the response's one
/// `Reporting-Endpoints` header, unless the route or handler set its own.
pub(crate) fn add<'r>(req: &'r Request<'_>, res: &mut Response<'r>, finish: &Finish<'_>, member: &'static str) {
    if finish.owns(NAME) {
        return;
    }
    let sent = req.local_cache(Sent::default);
    let mut members = sent.0.lock().unwrap_or_else(|e| e.into_inner());
    if members.is_empty() && res.headers().contains(NAME) {
        // The handler's own header.
        return;
    }
    if members.contains(&member) {
        return;
    }
    members.push(member);
    res.set_header(Header::new(NAME, members.join(", ")));
}
