//! Path patterns for per-path settings (`paths`, `exclude`, exemption lists).
//!
//! A pattern is matched against the request path *segment by segment*, after
//! percent-decoding, the same way Rocket's router sees the path. So `/login`
//! never matches `/loginx` (no prefix over-match), and `/acc%6Funt` is the same
//! path as `/account` (no encoding bypass).
//!
//! | pattern          | matches                                   |
//! |------------------|-------------------------------------------|
//! | `/login`         | `/login` (and `/login/`)                  |
//! | `/static/**`     | `/static` and everything below it         |
//! | `/users/*/edit`  | `/users/7/edit`, not `/users/7/8/edit`    |
//! | `/**`            | every path                                |

use std::fmt;

use rocket::http::uri::Origin;

use super::error::ConfigError;

/// Why a path pattern was refused; its `Display` is the whole explanation.
///
/// ```
/// use rocket_security::core::{PathPattern, PatternError};
/// let e: PatternError = PathPattern::parse("/static*").unwrap_err();
/// assert_eq!(e, PatternError::PartialWildcard { pattern: "/static*".into(), segment: "static*".into() });
/// assert!(e.to_string().contains("write `/static/**` for a subtree"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PatternError {
    /// The pattern does not start with `/`.
    NotAbsolute {
        /// The pattern as written.
        pattern: String,
    },
    /// The pattern has a query (`?`) or fragment (`#`).
    QueryOrFragment {
        /// The pattern as written.
        pattern: String,
    },
    /// The pattern has whitespace or control characters.
    Whitespace {
        /// The pattern as written.
        pattern: String,
    },
    /// `**` is not the last segment.
    RestNotLast {
        /// The pattern as written.
        pattern: String,
    },
    /// `*` is part of a segment (`/static*`) instead of a whole one.
    PartialWildcard {
        /// The pattern as written.
        pattern: String,
        /// The segment with the `*`, e.g. `static*`.
        segment: String,
    },
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PatternError::NotAbsolute { pattern } => write!(f, "path pattern {pattern:?} must start with `/`"),
            PatternError::QueryOrFragment { pattern } => {
                write!(f, "path pattern {pattern:?} must not contain a query or fragment")
            }
            PatternError::Whitespace { pattern } => {
                write!(f, "path pattern {pattern:?} must not contain whitespace or control characters")
            }
            PatternError::RestNotLast { pattern } => {
                write!(f, "in path pattern {pattern:?}, `**` may only be the last segment")
            }
            PatternError::PartialWildcard { pattern, segment } => {
                let stem = segment.trim_matches('*');
                write!(
                    f,
                    "in path pattern {pattern:?}, `*` must be a whole segment: \
                     write `/{stem}/**` for a subtree or `*` for one segment"
                )
            }
        }
    }
}

impl std::error::Error for PatternError {}

/// One compiled path pattern.
///
/// ```
/// use rocket_security::core::PathPattern;
///
/// let edit = PathPattern::parse("/users/*/edit").unwrap();
/// assert!(edit.matches_path("/users/7/edit"));
/// assert!(!edit.matches_path("/users/7/8/edit"));
/// assert!(!edit.matches_path("/users/edit"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathPattern {
    source: String,
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    One,
    Rest,
}

impl PathPattern {
    /// Parses a pattern, explaining what is wrong with a bad one.
    ///
    /// ```
    /// use rocket_security::core::PathPattern;
    /// let p = PathPattern::parse("/static/**").unwrap();
    /// assert!(p.matches_path("/static/app.js"));
    /// assert!(!p.matches_path("/staticx"));
    /// assert!(PathPattern::parse("static").is_err());
    /// ```
    pub fn parse(pattern: &str) -> Result<Self, PatternError> {
        let pattern_owned = || pattern.to_string();
        if !pattern.starts_with('/') {
            return Err(PatternError::NotAbsolute { pattern: pattern_owned() });
        }
        if pattern.contains(['?', '#']) {
            return Err(PatternError::QueryOrFragment { pattern: pattern_owned() });
        }
        if pattern.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(PatternError::Whitespace { pattern: pattern_owned() });
        }
        let parts: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
        let mut segments = Vec::with_capacity(parts.len());
        for (i, part) in parts.iter().enumerate() {
            let seg = match *part {
                "**" if i + 1 == parts.len() => Segment::Rest,
                "**" => return Err(PatternError::RestNotLast { pattern: pattern_owned() }),
                "*" => Segment::One,
                p if p.contains('*') => {
                    return Err(PatternError::PartialWildcard { pattern: pattern_owned(), segment: p.to_string() });
                }
                p => Segment::Literal(percent_decode(p)),
            };
            segments.push(seg);
        }
        Ok(PathPattern { source: pattern.to_string(), segments })
    }

    /// The pattern as written.
    ///
    /// ```
    /// use rocket_security::core::PathPattern;
    /// assert_eq!(PathPattern::parse("/admin/**").unwrap().as_str(), "/admin/**");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the (raw, possibly percent-encoded) `path` matches.
    ///
    /// ```
    /// use rocket_security::core::PathPattern;
    ///
    /// let p = PathPattern::parse("/café/*").unwrap();
    /// assert!(p.matches_path("/caf%C3%A9/menu"));
    /// assert!(!p.matches_path("/caf%C3%A9"));
    /// ```
    pub fn matches_path(&self, path: &str) -> bool {
        let decoded: Vec<String> = path.split('/').filter(|s| !s.is_empty()).map(percent_decode).collect();
        self.matches_segments(decoded.iter().map(String::as_str))
    }

    /// Whether the request URI's path matches.
    ///
    /// ```
    /// use rocket::http::uri::Origin;
    /// use rocket_security::core::PathPattern;
    ///
    /// let p = PathPattern::parse("/admin/**").unwrap();
    /// assert!(p.matches(&Origin::parse("/admin/users?page=2").unwrap()));
    /// assert!(!p.matches(&Origin::parse("/administrator").unwrap()));
    /// ```
    pub fn matches(&self, uri: &Origin<'_>) -> bool {
        self.matches_segments(uri.path().segments())
    }

    fn matches_segments<'s>(&self, mut path: impl Iterator<Item = &'s str>) -> bool {
        for seg in &self.segments {
            match seg {
                Segment::Rest => return true,
                Segment::One => {
                    if path.next().is_none() {
                        return false;
                    }
                }
                Segment::Literal(lit) => match path.next() {
                    Some(p) if p == lit => {}
                    _ => return false,
                },
            }
        }
        path.next().is_none()
    }
}

