//! Every answer of the endpoint, limits and noise rules.

use rocket::http::{Header, Method, Status};

use crate::app::{app, legacy, SITE_POLICY};

const DOC: &str = "https://127.0.0.1/page";

#[rocket::async_test]
async fn a_legacy_report_is_accepted_with_204() {
    let app = app("").await;
    let res = app.post("application/csp-report", legacy(DOC, "script-src-elem", "inline")).await;
    assert_eq!(res.status(), Status::NoContent);
    assert_eq!(res.headers().get_one("Access-Control-Allow-Origin"), Some("*"));
    let s = app.settled().await;
    assert_eq!((s.received, s.accepted, s.stored), (1, 1, 1));
}

#[rocket::async_test]
async fn content_type_parameters_and_plain_json_are_accepted() {
    let app = app("").await;
    for ct in ["application/csp-report; charset=utf-8", "application/json", "Application/JSON; charset=UTF-8"] {
        let res = app.post(ct, legacy(DOC, "img-src", "https://cdn.example/x.png")).await;
        assert_eq!(res.status(), Status::NoContent, "{ct}");
    }
    assert_eq!(app.settled().await.accepted, 3);
}

#[rocket::async_test]
async fn other_content_types_get_415() {
    let app = app("").await;
    assert_eq!(app.post("text/plain", legacy(DOC, "img-src", "x")).await.status(), Status::UnsupportedMediaType);
    assert_eq!(app.post("application/x-www-form-urlencoded", "a=b").await.status(), Status::UnsupportedMediaType);
    let res = app.client.post("/security/csp-report").body(legacy(DOC, "img-src", "x")).dispatch().await;
    assert_eq!(res.status(), Status::UnsupportedMediaType, "no Content-Type");
    assert_eq!(app.stats().rejected_requests, 3);
    assert_eq!(app.stats().received, 0);
}

#[rocket::async_test]
async fn malformed_bodies_get_400() {
    let app = app("").await;
    for body in [
        &b"{"[..],
        b"not json",
        b"\"csp-report\"",
        b"42",
        b"[]x",
        b"{\"other\": {}}",
        b"{\"csp-report\": 1}",
        &[0xff, 0xfe, 0x00],
    ] {
        let res = app.post("application/json", body.to_vec()).await;
        assert_eq!(res.status(), Status::BadRequest, "{:?}", String::from_utf8_lossy(body));
    }
    let res = app.post("application/reports+json", "{\"csp-report\": {}}").await;
    assert_eq!(res.status(), Status::BadRequest, "reports+json must be an array");
}

#[rocket::async_test]
async fn too_large_bodies_get_413() {
    let app = app("[default.security.reports]\nmax_body = 1024").await;
    let big = legacy(DOC, "img-src", &format!("https://cdn.example/{}", "a".repeat(2000)));
    assert_eq!(app.post("application/csp-report", big).await.status(), Status::PayloadTooLarge);
    assert_eq!(app.stats().received, 0);
}

#[rocket::async_test]
async fn other_methods_get_405_with_allow() {
    let app = app("").await;
    for m in [Method::Get, Method::Put, Method::Delete, Method::Patch] {
        let res = app.client.req(m, "/security/csp-report").dispatch().await;
        assert_eq!(res.status(), Status::MethodNotAllowed, "{m}");
        assert_eq!(res.headers().get_one("Allow"), Some("POST, OPTIONS"));
    }
}

#[rocket::async_test]
async fn a_missing_user_agent_and_missing_fields_are_fine() {
    let app = app("").await;
    let res = app
        .client
        .post("/security/csp-report")
        .header(Header::new("Host", "127.0.0.1"))
        .header(Header::new("Content-Type", "application/csp-report"))
        .body(r#"{"csp-report": {"document-uri": "https://127.0.0.1/x", "violated-directive": "img-src"}}"#)
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::NoContent);
    let s = app.settled().await;
    assert_eq!((s.accepted, s.stored), (1, 1));
}

