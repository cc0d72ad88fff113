//! The response path through a real Rocket request/response cycle (local
//! client, no network): bare Rocket, the zero-config fairing, and the
//! fairing with a per-request CSP nonce.
//!
//! ```sh
//! cargo bench --bench response
//! ```

// criterion_group! generates undocumented items.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use rocket::fairing::AdHoc;
use rocket::http::Header;
use rocket::local::blocking::Client;
use rocket::shield::Shield;
use rocket::{get, routes};
use rocket_security::{CspNonce, Security};

#[get("/")]
fn plain() -> &'static str {
    "hello"
}

#[get("/nonce")]
fn nonce(n: CspNonce<'_>) -> String {
    format!("<script nonce=\"{n}\">1</script>")
}

enum Stack {
    Bare,
    HandWritten,
    Security,
}

#[path = "static_headers.rs"]
mod static_headers;
use static_headers::STATIC_HEADERS;

fn client(stack: Stack) -> Client {
    let figment = rocket::Config::figment().merge(("log_level", "off")).merge(("ident", false));
    let rocket = rocket::custom(figment).mount("/", routes![plain, nonce]).attach(Shield::new());
    let rocket = match stack {
        Stack::Bare => rocket,
        Stack::HandWritten => rocket.attach(AdHoc::on_response("static headers", |_, res| {
            Box::pin(async move {
                for (name, value) in STATIC_HEADERS {
                    if !res.headers().contains(*name) {
                        res.set_header(Header::new(*name, *value));
                    }
                }
            })
        })),
        Stack::Security => rocket.attach(Security::fairing()),
    };
    Client::untracked(rocket).expect("valid rocket")
}

fn response_path(c: &mut Criterion) {
    let mut group = c.benchmark_group("response");
    let bare = client(Stack::Bare);
    group.bench_function("bare rocket (no Shield)", |b| b.iter(|| bare.get("/").dispatch()));
    let hand = client(Stack::HandWritten);
    group.bench_function("hand-written AdHoc, same 11 headers", |b| b.iter(|| hand.get("/").dispatch()));
    let secured = client(Stack::Security);
    group.bench_function("Security::fairing()", |b| b.iter(|| secured.get("/").dispatch()));
    group.bench_function("Security::fairing() + CspNonce", |b| b.iter(|| secured.get("/nonce").dispatch()));
    group.bench_function("bare rocket, nonce-sized body", |b| b.iter(|| bare.get("/nonce").dispatch()));
    group.finish();
}

criterion_group!(benches, response_path);
criterion_main!(benches);
