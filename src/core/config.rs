//! Reading the configuration: every feature's table derives `Deserialize`
//! (`deny_unknown_fields`, one `Default`), and [`read`] is the one place that
//! turns figment's errors into this crate's messages: the full key, what is
//! allowed, "did you mean" for an unknown key, and every mistake at once.
//!
//! Values with more than one shape (a string or a list, `true` or `"keep"`)
//! deserialize through [`shaped`], which hands the raw value to a small
//! function that returns the typed value or the message.

use rocket::figment::error::{Actual, Kind};
use rocket::figment::value::{Dict, Tag, Value};
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};

use super::error::ConfigError;

/// Separates a sub-key from the message in a [`shaped`] error, e.g. the
/// feature name of a table of arbitrary names (`features.camera`).
const SUB: char = '\u{1f}';

/// Separates the mistakes of one value that has several (see [`each_at`]).
const NEXT: char = '\u{1e}';

/// Reads the table `key` of `value` into `T` (absent means "all defaults"),
/// pushing every mistake to `errors`. Serde stops at the first error, so a
/// table that fails is read again one key at a time (recursing into nested
/// tables) to name each mistake; the keys that were fine keep their values,
/// the others their defaults, so later checks still run.
pub(crate) fn read<T: DeserializeOwned + Default>(
    key: &str,
    value: Option<&Value>,
    errors: &mut Vec<ConfigError>,
) -> T {
    let Some(value) = value else { return T::default() };
    let Value::Dict(_, dict) = value else {
        errors.push(ConfigError::new(key, format!("expected a table of settings, found {}", describe(value))));
        return T::default();
    };
    let probe = |d: &Dict| T::deserialize(&Value::Dict(Tag::Default, d.clone())).err();
    let Some(first) = probe(dict) else {
        return T::deserialize(value).unwrap_or_default();
    };
    let mut good = dict.clone();
    let before = errors.len();
    each_key(key, &[], dict, &probe, errors, &mut good);
    if errors.len() == before {
        // Only the combination fails: report what serde said.
        errors.extend(convert(key, &first));
        return T::default();
    }
    T::deserialize(&Value::Dict(Tag::Default, good)).unwrap_or_default()
}

/// Probes each key of `dict` (at `path` below the root) on its own.
fn each_key(
    root: &str,
    path: &[String],
    dict: &Dict,
    probe: &dyn Fn(&Dict) -> Option<rocket::figment::Error>,
    errors: &mut Vec<ConfigError>,
    good: &mut Dict,
) {
    for (name, value) in dict {
        let mut here = path.to_vec();
        here.push(name.clone());
        let Some(e) = probe(&alone(&here, value)) else { continue };
        let found = convert(root, &e);
        let key = join(root, &here);
        let before = errors.len();
        if found.first().is_some_and(|e| e.key.len() > key.len()) {
            match value {
                Value::Dict(_, inner) => {
                    each_key(root, &here, inner, probe, errors, good);
                    if errors.len() > before {
                        continue;
                    }
                }
                // Each item on its own, as the only item of the list: its mistake is renamed from `[0]` to `[i]`.
                Value::Array(tag, items) => {
                    for (i, item) in items.iter().enumerate() {
                        let Some(e) = probe(&alone(&here, &Value::Array(*tag, vec![item.clone()]))) else { continue };
                        for mut error in convert(root, &e) {
                            if let Some(rest) = error.key.strip_prefix(&format!("{key}[0]")) {
                                error.key = format!("{key}[{i}]{rest}");
                            }
                            errors.push(error);
                        }
                    }
                }
                _ => {}
            }
        }
        if errors.len() == before {
            errors.extend(found);
        }
        remove(good, &here);
    }
}

/// A table holding only `value` at `path`.
fn alone(path: &[String], value: &Value) -> Dict {
    let mut v = value.clone();
    for name in path[1..].iter().rev() {
        v = Value::Dict(Tag::Default, Dict::from([(name.clone(), v)]));
    }
    Dict::from([(path[0].clone(), v)])
}

fn remove(dict: &mut Dict, path: &[String]) {
    match path {
        [] => {}
        [last] => {
            dict.remove(last);
        }
        [first, rest @ ..] => {
            if let Some(Value::Dict(_, inner)) = dict.get_mut(first) {
                remove(inner, rest);
            }
        }
    }
}

