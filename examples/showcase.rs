//! The rocket_security showcase: a small site using every feature that exists.
//!
//! ```sh
//! cargo run --example showcase      # then open http://127.0.0.1:8000
//! ```
//!
//! It reads `Rocket.toml` in the working directory (the annotated sample
//! configuration). `ROCKET_PORT` changes the port; `ROCKET_TLS` serves HTTPS.

use rocket::http::{ContentType, Status};
use rocket::request::{self, FromRequest, Request};
use rocket::response::content::RawHtml;
use rocket::response::Redirect;
use rocket::{get, launch, post, routes};
use rocket_db_pools::Database;
use rocket_security::db::{Migrations, SecurityDb};
use rocket_security::{CspNonce, CspOverride, DoNotTrack, Override, Security};

fn page(title: &str, body: &str) -> RawHtml<String> {
    RawHtml(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} — rocket_security</title>\
         <link rel=\"stylesheet\" href=\"/style.css\"></head><body><header><nav>\
         <a href=\"/\">Home</a> <a href=\"/account\">Account</a> <a href=\"/embed\">Embeddable</a> \
         <a href=\"/privacy\">Privacy</a> <a href=\"/demo/violations\">CSP violations</a></nav></header>\
         <main><h1>{title}</h1>{body}</main></body></html>"
    ))
}

/// The home page runs one inline script, allowed by this response's nonce.
#[get("/")]
fn index(nonce: CspNonce<'_>) -> RawHtml<String> {
    page(
        "Home",
        &format!(
            "<p>Every response of this site carries the crate's default security headers. \
             Open your browser's developer tools and look at the response headers.</p>\
             <p id=\"nonce-demo\">The inline script did not run.</p>\
             <script {}>document.getElementById('nonce-demo').textContent = \
             'This text was written by an inline script allowed by its CSP nonce.';</script>\
             <ul><li><code>/account</code>: a confidential page (<code>Cache-Control: no-store</code>)</li>\
             <li><code>/embed</code>: may be framed by a partner (per-route CSP and X-Frame-Options)</li>\
             <li><code>/privacy</code>: honours Do Not Track and Global Privacy Control</li>\
             <li><code>/demo/violations</code>: breaks the CSP so the browser sends reports</li>\
             <li><code>/security/reports</code>: the reports dashboard (from this machine only)</li>\
             <li><code>POST /logout</code>: answers with <code>Clear-Site-Data</code></li></ul>\
             <form method=\"post\" action=\"/logout\"><button>Log out</button></form>",
            nonce.attr()
        ),
    )
}

#[get("/style.css")]
fn style() -> (ContentType, &'static str) {
    (ContentType::CSS, "body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto}nav a{margin-right:1em}")
}

#[get("/account")]
fn account() -> RawHtml<String> {
    page("Account", "<p>Confidential: this page is never stored by browsers or proxies.</p>")
}

/// A page a partner may embed: X-Frame-Options removed and `frame-ancestors`
/// widened for this route only.
#[get("/embed")]
fn embed() -> Override<CspOverride<RawHtml<String>>> {
    let page = page("Embeddable", "<p>This page may be framed by https://partner.example.</p>");
    Override::new(CspOverride::new(page).extend("frame-ancestors", ["'self'", "https://partner.example"]))
        .remove("X-Frame-Options")
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

/// Breaks the policy several ways, so the browser sends violation reports.
#[get("/demo/violations")]
fn violations() -> RawHtml<String> {
    page(
        "CSP violations",
        "<p>This page breaks its Content-Security-Policy on purpose: an inline script without a nonce, \
         an inline style, a <code>style</code> attribute, <code>eval()</code> in an allowed script, and an image \
         from another origin. Your browser blocks each and reports it to <code>/security/csp-report</code>.</p>\
         <style>main{outline:3px solid red}</style>\
         <p style=\"color:red\">styled by an attribute</p>\
         <script>document.title = 'inline script ran (it should not)';</script>\
         <script src=\"/demo/eval.js\"></script>\
         <img src=\"https://example.com/blocked.png\" alt=\"blocked cross-origin image\">",
    )
}

#[get("/demo/eval.js")]
fn eval_js() -> (ContentType, &'static str) {
    (ContentType::JavaScript, "try { eval('1 + 1'); } catch (e) { console.log('eval blocked'); }")
}

/// `Clear-Site-Data` comes from `[default.security.clear_site_data] paths`.
#[post("/logout")]
fn logout() -> Redirect {
    Redirect::to("/")
}

/// Who may see the reports dashboard. (Until the showcase has users, only
/// requests from this machine.)
struct LocalAdmin;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for LocalAdmin {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        match req.remote() {
            Some(peer) if peer.ip().is_loopback() => request::Outcome::Success(LocalAdmin),
            _ => request::Outcome::Error((Status::Forbidden, ())),
        }
    }
}

#[launch]
fn rocket() -> _ {
    rocket::build()
        .attach(SecurityDb::init())
        .attach(Migrations::<SecurityDb>::fairing())
        .attach(Security::fairing().reports_dashboard::<LocalAdmin>())
        .mount("/", routes![index, style, account, embed, privacy, violations, eval_js, logout])
}
