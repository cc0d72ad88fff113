//! One test per captured Chromium request in `tests/fixtures/csp-report-samples/`
//! (copied from `../shared/reference/csp-report-samples/`, the .http files left out)
//! (generated from the file list; the checks live in `crate::replay`).

use crate::replay::{check_post, check_preflight};

#[rocket::async_test]
async fn own_http_003_post_csp_legacy_legacy_report_uri_uri_only() {
    check_post("own-http/003-POST-csp_legacy-legacy-report-uri-uri-only.json").await;
}

#[rocket::async_test]
async fn own_http_011_post_csp_legacy_legacy_report_uri_xo_uri_only() {
    check_post("own-http/011-POST-csp_legacy-legacy-report-uri-xo-uri-only.json").await;
}

#[rocket::async_test]
async fn own_http_018_post_csp_legacy_legacy_report_uri_xo_uri_only() {
    check_post("own-http/018-POST-csp_legacy-legacy-report-uri-xo-uri-only.json").await;
}

#[rocket::async_test]
async fn own_http_020_post_csp_legacy_legacy_report_uri_xo_uri_only() {
    check_post("own-http/020-POST-csp_legacy-legacy-report-uri-xo-uri-only.json").await;
}

#[rocket::async_test]
async fn own_http_021_post_csp_legacy_legacy_report_uri_xo_uri_only() {
    check_post("own-http/021-POST-csp_legacy-legacy-report-uri-xo-uri-only.json").await;
}

#[rocket::async_test]
async fn own_http_022_post_csp_legacy_legacy_report_uri_xo_uri_only() {
    check_post("own-http/022-POST-csp_legacy-legacy-report-uri-xo-uri-only.json").await;
}

#[rocket::async_test]
async fn own_http_023_post_csp_legacy_legacy_report_uri_uri_only() {
    check_post("own-http/023-POST-csp_legacy-legacy-report-uri-uri-only.json").await;
}

#[rocket::async_test]
async fn own_http_024_post_csp_legacy_legacy_report_uri_uri_only() {
    check_post("own-http/024-POST-csp_legacy-legacy-report-uri-uri-only.json").await;
}

#[rocket::async_test]
async fn own_http_025_post_csp_legacy_legacy_report_uri_uri_only() {
    check_post("own-http/025-POST-csp_legacy-legacy-report-uri-uri-only.json").await;
}

#[rocket::async_test]
async fn own_http_026_post_csp_legacy_legacy_report_uri_uri_only() {
    check_post("own-http/026-POST-csp_legacy-legacy-report-uri-uri-only.json").await;
}

#[rocket::async_test]
async fn own_https_real_delay_003_post_csp_reports_reporting_api_to_only() {
    check_post("own-https-real-delay/003-POST-csp_reports-reporting-api-to-only.json").await;
}

#[rocket::async_test]
async fn own_https_real_delay_005_post_csp_legacy_legacy_report_uri_uri_only() {
    check_post("own-https-real-delay/005-POST-csp_legacy-legacy-report-uri-uri-only.json").await;
}

#[rocket::async_test]
async fn own_https_real_delay_008_post_csp_legacy_legacy_report_uri_uri_only() {
    check_post("own-https-real-delay/008-POST-csp_legacy-legacy-report-uri-uri-only.json").await;
}

#[rocket::async_test]
async fn own_https_real_delay_009_post_csp_legacy_legacy_report_uri_uri_only() {
    check_post("own-https-real-delay/009-POST-csp_legacy-legacy-report-uri-uri-only.json").await;
}

#[rocket::async_test]
async fn own_https_real_delay_010_post_csp_legacy_legacy_report_uri_uri_only() {
    check_post("own-https-real-delay/010-POST-csp_legacy-legacy-report-uri-uri-only.json").await;
}

#[rocket::async_test]
async fn own_https_real_delay_011_post_csp_legacy_legacy_report_uri_uri_only() {
    check_post("own-https-real-delay/011-POST-csp_legacy-legacy-report-uri-uri-only.json").await;
}

#[rocket::async_test]
async fn own_https_real_delay_012_post_csp_reports_reporting_api_to_only() {
    check_post("own-https-real-delay/012-POST-csp_reports-reporting-api-to-only.json").await;
}

