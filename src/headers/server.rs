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

/// Read from `false`, `true` or a string (`security.server_header`).
///
/// ```
/// use rocket::figment::Figment;
/// use rocket_security::headers::ServerHeader;
///
/// let figment = Figment::new().merge(("server_header", "Acme"));
/// assert_eq!(figment.extract_inner::<ServerHeader>("server_header").unwrap(), ServerHeader::Custom("Acme".into()));
/// ```
impl<'de> serde::Deserialize<'de> for ServerHeader {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use rocket::figment::value::Value;
        crate::core::config::shaped(d, |v| match v {
            Value::Bool(_, false) => Ok(ServerHeader::Hidden),
            Value::Bool(_, true) => Ok(ServerHeader::Rocket),
            Value::String(_, s) => Ok(ServerHeader::Custom(s.clone())),
            v => Err(format!(
                "expected false (no header), true (Rocket's ident) or a string, found {}",
                crate::core::config::describe(v)
            )),
        })
    }
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
