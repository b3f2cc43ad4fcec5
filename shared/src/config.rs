//! Reading function configuration from the environment: once per cold start, with errors that name
//! the variable.

use url::Url;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {name} is required")]
    Missing { name: &'static str },
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// A view of the environment (the process's, or a map in tests).
pub struct Env<F> {
    lookup: F,
}

impl Env<fn(&str) -> Option<String>> {
    pub fn process() -> Self {
        fn var(name: &str) -> Option<String> {
            std::env::var(name).ok()
        }
        Env { lookup: var }
    }
}

impl<F: Fn(&str) -> Option<String>> Env<F> {
    pub fn new(lookup: F) -> Self {
        Env { lookup }
    }

    /// The trimmed value; empty counts as absent.
    pub fn optional(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    pub fn required(&self, name: &'static str) -> Result<String, ConfigError> {
        self.optional(name).ok_or(ConfigError::Missing { name })
    }

    /// An http(s) URL, or `default` when absent.
    pub fn url(&self, name: &'static str, default: Option<&str>) -> Result<Url, ConfigError> {
        let value = match (self.optional(name), default) {
            (Some(v), _) => v,
            (None, Some(d)) => d.to_string(),
            (None, None) => return Err(ConfigError::Missing { name }),
        };
        let parsed = Url::parse(&value).map_err(|e| ConfigError::Invalid {
            name,
            reason: e.to_string(),
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ConfigError::Invalid {
                name,
                reason: "must be an http or https URL".to_string(),
            });
        }
        Ok(parsed)
    }
}

/// The sync function's environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncConfig {
    pub table_name: String,
    pub event_bus_name: String,
    /// Secrets Manager id of the HubSpot app's `{client_id, client_secret}` (to refresh tokens).
    pub hubspot_app_secret_id: String,
    pub hubspot_api_base_url: Url,
}

impl SyncConfig {
    /// The variables it reads (checked against the SAM template in CI).
    pub const ENV_VARS: &'static [&'static str] = &[
        "TABLE_NAME",
        "EVENT_BUS_NAME",
        "HUBSPOT_APP_SECRET_ID",
        "HUBSPOT_API_BASE_URL",
    ];

    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: env.required("TABLE_NAME")?,
            event_bus_name: env.required("EVENT_BUS_NAME")?,
            hubspot_app_secret_id: env.required("HUBSPOT_APP_SECRET_ID")?,
            hubspot_api_base_url: env.url(
                "HUBSPOT_API_BASE_URL",
                Some(crate::sources::hubspot::api::DEFAULT_API_BASE_URL),
            )?,
        })
    }
}

/// The score function's environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreConfig {
    pub table_name: String,
    pub event_bus_name: String,
}

impl ScoreConfig {
    pub const ENV_VARS: &'static [&'static str] = &["TABLE_NAME", "EVENT_BUS_NAME"];

    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: env.required("TABLE_NAME")?,
            event_bus_name: env.required("EVENT_BUS_NAME")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> Env<impl Fn(&str) -> Option<String>> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Env::new(move |name: &str| map.get(name).cloned())
    }

    #[test]
    fn sync_config_names_the_missing_variable_and_defaults_the_api_url() {
        let err = SyncConfig::from_env(&env(&[("TABLE_NAME", "t")])).unwrap_err();
        assert_eq!(
            err,
            ConfigError::Missing {
                name: "EVENT_BUS_NAME"
            }
        );
        let config = SyncConfig::from_env(&env(&[
            ("TABLE_NAME", "t"),
            ("EVENT_BUS_NAME", "b"),
            ("HUBSPOT_APP_SECRET_ID", "app"),
        ]))
        .unwrap();
        assert_eq!(
            config.hubspot_api_base_url.as_str(),
            "https://api.hubapi.com/"
        );
    }

    #[test]
    fn urls_must_be_http() {
        let err = SyncConfig::from_env(&env(&[
            ("TABLE_NAME", "t"),
            ("EVENT_BUS_NAME", "b"),
            ("HUBSPOT_APP_SECRET_ID", "app"),
            ("HUBSPOT_API_BASE_URL", "ftp://x"),
        ]))
        .unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid {
                name: "HUBSPOT_API_BASE_URL",
                ..
            }
        ));
        let blank = env(&[("TABLE_NAME", "  ")]);
        assert_eq!(blank.optional("TABLE_NAME"), None);
    }
}
