//! The dashboard's exports: JSON, and CSV. Report fields come from anyone
//! who can POST, so every CSV cell is written as text a spreadsheet will not
//! run, by OWASP's CSV injection advice:
//!
//! - every cell is wrapped in double quotes, its own quotes doubled (RFC 4180);
//! - a formula trigger (`=`, `+`, `-`, `@`, a tab, a carriage return or a
//!   line feed at the start of the field; the full-width `=`, `+`, `-`, `@`,
//!   which Excel reads as the ASCII ones in East Asian locales) that would
//!   begin a cell gets a `'` before it. "Begin a cell" means the start of
//!   the field, and also the place right after anything a spreadsheet might
//!   split on — `,`, `;`, a tab, a quote or a line break, with any spaces in
//!   between — because Excel in a `;`-separator locale, or an import dialog
//!   set to another separator, splits a field the writer meant as one.

use rocket::http::ContentType;

use super::view::Answer;

/// `data` as JSON, `503` when the database could not be read.
pub(crate) fn json<T: serde::Serialize>(data: &T, database_error: bool) -> Answer {
    Answer::new(database_error, ContentType::JSON, serde_json::to_string(data).unwrap_or_default())
}

/// `text/csv; charset=utf-8`.
fn csv_type() -> ContentType {
    ContentType::new("text", "csv").with_params(("charset", "utf-8"))
}

/// `body` (from [`line`]) as a CSV download named `name`, `503` when the database could not be read.
pub(crate) fn csv(name: &'static str, body: String, database_error: bool) -> Answer {
    Answer::new(database_error, csv_type(), body).download(name)
}

/// The characters that make a spreadsheet read a cell as a formula.
const TRIGGERS: [char; 8] = ['=', '+', '-', '@', '\u{FF1D}', '\u{FF0B}', '\u{FF0D}', '\u{FF20}'];

/// Triggers too at the start of the field; elsewhere each is a separator
/// itself, so what follows it is checked instead.
const LEADING_TRIGGERS: [char; 3] = ['\t', '\r', '\n'];

/// The characters after which a spreadsheet may start a new cell (or row).
const SEPARATORS: [char; 6] = [',', ';', '\t', '"', '\r', '\n'];

/// One CSV cell: quoted, with every trigger that could begin a cell defused.
fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    out.push('"');
    // True at the start of the field and after a separator (spaces skipped).
    let mut cell_start = true;
    for (i, c) in s.chars().enumerate() {
        if cell_start && (TRIGGERS.contains(&c) || (i == 0 && LEADING_TRIGGERS.contains(&c))) {
            out.push('\'');
        }
        if c == '"' {
            out.push('"');
        }
        out.push(c);
        cell_start = SEPARATORS.contains(&c) || (cell_start && c == ' ');
    }
    out.push('"');
    out
}

/// One CSV line (CRLF-terminated) of `cells`.
pub(crate) fn line<I, S>(cells: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut out = cells.into_iter().map(|c| cell(c.as_ref())).collect::<Vec<_>>().join(",");
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cell_is_quoted() {
        assert_eq!(cell("cdn.example"), "\"cdn.example\"");
        assert_eq!(cell(""), "\"\"");
        assert_eq!(cell("2026-11-30 08:00:00"), "\"2026-11-30 08:00:00\"");
        assert_eq!(line(["x", "y,z", "7"]), "\"x\",\"y,z\",\"7\"\r\n");
    }

    #[test]
    fn a_trigger_at_the_start_gets_a_quote_mark() {
        for (input, output) in [
            ("=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\""),
            ("+1", "\"'+1\""),
            ("-2+3", "\"'-2+3\""),
            ("@SUM(A1)", "\"'@SUM(A1)\""),
            ("\tx", "\"'\tx\""),
            ("\rx", "\"'\rx\""),
            ("\nx", "\"'\nx\""),
            ("  =1+2", "\"  '=1+2\""),
            ("\u{FF1D}1+2", "\"'\u{FF1D}1+2\""),
            ("\u{FF20}SUM(A1)", "\"'\u{FF20}SUM(A1)\""),
        ] {
            assert_eq!(cell(input), output, "{input:?}");
        }
    }

    /// The exact hostile strings of issue 29: Excel in a `;`-separator
    /// locale splits the field and ran each part.
    #[test]
    fn a_trigger_after_any_separator_gets_a_quote_mark() {
        assert_eq!(cell("https://127.0.0.1/p;=1+2;@SUM(A1)"), "\"https://127.0.0.1/p;'=1+2;'@SUM(A1)\"");
        assert_eq!(cell("…/p;=1+2;@SUM(A1)"), "\"…/p;'=1+2;'@SUM(A1)\"");
        // OWASP's two examples, each part a spreadsheet could split off defused too.
        assert_eq!(cell("=1+2\";=1+2"), "\"'=1+2\"\";'=1+2\"");
        assert_eq!(cell("=1+2'\" ;,=1+2"), "\"'=1+2'\"\" ;,'=1+2\"");
        for (input, output) in [
            ("a,=1", "\"a,'=1\""),
            ("a; -1", "\"a; '-1\""),
            ("a\t+1", "\"a\t'+1\""),
            ("a\"@x", "\"a\"\"'@x\""),
            ("a\r\n=1", "\"a\r\n'=1\""),
            ("a;\t=1", "\"a;\t'=1\""),
            ("a\n@x", "\"a\n'@x\""),
        ] {
            assert_eq!(cell(input), output, "{input:?}");
        }
    }

    #[test]
    fn a_trigger_inside_a_part_is_left_alone() {
        for s in ["a=1", "x+y", "2026-12-01", "user@example.com", "script-src 'self'", "a; b=1", "p?q=-1"] {
            assert_eq!(cell(s), format!("\"{s}\""), "{s:?}");
        }
    }
}
