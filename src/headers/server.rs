//! Rocket's `Server` response header (`security.server_header`).

use rocket::{Build, Rocket};

use crate::core::part::Part;

/// What to do with Rocket's `Server` response header.
///
/// ```toml
/// [default.security]
/// server_header = false   # false: no Server header; true: Rocket's `ident`; "name": that value
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ServerHeader {
    /// Send no `Server` header (OWASP: don't advertise the stack). The default.
    #[default]
    Hidden,
    /// Leave Rocket's `ident` setting alone (`Server: Rocket` unless configured).
    Rocket,
    /// Send this value.
    Custom(String),
}

/// Sets Rocket's `ident` at ignite.
pub(crate) struct Ident(pub(crate) ServerHeader);

impl Part for Ident {
    fn ignite(&self, rocket: Rocket<Build>) -> Rocket<Build> {
        let ident = match &self.0 {
            ServerHeader::Hidden => Some(rocket::config::Ident::none()),
            ServerHeader::Rocket => None,
            ServerHeader::Custom(v) => rocket::config::Ident::try_new(v.clone()).ok(),
        };
        match ident {
            Some(ident) => {
                let figment = rocket.figment().clone().merge(("ident", ident));
                rocket.configure(figment)
            }
            None => rocket,
        }
    }
}
