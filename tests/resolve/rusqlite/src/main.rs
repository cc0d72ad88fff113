//! An application on rusqlite that adds rocket_security with its own SQLite store.

use rocket::{get, launch, routes};
use rocket_security::db::rocket_db_pools::Database;
use rocket_security::db::SecurityDb;

#[get("/")]
fn index() -> String {
    let one = rusqlite::Connection::open_in_memory()
        .and_then(|conn| conn.query_row("SELECT 1", [], |row| row.get::<_, i64>(0)))
        .unwrap_or(0);
    one.to_string()
}

#[launch]
fn rocket() -> _ {
    rocket::build().attach(rocket_security::Security::fairing()).attach(SecurityDb::init()).mount("/", routes![index])
}