/// `root` followed by `path`, list indices as `[i]`.
fn join(root: &str, path: &[String]) -> String {
    let mut key = root.to_string();
    for p in path {
        if p.parse::<usize>().is_ok() {
            key.push_str(&format!("[{p}]"));
        } else if p.starts_with('[') {
            key.push_str(p);
        } else {
            key.push('.');
            key.push_str(p);
        }
    }
    key
}

/// The one translation of a figment error into this crate's messages: one,
/// or one per mistake of a value [`each_at`] read.
fn convert(root: &str, e: &rocket::figment::Error) -> Vec<ConfigError> {
    let path = e.path.clone();
    let message = match &e.kind {
        Kind::Message(m) => {
            return m
                .split(NEXT)
                .map(|m| match m.strip_prefix(SUB).and_then(|m| m.split_once(SUB)) {
                    Some((sub, m)) => {
                        let mut path = path.clone();
                        path.push(sub.to_string());
                        ConfigError::new(join(root, &path), m)
                    }
                    None => ConfigError::new(join(root, &path), m),
                })
                .collect()
        }
        Kind::UnknownField(name, expected) => {
            let table = join(root, &path[..path.len().saturating_sub(1)]);
            let mut known: Vec<&str> = expected.to_vec();
            known.sort_unstable();
            let hint = suggest(name, &known).map(|s| format!("did you mean `{s}`? ")).unwrap_or_default();
            format!("unknown key; {hint}the keys of `{table}` are: {}", known.join(", "))
        }
        Kind::UnknownVariant(found, expected) => {
            let hint = suggest(found, expected).map(|s| format!("did you mean {s:?}? ")).unwrap_or_default();
            let allowed: Vec<String> = expected.iter().map(|e| format!("{e:?}")).collect();
            format!("{found:?} is not allowed; {hint}use one of {}", allowed.join(", "))
        }
        Kind::InvalidType(actual, expected) | Kind::InvalidValue(actual, expected) => {
            let found = describe_actual(actual);
            match expected.as_str() {
                "a boolean" => format!("expected true or false, found {found}"),
                "u64" => format!("expected a whole number >= 0, found {found}"),
                "a string" => format!("expected a string, found {found}"),
                "a sequence" => match actual {
                    Actual::Str(s) => format!("expected a list of strings, found the string {s:?}; write [{s:?}]"),
                    _ => format!("expected a list of strings, found {found}"),
                },
                e if e.starts_with("struct ") => format!("expected a table of settings, found {found}"),
                // A closed set of strings (a unit enum); a wrong string is `UnknownVariant` above.
                e if e.starts_with("enum ") => format!("expected a string, found {found}"),
                e => format!("expected {e}, found {found}"),
            }
        }
        other => other.to_string(),
    };
    vec![ConfigError::new(join(root, &path), message)]
}

/// Deserializes a value with more than one shape: `f` gets the raw value
/// and returns the typed one or the message (see [`at`] for a sub-key).
pub(crate) fn shaped<'de, D: Deserializer<'de>, T>(
    d: D,
    f: impl FnOnce(&Value) -> Result<T, String>,
) -> Result<T, D::Error> {
    let value = <Value as Deserialize>::deserialize(d)?;
    f(&value).map_err(D::Error::custom)
}

/// A [`shaped`] message for the key `sub` below the value's own key
/// (`"camera"`, `"[1]"`, `"routes[0].paths"`).
pub(crate) fn at(sub: &str, message: impl std::fmt::Display) -> String {
    format!("{SUB}{sub}{SUB}{message}")
}

/// A [`shaped`] message naming every mistake of one value at once: each a
/// sub-key below the value's own key (`""` for the value itself) and its message.
pub(crate) fn each_at(mistakes: impl IntoIterator<Item = (String, String)>) -> String {
    let mut out = String::new();
    for (sub, message) in mistakes {
        if !out.is_empty() {
            out.push(NEXT);
        }
        if sub.is_empty() {
            out.push_str(&message);
        } else {
            out.push_str(&at(&sub, message));
        }
    }
    out
}

/// The text of a string value (TOML may hand a one-letter string as a char).
pub(crate) fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(_, s) => Some(s.clone()),
        Value::Char(_, c) => Some(c.to_string()),
        _ => None,
    }
}

/// A list of strings, each item's mistake named by its index below the key.
pub(crate) fn string_items(items: &[Value]) -> Result<Vec<String>, String> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            text(item).ok_or_else(|| at(&format!("[{i}]"), format!("expected a string, found {}", describe(item))))
        })
        .collect()
}