#[rocket::async_test]
async fn reports_json_counts_unknown_types_and_pageless_reports() {
    let app = app("").await;
    let body = serde_json::json!([
        {"type": "deprecation", "body": {"id": "x"}},
        {"type": "csp-violation", "url": DOC, "body": {"documentURL": DOC, "blockedURL": "eval", "effectiveDirective": "script-src", "disposition": "enforce"}},
        {"type": "intervention", "body": {}},
        {"type": "test-report", "url": DOC, "body": {}}
    ]);
    assert_eq!(app.post("application/reports+json", body.to_string()).await.status(), Status::NoContent);
    let s = app.settled().await;
    assert_eq!((s.received, s.accepted, s.stored), (4, 1, 1));
    assert_eq!((s.dropped.get("unknown_type"), s.dropped.get("missing_document")), (Some(&1), Some(&2)));
}

#[rocket::async_test]
async fn reports_from_other_hosts_are_filtered_unless_listed() {
    let app = app("").await;
    let res = app.post("application/csp-report", legacy("https://evil.example/x", "img-src", "x")).await;
    assert_eq!(res.status(), Status::NoContent, "filtered reports still get 204");
    let s = app.settled().await;
    assert_eq!((s.received, s.accepted), (1, 0));
    assert_eq!(s.dropped.get("foreign_origin"), Some(&1));

    let app = crate::app::app("[default.security.reports]\norigins = [\"*.example.com\"]").await;
    app.post("application/csp-report", legacy("https://shop.example.com/x", "img-src", "x")).await;
    app.post("application/csp-report", legacy("https://example.com.evil/x", "img-src", "x")).await;
    let s = app.settled().await;
    assert_eq!((s.received, s.accepted), (2, 1));
}

#[rocket::async_test]
async fn extension_and_injector_sources_are_noise() {
    let app = app("[default.security.reports]\ndisallowed_sources = [\"ads.example\"]").await;
    for blocked in [
        "chrome-extension://abcdef/inject.js",
        "moz-extension://x/y",
        "https://www.superfish.com/a.js",
        "https://ads.example/x.js",
    ] {
        app.post("application/csp-report", legacy(DOC, "script-src-elem", blocked)).await;
    }
    app.post("application/csp-report", legacy(DOC, "script-src-elem", "http://localhost:3000/dev.js")).await;
    let s = app.settled().await;
    assert_eq!(s.dropped.get("disallowed_source"), Some(&4));
    assert_eq!(s.accepted, 1, "localhost is not noise: a local app's own reports count");
}

/// Noise that shows in the source file, the script sample or a browser's own
/// scheme, in the shapes real reports have (public collections, Sentry's list).
#[rocket::async_test]
async fn noise_in_source_files_samples_and_browser_schemes_is_dropped() {
    let app = app("").await;
    let with = |blocked: &str, source: &str, sample: &str, directive: &str| {
        serde_json::json!({"csp-report": {
            "document-uri": DOC, "violated-directive": directive, "effective-directive": directive,
            "original-policy": SITE_POLICY, "blocked-uri": blocked, "source-file": source,
            "line-number": 40, "column-number": 100, "script-sample": sample, "status-code": 0
        }})
        .to_string()
    };
    let noise = [
        // Firefox quotes the injected extension script in the sample.
        with(
            "inline",
            DOC,
            "(function(){var s=document.createElement('script');s.src='moz-extension://0f9b/x.js'",
            "script-src-elem",
        ),
        // Maxthon's add-ons: the source file is the bare scheme.
        with("", "mxaddon-pkg", "", "script-src"),
        // Android WebView's default video poster.
        with("android-webview-video-poster:default_video_poster/3526486187386496914", "", "", "img-src"),
        // The Google app on iOS.
        with("gsa://onpageload", DOC, "", "frame-src"),
        // An injector seen in public report collections.
        with("https://cr-input.mxpnl.net/data?_channel_id=&_partner_id=39571", "", "", "connect-src"),
        // Safari hides an extension's URL behind webkit-masked-url.
        with("inline", "webkit-masked-url://hidden/", "", "script-src-elem"),
    ];
    for body in noise {
        assert_eq!(app.post("application/csp-report", body).await.status(), Status::NoContent);
    }
    let s = app.settled().await;
    assert_eq!((s.dropped.get("disallowed_source"), s.accepted, s.stored), (Some(&6), 0, 0));
}

