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
