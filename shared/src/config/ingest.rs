//! The ingest function's environment (the app's client secret itself comes from
//! [`crate::sources::hubspot::AppCredentials`]).

use crate::config::common::{EVENT_BUS_NAME, PUBLIC_BASE_URL, TABLE_NAME};
use crate::config::hubspot::{app_secret_id, HUBSPOT_APP_SECRET_ID};
use crate::config::paypal::{self, PAYPAL_API_BASE_URL};
use crate::config::sources::{
    AccountHosts, M365_API_BASE_URL, NINJAONE_API_BASE_URL, PAX8_API_BASE_URL,
};
use crate::config::{ConfigError, Env};
use url::Url;

/// Where HubSpot reaches us: scheme, host and any path prefix in front of the routes the router
/// sees (a custom domain's base path, say). Webhook signatures cover this URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicBaseUrl(String);

impl PublicBaseUrl {
    pub fn parse(value: &str) -> Result<Self, String> {
        let url = Url::parse(value.trim()).map_err(|e| e.to_string())?;
        Self::from_url(&url)
    }

    fn from_url(url: &Url) -> Result<Self, String> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err("must be an http or https URL".to_string());
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err("must not carry a query or fragment".to_string());
        }
        Ok(Self(url.as_str().trim_end_matches('/').to_string()))
    }

    /// Without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Everything the ingest Lambda reads from its environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestConfig {
    pub table_name: String,
    pub event_bus_name: String,
    /// Secrets Manager id of the app's `{client_id, client_secret}`.
    pub hubspot_app_secret_id: String,
    pub public_base_url: PublicBaseUrl,
    /// One host for every PayPal connection (a simulator's); `None`: PayPal's own.
    pub paypal_api_base_url: Option<Url>,
    /// Host overrides of NinjaOne, Pax8 and Microsoft 365 (simulators).
    pub account_hosts: AccountHosts,
}

impl IngestConfig {
    /// The variables it reads (the SAM template must set each of them).
    pub const ENV_VARS: &'static [&'static str] = &[
        TABLE_NAME,
        EVENT_BUS_NAME,
        HUBSPOT_APP_SECRET_ID,
        PUBLIC_BASE_URL,
        PAYPAL_API_BASE_URL,
        NINJAONE_API_BASE_URL,
        PAX8_API_BASE_URL,
        M365_API_BASE_URL,
    ];

    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        let public_base_url =
            PublicBaseUrl::from_url(&env.url(PUBLIC_BASE_URL, None)?).map_err(|reason| {
                ConfigError::Invalid {
                    name: PUBLIC_BASE_URL,
                    reason,
                }
            })?;
        Ok(Self {
            table_name: env.required(TABLE_NAME)?,
            event_bus_name: env.required(EVENT_BUS_NAME)?,
            hubspot_app_secret_id: app_secret_id(env)?,
            public_base_url,
            paypal_api_base_url: paypal::api_base_url(env)?,
            account_hosts: AccountHosts::from_env(env)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::Mutex;

    const COMPLETE: [(&str, &str); 4] = [
        ("TABLE_NAME", "ci"),
        ("EVENT_BUS_NAME", "ci-bus"),
        ("HUBSPOT_APP_SECRET_ID", "ci/app"),
        ("PUBLIC_BASE_URL", "https://hooks.example.com/prod/"),
    ];

    fn read(pairs: &[(&str, &str)]) -> Result<IngestConfig, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        IngestConfig::from_env(&Env::new(move |name: &str| map.get(name).cloned()))
    }

    #[test]
    fn reads_every_variable_and_trims_the_base_url() {
        let config = read(&COMPLETE).unwrap();
        assert_eq!(config.table_name, "ci");
        assert_eq!(config.event_bus_name, "ci-bus");
        assert_eq!(config.hubspot_app_secret_id, "ci/app");
        assert_eq!(
            config.public_base_url.as_str(),
            "https://hooks.example.com/prod"
        );
    }

    #[test]
    fn reads_exactly_the_listed_variables() {
        let asked = Mutex::new(Vec::new());
        let env = Env::new(|name: &str| {
            asked.lock().unwrap().push(name.to_string());
            COMPLETE
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        });
        IngestConfig::from_env(&env).unwrap();
        let mut asked = asked.into_inner().unwrap();
        asked.sort();
        let mut listed: Vec<String> = IngestConfig::ENV_VARS
            .iter()
            .map(|v| v.to_string())
            .collect();
        listed.sort();
        assert_eq!(asked, listed);
    }

    #[test]
    fn names_the_missing_or_invalid_variable() {
        let without_bus: Vec<_> = COMPLETE
            .into_iter()
            .filter(|(k, _)| *k != "EVENT_BUS_NAME")
            .collect();
        assert_eq!(
            read(&without_bus),
            Err(ConfigError::Missing {
                name: "EVENT_BUS_NAME"
            })
        );
        for bad in ["ftp://hooks.example.com", "https://hooks.example.com/?a=b"] {
            let mut bad_url = COMPLETE.to_vec();
            bad_url[3] = ("PUBLIC_BASE_URL", bad);
            assert!(
                matches!(
                    read(&bad_url),
                    Err(ConfigError::Invalid {
                        name: "PUBLIC_BASE_URL",
                        ..
                    })
                ),
                "{bad}"
            );
        }
    }
}