/// Reports in the shapes older browsers send (no `effective-directive`,
/// `blocked-uri: "self"` or `""` for inline code, the full violated
/// directive) are real violations and are stored.
#[rocket::async_test]
async fn real_reports_from_old_firefox_safari_and_edge_are_stored() {
    let app = app(
        "[default.security.csp]\npolicy = \"default-src 'none'; script-src https://127.0.0.1; img-src https://127.0.0.1 data:\"",
    )
    .await;
    let policy = "default-src 'none'; script-src https://127.0.0.1; img-src https://127.0.0.1 data:; report-uri /security/csp-report";
    let reports = [
        // Firefox 50s: inline script, the directive with its sources, a sample cut at 40 characters.
        serde_json::json!({"csp-report": {
            "blocked-uri": "self", "document-uri": DOC, "line-number": 1, "original-policy": policy,
            "referrer": "https://www.google.fr/", "script-sample": "var delay = null; currDisplay = null;fun...",
            "source-file": DOC, "violated-directive": "script-src https://127.0.0.1"
        }}),
        // Safari 10: an image from another host, `status-code` 0.
        serde_json::json!({"csp-report": {
            "document-uri": DOC, "referrer": "", "violated-directive": "img-src https://127.0.0.1 data:",
            "effective-directive": "img-src", "original-policy": policy,
            "blocked-uri": "https://cdn.example.net/pic.png", "status-code": 0
        }}),
        // Safari 9: inline script, an empty blocked-uri, no effective-directive.
        serde_json::json!({"csp-report": {
            "document-uri": DOC, "referrer": "", "violated-directive": "script-src https://127.0.0.1",
            "original-policy": policy, "blocked-uri": ""
        }}),
        // Edge 17 (EdgeHTML): eval, with a line and column.
        serde_json::json!({"csp-report": {
            "document-uri": DOC, "referrer": "", "blocked-uri": "eval", "effective-directive": "script-src",
            "violated-directive": "script-src https://127.0.0.1", "original-policy": policy,
            "disposition": "enforce", "status-code": 0, "source-file": "https://127.0.0.1/app.js",
            "line-number": 12, "column-number": 3
        }}),
    ];
    for r in reports {
        assert_eq!(app.post("application/csp-report", r.to_string()).await.status(), Status::NoContent);
    }
    let s = app.settled().await;
    assert_eq!((s.accepted, s.stored), (4, 4), "{:?}", s.dropped);
    let mut rows: Vec<(String, String)> = rocket_security::reports::CspViolation::recent(&mut app.conn().await, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|v| (v.effective_directive, v.blocked))
        .collect();
    rows.sort();
    assert_eq!(
        rows,
        [
            ("img-src".to_string(), "cdn.example.net".to_string()),
            ("script-src".into(), "'self'".into()),
            ("script-src".into(), "'self'".into()),
            ("script-src".into(), "eval".into()),
        ],
        "Firefox's inline script names its source file and line, Safari 9's does not: two violations"
    );
}

