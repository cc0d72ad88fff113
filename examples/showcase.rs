//! The rocket_security showcase: a small site using every feature that exists.
//!
//! ```sh
//! cargo run --example showcase      # then open http://127.0.0.1:8000
//! ```
//!
//! It reads `Rocket.toml` in the working directory (the annotated sample
//! configuration). `ROCKET_PORT` changes the port; `ROCKET_TLS` serves HTTPS.

use rocket::response::content::RawHtml;
use rocket::response::Redirect;
use rocket::{get, launch, post, routes};
use rocket_security::{DoNotTrack, Override, Security};

fn page(title: &str, body: &str) -> RawHtml<String> {
    RawHtml(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} — rocket_security</title>\
         <link rel=\"stylesheet\" href=\"/style.css\"></head><body><header><nav>\
         <a href=\"/\">Home</a> <a href=\"/account\">Account</a> <a href=\"/embed\">Embeddable</a> \
         <a href=\"/privacy\">Privacy</a></nav></header><main><h1>{title}</h1>{body}</main></body></html>"
    ))
}

#[get("/")]
fn index() -> RawHtml<String> {
    page(
        "Home",
        "<p>Every response of this site carries the crate's default security headers. \
         Open your browser's developer tools and look at the response headers.</p>\
         <ul><li><code>/account</code>: a confidential page (<code>Cache-Control: no-store</code>)</li>\
         <li><code>/embed</code>: may be framed by a partner (route-level <code>Override</code>)</li>\
         <li><code>/privacy</code>: honours Do Not Track and Global Privacy Control</li>\
         <li><code>POST /logout</code>: answers with <code>Clear-Site-Data</code></li></ul>\
         <form method=\"post\" action=\"/logout\"><button>Log out</button></form>",
    )
}

#[get("/style.css")]
fn style() -> (rocket::http::ContentType, &'static str) {
    (rocket::http::ContentType::CSS, "body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto}")
}

#[get("/account")]
fn account() -> RawHtml<String> {
    page("Account", "<p>Confidential: this page is never stored by browsers or proxies.</p>")
}

/// A page a partner may embed: X-Frame-Options removed and `frame-ancestors`
/// widened for this route only.
#[get("/embed")]
fn embed() -> Override<RawHtml<String>> {
    Override::new(page("Embeddable", "<p>This page may be framed by https://partner.example.</p>")).set(
        "Content-Security-Policy",
        "default-src 'self'; base-uri 'self'; object-src 'none'; frame-ancestors 'self' https://partner.example",
    )
}

#[get("/privacy")]
fn privacy(p: DoNotTrack) -> RawHtml<String> {
    let verdict = if p.opted_out() {
        "You asked not to be tracked, so this page loads no analytics."
    } else {
        "Your browser sent neither DNT: 1 nor Sec-GPC: 1."
    };
    page("Privacy", &format!("<p>{verdict}</p><p>DNT: {:?}, Sec-GPC: {}</p>", p.dnt(), p.gpc()))
}

/// `Clear-Site-Data` comes from `[default.security.clear_site_data] paths`.
#[post("/logout")]
fn logout() -> Redirect {
    Redirect::to("/")
}

#[launch]
fn rocket() -> _ {
    rocket::build().attach(Security::fairing()).mount("/", routes![index, style, account, embed, privacy, logout])
}
