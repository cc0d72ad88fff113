//! The one Reporting-Endpoints header, the browser's own reports
//! (`security.reporting.browser_reports`) and NEL with its Report-To.

use crate::common::{app, client, fetch, fetch_https, TLS_PROXY};

const CSP_GROUP: &str = "csp-endpoint=\"/security/csp-report\"";
const BOTH: &str = "csp-endpoint=\"/security/csp-report\", default=\"/security/csp-report\"";

#[rocket::async_test]
async fn one_header_names_every_group_in_use() {
    let toml = format!(
        "{TLS_PROXY}[default.security.coep_report_only]\nenabled = true\n\
         [default.security.coop_report_only]\nenabled = true\n\
         [default.security.integrity_policy_report_only]\nenabled = true"
    );
    let c = client(app(&toml)).await;
    let res = c
        .get("/")
        .remote("127.0.0.1:9".parse().unwrap())
        .header(rocket::http::Header::new("X-Forwarded-Proto", "https"))
        .dispatch()
        .await;
    let all: Vec<&str> = res.headers().get("Reporting-Endpoints").collect();
    assert_eq!(all, [BOTH]);
}

#[rocket::async_test]
async fn browser_reports_name_default_alone_on_every_https_response() {
    let toml = format!(
        "{TLS_PROXY}[default.security.csp]\nreport = false\n[default.security.reporting]\nbrowser_reports = true"
    );
    let c = client(app(&toml)).await;
    let (_, h) = fetch_https(&c, "/any/page").await;
    assert_eq!(h.get("Reporting-Endpoints"), Some("default=\"/security/csp-report\""));
    let (_, h) = fetch(&c, "/any/page").await;
    assert_eq!(h.get("Reporting-Endpoints"), None);
}

#[rocket::async_test]
async fn browser_reports_join_the_csp_group() {
    let toml = format!("{TLS_PROXY}[default.security.reporting]\nbrowser_reports = true");
    let c = client(app(&toml)).await;
    let (_, h) = fetch_https(&c, "/").await;
    assert_eq!(h.get("Reporting-Endpoints"), Some(BOTH));
}

#[rocket::async_test]
async fn browser_reports_are_off_by_default() {
    let c = client(app(TLS_PROXY)).await;
    let (_, h) = fetch_https(&c, "/").await;
    assert_eq!(h.get("Reporting-Endpoints"), Some(CSP_GROUP));
}

#[rocket::async_test]
async fn the_endpoint_can_be_another_collector() {
    let toml = format!(
        "{TLS_PROXY}[default.security.reporting]\nendpoint = \"https://reports.example/r\"\nbrowser_reports = true"
    );
    let c = client(app(&toml)).await;
    let (_, h) = fetch_https(&c, "/").await;
    assert_eq!(
        h.get("Reporting-Endpoints"),
        Some("csp-endpoint=\"/security/csp-report\", default=\"https://reports.example/r\"")
    );
}

#[rocket::async_test]
async fn the_handlers_own_reporting_endpoints_is_kept() {
    let toml = format!("{TLS_PROXY}[default.security.reporting]\nbrowser_reports = true");
    let c = client(app(&toml)).await;
    let (_, h) = fetch_https(&c, "/own-reporting").await;
    assert_eq!(h.get("Reporting-Endpoints"), Some("app=\"https://r.example/app\""));
}

const NEL: &str = "{\"report_to\":\"nel\",\"max_age\":86400,\"success_fraction\":0,\"failure_fraction\":1,\
                   \"include_subdomains\":false}";

#[rocket::async_test]
async fn nel_is_off_by_default() {
    let c = client(app(&format!("{TLS_PROXY}[default.security]\nallowed_hosts = [\"www.example.com\"]"))).await;
    let (_, h) = fetch_https(&c, "/").await;
    assert_eq!(h.get("NEL"), None);
    assert_eq!(h.get("Report-To"), None);
}

