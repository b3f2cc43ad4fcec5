//! The hosts of the account-like platforms (NinjaOne, Pax8, Microsoft 365), which several functions
//! read (sync, api, ingest). Each is an override for tests and the local runner: empty means the
//! platform's own hosts (NinjaOne: the connection's regional host; Pax8: `api.pax8.com` and its
//! token host; Microsoft 365: `graph.microsoft.com` and `login.microsoftonline.com`).

use crate::config::{ConfigError, Env};
use url::Url;

/// One host for every NinjaOne connection, instead of its regional host (a simulator's).
pub const NINJAONE_API_BASE_URL: &str = "NINJAONE_API_BASE_URL";
/// One host for Pax8's API and token endpoints (a simulator's).
pub const PAX8_API_BASE_URL: &str = "PAX8_API_BASE_URL";
/// One host for Microsoft Graph and the Microsoft identity platform (a simulator's).
pub const M365_API_BASE_URL: &str = "M365_API_BASE_URL";

/// The host overrides of the account-like platforms; `None`: the platform's own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountHosts {
    pub ninjaone: Option<Url>,
    pub pax8: Option<Url>,
    pub m365: Option<Url>,
}

impl AccountHosts {
    /// The variables it reads.
    pub const ENV_VARS: [&'static str; 3] =
        [NINJAONE_API_BASE_URL, PAX8_API_BASE_URL, M365_API_BASE_URL];

    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        let read = |name: &'static str| match env.optional(name) {
            Some(_) => env.url(name, None).map(Some),
            None => Ok(None),
        };
        Ok(AccountHosts {
            ninjaone: read(NINJAONE_API_BASE_URL)?,
            pax8: read(PAX8_API_BASE_URL)?,
            m365: read(M365_API_BASE_URL)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::env;

    #[test]
    fn overrides_are_optional_and_must_be_http() {
        assert_eq!(
            AccountHosts::from_env(&env(&[])).unwrap(),
            AccountHosts::default()
        );
        let hosts =
            AccountHosts::from_env(&env(&[(PAX8_API_BASE_URL, "http://127.0.0.1:9")])).unwrap();
        assert_eq!(
            hosts.pax8.map(|u| u.to_string()),
            Some("http://127.0.0.1:9/".to_string())
        );
        assert!(AccountHosts::from_env(&env(&[(M365_API_BASE_URL, "ftp://x")])).is_err());
    }
}
