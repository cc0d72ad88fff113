//! CSP with a nonce in a Tera template, through `rocket_dyn_templates`:
//! `CspNonce` serialises to its value, so it goes straight into the
//! template context, and asking for it puts `'nonce-…'` into this
//! response's `script-src`. The inline script runs; one without the nonce
//! would be blocked.
//!
//! ```toml
//! [default]
//! template_dir = "examples/templates"
//!
//! [default.security.csp]
//! nonce_directives = ["script-src", "style-src"]   # Default: ["script-src"]
//! ```
//!
//! Run: `cargo run --example templates` (the template is
//! `examples/templates/nonce.html.tera`).

use rocket::{get, launch, routes};
use rocket_dyn_templates::Template;
use rocket_security::{CspNonce, Security};

#[derive(serde::Serialize)]
struct Page<'r> {
    title: &'static str,
    nonce: CspNonce<'r>,
}

#[get("/")]
fn index(nonce: CspNonce<'_>) -> Template {
    Template::render("nonce", Page { title: "A nonce in a Tera template", nonce })
}

#[launch]
fn rocket() -> _ {
    use rocket::figment::providers::{Env, Format, Toml};
    let config = concat!(
        "[default]\ntemplate_dir = \"",
        env!("CARGO_MANIFEST_DIR"),
        "/examples/templates\"\n[default.security.csp]\nnonce_directives = [\"script-src\", \"style-src\"]"
    );
    let figment = rocket::figment::Figment::from(rocket::Config::default())
        .merge(Toml::string(config).nested())
        .merge(Env::prefixed("ROCKET_").ignore(&["PROFILE"]).global());
    rocket::custom(figment).attach(Template::fairing()).attach(Security::fairing()).mount("/", routes![index])
}
