//! A strict reader over figment values: every key is known, every value typed,
//! every mistake reported with its full key and the fix.

use std::cell::RefCell;

use rocket::figment::value::{Dict, Value};

use super::error::ConfigError;

/// One table of the configuration, e.g. `security.hsts`.
pub(crate) struct Section<'a> {
    key: String,
    dict: Option<&'a Dict>,
    known: RefCell<Vec<&'static str>>,
    errors: &'a RefCell<Vec<ConfigError>>,
}

impl<'a> Section<'a> {
    /// The root section `key` read from `value` (absent means "all defaults").
    pub(crate) fn root(key: &str, value: Option<&'a Value>, errors: &'a RefCell<Vec<ConfigError>>) -> Self {
        let dict = match value {
            None => None,
            Some(Value::Dict(_, d)) => Some(d),
            Some(other) => {
                errors
                    .borrow_mut()
                    .push(ConfigError::new(key, format!("expected a table of settings, found {}", describe(other))));
                None
            }
        };
        Section { key: key.into(), dict, known: RefCell::new(Vec::new()), errors }
    }

    /// The full key of `name` in this section.
    pub(crate) fn key(&self, name: &str) -> String {
        format!("{}.{}", self.key, name)
    }

    /// Records an error for `name` in this section.
    pub(crate) fn error(&self, name: &str, message: impl Into<String>) {
        self.errors.borrow_mut().push(ConfigError::new(self.key(name), message));
    }

    /// The raw value of `name`, for settings with more than one shape.
    pub(crate) fn get(&self, name: &'static str) -> Option<&'a Value> {
        self.known.borrow_mut().push(name);
        self.dict.and_then(|d| d.get(name))
    }

    pub(crate) fn bool(&self, name: &'static str, default: bool) -> bool {
        match self.get(name) {
            None => default,
            Some(Value::Bool(_, b)) => *b,
            Some(v) => {
                self.error(name, format!("expected true or false, found {}", describe(v)));
                default
            }
        }
    }

    pub(crate) fn u64(&self, name: &'static str, default: u64) -> u64 {
        match self.get(name) {
            None => default,
            Some(Value::Num(_, n)) => match n.to_u128().or_else(|| n.to_i128().and_then(|i| u128::try_from(i).ok())) {
                Some(v) if v <= u64::MAX as u128 => v as u64,
                _ => {
                    self.error(name, format!("expected a whole number >= 0, found {}", describe_num(n)));
                    default
                }
            },
            Some(v) => {
                self.error(name, format!("expected a whole number >= 0, found {}", describe(v)));
                default
            }
        }
    }

    pub(crate) fn string(&self, name: &'static str, default: &str) -> String {
        self.opt_string(name).unwrap_or_else(|| default.to_string())
    }

    pub(crate) fn opt_string(&self, name: &'static str) -> Option<String> {
        match self.get(name) {
            None => None,
            Some(Value::String(_, s)) => Some(s.clone()),
            Some(Value::Char(_, c)) => Some(c.to_string()),
            Some(v) => {
                self.error(name, format!("expected a string, found {}", describe(v)));
                None
            }
        }
    }

    /// A list of strings. A bare string is refused: it is the classic mistake
    /// that silently turned exclusion lists into per-character lists elsewhere.
    pub(crate) fn strings(&self, name: &'static str, default: &[String]) -> Vec<String> {
        match self.get(name) {
            None => default.to_vec(),
            Some(Value::Array(_, items)) => self.string_items(name, items),
            Some(Value::String(_, s)) => {
                self.error(name, format!("expected a list of strings, found the string {s:?}; write [{s:?}]"));
                default.to_vec()
            }
            Some(v) => {
                self.error(name, format!("expected a list of strings, found {}", describe(v)));
                default.to_vec()
            }
        }
    }

    /// A string or a list of strings (for header token lists).
    pub(crate) fn string_or_list(&self, name: &'static str, default: &[String]) -> Vec<String> {
        match self.get(name) {
            None => default.to_vec(),
            Some(Value::String(_, s)) => s.split(',').map(|t| t.trim().to_string()).collect(),
            Some(Value::Array(_, items)) => self.string_items(name, items),
            Some(v) => {
                self.error(name, format!("expected a string or a list of strings, found {}", describe(v)));
                default.to_vec()
            }
        }
    }

    fn string_items(&self, name: &str, items: &[Value]) -> Vec<String> {
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            match item {
                Value::String(_, s) => out.push(s.clone()),
                Value::Char(_, c) => out.push(c.to_string()),
                v => self.error(&format!("{name}[{i}]"), format!("expected a string, found {}", describe(v))),
            }
        }
        out
    }

    /// A nested table of arbitrary names (e.g. Permissions-Policy features).
    pub(crate) fn dict(&self, name: &'static str) -> Option<&'a Dict> {
        match self.get(name) {
            None => None,
            Some(Value::Dict(_, d)) => Some(d),
            Some(v) => {
                self.error(name, format!("expected a table, found {}", describe(v)));
                None
            }
        }
    }

    /// A nested section with its own known keys.
    pub(crate) fn section(&self, name: &'static str) -> Section<'a> {
        let key = self.key(name);
        match self.get(name) {
            None => Section { key, dict: None, known: RefCell::new(Vec::new()), errors: self.errors },
            Some(v) => Section::root(&key, Some(v), self.errors),
        }
    }

    /// Reports every key of this table that no reader asked for.
    pub(crate) fn finish(self) {
        let Some(dict) = self.dict else { return };
        let known = self.known.borrow();
        for name in dict.keys() {
            if known.iter().any(|k| k == name) {
                continue;
            }
            let mut expected: Vec<&str> = known.clone();
            expected.sort_unstable();
            expected.dedup();
            let hint = match suggest(name, &expected) {
                Some(s) => format!("did you mean `{s}`? "),
                None => String::new(),
            };
            self.error(name, format!("unknown key; {hint}the keys of `{}` are: {}", self.key, expected.join(", ")));
        }
    }
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

pub(crate) fn describe(v: &Value) -> String {
    match v {
        Value::String(_, s) => format!("the string {s:?}"),
        Value::Char(_, c) => format!("the string {:?}", c.to_string()),
        Value::Bool(_, b) => format!("the boolean {b}"),
        Value::Num(_, n) => describe_num(n),
        Value::Empty(..) => "an empty value".into(),
        Value::Dict(..) => "a table".into(),
        Value::Array(..) => "a list".into(),
    }
}

fn describe_num(n: &rocket::figment::value::Num) -> String {
    match (n.to_i128(), n.to_f64()) {
        (Some(i), _) => format!("the number {i}"),
        (None, Some(f)) => format!("the number {f}"),
        _ => "a number".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::suggest;

    #[test]
    fn suggests_close_keys() {
        let known = ["max_age", "include_subdomains", "preload"];
        assert_eq!(suggest("maxage", &known), Some("max_age"));
        assert_eq!(suggest("includeSubdomains", &known), Some("include_subdomains"));
        assert_eq!(suggest("preloda", &known), Some("preload"));
        assert_eq!(suggest("colour", &known), None);
    }
}