#[rocket::async_test]
async fn nel_reports_to_the_collector_on_the_admitted_host() {
    let toml = format!(
        "[default.security]\nallowed_hosts = [\"www.example.com\"]\n{TLS_PROXY}[default.security.nel]\nenabled = true"
    );
    let c = client(app(&toml)).await;
    let (_, h) = fetch_https(&c, "/").await;
    assert_eq!(
        h.get("Report-To"),
        Some("{\"group\":\"nel\",\"max_age\":86400,\"endpoints\":[{\"url\":\"https://www.example.com/security/csp-report\"}]}")
    );
    assert_eq!(h.get("NEL"), Some(NEL));
    assert_eq!(h.get("Reporting-Endpoints"), Some(CSP_GROUP), "NEL names its group in Report-To only");
    let (_, h) = fetch(&c, "/").await;
    assert_eq!((h.get("NEL"), h.get("Report-To")), (None, None));
}

#[rocket::async_test]
async fn nel_fractions_and_subdomains() {
    let toml = format!(
        "[default.security]\nallowed_hosts = [\"www.example.com\"]\n{TLS_PROXY}[default.security.nel]\nenabled = true\n\
         success_fraction = 0.05\nfailure_fraction = 0.5\ninclude_subdomains = true\nmax_age = 600\ngroup = \"network\""
    );
    let c = client(app(&toml)).await;
    let (_, h) = fetch_https(&c, "/").await;
    assert_eq!(
        h.get("Report-To"),
        Some(
            "{\"group\":\"network\",\"max_age\":600,\"endpoints\":[{\"url\":\"https://www.example.com/security/csp-report\"}],\
             \"include_subdomains\":true}"
        )
    );
    assert_eq!(
        h.get("NEL"),
        Some("{\"report_to\":\"network\",\"max_age\":600,\"success_fraction\":0.05,\"failure_fraction\":0.5,\"include_subdomains\":true}")
    );
}

#[rocket::async_test]
async fn without_allowed_hosts_nel_is_not_sent() {
    let c = client(app(&format!("{TLS_PROXY}[default.security.nel]\nenabled = true"))).await;
    let (_, h) = fetch_https(&c, "/").await;
    assert_eq!((h.get("NEL"), h.get("Report-To")), (None, None));
}

#[rocket::async_test]
async fn an_absolute_endpoint_needs_no_host() {
    let toml = format!(
        "{TLS_PROXY}[default.security.reporting]\nendpoint = \"https://reports.example/r\"\n\
         [default.security.nel]\nenabled = true"
    );
    let c = client(app(&toml)).await;
    let (_, h) = fetch_https(&c, "/").await;
    assert_eq!(
        h.get("Report-To"),
        Some("{\"group\":\"nel\",\"max_age\":86400,\"endpoints\":[{\"url\":\"https://reports.example/r\"}]}")
    );
    assert_eq!(h.get("NEL"), Some(NEL));
}

#[rocket::async_test]
async fn nel_can_be_scoped() {
    let toml = format!(
        "[default.security]\nallowed_hosts = [\"www.example.com\"]\n{TLS_PROXY}[default.security.nel]\nenabled = true\n\
         exclude = [\"/static/**\"]"
    );
    let c = client(app(&toml)).await;
    let (_, h) = fetch_https(&c, "/static/app.js").await;
    assert_eq!(h.get("NEL"), None);
    let (_, h) = fetch_https(&c, "/").await;
    assert_eq!(h.get("NEL"), Some(NEL));
}

/// GET `path` over HTTPS from the trusted proxy, with these extra headers (`Host` among them).
async fn fetch_https_with(
    c: &rocket::local::asynchronous::Client,
    path: &str,
    headers: &[(&str, &str)],
) -> crate::common::Headers {
    let mut req = c
        .get(path.to_string())
        .remote("127.0.0.1:9".parse().unwrap())
        .header(rocket::http::Header::new("X-Forwarded-Proto", "https"));
    for (n, v) in headers {
        req = req.header(rocket::http::Header::new(n.to_string(), v.to_string()));
    }
    crate::common::Headers::of(&req.dispatch().await)
}

#[rocket::async_test]
async fn a_host_only_reported_gets_no_nel() {
    let toml = format!(
        "[default.security]\nallowed_hosts = [\"www.example.com\"]\nallowed_hosts_mode = \"report\"\n{TLS_PROXY}\
         [default.security.nel]\nenabled = true"
    );
    let c = client(app(&toml)).await;
    let h = fetch_https_with(&c, "/", &[("Host", "evil.example")]).await;
    assert_eq!((h.get("NEL"), h.get("Report-To")), (None, None));
}

