//! CSP validation rules, each with its exact message.

use super::{error, errors};

fn directive(name_and_value: &str) -> String {
    error(&format!("[default.security.csp.directives]\n{name_and_value}"))
}

#[test]
fn the_default_policy_and_reasonable_policies_are_valid() {
    assert_eq!(
        errors("[default.security.csp.directives]\nscript-src = [\"'self'\", \"https:\", \"'strict-dynamic'\"]"),
        Vec::<String>::new()
    );
}

#[test]
fn unknown_directive_names_are_refused_with_a_suggestion() {
    assert_eq!(
        directive("script-scr = [\"'self'\"]"),
        "`security.csp.directives.script-scr`: script-scr: unknown directive; did you mean script-src? set \
         `allow_unknown_directives = true` to send directives newer than this crate"
    );
}

#[test]
fn unknown_directives_can_be_opted_in() {
    let toml = "[default.security.csp]\nallow_unknown_directives = true\n[default.security.csp.directives]\nfuture-src = [\"'self'\"]";
    assert_eq!(errors(toml), Vec::<String>::new());
}

#[test]
fn keywords_must_be_quoted() {
    assert_eq!(
        directive("script-src = [\"self\"]"),
        "`security.csp.directives.script-src`: script-src: the keyword self must be quoted: write 'self'"
    );
}

#[test]
fn semicolons_and_commas_inside_a_source_are_refused() {
    assert_eq!(
        directive("script-src = [\"'self'; object-src *\"]"),
        "`security.csp.directives.script-src`: script-src: \"'self'; object-src *\" contains `;` or `,`, which would end the directive or the policy"
    );
    assert_eq!(
        directive("img-src = [\"a.example,b.example\"]"),
        "`security.csp.directives.img-src`: img-src: \"a.example,b.example\" contains `;` or `,`, which would end the directive or the policy"
    );
}

#[test]
fn duplicate_directives_in_a_raw_policy_are_refused() {
    assert_eq!(
        error("[default.security.csp]\npolicy = \"default-src 'self'; default-src 'none'\""),
        "`security.csp.policy`: default-src: the directive appears twice; browsers ignore the second one, so merge them"
    );
}

#[test]
fn a_missing_default_src_is_refused_only_with_require_default_src() {
    let toml =
        "[default.security.csp]\nuse_defaults = false\n[default.security.csp.directives]\nscript-src = [\"'self'\"]";
    assert_eq!(errors(toml), Vec::<String>::new(), "browsers apply it as written: a warning, not an error");
    assert_eq!(
        error(&toml.replace("use_defaults = false", "use_defaults = false\nrequire_default_src = true")),
        "`security.csp.policy`: the policy has no default-src; add e.g. default-src 'self' so unlisted fetches are restricted too"
    );
}

#[test]
fn fixed_nonces_are_refused() {
    assert_eq!(
        directive("script-src = [\"'nonce-abc123'\"]"),
        "`security.csp.directives.script-src`: script-src: 'nonce-abc123' is a fixed nonce, which any attacker can read \
         from the header; use the CspNonce request guard for a fresh nonce per response"
    );
}

#[test]
fn malformed_hashes_are_refused() {
    assert_eq!(
        directive("script-src = [\"'sha256-abc'\"]"),
        "`security.csp.directives.script-src`: script-src: 'sha256-abc' is not a valid sha256 hash source (base64 of \
         the digest, 44 characters); compute it with CspHash"
    );
    assert_eq!(
        directive("script-src = [\"sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI=\"]"),
        "`security.csp.directives.script-src`: script-src: sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI= must be \
         quoted: write 'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"
    );
}

#[test]
fn bad_sandbox_tokens_are_refused() {
    let e = directive("sandbox = [\"invalid\"]");
    assert!(
        e.starts_with(
            "`security.csp.directives.sandbox`: sandbox: \"invalid\" is not a sandbox token; use allow-downloads, "
        ),
        "{e}"
    );
    assert_eq!(
        errors("[default.security.csp.directives]\nsandbox = [\"allow-scripts\", \"allow-modals\"]"),
        Vec::<String>::new()
    );
    assert_eq!(errors("[default.security.csp.directives]\nsandbox = true"), Vec::<String>::new());
}