#[rocket::async_test]
async fn own_https_005_post_csp_reports_reporting_api_both() {
    check_post("own-https/005-POST-csp_reports-reporting-api-both.json").await;
}

#[rocket::async_test]
async fn own_https_007_post_csp_legacy_legacy_report_uri_uri_only() {
    check_post("own-https/007-POST-csp_legacy-legacy-report-uri-uri-only.json").await;
}

#[rocket::async_test]
async fn own_https_008_post_csp_reports_reporting_api_both() {
    check_post("own-https/008-POST-csp_reports-reporting-api-both.json").await;
}

#[rocket::async_test]
async fn own_https_009_post_csp_legacy_legacy_report_uri_uri_only() {
    check_post("own-https/009-POST-csp_legacy-legacy-report-uri-uri-only.json").await;
}

#[rocket::async_test]
async fn own_https_011_post_csp_legacy_legacy_report_uri_uri_only() {
    check_post("own-https/011-POST-csp_legacy-legacy-report-uri-uri-only.json").await;
}

#[rocket::async_test]
async fn own_https_014_post_csp_legacy_legacy_report_uri_uri_only() {
    check_post("own-https/014-POST-csp_legacy-legacy-report-uri-uri-only.json").await;
}

#[rocket::async_test]
async fn own_https_015_post_csp_legacy_legacy_report_uri_uri_only() {
    check_post("own-https/015-POST-csp_legacy-legacy-report-uri-uri-only.json").await;
}

#[rocket::async_test]
async fn own_https_017_post_csp_reports_reporting_api_to_only() {
    check_post("own-https/017-POST-csp_reports-reporting-api-to-only.json").await;
}

#[rocket::async_test]
async fn own_https_025_post_csp_reports_reporting_api_report_only() {
    check_post("own-https/025-POST-csp_reports-reporting-api-report-only.json").await;
}

#[rocket::async_test]
async fn own_https_026_post_csp_legacy_legacy_report_uri_xo_uri_only() {
    check_post("own-https/026-POST-csp_legacy-legacy-report-uri-xo-uri-only.json").await;
}

#[rocket::async_test]
async fn own_https_027_post_csp_reports_reporting_api_to_reportto_header() {
    check_post("own-https/027-POST-csp_reports-reporting-api-to-reportto-header.json").await;
}

#[rocket::async_test]
async fn own_https_028_options_csp_reports_preflight_na() {
    check_preflight("own-https/028-OPTIONS-csp_reports-preflight-na.json").await;
}

#[rocket::async_test]
async fn own_https_029_post_csp_reports_reporting_api_xo_to_only() {
    check_post("own-https/029-POST-csp_reports-reporting-api-xo-to-only.json").await;
}

#[rocket::async_test]
async fn own_https_031_post_csp_legacy_legacy_report_uri_xo_uri_only() {
    check_post("own-https/031-POST-csp_legacy-legacy-report-uri-xo-uri-only.json").await;
}

#[rocket::async_test]
async fn own_https_032_post_csp_legacy_legacy_report_uri_xo_uri_only() {
    check_post("own-https/032-POST-csp_legacy-legacy-report-uri-xo-uri-only.json").await;
}

#[rocket::async_test]
async fn own_https_033_post_csp_legacy_legacy_report_uri_xo_uri_only() {
    check_post("own-https/033-POST-csp_legacy-legacy-report-uri-xo-uri-only.json").await;
}

#[rocket::async_test]
async fn own_https_034_post_csp_legacy_legacy_report_uri_xo_uri_only() {
    check_post("own-https/034-POST-csp_legacy-legacy-report-uri-xo-uri-only.json").await;
}

#[rocket::async_test]
async fn own_https_035_options_csp_reports_preflight_na() {
    check_preflight("own-https/035-OPTIONS-csp_reports-preflight-na.json").await;
}

#[rocket::async_test]
async fn own_https_036_post_csp_reports_reporting_api_report_only() {
    check_post("own-https/036-POST-csp_reports-reporting-api-report-only.json").await;
}