#[rocket::async_test]
async fn a_forwarded_host_is_not_believed_without_trust_forwarded_host() {
    let toml = format!(
        "[default.security]\nallowed_hosts = [\"www.example.com\", \"evil.example\"]\n{TLS_PROXY}\
         [default.security.nel]\nenabled = true"
    );
    let c = client(app(&toml)).await;
    let h = fetch_https_with(&c, "/", &[("Host", "www.example.com"), ("X-Forwarded-Host", "evil.example")]).await;
    assert_eq!(
        h.get("Report-To"),
        Some("{\"group\":\"nel\",\"max_age\":86400,\"endpoints\":[{\"url\":\"https://www.example.com/security/csp-report\"}]}")
    );
}

#[rocket::async_test]
async fn a_host_admitted_only_by_a_network_gets_no_nel() {
    let toml = format!(
        "[default.security]\nallowed_hosts = [\"www.example.com\", \"10.0.0.0/8\"]\n{TLS_PROXY}\
         [default.security.nel]\nenabled = true"
    );
    let c = client(app(&toml)).await;
    let h = fetch_https_with(&c, "/", &[("Host", "10.0.0.5")]).await;
    assert_eq!((h.get("NEL"), h.get("Report-To")), (None, None));
    assert_eq!(h.get("Reporting-Endpoints"), Some(CSP_GROUP), "the page itself is served");
}

#[rocket::async_test]
async fn a_host_admitted_only_by_a_star_gets_no_nel() {
    let toml = format!(
        "[default.security]\nallowed_hosts = [\"*\", \"www.example.com\"]\n{TLS_PROXY}[default.security.nel]\nenabled = true"
    );
    let c = client(app(&toml)).await;
    let h = fetch_https_with(&c, "/", &[("Host", "evil.example")]).await;
    assert_eq!((h.get("NEL"), h.get("Report-To")), (None, None));
    let (_, h) = fetch_https(&c, "/").await;
    assert_eq!(h.get("NEL"), Some(NEL), "a listed name still gets NEL");
}

#[rocket::async_test]
async fn a_csp_group_shared_with_browser_reports_is_named_once() {
    let toml = format!("{TLS_PROXY}[default.security.csp]\nreport_to = \"default\"\n[default.security.reporting]\nbrowser_reports = true");
    let c = client(app(&toml)).await;
    let (_, h) = fetch_https(&c, "/").await;
    assert_eq!(h.get("Reporting-Endpoints"), Some("default=\"/security/csp-report\""));
}

#[rocket::async_test]
async fn a_group_joins_only_where_it_applies() {
    let toml = format!("{TLS_PROXY}[default.security.reporting]\nbrowser_reports = true\npaths = [\"/app/**\"]");
    let c = client(app(&toml)).await;
    let (_, h) = fetch_https(&c, "/").await;
    assert_eq!(h.get("Reporting-Endpoints"), Some(CSP_GROUP));
    let (_, h) = fetch_https(&c, "/app/page").await;
    assert_eq!(h.get("Reporting-Endpoints"), Some(BOTH));
    let toml = format!("{TLS_PROXY}[default.security.csp]\nreport = false\n[default.security.reporting]\nbrowser_reports = true\npaths = [\"/app/**\"]");
    let c = client(app(&toml)).await;
    let (_, h) = fetch_https(&c, "/").await;
    assert_eq!(h.get("Reporting-Endpoints"), None);
}

/// The header's value is the one string rendered at ignite: two responses
/// carry the very same bytes, not a copy built for each.
#[rocket::async_test]
async fn the_header_is_rendered_at_ignite_not_per_request() {
    for toml in [TLS_PROXY.to_string(), format!("{TLS_PROXY}[default.security.reporting]\nbrowser_reports = true")] {
        let c = client(app(&toml)).await;
        let get = || {
            c.get("/")
                .remote("127.0.0.1:9".parse().unwrap())
                .header(rocket::http::Header::new("X-Forwarded-Proto", "https"))
                .dispatch()
        };
        let (a, b) = (get().await, get().await);
        let (a, b) =
            (a.headers().get_one("Reporting-Endpoints").unwrap(), b.headers().get_one("Reporting-Endpoints").unwrap());
        assert_eq!(a, b);
        assert!(std::ptr::eq(a, b), "{toml}: {a} built per request");
    }
}
