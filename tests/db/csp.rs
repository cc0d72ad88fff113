//! CSP report storage: aggregates, capped samples, nullable fields, truncation.

use chrono::{Duration, TimeZone, Utc};
use rocket_security::reports::{CspReport, CspViolation, NewCspReport, ViolationKey};

use crate::backends::{all, drop_isolated, isolated, unique};

fn key(doc: &str) -> ViolationKey {
    ViolationKey {
        document_uri: doc.to_string(),
        effective_directive: "script-src-elem".into(),
        blocked: "inline".into(),
        source_file: Some(doc.to_string()),
        line_number: Some(3),
        disposition: "enforce".into(),
    }
}

fn report(doc: &str) -> NewCspReport {
    NewCspReport {
        report_format: "csp-report".into(),
        document_uri: Some(doc.into()),
        referrer: Some(String::new()),
        blocked_uri: Some("inline".into()),
        violated_directive: Some("script-src-elem".into()),
        effective_directive: Some("script-src-elem".into()),
        original_policy: Some("default-src 'self'; report-uri /r".into()),
        disposition: Some("enforce".into()),
        status_code: Some(200),
        source_file: Some(doc.into()),
        line_number: Some(3),
        column_number: Some(8),
        sample: Some("alert(1)".into()),
        sender_ip: Some("192.0.2.1".into()),
        user_agent: Some("Mozilla/5.0 (test)".into()),
    }
}

#[rocket::async_test]
async fn a_new_violation_is_created_with_its_first_sample() {
    for db in all().await {
        let mut conn = db.pool.conn().await.unwrap();
        let doc = format!("https://example.com/{}", unique("page"));
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap() + Duration::microseconds(123_456);
        let out = CspViolation::record(&mut conn, &key(&doc), 1, Some(&report(&doc)), 3, now).await.unwrap();
        assert!(out.sample_stored, "{}", db.name);
        let v = CspViolation::find(&mut conn, &key(&doc)).await.unwrap().unwrap();
        assert_eq!((v.id, v.hits, v.sample_count), (out.violation_id, 1, 1), "{}", db.name);
        assert_eq!(v.first_seen, now.naive_utc(), "{}: microsecond UTC round trip", db.name);
        assert_eq!(v.last_seen, now.naive_utc(), "{}", db.name);
        assert_eq!(v.key_hash, key(&doc).hash());
        let rows = CspReport::for_violation(&mut conn, v.id, 10).await.unwrap();
        assert_eq!(rows.len(), 1, "{}", db.name);
        let r = &rows[0];
        assert_eq!(r.document_uri.as_deref(), Some(doc.as_str()));
        assert_eq!(r.referrer.as_deref(), Some(""), "{}: empty string kept, not NULL", db.name);
        assert_eq!(r.blocked_uri.as_deref(), Some("inline"));
        assert_eq!(r.status_code, Some(200));
        assert_eq!((r.line_number, r.column_number), (Some(3), Some(8)));
        assert_eq!(r.sample.as_deref(), Some("alert(1)"));
        assert_eq!(r.sender_ip.as_deref(), Some("192.0.2.1"));
        assert_eq!(r.report_format, "csp-report");
        assert_eq!(r.date_received, now.naive_utc());
    }
}

#[rocket::async_test]
async fn repeats_count_hits_and_samples_stop_at_the_cap() {
    for db in all().await {
        let mut conn = db.pool.conn().await.unwrap();
        let doc = format!("https://example.com/{}", unique("page"));
        let t0 = Utc::now();
        let mut stored = vec![];
        for i in 0..5 {
            let out = CspViolation::record(&mut conn, &key(&doc), 1, Some(&report(&doc)), 2, t0 + Duration::seconds(i))
                .await
                .unwrap();
            stored.push(out.sample_stored);
        }
        CspViolation::record(&mut conn, &key(&doc), 10, None, 2, t0 + Duration::seconds(9)).await.unwrap();
        assert_eq!(stored, [true, true, false, false, false], "{}", db.name);
        let v = CspViolation::find(&mut conn, &key(&doc)).await.unwrap().unwrap();
        assert_eq!((v.hits, v.sample_count), (15, 2), "{}", db.name);
        assert_eq!(v.first_seen, rocket_security_stored(t0), "{}", db.name);
        assert_eq!(v.last_seen, rocket_security_stored(t0 + Duration::seconds(9)), "{}", db.name);
        assert_eq!(CspReport::for_violation(&mut conn, v.id, 10).await.unwrap().len(), 2, "{}", db.name);
    }
}