#[rocket::async_test]
async fn own_https_037_post_csp_reports_reporting_api_xo_to_only() {
    check_post("own-https/037-POST-csp_reports-reporting-api-xo-to-only.json").await;
}

#[rocket::async_test]
async fn receiver_001_options_csp_report_preflight_na() {
    check_preflight("receiver/001-OPTIONS-csp_report-preflight-na.json").await;
}

#[rocket::async_test]
async fn receiver_002_post_csp_report_legacy_report_uri_uri_only() {
    check_post("receiver/002-POST-csp_report-legacy-report-uri-uri-only.json").await;
}

#[rocket::async_test]
async fn receiver_003_post_csp_report_reporting_api_both() {
    check_post("receiver/003-POST-csp_report-reporting-api-both.json").await;
}

#[rocket::async_test]
async fn receiver_004_options_csp_report_preflight_na() {
    check_preflight("receiver/004-OPTIONS-csp_report-preflight-na.json").await;
}

#[rocket::async_test]
async fn receiver_005_post_csp_report_legacy_report_uri_uri_only() {
    check_post("receiver/005-POST-csp_report-legacy-report-uri-uri-only.json").await;
}

#[rocket::async_test]
async fn receiver_006_post_csp_report_legacy_report_uri_uri_only() {
    check_post("receiver/006-POST-csp_report-legacy-report-uri-uri-only.json").await;
}

#[rocket::async_test]
async fn receiver_007_post_csp_report_legacy_report_uri_uri_only() {
    check_post("receiver/007-POST-csp_report-legacy-report-uri-uri-only.json").await;
}

#[rocket::async_test]
async fn receiver_008_options_csp_report_preflight_na() {
    check_preflight("receiver/008-OPTIONS-csp_report-preflight-na.json").await;
}

#[rocket::async_test]
async fn receiver_009_post_csp_report_reporting_api_to_reportto_header() {
    check_post("receiver/009-POST-csp_report-reporting-api-to-reportto-header.json").await;
}

#[rocket::async_test]
async fn receiver_010_post_csp_report_legacy_report_uri_uri_only() {
    check_post("receiver/010-POST-csp_report-legacy-report-uri-uri-only.json").await;
}

#[rocket::async_test]
async fn receiver_011_options_csp_report_preflight_na() {
    check_preflight("receiver/011-OPTIONS-csp_report-preflight-na.json").await;
}

#[rocket::async_test]
async fn receiver_012_post_csp_report_reporting_api_to_only() {
    check_post("receiver/012-POST-csp_report-reporting-api-to-only.json").await;
}

#[rocket::async_test]
async fn receiver_013_options_csp_report_preflight_na() {
    check_preflight("receiver/013-OPTIONS-csp_report-preflight-na.json").await;
}

#[rocket::async_test]
async fn receiver_014_options_csp_report_preflight_na() {
    check_preflight("receiver/014-OPTIONS-csp_report-preflight-na.json").await;
}

#[rocket::async_test]
async fn receiver_015_post_csp_report_reporting_api_report_only() {
    check_post("receiver/015-POST-csp_report-reporting-api-report-only.json").await;
}

#[rocket::async_test]
async fn receiver_016_post_csp_report_reporting_api_to_reportto_header() {
    check_post("receiver/016-POST-csp_report-reporting-api-to-reportto-header.json").await;
}

#[rocket::async_test]
async fn receiver_017_post_csp_report_reporting_api_both() {
    check_post("receiver/017-POST-csp_report-reporting-api-both.json").await;
}

#[rocket::async_test]
async fn receiver_018_options_csp_report_preflight_na() {
    check_preflight("receiver/018-OPTIONS-csp_report-preflight-na.json").await;
}

#[rocket::async_test]
async fn receiver_019_options_csp_report_preflight_na() {
    check_preflight("receiver/019-OPTIONS-csp_report-preflight-na.json").await;
}

#[rocket::async_test]
async fn receiver_020_post_csp_report_reporting_api_report_only() {
    check_post("receiver/020-POST-csp_report-reporting-api-report-only.json").await;
}

#[rocket::async_test]
async fn receiver_021_post_csp_report_reporting_api_to_only() {
    check_post("receiver/021-POST-csp_report-reporting-api-to-only.json").await;
}
