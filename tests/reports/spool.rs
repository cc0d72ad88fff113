//! The spool: batches the database cannot take wait on disk, in order, and
//! are stored once it answers (here across a restart); a full spool, a torn
//! or corrupted record and a second instance on the same directory are each
//! refused or counted, never silent.

use rocket::http::Status;
use rocket_security::reports::{CspViolation, ViolationFilter};

use crate::app::{app_with_url, legacy, rocket_with_url, temp_db};

/// No server answers here (PostgreSQL when built in, else a SQLite file in a missing directory).
fn unreachable() -> String {
    if cfg!(feature = "postgres") {
        "postgres://postgres@127.0.0.1:1/test".into()
    } else {
        "sqlite:///nonexistent-dir/x.db".into()
    }
}

fn dir_toml(dir: &std::path::Path, more: &str) -> String {
    format!("[default.security.reports]\nrate_limit_per_minute = 0\nspool_dir = \"{}\"\n{more}", dir.display())
}

#[rocket::async_test]
async fn a_second_instance_on_the_same_spool_directory_refuses_to_launch() {
    let dir = temp_db().with_extension("shared-spool");
    let _first = app_with_url(&dir_toml(&dir, ""), None).await;
    let (second, _) = rocket_with_url(&dir_toml(&dir, ""), None);
    let Err(err) = second.ignite().await else { panic!("the second instance refuses the directory") };
    match err.kind() {
        rocket::error::ErrorKind::FailedFairings(f) => assert!(f.iter().any(|f| f.name == "rocket_security")),
        other => panic!("{other:?}"),
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[rocket::async_test]
async fn beyond_spool_max_bytes_reports_are_dropped_as_spool_full() {
    let dir = temp_db().with_extension("full-spool");
    let app = app_with_url(&dir_toml(&dir, "spool_max_bytes = 65536"), Some(unreachable())).await;
    for i in 0..200 {
        let doc = format!("https://127.0.0.1/{i}/{}", "p".repeat(400));
        assert_eq!(app.post("application/csp-report", legacy(&doc, "img-src", "x")).await.status(), Status::NoContent);
    }
    let s = app.settled().await;
    let full = s.dropped.get("spool_full").copied().unwrap_or(0);
    assert!(full > 0 && s.spooled > 0, "{s:?}");
    assert_eq!(s.spooled + full, 200, "every report is spooled or counted: {s:?}");
    assert!(s.spool_bytes <= 65536, "{s:?}");
    let _ = std::fs::remove_dir_all(dir);
}

#[rocket::async_test]
async fn a_restart_stores_the_spool_and_skips_a_corrupted_record_counted() {
    let dir = temp_db().with_extension("restart-spool");
    // Three batches spooled while no database answers, then the app stops.
    {
        let app = app_with_url(&dir_toml(&dir, ""), Some(unreachable())).await;
        for blocked in ["https://a.example/x", "https://b.example/x", "https://c.example/x"] {
            for _ in 0..2 {
                let r = app.post("application/csp-report", legacy("https://127.0.0.1/p", "img-src", blocked)).await;
                assert_eq!(r.status(), Status::NoContent);
            }
            app.settled().await;
        }
        let s = app.settled().await;
        assert_eq!(s.spooled, 6, "{s:?}");
        app.terminate().await;
    }
    // The second record's payload is damaged on disk.
    let data = dir.join("spool.dat");
    let mut bytes = std::fs::read(&data).unwrap();
    let records: Vec<usize> = (0..bytes.len() - 3).filter(|&i| &bytes[i..i + 4] == b"RSP1").collect();
    assert!(records.len() >= 3, "{records:?}");
    bytes[records[1] + 30] ^= 0x5a;
    std::fs::write(&data, bytes).unwrap();
    // A start with a database that answers stores the rest, in order, and counts the damage.
    let app = app_with_url(&dir_toml(&dir, ""), None).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let s = loop {
        let s = app.settled().await;
        if s.spooled == 0 {
            break s;
        }
        assert!(std::time::Instant::now() < deadline, "{s:?}");
        rocket::tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let corrupt = s.dropped.get("spool_corrupt").copied().unwrap_or(0);
    assert_eq!((s.recovered, s.stored, corrupt), (6, 6 - corrupt, corrupt), "{s:?}");
    assert!(corrupt >= 1, "{s:?}");
    let rows = CspViolation::search(&mut app.conn().await, &ViolationFilter::default(), 100).await.unwrap();
    let hits: i64 = rows.iter().map(|r| r.hits).sum();
    assert_eq!(hits as u64, s.stored, "the database's hits equal the stored count");
    assert_eq!(std::fs::metadata(&data).unwrap().len(), 0, "a drained spool is truncated");
    let _ = std::fs::remove_dir_all(dir);
}

#[cfg(feature = "sqlite")]
#[rocket::async_test]
async fn a_locked_sqlite_database_spools_then_stores_everything_once() {
    use diesel_async::SimpleAsyncConnection;
    let file = temp_db().with_extension("locked.db");
    let url = format!("sqlite://{}", file.display());
    let app = app_with_url("[default.security.reports]\nrate_limit_per_minute = 0", Some(url.clone())).await;
    let post = |i: usize| {
        let doc = format!("https://127.0.0.1/locked/{i}");
        let app = &app;
        async move { app.post("application/csp-report", legacy(&doc, "img-src", "https://locked.example/a")).await.status() }
    };
    for i in 0..10 {
        assert_eq!(post(i).await, Status::NoContent);
    }
    assert_eq!(app.settled().await.stored, 10);
    // Another process's transaction holds the file's write lock longer than busy_timeout (5 s).
    let holder = rocket_security::db::SecurityPool::from_url(&url).unwrap();
    let mut conn = holder.conn().await.unwrap();
    let rocket_security::db::SecurityConn::Sqlite(c) = &mut conn else { unreachable!() };
    c.batch_execute("BEGIN EXCLUSIVE").await.unwrap();
    for i in 10..40 {
        assert_eq!(post(i).await, Status::NoContent, "the endpoint answers while the file is locked");
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    // The writer waits out busy_timeout once, then spools.
    let during = loop {
        let s = app.stats();
        if s.spooled == 30 && s.queued == 0 {
            break s;
        }
        assert!(std::time::Instant::now() < deadline, "{s:?}");
        rocket::tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(during.dropped.is_empty(), "{during:?}");
    c.batch_execute("ROLLBACK").await.unwrap();
    drop(conn);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let after = loop {
        let s = app.settled().await;
        if s.spooled == 0 {
            break s;
        }
        assert!(std::time::Instant::now() < deadline, "{s:?}");
        rocket::tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!((after.accepted, after.stored), (40, 40), "{after:?}");
    assert!(after.dropped.is_empty(), "{after:?}");
    let filter = ViolationFilter { blocked: Some("locked.example".into()), ..Default::default() };
    let rows = CspViolation::search(&mut app.conn().await, &filter, 100).await.unwrap();
    assert_eq!(rows.iter().map(|r| r.hits).sum::<i64>(), 40, "the database's hits equal the stored count");
    for s in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{s}", file.display()));
    }
}
