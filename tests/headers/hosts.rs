//! Allowed hosts: the Host header is input, checked before routing and the
//! one host every part of the crate builds with.

use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::Client;

use crate::common::{app, client};

const ALLOWED: &str = "[default.security]\nallowed_hosts = [\"www.example.com\", \".example.org\", \"10.0.0.5:8000\"]\nallowed_hosts_exempt = [\"/health\"]";

async fn get_host(c: &Client, path: &str, host: &str) -> (Status, Option<String>, String) {
    let res = c.get(path.to_string()).header(Header::new("Host", host.to_string())).dispatch().await;
    let location = res.headers().get_one("Location").map(str::to_string);
    (res.status(), location, res.into_string().await.unwrap_or_default())
}

#[rocket::async_test]
async fn a_host_not_allowed_gets_400_before_routing() {
    let c = client(app(ALLOWED)).await;
    let (status, _, body) = get_host(&c, "/", "evil.example").await;
    assert_eq!(status, Status::BadRequest);
    assert_eq!(body, "400 Bad Request: this site is not served under that host name");
    for (host, status) in [
        ("www.example.com", Status::Ok),
        ("WWW.Example.COM.", Status::Ok),
        ("www.example.com:8080", Status::Ok),
        ("example.org", Status::Ok),
        ("shop.example.org", Status::Ok),
        ("10.0.0.5:8000", Status::Ok),
        ("10.0.0.5:9000", Status::BadRequest),
        ("10.0.0.5", Status::BadRequest),
        ("example.com", Status::BadRequest),
        ("www.example.com@evil.example", Status::BadRequest),
        ("evil.example.org.evil", Status::BadRequest),
    ] {
        assert_eq!(get_host(&c, "/", host).await.0, status, "Host: {host}");
    }
    let peer: std::net::SocketAddr = "203.0.113.7:40000".parse().unwrap();
    let res = c.get("/").remote(peer).dispatch().await;
    assert_eq!(res.status(), Status::BadRequest, "no Host header from a network peer");
}

#[rocket::async_test]
async fn the_local_client_without_a_host_is_admitted_and_a_host_it_sets_is_judged() {
    // Rocket's local client has no remote address and sends no Host: an app's
    // own tests keep passing with allowed_hosts set (Django's `testserver`).
    let c = client(app(ALLOWED)).await;
    let res = c.get("/").dispatch().await;
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(res.into_string().await.as_deref(), Some("hello"));
    let res = c.get("/").header(Header::new("Host", "evil.example")).dispatch().await;
    assert_eq!(res.status(), Status::BadRequest);
}

#[rocket::async_test]
async fn the_internal_answer_route_is_not_reachable_directly() {
    let c = client(app(ALLOWED)).await;
    assert_eq!(get_host(&c, "/__rocket_security/bad-host", "www.example.com").await.0, Status::Ok, "the catch-all");
    let c = client(app("")).await;
    let res = c.get("/__rocket_security/bad-host").dispatch().await;
    assert_eq!(res.into_string().await.as_deref(), Some("page"), "the catch-all, not the 400 answer");
}

#[rocket::async_test]
async fn exempt_paths_serve_any_host() {
    let c = client(app(ALLOWED)).await;
    assert_eq!(get_host(&c, "/health", "10.1.2.3").await.0, Status::Ok);
}

#[rocket::async_test]
async fn unset_means_not_checked() {
    let c = client(app("")).await;
    assert_eq!(get_host(&c, "/", "anything.example").await.0, Status::Ok);
}

#[rocket::async_test]
async fn a_forged_host_never_becomes_a_redirect_target() {
    let redirect = "[default.security.https]\nredirect = true";
    let c = client(app(&format!("{ALLOWED}\n{redirect}"))).await;
    let (status, location, _) = get_host(&c, "/account", "evil.example").await;
    assert_eq!((status, location), (Status::BadRequest, None));
    let (status, location, _) = get_host(&c, "/account?x=1", "www.example.com:80").await;
    assert_eq!(status, Status::PermanentRedirect);
    assert_eq!(location.as_deref(), Some("https://www.example.com/account?x=1"));
}

#[rocket::async_test]
async fn a_forged_host_cannot_pass_the_collectors_origin_check() {
    let c = client(app(ALLOWED)).await;
    let body = r#"{"csp-report":{"document-uri":"http://evil.example/","effective-directive":"img-src","blocked-uri":"https://cdn.example/a.png"}}"#;
    let res = c
        .post("/security/csp-report")
        .header(Header::new("Host", "evil.example"))
        .header(ContentType::new("application", "csp-report"))
        .body(body)
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::BadRequest);
    let stats = rocket_security::reports::stats(c.rocket()).unwrap();
    assert_eq!(stats.received, 0, "the endpoint never ran");
}

