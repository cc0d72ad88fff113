//! Clear-Site-Data on configured paths (django-security §7.14, bugs fixed).

use crate::common::{fetch, get};

#[rocket::async_test]
async fn off_by_default() {
    let (_c, _, h) = get("", "/logout").await;
    assert_eq!(h.get("Clear-Site-Data"), None);
}

#[rocket::async_test]
async fn listed_path_gets_the_owasp_directives() {
    let (c, _, h) = get("[default.security.clear_site_data]\npaths = [\"/logout\"]", "/logout").await;
    assert_eq!(h.get("Clear-Site-Data"), Some("\"cache\", \"cookies\", \"storage\""));
    let (_, h) = fetch(&c, "/home").await;
    assert_eq!(h.get("Clear-Site-Data"), None);
}

#[rocket::async_test]
async fn no_substring_match_unlike_the_original() {
    let (c, _, h) = get("[default.security.clear_site_data]\npaths = [\"/home/\"]", "/ho").await;
    assert_eq!(h.get("Clear-Site-Data"), None);
    let (_, h) = fetch(&c, "/home/x").await;
    assert_eq!(h.get("Clear-Site-Data"), None);
}

#[rocket::async_test]
async fn directives_are_trimmed_and_quoted() {
    let toml = "[default.security.clear_site_data]\npaths = [\"/logout\"]\ndirectives = [\" cookies \", \"executionContexts\"]";
    let (_c, _, h) = get(toml, "/logout").await;
    assert_eq!(h.get("Clear-Site-Data"), Some("\"cookies\", \"executionContexts\""));
}
