//! [`CspNonce`]: a fresh nonce per response, and [`CspHash`] for fixed inline code.

use std::convert::Infallible;
use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;
use rocket::request::{FromRequest, Outcome, Request};
use sha2::{Digest, Sha256, Sha384, Sha512};

use super::local::CspLocal;

/// The CSP nonce of this response: 128 bits from a CSPRNG, base64-encoded.
///
/// Asking for it is what puts `'nonce-…'` into the response's policy (in each
/// of `security.csp.nonce_directives`, default `script-src`); every request
/// gets a new one, and asking twice in one request gives the same value.
///
/// ```
/// # use rocket::get;
/// use rocket::response::content::RawHtml;
/// use rocket_security::CspNonce;
///
/// #[get("/")]
/// fn index(nonce: CspNonce<'_>) -> RawHtml<String> {
///     RawHtml(format!("<script {}>console.log('allowed')</script>", nonce.attr()))
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CspNonce<'r>(&'r str);

impl<'r> CspNonce<'r> {
    /// The nonce of `req`, generating it on first use.
    ///
    /// For code that has the request but no guard, such as a catcher:
    ///
    /// ```
    /// use rocket::response::content::RawHtml;
    /// use rocket::{catch, catchers, Request};
    /// use rocket_security::CspNonce;
    ///
    /// #[catch(404)]
    /// fn not_found(req: &Request<'_>) -> RawHtml<String> {
    ///     RawHtml(format!("<script {}>history.back()</script>", CspNonce::of(req).attr()))
    /// }
    ///
    /// let rocket = rocket::build().attach(rocket_security::Security::fairing()).register("/", catchers![not_found]);
    /// ```
    pub fn of(req: &'r Request<'_>) -> Self {
        CspNonce(CspLocal::of(req).nonce.get_or_init(generate))
    }

    /// The base64 value, for a template's `nonce="…"` attribute.
    ///
    /// ```
    /// use rocket::{get, local::blocking::Client, routes};
    /// use rocket_security::{CspNonce, Security};
    ///
    /// #[get("/")]
    /// fn index(nonce: CspNonce<'_>) -> String {
    ///     nonce.as_str().to_string()
    /// }
    ///
    /// let rocket = rocket::custom(rocket::Config::default()).attach(Security::fairing()).mount("/", routes![index]);
    /// let client = Client::tracked(rocket).unwrap();
    /// let res = client.get("/").dispatch();
    /// let csp = res.headers().get_one("Content-Security-Policy").unwrap().to_string();
    /// assert!(csp.contains(&format!("'nonce-{}'", res.into_string().unwrap())), "{csp}");
    /// ```
    pub fn as_str(&self) -> &'r str {
        self.0
    }

    /// The whole attribute: `nonce="…"`.
    ///
    /// ```
    /// use rocket::{get, local::blocking::Client, response::content::RawHtml, routes};
    /// use rocket_security::CspNonce;
    ///
    /// #[get("/")]
    /// fn index(nonce: CspNonce<'_>) -> RawHtml<String> {
    ///     assert_eq!(nonce.attr(), format!("nonce=\"{}\"", nonce.as_str()));
    ///     RawHtml(format!("<script {}>console.log('hi')</script>", nonce.attr()))
    /// }
    ///
    /// let client = Client::tracked(rocket::custom(rocket::Config::default()).mount("/", routes![index])).unwrap();
    /// assert!(client.get("/").dispatch().into_string().unwrap().starts_with("<script nonce=\""));
    /// ```
    pub fn attr(&self) -> String {
        format!("nonce=\"{}\"", self.0)
    }
}

/// A `CspNonce` serialises to its base64 value, so it goes straight into a
/// template context (`rocket_dyn_templates` with Tera or Handlebars):
///
/// ```
/// # use rocket::get;
/// use rocket_security::CspNonce;
///
/// #[derive(serde::Serialize)]
/// struct Page<'r> {
///     nonce: CspNonce<'r>,
/// }
///
/// #[get("/")]
/// fn index(nonce: CspNonce<'_>) -> String {
///     // With rocket_dyn_templates: Template::render("index", Page { nonce })
///     serde_json::to_string(&Page { nonce }).unwrap()
/// }
/// ```
///
/// In the template (Tera: `{{ nonce }}`; Handlebars: `{{nonce}}`). Tera's
/// autoescape writes a `/` of the base64 value as `&#x2F;`, which the browser
/// decodes back, so the policy's nonce still matches (base64 holds no quote,
/// so `{{ nonce | safe }}` is safe too):
///
/// ```html
/// <script nonce="{{ nonce }}">document.body.dataset.ready = "yes";</script>
/// ```
///
/// `examples/templates.rs` renders one with Tera, and its test checks that the
/// nonce in the page is the one in the response's policy.
impl serde::Serialize for CspNonce<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

impl fmt::Display for CspNonce<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for CspNonce<'r> {
    type Error = Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Infallible> {
        Outcome::Success(CspNonce::of(req))
    }
}

/// 16 bytes from the thread-local CSPRNG (ChaCha, seeded from the OS).
fn generate() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    STANDARD.encode(bytes)
}

/// Hash sources for fixed inline scripts and styles.
///
/// ```
/// use rocket_security::csp::CspHash;
/// assert_eq!(CspHash::sha256("alert(1)"), "'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='");
/// ```
///
/// Add the result to `script-src` (or `style-src`) in `Rocket.toml`; the text
/// must match the element's content byte for byte, whitespace included.
pub struct CspHash;

impl CspHash {
    /// `'sha256-…'` of `content`.
    ///
    /// ```
    /// use rocket_security::csp::CspHash;
    /// // For <script>console.log('hi')</script>:
    /// assert_eq!(CspHash::sha256("console.log('hi')"), "'sha256-1ohZFo3B9w3UOFBbfx6JSomkpkME90iPs1r/qXzvX7Y='");
    /// ```
    pub fn sha256(content: &str) -> String {
        format!("'sha256-{}'", STANDARD.encode(Sha256::digest(content.as_bytes())))
    }

    /// `'sha384-…'` of `content`.
    ///
    /// ```
    /// use rocket_security::csp::CspHash;
    /// assert_eq!(
    ///     CspHash::sha384("console.log('hi')"),
    ///     "'sha384-c23foA8LVWSqmGoVRqUsf5lASwN8unYNRr8qJuhkkWwU4ICLN6WArwfv+Tb+yBxn'"
    /// );
    /// ```
    pub fn sha384(content: &str) -> String {
        format!("'sha384-{}'", STANDARD.encode(Sha384::digest(content.as_bytes())))
    }

    /// `'sha512-…'` of `content`.
    ///
    /// ```
    /// use rocket_security::csp::CspHash;
    /// assert_eq!(
    ///     CspHash::sha512("console.log('hi')"),
    ///     "'sha512-u+bzW6Mip9yk6XeFcPCZP/HdG7X+vW1oV4BxZ9/nBOBkFzuffi1CozK6421X2xhuN7OtRltfs0GsYRGBsp0fyw=='"
    /// );
    /// ```
    pub fn sha512(content: &str) -> String {
        format!("'sha512-{}'", STANDARD.encode(Sha512::digest(content.as_bytes())))
    }
}
