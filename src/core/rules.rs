//! Header rules: a header validated and rendered once at ignite, then sent
//! by a lookup and an insert.

use super::paths::Scope;

/// When a rendered header is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    /// On every response in scope.
    Always(String),
    /// Only on responses to requests that arrived over HTTPS (RFC 6797 §7.2).
    HttpsOnly(String),
    /// One value on HTTPS requests, another on plain HTTP (a reporting
    /// parameter that names a Reporting API group only over HTTPS).
    Split {
        /// The value on HTTPS requests.
        https: String,
        /// The value on plain-HTTP requests.
        http: String,
    },
}

/// One header, validated and rendered at ignite.
#[derive(Debug, Clone)]
pub(crate) struct HeaderRule {
    pub(crate) name: &'static str,
    /// The value on requests that arrived over HTTPS, if any.
    pub(crate) https: Option<&'static str>,
    /// The value on plain-HTTP requests, if any.
    pub(crate) http: Option<&'static str>,
    pub(crate) scope: Scope,
    /// Replace a value the handler set (`Cache-Control` on confidential paths).
    pub(crate) force: bool,
    /// Skip this header when the route set this other header itself
    /// (`Pragma`/`Expires` go with `Cache-Control`).
    pub(crate) follows: Option<&'static str>,
}

impl HeaderRule {
    pub(crate) fn needs_scheme(&self) -> bool {
        self.https != self.http
    }

    /// The value for this request, if any.
    #[inline]
    pub(crate) fn value_for(&self, secure: bool) -> Option<&'static str> {
        if secure {
            self.https
        } else {
            self.http
        }
    }
}

/// Rendered header values live for the whole process: they are interned, so
/// responses borrow them without copying and each distinct value is stored once.
pub(crate) fn intern(value: String) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static VALUES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut set = VALUES.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    if let Some(v) = set.get(value.as_str()) {
        return v;
    }
    let leaked: &'static str = Box::leak(value.into_boxed_str());
    set.insert(leaked);
    leaked
}

/// A header value must be visible ASCII (or spaces/tabs inside): a CR or LF
/// would split the header, anything else is rejected by HTTP/1.1 and h2 peers.
pub(crate) fn check_value(v: &str) -> Result<(), String> {
    if v.is_empty() {
        return Err("is empty".into());
    }
    if let Some(c) = v.chars().find(|c| *c == '\r' || *c == '\n') {
        return Err(format!(
            "contains a line break ({}), which would split the header; remove it",
            if c == '\r' { "CR" } else { "LF" }
        ));
    }
    if let Some((i, c)) = v.char_indices().find(|(_, c)| !(c.is_ascii_graphic() || *c == ' ' || *c == '\t')) {
        return Err(format!("contains {:?} (U+{:04X}) at byte {i}; header values must be visible ASCII", c, c as u32));
    }
    if v.starts_with([' ', '\t']) || v.ends_with([' ', '\t']) {
        return Err("has leading or trailing whitespace; remove it".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_value;

    #[test]
    fn header_values_must_be_visible_ascii() {
        assert!(check_value("max-age=1").is_ok());
        assert_eq!(
            check_value("a\r\nSet-Cookie: x").unwrap_err(),
            "contains a line break (CR), which would split the header; remove it"
        );
        assert_eq!(
            check_value("caf\u{e9}").unwrap_err(),
            "contains 'é' (U+00E9) at byte 3; header values must be visible ASCII"
        );
        assert_eq!(check_value(" x").unwrap_err(), "has leading or trailing whitespace; remove it");
    }
}