fn rocket_security_stored(t: chrono::DateTime<Utc>) -> chrono::NaiveDateTime {
    use chrono::SubsecRound;
    t.naive_utc().trunc_subsecs(6)
}

#[rocket::async_test]
async fn different_keys_are_different_violations() {
    for db in all().await {
        let mut conn = db.pool.conn().await.unwrap();
        let doc = format!("https://example.com/{}", unique("page"));
        let a = CspViolation::record(&mut conn, &key(&doc), 1, None, 1, Utc::now()).await.unwrap();
        let mut other = key(&doc);
        other.disposition = "report".into();
        let b = CspViolation::record(&mut conn, &other, 1, None, 1, Utc::now()).await.unwrap();
        assert_ne!(a.violation_id, b.violation_id, "{}", db.name);
    }
}

#[rocket::async_test]
async fn a_report_with_every_optional_field_missing_is_stored() {
    for db in all().await {
        let mut conn = db.pool.conn().await.unwrap();
        let doc = format!("https://example.com/{}", unique("page"));
        let empty = NewCspReport { report_format: "json".into(), ..Default::default() };
        let out = CspViolation::record(&mut conn, &key(&doc), 1, Some(&empty), 1, Utc::now()).await.unwrap();
        let rows = CspReport::for_violation(&mut conn, out.violation_id, 1).await.unwrap();
        let r = &rows[0];
        assert_eq!(
            (&r.document_uri, &r.referrer, &r.blocked_uri, &r.violated_directive, &r.original_policy, &r.user_agent),
            (&None, &None, &None, &None, &None, &None),
            "{}",
            db.name
        );
        assert_eq!((r.status_code, r.line_number), (None, None));
    }
}

#[rocket::async_test]
async fn long_values_are_truncated_to_the_column_limit_not_rejected() {
    for db in all().await {
        let mut conn = db.pool.conn().await.unwrap();
        let doc = format!("https://example.com/{}", unique("page"));
        let mut long = report(&doc);
        long.blocked_uri = Some(format!("https://cdn.example/{}", "é".repeat(5000)));
        long.original_policy = Some("x".repeat(100_000));
        long.user_agent = Some("u".repeat(3000));
        let out = CspViolation::record(&mut conn, &key(&doc), 1, Some(&long), 1, Utc::now()).await.unwrap();
        let r = &CspReport::for_violation(&mut conn, out.violation_id, 1).await.unwrap()[0];
        assert_eq!(r.blocked_uri.as_ref().unwrap().chars().count(), 2048, "{}", db.name);
        assert!(r.blocked_uri.as_ref().unwrap().ends_with('é'), "{}: UTF-8 kept", db.name);
        assert_eq!(r.original_policy.as_ref().unwrap().len(), 8192, "{}", db.name);
        assert_eq!(r.user_agent.as_ref().unwrap().len(), 1024, "{}", db.name);
    }
}