#[rocket::async_test]
async fn a_forged_host_cannot_make_a_cross_origin_post_look_same_origin() {
    let c = client(app(ALLOWED)).await;
    let post = |host: &'static str, origin: &'static str| {
        c.post("/submit").header(Header::new("Host", host)).header(Header::new("Origin", origin)).dispatch()
    };
    assert_eq!(post("evil.example", "http://evil.example").await.status(), Status::BadRequest);
    assert_eq!(post("www.example.com", "http://www.example.com").await.status(), Status::Ok);
    assert_eq!(post("www.example.com", "http://evil.example").await.status(), Status::Forbidden);
}

#[rocket::async_test]
async fn x_forwarded_host_counts_from_a_trusted_proxy_only() {
    let toml =
        format!("{ALLOWED}\n[default.security.https]\ntrusted_proxies = [\"10.0.0.1\"]\ntrust_forwarded_host = true");
    let c = client(app(&toml)).await;
    let send = |peer: &'static str, fwd: &'static str| {
        c.get("/")
            .remote(format!("{peer}:4000").parse().unwrap())
            .header(Header::new("Host", "www.example.com"))
            .header(Header::new("X-Forwarded-Host", fwd))
            .dispatch()
    };
    assert_eq!(send("10.0.0.1", "shop.example.org").await.status(), Status::Ok);
    assert_eq!(send("10.0.0.1", "evil.example").await.status(), Status::BadRequest);
    assert_eq!(send("10.0.0.1", "evil.example, shop.example.org").await.status(), Status::Ok, "the proxy's own value");
    // From any other peer the header is ignored: Host decides.
    assert_eq!(send("10.0.0.9", "evil.example").await.status(), Status::Ok);
}

#[rocket::async_test]
async fn x_forwarded_host_is_ignored_unless_trusted_explicitly() {
    let toml = format!("{ALLOWED}\n[default.security.https]\ntrusted_proxies = [\"10.0.0.1\"]");
    let c = client(app(&toml)).await;
    let res = c
        .get("/")
        .remote("10.0.0.1:4000".parse().unwrap())
        .header(Header::new("Host", "evil.example"))
        .header(Header::new("X-Forwarded-Host", "www.example.com"))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::BadRequest, "the Host header decides");
}

/// A site name and the networks its load balancer probes from (django-allow-cidr's `ALLOWED_CIDR_NETS`).
const NETWORKS: &str = "[default.security]\nallowed_hosts = [\"www.example.com\", \"10.0.0.0/8\", \"fd00::/8\"]";

#[rocket::async_test]
async fn a_network_entry_admits_ip_hosts_inside_it_with_or_without_a_port() {
    let c = client(app(NETWORKS)).await;
    for (host, status) in [
        ("10.0.0.5", Status::Ok),
        ("10.0.0.5:8000", Status::Ok),
        ("10.255.255.255:80", Status::Ok),
        ("[fd00::5]", Status::Ok),
        ("[fd12:3456::1]:8080", Status::Ok),
        ("www.example.com", Status::Ok),
        ("11.0.0.5", Status::BadRequest),
        ("9.255.255.255:8000", Status::BadRequest),
        ("192.168.1.5", Status::BadRequest),
        ("[fe80::1]", Status::BadRequest),
        ("[2001:db8::1]:8000", Status::BadRequest),
        // IPv6 without brackets is no host at all.
        ("fd00::5", Status::BadRequest),
    ] {
        let (got, _, body) = get_host(&c, "/", host).await;
        assert_eq!(got, status, "Host: {host}");
        if status == Status::BadRequest {
            assert_eq!(body, "400 Bad Request: this site is not served under that host name", "Host: {host}");
        }
    }
}

#[rocket::async_test]
async fn a_network_entry_never_admits_a_name() {
    let toml = "[default.security]\nallowed_hosts = [\"www.example.com\", \"0.0.0.0/0\", \"::/0\"]";
    let c = client(app(toml)).await;
    assert_eq!(get_host(&c, "/", "203.0.113.9").await.0, Status::Ok, "every IPv4 address is inside 0.0.0.0/0");
    for host in [
        "10.0.0.5.nip.io",
        "10.0.0.5.evil.example",
        "localhost",
        "evil.example",
        // Shorthand and hexadecimal forms some resolvers read as addresses are names here.
        "10.1",
        "0x0a000005",
        "[::ffff:10.0.0.5]x",
    ] {
        assert_eq!(get_host(&c, "/", host).await.0, Status::BadRequest, "Host: {host}");
    }
}