impl std::fmt::Display for PathPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.source)
    }
}

/// A list of patterns; matches when any pattern matches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PathSet(Vec<PathPattern>);

impl PathSet {
    /// Parses every pattern of `key`, recording errors as `key[i]`.
    pub(crate) fn parse(key: &str, patterns: &[String], errors: &mut Vec<ConfigError>) -> Self {
        let mut out = Vec::with_capacity(patterns.len());
        for (i, p) in patterns.iter().enumerate() {
            match PathPattern::parse(p) {
                Ok(p) => out.push(p),
                Err(e) => errors.push(ConfigError::new(format!("{key}[{i}]"), e.to_string())),
            }
        }
        PathSet(out)
    }

    pub(crate) fn patterns(&self) -> &[PathPattern] {
        &self.0
    }

    pub(crate) fn push(&mut self, p: PathPattern) {
        self.0.push(p);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn matches(&self, uri: &Origin<'_>) -> bool {
        self.0.iter().any(|p| p.matches(uri))
    }

    pub(crate) fn is_everything(&self) -> bool {
        self.0.iter().any(|p| p.segments == [Segment::Rest])
    }

    pub(crate) fn describe(&self) -> String {
        self.0.iter().map(PathPattern::as_str).collect::<Vec<_>>().join(", ")
    }
}

/// Where a header applies: `paths` minus `exclude`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Scope {
    /// `None`: every path.
    pub(crate) paths: Option<PathSet>,
    pub(crate) exclude: PathSet,
}

impl Scope {
    pub(crate) fn applies(&self, uri: &Origin<'_>) -> bool {
        if let Some(paths) = &self.paths
            && !paths.matches(uri)
        {
            return false;
        }
        self.exclude.is_empty() || !self.exclude.matches(uri)
    }

    pub(crate) fn describe(&self) -> String {
        let mut s = match &self.paths {
            None => "all paths".to_string(),
            Some(p) => format!("paths {}", p.describe()),
        };
        if !self.exclude.is_empty() {
            s.push_str(&format!(" except {}", self.exclude.describe()));
        }
        s
    }
}

fn percent_decode(s: &str) -> String {
    rocket::http::RawStr::new(s).percent_decode_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::PathPattern;

    fn m(p: &str, path: &str) -> bool {
        PathPattern::parse(p).unwrap().matches_path(path)
    }

    #[test]
    fn exact_pattern_has_no_prefix_over_match() {
        assert!(m("/login", "/login"));
        assert!(m("/login", "/login/"));
        assert!(!m("/login", "/loginx"));
        assert!(!m("/login", "/login/x"));
    }

    #[test]
    fn subtree_pattern_stops_at_segment_boundary() {
        assert!(m("/static/**", "/static"));
        assert!(m("/static/**", "/static/a/b.css"));
        assert!(!m("/static/**", "/staticfoo"));
        assert!(m("/**", "/anything/at/all"));
    }

    #[test]
    fn star_is_one_segment() {
        assert!(m("/users/*/edit", "/users/7/edit"));
        assert!(!m("/users/*/edit", "/users/7/8/edit"));
        assert!(!m("/users/*", "/users"));
    }

    #[test]
    fn percent_encoding_does_not_bypass() {
        assert!(m("/account", "/acc%6Funt"));
        assert!(m("/a%20b", "/a%20b"));
        assert!(m("/caf%C3%A9", "/caf%c3%a9"));
    }

    #[test]
    fn bad_patterns_are_explained() {
        let e = |p: &str| PathPattern::parse(p).unwrap_err().to_string();
        assert_eq!(e("login"), "path pattern \"login\" must start with `/`");
        assert_eq!(
            e("/static*"),
            "in path pattern \"/static*\", `*` must be a whole segment: write `/static/**` for a subtree or `*` for one segment"
        );
        assert_eq!(e("/**/x"), "in path pattern \"/**/x\", `**` may only be the last segment");
    }
}
