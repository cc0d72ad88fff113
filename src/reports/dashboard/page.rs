//! The page shell every dashboard view renders into: its own nonce style,
//! no script, no external asset.

use maud::{html, Markup, PreEscaped};

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;width:100%}\
th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;font-size:.9rem;vertical-align:top}\
td.n{text-align:right}code{word-break:break-all}pre{white-space:pre-wrap;overflow-wrap:anywhere;max-width:100%}.bar{fill:#c33}.stats span{margin-right:1.2rem}form input{margin-right:.5rem}form.t{display:inline;margin-left:.4rem}";

/// A whole page titled `title`: its style carries the response's CSP `nonce`.
///
/// maud escaped every value the templates spliced in; what is left for the
/// page as a whole is the one thing escaping does not do: a control
/// character other than a line break or a tab (from a report field) becomes
/// U+FFFD, here, once, so no field can miss it (a `<pre>` snippet keeps its
/// lines and tabs and pastes as it is).
pub(crate) fn shell(title: &str, nonce: &str, body: Markup) -> String {
    let page = html! {
        (PreEscaped("<!doctype html>"))
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                title { (title) }
                style nonce=(nonce) { (PreEscaped(STYLE)) }
            }
            body {
                h1 { (title) }
                (body)
            }
        }
    };
    page.into_string().chars().map(|c| if c.is_control() && c != '\n' && c != '\t' { '\u{FFFD}' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use maud::html;

    #[test]
    fn fields_are_escaped_and_controls_other_than_line_breaks_and_tabs_replaced() {
        let field = "<script>alert('x')&\"</script>\u{7}\r\n\t";
        let page = super::shell("t", "n", html! { p { (field) } });
        assert!(
            page.contains("<p>&lt;script&gt;alert('x')&amp;&quot;&lt;/script&gt;\u{FFFD}\u{FFFD}\n\t</p>"),
            "line breaks and tabs stay (a <pre> snippet pastes as it is), other controls do not: {page}"
        );
    }
}
