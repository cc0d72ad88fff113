//! The dashboard's triage through the balancer: a decision posted to
//! whichever instance HAProxy picks is what all three instances show, with
//! who made it; a forged post changes nothing on any of them.

use std::collections::BTreeSet;

use crate::harness::{postgres_url, Cluster, Res, NAMES, SERIAL};

/// `GET groups.json?blocked=ads.example&triage=all` once per instance: (served by, status, triaged_by).
async fn on_every_instance(cluster: &Cluster, admin: &str) -> BTreeSet<(String, String, String)> {
    let mut out = BTreeSet::new();
    for _ in 0..3 {
        let r =
            cluster.get([127, 0, 0, 1], "/security/reports/groups.json?blocked=ads.example&triage=all", admin).await;
        assert_eq!(r.status, 200, "{r:?}");
        let v: serde_json::Value = serde_json::from_str(&r.body).expect("JSON");
        let g = &v["groups"][0];
        out.insert((
            r.served_by.clone(),
            g["status"].as_str().unwrap_or("").to_string(),
            g["triaged_by"].as_str().unwrap_or("").to_string(),
        ));
    }
    assert_eq!(out.iter().map(|(s, _, _)| s.as_str()).collect::<BTreeSet<_>>(), NAMES.iter().copied().collect());
    out
}

fn every(status: &str, by: &str) -> BTreeSet<(String, String, String)> {
    NAMES.iter().map(|n| (n.to_string(), status.to_string(), by.to_string())).collect()
}

async fn triage(cluster: &Cluster, admin: &str, fetch_site: &str, state: &str) -> Res {
    let headers = format!(
        "Cookie: {admin}\r\nSec-Fetch-Site: {fetch_site}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    );
    let body = format!("directive=img-src&blocked=ads.example&disposition=enforce&state={state}");
    cluster.request([127, 0, 0, 1], "POST", "/security/reports/triage", &headers, &body).await
}

#[rocket::async_test]
async fn a_triage_decision_on_one_instance_is_what_every_instance_shows() {
    let Some(_) = postgres_url() else { return };
    let _serial = SERIAL.lock().await;
    let cluster = Cluster::start("triage", "").await;
    let r = cluster.report([127, 5, 0, 1], 3, "https://ads.example/pixel.gif").await;
    assert_eq!(r.status, 204, "{r:?}");
    let admin = cluster.session([127, 5, 0, 2], "admin").await;
    cluster.queues_empty(&admin).await;
    assert_eq!(on_every_instance(&cluster, &admin).await, every("open", ""));

    // Forged from another site: refused by whichever instance got it, nothing recorded.
    let forged = triage(&cluster, &admin, "cross-site", "expected").await;
    assert_eq!(forged.status, 403, "{forged:?}");
    assert_eq!(on_every_instance(&cluster, &admin).await, every("open", ""));

    let marked = triage(&cluster, &admin, "same-origin", "expected").await;
    assert_eq!((marked.status, marked.header("location")), (303, Some("/security/reports/groups")), "{marked:?}");
    assert_eq!(on_every_instance(&cluster, &admin).await, every("expected", "admin"));

    // Reopened through (most likely) another instance.
    let reopened = triage(&cluster, &admin, "same-origin", "open").await;
    assert_eq!(reopened.status, 303, "{reopened:?}");
    assert_eq!(on_every_instance(&cluster, &admin).await, every("open", ""));

    // The triage log, newest first, is the same on every instance: two decisions, not the forged one.
    let mut served = BTreeSet::new();
    for _ in 0..3 {
        let r = cluster.get([127, 0, 0, 1], "/security/reports/groups.json", &admin).await;
        assert_eq!(r.status, 200, "{r:?}");
        let v: serde_json::Value = serde_json::from_str(&r.body).expect("JSON");
        let log: Vec<(&str, &str, &str)> = v["triage_log"]
            .as_array()
            .expect("triage_log")
            .iter()
            .map(|e| (e["blocked"].as_str().unwrap(), e["state"].as_str().unwrap(), e["changed_by"].as_str().unwrap()))
            .collect();
        assert_eq!(
            log,
            vec![("ads.example", "open", "admin"), ("ads.example", "expected", "admin")],
            "{}",
            r.served_by
        );
        served.insert(r.served_by);
    }
    assert_eq!(served, NAMES.iter().map(|n| n.to_string()).collect());
}