#[rocket::async_test]
async fn many_known_violations_take_their_hits_in_one_statement_all_or_nothing() {
    for db in all().await {
        let mut conn = db.pool.conn().await.unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap();
        let docs: Vec<String> =
            (0..3).map(|i| format!("https://example.com/{}", unique(&format!("many{i}")))).collect();
        let mut ids = Vec::new();
        for d in &docs {
            ids.push(CspViolation::record(&mut conn, &key(d), 1, None, 3, t0).await.unwrap().violation_id);
        }
        let t1 = t0 + Duration::minutes(5) + Duration::microseconds(7);
        let rows: Vec<(String, i64)> = docs.iter().map(|d| key(d).hash()).zip([10, 1, 250]).collect();
        assert!(CspViolation::add_hits_by_hash(&mut conn, &rows, t1).await.unwrap(), "{}", db.name);
        for (d, hits) in docs.iter().zip([11, 2, 251]) {
            let v = CspViolation::find(&mut conn, &key(d)).await.unwrap().unwrap();
            assert_eq!((v.hits, v.first_seen, v.last_seen), (hits, t0.naive_utc(), t1.naive_utc()), "{}", db.name);
        }
        // One row deleted: nothing at all is changed, the caller records key by key.
        assert!(CspViolation::delete(&mut conn, ids[1]).await.unwrap(), "{}", db.name);
        assert!(!CspViolation::delete(&mut conn, ids[1]).await.unwrap(), "{}", db.name);
        let t2 = t1 + Duration::minutes(1);
        assert!(!CspViolation::add_hits_by_hash(&mut conn, &rows, t2).await.unwrap(), "{}", db.name);
        for (d, hits) in [(&docs[0], 11), (&docs[2], 251)] {
            let v = CspViolation::find(&mut conn, &key(d)).await.unwrap().unwrap();
            assert_eq!((v.hits, v.last_seen), (hits, t1.naive_utc()), "{}: rolled back", db.name);
        }
        // The connection is usable after the rollback.
        assert!(CspViolation::add_hits_by_hash(&mut conn, &[rows[0].clone()], t2).await.unwrap(), "{}", db.name);
        assert_eq!(CspViolation::find(&mut conn, &key(&docs[0])).await.unwrap().unwrap().hits, 21, "{}", db.name);
        assert!(CspViolation::add_hits_by_hash(&mut conn, &[], t2).await.unwrap(), "{}", db.name);
        let bad = vec![("x' OR 1=1 --".to_string(), 1)];
        assert!(CspViolation::add_hits_by_hash(&mut conn, &bad, t2).await.is_err(), "{}", db.name);
    }
}

#[test]
fn key_hashes_are_injective_across_field_boundaries() {
    let mut a = key("https://example.com/a");
    let mut b = a.clone();
    a.document_uri = "https://example.com/a\u{1f}img-src".into();
    a.effective_directive = "x".into();
    b.document_uri = "https://example.com/a".into();
    b.effective_directive = "img-src\u{1f}x".into();
    assert_ne!(a.hash(), b.hash());
    assert_eq!(a.hash().len(), 64);
}

#[rocket::async_test]
async fn prune_deletes_violations_not_seen_since_the_cutoff_with_their_samples() {
    for db in all().await {
        let mut conn = db.pool.conn().await.unwrap();
        // Far in the past, so other tests' rows (recorded "now") are never pruned here.
        let old = Utc.with_ymd_and_hms(2001, 1, 1, 0, 0, 0).unwrap();
        let recent = old + Duration::days(30);
        let (old_doc, kept_doc) =
            (format!("https://example.com/{}", unique("old")), format!("https://example.com/{}", unique("kept")));
        let gone = CspViolation::record(&mut conn, &key(&old_doc), 4, Some(&report(&old_doc)), 3, old).await.unwrap();
        CspViolation::record(&mut conn, &key(&kept_doc), 1, Some(&report(&kept_doc)), 3, recent).await.unwrap();
        let deleted = CspViolation::prune(&mut conn, old + Duration::days(1)).await.unwrap();
        assert!(deleted >= 1, "{}: {deleted}", db.name);
        assert!(CspViolation::find(&mut conn, &key(&old_doc)).await.unwrap().is_none(), "{}", db.name);
        assert!(CspReport::for_violation(&mut conn, gone.violation_id, 10).await.unwrap().is_empty(), "{}", db.name);
        let kept = CspViolation::find(&mut conn, &key(&kept_doc)).await.unwrap().unwrap();
        assert_eq!(kept.hits, 1, "{}", db.name);
        assert_eq!(CspReport::for_violation(&mut conn, kept.id, 10).await.unwrap().len(), 1, "{}", db.name);
    }
}

