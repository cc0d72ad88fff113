//! Properties over generated input: the report parser never panics,
//! `safe_next` never lets a target leave the site, and a configured header
//! value is either refused at ignite (naming its key) or sent exactly as
//! written, never with a byte that could split or forge a header.

use proptest::prelude::*;
use rocket_security::auth::safe_next;
use rocket_security::reports::{fuzz_browser_report, parse, ReportFormat, ReportType};

fn formats() -> impl Strategy<Value = ReportFormat> {
    prop_oneof![Just(ReportFormat::CspReport), Just(ReportFormat::ReportsJson), Just(ReportFormat::Json)]
}

/// JSON values shaped like reports, with hostile leaves.
fn json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| serde_json::json!(f)),
        ".{0,40}".prop_map(serde_json::Value::String),
    ];
    let keys = prop_oneof![
        Just("csp-report".to_string()),
        Just("body".to_string()),
        Just("type".to_string()),
        Just("document-uri".to_string()),
        Just("documentURL".to_string()),
        Just("line-number".to_string()),
        Just("blockedURL".to_string()),
        Just("url".to_string()),
        Just("featureId".to_string()),
        Just("openerURL".to_string()),
        Just("reportOnly".to_string()),
        Just("sampling_fraction".to_string()),
        "[a-z-]{1,12}",
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(keys.clone(), inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn the_parser_never_panics_on_bytes(body in prop::collection::vec(any::<u8>(), 0..512), format in formats()) {
        let _ = parse(&body, format);
    }

    #[test]
    fn the_parser_never_panics_on_report_shaped_json(value in json(), format in formats()) {
        let body = value.to_string();
        if let Ok(parsed) = parse(body.as_bytes(), format) {
            prop_assert!(parsed.reports.len() + parsed.browser.len() + parsed.other_types <= body.len());
        }
    }

    /// What the fuzz targets check (every stored field bounded, the sample
    /// valid JSON), on report-shaped bodies of every type.
    #[test]
    fn every_browser_report_type_is_read_within_its_bounds(value in json(), t in 0..ReportType::ALL.len()) {
        fuzz_browser_report(ReportType::ALL[t], value.to_string().as_bytes());
    }

    #[test]
    fn safe_next_only_returns_local_paths(target in "[ -~\\t\\n\\\\é]{0,24}") {
        if let Some(t) = safe_next(&target, &[]) {
            // Always a target Rocket can redirect to (no 500 after a login).
            let redirect = rocket::response::Redirect::to(t.to_string());
            let client = rocket::local::blocking::Client::untracked(rocket::build()).unwrap();
            let req = client.get("/");
            let res = rocket::response::Responder::respond_to(redirect, req.inner());
            prop_assert!(res.is_ok(), "Redirect::to({t:?}) fails");
            prop_assert!(t.starts_with('/'));
            prop_assert!(!t.starts_with("//"));
            prop_assert!(!t.contains('\\'));
            prop_assert!(!t.chars().any(|c| c.is_whitespace() || c.is_control()));
            let decoded = rocket::http::RawStr::new(t).percent_decode_lossy();
            prop_assert!(!decoded.starts_with("//") && !decoded.contains('\\'), "{decoded}");
        }
    }

    #[test]
    fn safe_next_with_prefixes_of_other_origins(host in "[a-z]{1,8}\\.[a-z]{2,3}", prefix in prop_oneof![
        Just("//"), Just("/\\"), Just("\\\\"), Just("/%2F"), Just("%2F%2F"), Just("/%5C"), Just("https://"), Just("http:"), Just("/\t/"), Just(" //"),
    ]) {
        let target = format!("{prefix}{host}/x");
        prop_assert_eq!(safe_next(&target, &[]), None);
    }
}

/// Strings mixing plain text with everything that breaks headers and policies.
fn hostile_value() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => "[a-zA-Z0-9./:*'-]{1,6}",
            1 => Just("\r\n".to_string()),
            1 => Just("\n".to_string()),
            1 => Just("\0".to_string()),
            1 => Just(";".to_string()),
            1 => Just(",".to_string()),
            1 => Just(" ".to_string()),
            1 => Just("\t".to_string()),
            1 => Just("\u{7f}".to_string()),
            1 => Just("é".to_string()),
            1 => Just("\"".to_string()),
        ],
        1..5,
    )
    .prop_map(|parts| parts.concat())
}

fn client(figment: rocket::figment::Figment) -> Option<rocket::local::blocking::Client> {
    #[rocket::get("/")]
    fn index() -> &'static str {
        "ok"
    }
    let rocket =
        rocket::custom(figment).attach(rocket_security::Security::fairing()).mount("/", rocket::routes![index]);
    match rocket::local::blocking::Client::untracked(rocket) {
        Ok(client) => Some(client),
        Err(e) => {
            // Inspected, so Rocket does not abort on drop.
            let _ = e.kind();
            None
        }
    }
}

fn base() -> rocket::figment::Figment {
    rocket::figment::Figment::from(rocket::Config::debug_default()).merge(("log_level", "off"))
}

fn header_safe(value: &str) -> bool {
    value.bytes().all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn a_server_header_value_is_refused_or_sent_verbatim(value in hostile_value()) {
        let figment = base().merge(("security.server_header", value.clone()));
        match rocket_security::SecurityConfig::from_figment(&figment) {
            Err(e) => {
                let message = e.to_string();
                prop_assert!(message.contains("security.server_header"), "{message}");
                // An invalid value also stops the launch.
                prop_assert!(client(figment).is_none());
            }
            Ok(_) => {
                prop_assert!(header_safe(&value), "accepted {value:?}");
                let client = client(figment).expect("a valid configuration launches");
                let res = client.get("/").dispatch();
                prop_assert_eq!(res.headers().get_one("Server"), Some(value.as_str()));
            }
        }
    }

    #[test]
    fn a_csp_source_is_refused_or_sent_verbatim(value in hostile_value()) {
        let figment = base().merge(("security.csp.directives.img-src", vec![value.clone()]));
        match rocket_security::SecurityConfig::from_figment(&figment) {
            Err(e) => {
                let message = e.to_string();
                prop_assert!(message.contains("security.csp.directives.img-src"), "{message}");
                prop_assert!(client(figment).is_none());
            }
            Ok(_) => {
                prop_assert!(header_safe(&value), "accepted {value:?}");
                prop_assert!(!value.contains([';', ',', ' ', '\t']), "accepted {value:?}");
                let client = client(figment).expect("a valid configuration launches");
                let res = client.get("/").dispatch();
                let policy = res.headers().get_one("Content-Security-Policy").unwrap_or_default().to_string();
                let expected = format!("img-src {value};");
                prop_assert!(policy.contains(&expected), "{policy}");
            }
        }
    }
}
