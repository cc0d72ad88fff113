//! An application on rocket_sync_db_pools (SQLite) that adds rocket_security with its own SQLite store.

use rocket::{get, launch, routes};
use rocket_security::db::rocket_db_pools::Database;
use rocket_security::db::SecurityDb;
use rocket_sync_db_pools::{database, rusqlite};

#[database("app")]
struct AppDb(rusqlite::Connection);

#[get("/")]
async fn index(db: AppDb) -> String {
    let one = db.run(|conn| conn.query_row("SELECT 1", [], |row| row.get::<_, i64>(0))).await;
    one.unwrap_or(0).to_string()
}

#[launch]
fn rocket() -> _ {
    rocket::build()
        .attach(AppDb::fairing())
        .attach(rocket_security::Security::fairing())
        .attach(SecurityDb::init())
        .mount("/", routes![index])
}
