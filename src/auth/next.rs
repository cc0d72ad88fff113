//! Safe `next` targets after login: only paths on this site.

/// `target` if a browser would read it as a same-site location, else `None`.
///
/// Accepted: a path starting with a single `/` (`/account?tab=2`), or an
/// absolute `http(s)` URL whose host is in `allowed_hosts`. Refused, like
/// Django's `url_has_allowed_host_and_scheme` and more: other schemes
/// (`javascript:`, `data:`), scheme-relative `//host`, backslashes (`/\host`,
/// which browsers read as `//host`), any whitespace or control character
/// (browsers strip tabs and newlines inside URLs: `/\t/host`), and the same
/// tricks percent-encoded once (`/%2F%2Fhost`, `%5C`). What it returns is
/// always a valid redirect target: a value Rocket's `Redirect` could not
/// build (`/"`, `/é`, `/%zz`) is refused too, so the caller falls back to `/`
/// instead of answering 500.
///
/// Each of `allowed_hosts` is an exact host name: a network such as
/// `10.0.0.0/8` (which `security.allowed_hosts` takes for probes by IP)
/// matches no `next`, as a host a network admits is never a redirect target.
///
/// ```
/// use rocket_security::auth::safe_next;
/// assert_eq!(safe_next("/account?tab=2", &[]), Some("/account?tab=2"));
/// assert_eq!(safe_next("//evil.example", &[]), None);
/// assert_eq!(safe_next("/\\evil.example", &[]), None);
/// assert_eq!(safe_next("https://evil.example/", &[]), None);
/// assert_eq!(safe_next("https://shop.example/", &["shop.example".into()]), Some("https://shop.example/"));
/// assert_eq!(safe_next("http://10.0.0.5/", &["10.0.0.0/8".into()]), None);
/// assert_eq!(safe_next("/\"quoted\"", &[]), None);
/// assert_eq!(safe_next("/caf\u{e9}", &[]), None);
/// assert_eq!(safe_next("/caf%C3%A9", &[]), Some("/caf%C3%A9"));
/// ```
pub fn safe_next<'a>(target: &'a str, allowed_hosts: &[String]) -> Option<&'a str> {
    if target.is_empty() || target.len() > 2048 {
        return None;
    }
    // Only what a `Location` header can carry: a URI reference Rocket parses.
    if rocket::http::uri::Reference::parse(target).is_err() || !target.is_ascii() {
        return None;
    }
    let decoded = rocket::http::RawStr::new(target).percent_decode_lossy();
    for candidate in [target, decoded.as_ref()] {
        if candidate.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\') {
            return None;
        }
        if candidate.starts_with('/') && !candidate.starts_with("//") {
            continue;
        }
        // Absolute: only http(s) to an allowed host.
        let lower = candidate.to_ascii_lowercase();
        let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"))?;
        let authority = rest.split(['/', '?', '#']).next()?;
        if authority.contains('@') {
            return None;
        }
        let host = authority.split(':').next()?;
        if host.is_empty() || !allowed_hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
            return None;
        }
    }
    Some(target)
}

/// Percent-encodes a path and query for a `next` parameter (keeping `/`).
pub(crate) fn encode_next(path_and_query: &str) -> String {
    let mut out = String::with_capacity(path_and_query.len());
    for b in path_and_query.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{encode_next, safe_next};

    #[test]
    fn unsafe_targets_are_refused() {
        for t in [
            "",
            "//evil.com",
            "///evil.com",
            "/\\evil.com",
            "\\\\evil.com",
            "https://evil.com",
            "http:evil.com",
            "javascript:alert(1)",
            "data:text/html,x",
            "/\t/evil.com",
            " /x",
            "/x\n",
            "/%2F%2Fevil.com",
            "%2F%2Fevil.com",
            "/%5Cevil.com",
            "https://good.com@evil.com/",
            "evil.com",
            "/\u{3000}x",
        ] {
            assert_eq!(safe_next(t, &["good.com".into()]), None, "{t:?}");
        }
    }

    #[test]
    fn same_site_targets_are_kept() {
        for t in ["/", "/a/b?c=d&e=%2F", "/search?q=http://x", "https://good.com:8443/x", "HTTP://GOOD.COM/"] {
            assert_eq!(safe_next(t, &["good.com".into()]), Some(t), "{t:?}");
        }
    }

    #[test]
    fn next_encoding_matches_django_for_the_query() {
        assert_eq!(
            encode_next("/custom-path/?priority=7,8,9,10&type=Custom"),
            "/custom-path/%3Fpriority%3D7%2C8%2C9%2C10%26type%3DCustom"
        );
        assert_eq!(encode_next("/a&b=c/"), "/a%26b%3Dc/");
    }
}