#[rocket::async_test]
async fn a_report_without_a_directive_is_dropped_with_a_reason() {
    let app = app("").await;
    app.post("application/csp-report", format!(r#"{{"csp-report": {{"document-uri": "{DOC}"}}}}"#)).await;
    let s = app.settled().await;
    assert_eq!(s.dropped.get("no_directive"), Some(&1));
}

#[rocket::async_test]
async fn batches_are_capped() {
    let app = app("[default.security.reports]\nmax_reports_per_request = 2").await;
    let one = serde_json::json!({"type": "csp-violation", "body": {"documentURL": DOC, "blockedURL": "inline", "effectiveDirective": "style-src-elem"}});
    let body = serde_json::Value::Array(vec![one; 5]).to_string();
    assert_eq!(app.post("application/reports+json", body).await.status(), Status::NoContent);
    let s = app.settled().await;
    assert_eq!((s.received, s.accepted), (5, 2));
    assert_eq!(s.dropped.get("batch_limit"), Some(&3));
}

#[rocket::async_test]
async fn the_default_rate_limit_accepts_a_busy_page_load() {
    let app = app("").await;
    for i in 0..150 {
        let res =
            app.post("application/csp-report", legacy(DOC, "img-src", &format!("https://cdn{i}.example/x"))).await;
        assert_eq!(res.status(), Status::NoContent, "report {i}");
    }
    assert_eq!(app.settled().await.accepted, 150);
}

#[rocket::async_test]
async fn above_the_rate_limit_clients_get_429_with_retry_after() {
    let app = app("[default.security.reports]\nrate_limit_per_minute = 5\nmax_reports_per_request = 5").await;
    let mut statuses = vec![];
    for _ in 0..7 {
        let res = app.post("application/csp-report", legacy(DOC, "img-src", "x")).await;
        statuses.push((res.status().code, res.headers().get_one("Retry-After").map(str::to_string)));
    }
    assert_eq!(statuses[..5].iter().map(|s| s.0).collect::<Vec<_>>(), [204; 5]);
    assert_eq!(statuses[5].0, 429);
    let retry: u64 = statuses[5].1.as_deref().unwrap().parse().unwrap();
    assert!((1..=13).contains(&retry), "one report per 12 s refills: {retry}");
    let s = app.settled().await;
    assert_eq!(s.dropped.get("rate_limited"), Some(&2));
}

#[rocket::async_test]
async fn the_rate_limit_keys_on_the_socket_not_x_real_ip() {
    let app = app("[default.security.reports]\nrate_limit_per_minute = 2\nmax_reports_per_request = 2").await;
    for ip in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        // A client cannot get a fresh allowance by inventing X-Real-IP / X-Forwarded-For.
        let res = app
            .client
            .post("/security/csp-report")
            .remote("192.0.2.9:5000".parse().unwrap())
            .header(Header::new("Host", "127.0.0.1"))
            .header(Header::new("Content-Type", "application/csp-report"))
            .header(Header::new("X-Real-IP", ip))
            .header(Header::new("X-Forwarded-For", ip))
            .body(legacy(DOC, "img-src", "x"))
            .dispatch()
            .await;
        let expected = if ip.ends_with(".3") { Status::TooManyRequests } else { Status::NoContent };
        assert_eq!(res.status(), expected, "{ip}");
    }
}

#[rocket::async_test]
async fn behind_a_trusted_proxy_the_forwarded_client_is_limited() {
    let toml = "[default.security.https]\ntrusted_proxies = [\"10.0.0.1\"]\n[default.security.reports]\nrate_limit_per_minute = 1\nmax_reports_per_request = 1";
    let app = app(toml).await;
    for (client, expected) in [("203.0.113.1", 204), ("203.0.113.2", 204), ("203.0.113.1", 429)] {
        let res = app
            .client
            .post("/security/csp-report")
            .remote("10.0.0.1:5000".parse().unwrap())
            .header(Header::new("Host", "127.0.0.1"))
            .header(Header::new("Content-Type", "application/csp-report"))
            .header(Header::new("X-Forwarded-For", format!("198.51.100.7, {client}")))
            .body(legacy(DOC, "img-src", "x"))
            .dispatch()
            .await;
        assert_eq!(res.status().code, expected, "{client}");
    }
}

#[rocket::async_test]
async fn the_endpoint_is_never_no_store_even_under_a_catch_all() {
    let app = app("[default.security.no_store]\npaths = [\"/**\"]").await;
    let res = app.post("application/csp-report", legacy(DOC, "img-src", "x")).await;
    assert_eq!(res.headers().get_one("Cache-Control"), None);
    let res = app.client.get("/page").dispatch().await;
    assert_eq!(res.headers().get_one("Cache-Control"), Some("no-store, max-age=0"));
}

#[rocket::async_test]
async fn the_collector_can_be_switched_off() {
    let app = app("[default.security.reports]\nenabled = false").await;
    let res = app.post("application/csp-report", legacy(DOC, "img-src", "x")).await;
    assert_eq!(res.status(), Status::NotFound);
    assert!(rocket_security::reports::stats(app.client.rocket()).is_none());
}