#[test]
fn obsolete_directives_are_refused_with_their_replacement() {
    assert_eq!(
        directive("referrer = [\"origin\"]"),
        "`security.csp.directives.referrer`: referrer: the directive is obsolete; use the Referrer-Policy header (`security.referrer_policy`)"
    );
    assert_eq!(
        directive("reflected-xss = [\"filter\"]"),
        "`security.csp.directives.reflected-xss`: reflected-xss: the directive is obsolete; browsers removed their XSS \
         filters; rely on script-src and `security.xss_protection`"
    );
}

#[test]
fn report_uri_given_as_a_list_is_refused() {
    assert_eq!(
        error("[default.security.csp]\nreport = false\npolicy = \"default-src 'self'; report-uri /a /b\""),
        "`security.csp.policy`: report-uri: give exactly one URI (a string, not a list)"
    );
}

#[test]
fn reporting_directives_belong_to_the_report_keys() {
    assert_eq!(
        directive("report-uri = [\"/r\"]"),
        "`security.csp.directives.report-uri`: set `security.csp.report_uri` / `report_to` instead (or `report = false` and a raw policy)"
    );
    assert_eq!(
        error("[default.security.csp]\npolicy = \"default-src 'self'; report-uri /r\""),
        "`security.csp.policy`: the policy has its own report-uri/report-to while `report = true` adds the collector's; \
         remove them, or set `report = \"keep\"` to send the policy's own reporting directives unchanged"
    );
    // `report = "keep"` sends them as they are.
    assert_eq!(
        errors("[default.security.csp]\nreport = \"keep\"\npolicy = \"default-src 'self'; report-uri /r\""),
        Vec::<String>::new()
    );
}

#[test]
fn a_source_list_is_a_list() {
    assert_eq!(
        directive("default-src = \"'self'\""),
        "`security.csp.directives.default-src`: expected a list of sources, found the string \"'self'\"; write [\"'self'\"] (or true for a boolean directive)"
    );
}

#[test]
fn boolean_directives_take_no_sources() {
    assert_eq!(
        directive("upgrade-insecure-requests = [\"'self'\"]"),
        "`security.csp.directives.upgrade-insecure-requests`: upgrade-insecure-requests: the directive takes no value; write `upgrade-insecure-requests = true`"
    );
}

#[test]
fn none_must_stand_alone() {
    assert_eq!(
        directive("object-src = [\"'none'\", \"'self'\"]"),
        "`security.csp.directives.object-src`: object-src: 'none' must be the only source; browsers ignore it next to others"
    );
}

#[test]
fn policy_and_directives_are_exclusive() {
    assert_eq!(
        error(
            "[default.security.csp]\npolicy = \"default-src 'self'\"\n[default.security.csp.directives]\nimg-src = [\"'self'\"]"
        ),
        "`security.csp`: give either `policy` (a raw string) or `directives`, not both"
    );
}

#[test]
fn nonce_directives_are_script_or_style() {
    assert_eq!(
        error("[default.security.csp]\nnonce_directives = [\"img-src\"]"),
        "`security.csp.nonce_directives`: \"img-src\" cannot carry a nonce; use some of script-src, script-src-elem, style-src, style-src-elem"
    );
}

#[test]
fn report_percentage_is_a_percentage() {
    assert_eq!(
        error("[default.security.csp]\nreport_percentage = 150"),
        "`security.csp.report_percentage`: 150 is not a percentage from 0 to 100"
    );
}

#[test]
fn report_uri_and_group_are_checked() {
    assert_eq!(
        error("[default.security.csp]\nreport_uri = \"/a b\""),
        "`security.csp.report_uri`: \"/a b\" is not a URI (no spaces, `;`, `,`, quotes or `\\`)"
    );
    assert_eq!(
        error("[default.security.csp]\nreport_uri = '/a\\b'"),
        "`security.csp.report_uri`: \"/a\\\\b\" is not a URI (no spaces, `;`, `,`, quotes or `\\`)"
    );
    assert_eq!(
        error("[default.security.csp]\nreport_to = \"my group\""),
        "`security.csp.report_to`: \"my group\" is not a Reporting API group name; use lowercase letters, digits, \
         `_`, `-` and `.`, starting with a letter, such as \"csp-endpoint\""
    );
}