#[rocket::async_test]
async fn a_host_admitted_by_a_network_is_never_a_redirect_target() {
    let c =
        client(app(&format!("{NETWORKS}\n[default.security.https]\nredirect = true\nredirect_exempt = [\"/health\"]")))
            .await;
    let (status, location, _) = get_host(&c, "/account?x=1", "10.0.0.5:8000").await;
    assert_eq!((status, location), (Status::MisdirectedRequest, None));
    let (status, location, _) = get_host(&c, "/account?x=1", "[fd00::5]").await;
    assert_eq!((status, location), (Status::MisdirectedRequest, None));
    let (status, location, _) = get_host(&c, "/account?x=1", "www.example.com").await;
    assert_eq!(status, Status::PermanentRedirect);
    assert_eq!(location.as_deref(), Some("https://www.example.com/account?x=1"));
    // The health check a load balancer sends by IP: exempt from the redirect, served.
    let (status, location, body) = get_host(&c, "/health", "10.0.0.5:8000").await;
    assert_eq!((status, location, body.as_str()), (Status::Ok, None, "page"));
}

#[rocket::async_test]
async fn with_redirect_host_a_network_admitted_request_goes_to_the_configured_host() {
    let toml = format!("{NETWORKS}\n[default.security.https]\nredirect = true\nredirect_host = \"www.example.com\"");
    let c = client(app(&toml)).await;
    let (status, location, _) = get_host(&c, "/account", "10.0.0.5:8000").await;
    assert_eq!(status, Status::PermanentRedirect);
    assert_eq!(location.as_deref(), Some("https://www.example.com/account"));
}

#[rocket::async_test]
async fn an_address_listed_by_itself_is_a_configured_host_even_inside_a_network() {
    let toml =
        "[default.security]\nallowed_hosts = [\"10.0.0.0/8\", \"10.0.0.5\"]\n[default.security.https]\nredirect = true";
    let c = client(app(toml)).await;
    let (status, location, _) = get_host(&c, "/x", "10.0.0.5:8000").await;
    assert_eq!((status, location.as_deref()), (Status::PermanentRedirect, Some("https://10.0.0.5/x")));
    let (status, location, _) = get_host(&c, "/x", "10.0.0.6:8000").await;
    assert_eq!((status, location), (Status::MisdirectedRequest, None));
}

#[rocket::async_test]
async fn a_host_admitted_by_a_network_is_not_the_sites_origin() {
    let c = client(app(NETWORKS)).await;
    let post = |host: &'static str, headers: &[(&'static str, &'static str)]| {
        let mut req = c.post("/submit").header(Header::new("Host", host));
        for (n, v) in headers {
            req = req.header(Header::new(*n, *v));
        }
        req.dispatch()
    };
    // A browser without Fetch Metadata naming the IP as its origin: not the site's origin.
    assert_eq!(post("10.0.0.5", &[("Origin", "http://10.0.0.5")]).await.status(), Status::Forbidden);
    assert_eq!(post("www.example.com", &[("Origin", "http://www.example.com")]).await.status(), Status::Ok);
    // An internal caller sends neither header; a current browser says same-origin itself.
    assert_eq!(post("10.0.0.5", &[]).await.status(), Status::Ok);
    assert_eq!(post("10.0.0.5", &[("Sec-Fetch-Site", "same-origin")]).await.status(), Status::Ok);
}

#[rocket::async_test]
async fn a_report_from_a_page_at_a_network_admitted_host_is_foreign() {
    let c = client(app(NETWORKS)).await;
    let report = |doc: &str| {
        format!(
            r#"{{"csp-report":{{"document-uri":"{doc}","effective-directive":"img-src","blocked-uri":"https://cdn.example/a.png"}}}}"#
        )
    };
    for (host, doc) in [("10.0.0.5", "http://10.0.0.5/"), ("www.example.com", "http://www.example.com/")] {
        let res = c
            .post("/security/csp-report")
            .header(Header::new("Host", host))
            .header(ContentType::new("application", "csp-report"))
            .body(report(doc))
            .dispatch()
            .await;
        assert_eq!(res.status(), Status::NoContent, "{host}");
    }
    let stats = rocket_security::reports::stats(c.rocket()).unwrap();
    assert_eq!((stats.received, stats.accepted), (2, 1));
    assert_eq!(stats.dropped.get("foreign_origin"), Some(&1));
}
