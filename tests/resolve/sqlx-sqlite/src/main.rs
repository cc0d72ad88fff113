//! An application on sqlx (SQLite) that adds rocket_security with its own SQLite store.

use rocket::{get, launch, routes, State};
use rocket_security::db::rocket_db_pools::Database;
use rocket_security::db::SecurityDb;
use sqlx::SqlitePool;

#[get("/")]
async fn index(pool: &State<SqlitePool>) -> String {
    let one: i64 = sqlx::query_scalar("SELECT 1").fetch_one(pool.inner()).await.unwrap_or(0);
    one.to_string()
}

#[launch]
fn rocket() -> _ {
    let pool = SqlitePool::connect_lazy("sqlite::memory:").expect("an in-memory pool");
    rocket::build()
        .manage(pool)
        .attach(rocket_security::Security::fairing())
        .attach(SecurityDb::init())
        .mount("/", routes![index])
}