#[rocket::async_test]
async fn cap_keeps_the_most_recently_seen_violations_on_every_database() {
    let dbs = isolated().await;
    for db in &dbs {
        let mut conn = db.pool.conn().await.unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        let docs: Vec<String> = (0..8).map(|i| format!("https://cap.example/{i}")).collect();
        for (i, d) in docs.iter().enumerate() {
            CspViolation::record(&mut conn, &key(d), 1, Some(&report(d)), 3, t0 + Duration::seconds(i as i64))
                .await
                .unwrap();
        }
        // Two rows seen at the same instant: the later id is the newer.
        let tie = "https://cap.example/tie".to_string();
        CspViolation::record(&mut conn, &key(&tie), 1, None, 3, t0 + Duration::seconds(7)).await.unwrap();
        assert_eq!(CspViolation::cap(&mut conn, 100).await.unwrap(), 0, "{}: under the cap", db.name);
        assert_eq!(CspViolation::cap(&mut conn, 3).await.unwrap(), 6, "{}", db.name);
        let kept: Vec<String> =
            CspViolation::recent(&mut conn, 100).await.unwrap().into_iter().map(|v| v.document_uri).collect();
        assert_eq!(kept, [tie.as_str(), &docs[7], &docs[6]], "{}", db.name);
        let first = CspViolation::find(&mut conn, &key(&docs[0])).await.unwrap();
        assert!(first.is_none(), "{}", db.name);
        assert_eq!(CspViolation::cap(&mut conn, 0).await.unwrap(), 3, "{}: keep 0 deletes all", db.name);
        assert!(CspViolation::recent(&mut conn, 10).await.unwrap().is_empty(), "{}", db.name);
    }
    drop_isolated(dbs).await;
}

#[rocket::async_test]
async fn violations_group_on_every_backend_with_each_filter() {
    use rocket_security::reports::{GroupFilter, TriageView, ViolationGroup};
    for db in all().await {
        let host = format!("{}.example", unique("grp").replace('-', ""));
        let mut conn = db.pool.conn().await.unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 11, 30, 8, 0, 0).unwrap();
        let k = |doc: &str, directive: &str, disposition: &str| ViolationKey {
            document_uri: doc.into(),
            effective_directive: directive.into(),
            blocked: host.clone(),
            source_file: None,
            line_number: None,
            disposition: disposition.into(),
        };
        CspViolation::record(&mut conn, &k("https://a/1", "img-src", "enforce"), 2, None, 1, t0).await.unwrap();
        let later = t0 + Duration::days(2);
        CspViolation::record(&mut conn, &k("https://a/2", "img-src", "enforce"), 5, None, 1, later).await.unwrap();
        CspViolation::record(&mut conn, &k("https://a/1", "img-src", "report"), 1, None, 1, t0).await.unwrap();
        CspViolation::record(&mut conn, &k("https://a/1", "font-src", "enforce"), 3, None, 1, t0).await.unwrap();
        let mine = GroupFilter { blocked: Some(host.clone()), ..Default::default() };
        let groups = ViolationGroup::page(&mut conn, &mine, 10, 0).await.unwrap();
        let summary: Vec<(&str, &str, i64, i64)> =
            groups.iter().map(|g| (g.directive.as_str(), g.disposition.as_str(), g.hits, g.violations)).collect();
        assert_eq!(
            summary,
            vec![("img-src", "enforce", 7, 2), ("font-src", "enforce", 3, 1), ("img-src", "report", 1, 1)],
            "{}",
            db.name
        );
        assert_eq!((groups[0].first_seen, groups[0].last_seen), (t0.naive_utc(), later.naive_utc()), "{}", db.name);
        let top = ViolationGroup::top_documents(&mut conn, &groups, 1).await.unwrap();
        let top: Vec<(&str, &str, &str, i64)> =
            top.iter().map(|t| (t.directive.as_str(), t.disposition.as_str(), t.document.as_str(), t.hits)).collect();
        assert_eq!(
            top,
            vec![
                ("font-src", "enforce", "https://a/1", 3),
                ("img-src", "enforce", "https://a/2", 5),
                ("img-src", "report", "https://a/1", 1)
            ],
            "{}: the top document of each group",
            db.name
        );
        // Every filter at once binds its parameters in order (the dates select
        // violations seen in the window: only /2, seen on day 2).
        let all_filters = GroupFilter {
            directive: Some("img-src".into()),
            blocked: Some(host.clone()),
            disposition: Some("enforce".into()),
            from: Some((t0 + Duration::days(1)).naive_utc()),
            to: Some((t0 + Duration::days(3)).naive_utc()),
            triage: TriageView::All,
        };
        let groups = ViolationGroup::page(&mut conn, &all_filters, 10, 0).await.unwrap();
        assert_eq!(groups.iter().map(|g| (g.hits, g.violations)).collect::<Vec<_>>(), vec![(5, 1)], "{}", db.name);
        // Pages, and LIKE's wildcards taken literally.
        let second = ViolationGroup::page(&mut conn, &mine, 1, 1).await.unwrap();
        assert_eq!(second.iter().map(|g| g.hits).collect::<Vec<_>>(), vec![3], "{}", db.name);
        let wildcard = GroupFilter { blocked: Some(format!("{}%", &host[..3])), ..Default::default() };
        assert!(ViolationGroup::page(&mut conn, &wildcard, 10, 0).await.unwrap().is_empty(), "{}", db.name);
    }
}

