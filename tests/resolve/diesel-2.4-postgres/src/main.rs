//! An application on diesel 2.4 (PostgreSQL) that adds rocket_security with its store on the same database.

use diesel::{Connection, PgConnection};
use rocket::{get, launch, routes};
use rocket_security::db::rocket_db_pools::Database;
use rocket_security::db::SecurityDb;

#[get("/")]
fn index() -> &'static str {
    match PgConnection::establish("postgres://localhost/app") {
        Ok(_) => "connected",
        Err(_) => "no database",
    }
}

#[launch]
fn rocket() -> _ {
    rocket::build().attach(rocket_security::Security::fairing()).attach(SecurityDb::init()).mount("/", routes![index])
}