/// `deserialize_with` for header token lists: a string (comma-separated) or a list of strings.
pub(crate) fn string_or_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    shaped(d, |v| match v {
        Value::String(_, s) => Ok(s.split(',').map(|t| t.trim().to_string()).collect()),
        Value::Array(_, items) => string_items(items),
        v => Err(format!("expected a string or a list of strings, found {}", describe(v))),
    })
}

/// The closest known key: same letters ignoring case and `_`/`-`, or at most two edits.
pub(crate) fn suggest<'k>(name: &str, known: &[&'k str]) -> Option<&'k str> {
    let norm = |s: &str| s.chars().filter(|c| *c != '_' && *c != '-').collect::<String>().to_lowercase();
    let n = norm(name);
    if let Some(k) = known.iter().find(|k| norm(k) == n) {
        return Some(k);
    }
    known
        .iter()
        .map(|k| (edit_distance(&n, &norm(k)), *k))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// A raw value as the messages name it: `the string "x"`, `the number 3`, `a list`.
pub(crate) fn describe(v: &Value) -> String {
    describe_actual(&v.to_actual())
}

fn describe_actual(a: &Actual) -> String {
    match a {
        Actual::Str(s) => format!("the string {s:?}"),
        Actual::Char(c) => format!("the string {:?}", c.to_string()),
        Actual::Bool(b) => format!("the boolean {b}"),
        Actual::Signed(i) => format!("the number {i}"),
        Actual::Unsigned(u) => format!("the number {u}"),
        Actual::Float(f) => format!("the number {f}"),
        Actual::Unit | Actual::Option => "an empty value".into(),
        Actual::Map => "a table".into(),
        Actual::Seq => "a list".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use rocket::figment::providers::{Format, Toml};
    use rocket::figment::Figment;
    use serde::Deserialize;

    use super::{read, suggest};

    #[derive(Debug, Default, PartialEq, Deserialize)]
    #[serde(default, deny_unknown_fields)]
    struct Table {
        enabled: bool,
        max_age: u64,
        paths: Vec<String>,
        inner: Inner,
    }

    #[derive(Debug, Default, PartialEq, Deserialize)]
    #[serde(default, deny_unknown_fields)]
    struct Inner {
        name: String,
    }

    fn read_table(toml: &str) -> (Table, Vec<String>) {
        let figment = Figment::from(Toml::string(toml));
        let value = figment.find_value("t").ok();
        let mut errors = Vec::new();
        let table = read::<Table>("t", value.as_ref(), &mut errors);
        (table, errors.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn every_mistake_of_a_table_is_reported_and_good_values_are_kept() {
        let (table, errors) = read_table(
            "[t]\nenabled = \"yes\"\nmax_age = 10\nmaxage = 1\npaths = [\"/a\", 3, false]\n[t.inner]\nnam = \"x\"",
        );
        assert_eq!(
            errors,
            [
                "`t.enabled`: expected true or false, found the string \"yes\"",
                "`t.inner.nam`: unknown key; did you mean `name`? the keys of `t.inner` are: name",
                "`t.maxage`: unknown key; did you mean `max_age`? the keys of `t` are: enabled, inner, max_age, paths",
                "`t.paths[1]`: expected a string, found the number 3",
                "`t.paths[2]`: expected a string, found the boolean false",
            ]
        );
        assert_eq!(table, Table { max_age: 10, ..Table::default() });
    }

    #[test]
    fn a_good_table_reads_whole_and_a_missing_one_is_the_default() {
        let (table, errors) = read_table("[t]\nmax_age = 5\npaths = [\"/a\"]\ninner = { name = \"n\" }");
        assert_eq!(errors, Vec::<String>::new());
        assert_eq!(table.paths, ["/a"]);
        assert_eq!(table.inner.name, "n");
        assert_eq!(read_table("[other]\nx = 1"), (Table::default(), vec![]));
        let (_, errors) = read_table("t = 3");
        assert_eq!(errors, ["`t`: expected a table of settings, found the number 3"]);
    }

    #[test]
    fn suggests_close_keys() {
        let known = ["max_age", "include_subdomains", "preload"];
        assert_eq!(suggest("maxage", &known), Some("max_age"));
        assert_eq!(suggest("includeSubdomains", &known), Some("include_subdomains"));
        assert_eq!(suggest("preloda", &known), Some("preload"));
        assert_eq!(suggest("colour", &known), None);
    }
}