/// Reporting-Endpoints is one structured-field dictionary: a key that is not
/// an sf-key (uppercase, a leading digit or `_`) voids every group in it.
#[test]
fn the_csp_group_is_a_structured_field_key() {
    for group in ["cspEndpoint", "1g", "_g"] {
        assert_eq!(
            error(&format!("[default.security.csp]\nreport_to = \"{group}\"")),
            format!(
                "`security.csp.report_to`: \"{group}\" is not a Reporting API group name; use lowercase letters, \
                 digits, `_`, `-` and `.`, starting with a letter, such as \"csp-endpoint\""
            )
        );
    }
    assert_eq!(errors("[default.security.csp]\nreport_to = \"csp-endpoint\""), Vec::<String>::new());
}

#[test]
fn route_policies_need_paths_and_valid_directives() {
    assert_eq!(
        error("[[default.security.csp.routes]]\ndirectives = { img-src = [\"*\"] }"),
        "`security.csp.routes[0].paths`: required: a list of path patterns, e.g. [\"/admin/**\"]"
    );
    assert_eq!(
        error(
            "[[default.security.csp.routes]]\npaths = [\"/admin/**\"]\ndirectives = { script-src = [\"unsafe-inline\"] }"
        ),
        "`security.csp.routes[0].directives.script-src`: script-src: the keyword unsafe-inline must be quoted: write 'unsafe-inline'"
    );
}

#[test]
fn every_mistake_of_the_policy_tables_is_named_at_once() {
    assert_eq!(
        errors(
            "[default.security.csp.directives]\nimg-src = \"a.example\"\nfont-src = 3\nscript-src = [\"'self'\", 4]\n\
             [[default.security.csp.routes]]\npaths = [\"/a/**\"]\n\
             [[default.security.csp.routes]]\nmode = 1\ndirectives = { img-src = \"b.example\", style-src = [true] }"
        ),
        [
            "`security.csp.directives.font-src`: expected a list of sources or true/false, found the number 3",
            "`security.csp.directives.img-src`: expected a list of sources, found the string \"a.example\"; write [\"a.example\"] (or true for a boolean directive)",
            "`security.csp.directives.script-src[1]`: expected a string, found the number 4",
            "`security.csp.routes[1].mode`: unknown key; the keys of a route policy are: directives, paths, policy",
            "`security.csp.routes[1].paths`: required: a list of path patterns, e.g. [\"/admin/**\"]",
            "`security.csp.routes[1].directives.img-src`: expected a list of sources, found the string \"b.example\"; write [\"b.example\"] (or true for a boolean directive)",
            "`security.csp.routes[1].directives.style-src[0]`: expected a string, found the boolean true",
        ]
    );
}

#[test]
fn report_only_policies_are_validated_under_their_own_key() {
    assert_eq!(
        error(
            "[default.security.csp.report_only]\nenabled = true\n[default.security.csp.report_only.directives]\nscript-src = [\"none\"]"
        ),
        "`security.csp.report_only.directives.script-src`: script-src: the keyword none must be quoted: write 'none'"
    );
}

#[test]
fn report_only_tables_reject_unknown_keys() {
    let e = error("[default.security.csp.report_only]\nenable = true");
    assert!(e.starts_with("`security.csp.report_only.enable`: unknown key; did you mean `enabled`?"), "{e}");
}

#[test]
fn nonce_cache_is_one_of_three_strings() {
    let nonce_cache = |v: &str| errors(&format!("[default.security.csp]\nnonce_cache = {v}"));
    for ok in ["\"no-store\"", "\"private\"", "\"leave\""] {
        assert_eq!(nonce_cache(ok), Vec::<String>::new(), "{ok}");
    }
    assert_eq!(
        nonce_cache("\"nostore\""),
        ["`security.csp.nonce_cache`: \"nostore\" is not allowed; did you mean \"no-store\"? use one of \"no-store\", \
          \"private\", \"leave\""]
    );
    assert_eq!(
        nonce_cache("\"public\""),
        ["`security.csp.nonce_cache`: \"public\" is not allowed; use one of \"no-store\", \"private\", \"leave\""]
    );
    assert_eq!(nonce_cache("false"), ["`security.csp.nonce_cache`: expected a string, found the boolean false"]);
}
