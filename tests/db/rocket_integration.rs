//! Through Rocket: `#[derive(Database)]` with `SecurityPool`, the ready-made
//! `SecurityDb`, migrations at ignite (and switched off).

use rocket::figment::Figment;
use rocket::http::Status;
use rocket::local::asynchronous::Client;
use rocket::{get, routes};
use rocket_db_pools::{Connection, Database};
use rocket_security::auth::{ExpiryPolicy, PasswordExpiry};
use rocket_security::db::{Migrations, SecurityDb, SecurityPool};

use crate::backends::sqlite_url;

#[derive(Database)]
#[database("app_security")]
struct AppDb(SecurityPool);

#[get("/expiry/<user>")]
async fn expiry(mut db: Connection<AppDb>, user: &str) -> Result<String, Status> {
    let row = PasswordExpiry::get_or_create(&mut db, user, ExpiryPolicy::default(), chrono::Utc::now())
        .await
        .map_err(|_| Status::ServiceUnavailable)?;
    Ok(format!("{} {:?}", row.user_id, row.password_expiry_date))
}

#[get("/ready-made/<user>")]
async fn ready_made(mut db: Connection<SecurityDb>, user: &str) -> Result<String, Status> {
    let row =
        PasswordExpiry::expire_now(&mut db, user, chrono::Utc::now()).await.map_err(|_| Status::ServiceUnavailable)?;
    Ok(row.user_id)
}

fn figment(name: &str, url: &str, migrate: bool) -> Figment {
    Figment::from(rocket::Config::debug_default())
        .merge(("log_level", "off"))
        .merge((format!("databases.{name}.url"), url))
        .merge((format!("databases.{name}.migrate"), migrate))
}

#[rocket::async_test]
async fn a_custom_database_type_is_migrated_at_ignite_and_usable_in_routes() {
    let (url, file) = sqlite_url();
    let rocket = rocket::custom(figment("app_security", &url, true))
        .attach(AppDb::init())
        .attach(Migrations::<AppDb>::fairing())
        .mount("/", routes![expiry]);
    let client = Client::tracked(rocket).await.unwrap();
    let res = client.get("/expiry/alice").dispatch().await;
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(res.into_string().await.as_deref(), Some("alice None"));
    assert!(file.exists(), "the SQLite file is created");
    let _ = std::fs::remove_file(file);
}

#[rocket::async_test]
async fn the_ready_made_security_db_works_the_same() {
    let (url, file) = sqlite_url();
    let rocket = rocket::custom(figment("security", &url, true))
        .attach(SecurityDb::init())
        .attach(Migrations::<SecurityDb>::fairing())
        .mount("/", routes![ready_made]);
    let client = Client::tracked(rocket).await.unwrap();
    let res = client.get("/ready-made/bob").dispatch().await;
    assert_eq!(res.into_string().await.as_deref(), Some("bob"));
    let _ = std::fs::remove_file(file);
}

#[rocket::async_test]
async fn migrations_can_be_switched_off() {
    let (url, file) = sqlite_url();
    let rocket = rocket::custom(figment("app_security", &url, false))
        .attach(AppDb::init())
        .attach(Migrations::<AppDb>::fairing())
        .mount("/", routes![expiry]);
    let client = Client::tracked(rocket).await.unwrap();
    // No tables: the query fails, the route answers 503, nothing panics.
    let res = client.get("/expiry/alice").dispatch().await;
    assert_eq!(res.status(), Status::ServiceUnavailable);
    let _ = std::fs::remove_file(file);
}

#[cfg(feature = "postgres")]
#[rocket::async_test]
async fn an_unreachable_database_does_not_stop_the_launch() {
    let rocket = rocket::custom(
        figment("app_security", "postgres://postgres@127.0.0.1:1/test", true)
            .merge(("databases.app_security.connect_timeout", 1)),
    )
    .attach(AppDb::init())
    .attach(Migrations::<AppDb>::fairing())
    .mount("/", routes![expiry]);
    let client = Client::tracked(rocket).await.expect("launches without the database");
    let res = client.get("/expiry/alice").dispatch().await;
    assert_eq!(res.status(), Status::ServiceUnavailable);
}