#[rocket::async_test]
async fn last_seen_only_moves_forward_whatever_order_batches_arrive_in() {
    for db in all().await {
        let mut conn = db.pool.conn().await.unwrap();
        // A group of its own (the databases are shared by tests running at once).
        let k =
            ViolationKey { blocked: format!("{}.example", unique("forward")), ..key("https://example.com/forward") };
        let t = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
        let last_seen = |v: Option<CspViolation>| v.map(|v| (v.hits, v.last_seen));
        CspViolation::record(&mut conn, &k, 1, None, 1, t + Duration::hours(1)).await.unwrap();
        // An older report recorded later (a replayed spool): counted, last_seen kept.
        CspViolation::record(&mut conn, &k, 1, None, 1, t).await.unwrap();
        let found = CspViolation::find(&mut conn, &k).await.unwrap();
        assert_eq!(last_seen(found), Some((2, (t + Duration::hours(1)).naive_utc())), "{}", db.name);
        // The one-statement path too, backwards and then forwards.
        assert!(CspViolation::add_hits_by_hash(&mut conn, &[(k.hash(), 2)], t - Duration::hours(1)).await.unwrap());
        let found = CspViolation::find(&mut conn, &k).await.unwrap();
        assert_eq!(last_seen(found), Some((4, (t + Duration::hours(1)).naive_utc())), "{}", db.name);
        assert!(CspViolation::add_hits_by_hash(&mut conn, &[(k.hash(), 1)], t + Duration::hours(2)).await.unwrap());
        let found = CspViolation::find(&mut conn, &k).await.unwrap();
        assert_eq!(last_seen(found), Some((5, (t + Duration::hours(2)).naive_utc())), "{}", db.name);
        // Its group's reports per day, from record().
        use rocket_security::reports::ViolationGroup;
        let days = ViolationGroup::days(&mut conn, &[k.group_hash()], t - Duration::days(1)).await.unwrap();
        let days: Vec<(String, i64)> = days.iter().map(|d| (d.day.to_string(), d.hits)).collect();
        assert_eq!(days, vec![("2026-12-01 00:00:00".to_string(), 2)], "{}", db.name);
    }
}
