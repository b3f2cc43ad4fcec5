//! The ingest function's configuration, read from the environment once per cold start, and the
//! app's client secret, read once from the vault.

use crate::ports::{SecretVault, VaultError};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {name} is required")]
    Missing { name: &'static str },
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// Where HubSpot reaches us: scheme, host and any path prefix in front of the routes the router
/// sees (a custom domain's base path, say). Webhook signatures cover this URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicBaseUrl(String);

impl PublicBaseUrl {
    pub fn parse(value: &str) -> Result<Self, String> {
        let url = Url::parse(value.trim()).map_err(|e| e.to_string())?;
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
}

impl IngestConfig {
    /// The variables it reads (the SAM template must set each of them).
    pub const ENV_VARS: &'static [&'static str] = &[
        "TABLE_NAME",
        "EVENT_BUS_NAME",
        "HUBSPOT_APP_SECRET_ID",
        "PUBLIC_BASE_URL",
    ];

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let required = |name: &'static str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .ok_or(ConfigError::Missing { name })
        };
        let public_base_url =
            PublicBaseUrl::parse(&required("PUBLIC_BASE_URL")?).map_err(|reason| {
                ConfigError::Invalid {
                    name: "PUBLIC_BASE_URL",
                    reason,
                }
            })?;
        Ok(Self {
            table_name: required("TABLE_NAME")?,
            event_bus_name: required("EVENT_BUS_NAME")?,
            hubspot_app_secret_id: required("HUBSPOT_APP_SECRET_ID")?,
            public_base_url,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppSecretError {
    #[error("reading the app secret failed: {0}")]
    Vault(#[from] VaultError),
    /// The message names the problem, never the value.
    #[error("the app secret is not JSON {{client_id, client_secret}}: {0}")]
    Malformed(String),
}

/// The HubSpot app's client secret: the key of webhook signatures.
pub async fn load_client_secret(
    vault: &dyn SecretVault,
    secret_id: &str,
) -> Result<SecretString, AppSecretError> {
    let secret = vault.get(secret_id).await?;
    client_secret_from_json(&secret.value)
}

fn client_secret_from_json(value: &SecretString) -> Result<SecretString, AppSecretError> {
    #[derive(Deserialize)]
    struct AppCredentials {
        client_secret: String,
    }
    // serde_json's messages can quote the value, so only its category and position are kept.
    let credentials: AppCredentials = serde_json::from_str(value.expose_secret()).map_err(|e| {
        AppSecretError::Malformed(format!(
            "{:?} error at line {} column {}",
            e.classify(),
            e.line(),
            e.column()
        ))
    })?;
    if credentials.client_secret.trim().is_empty() {
        return Err(AppSecretError::Malformed(
            "client_secret is empty".to_string(),
        ));
    }
    Ok(SecretString::from(credentials.client_secret))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    const COMPLETE: [(&str, &str); 4] = [
        ("TABLE_NAME", "ci"),
        ("EVENT_BUS_NAME", "ci-bus"),
        ("HUBSPOT_APP_SECRET_ID", "ci/app"),
        ("PUBLIC_BASE_URL", "https://hooks.example.com/prod/"),
    ];

    #[test]
    fn reads_every_variable_and_trims_the_base_url() {
        let config = IngestConfig::from_lookup(env(&COMPLETE)).unwrap();
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
        let asked = std::sync::Mutex::new(Vec::new());
        IngestConfig::from_lookup(|name| {
            asked.lock().unwrap().push(name.to_string());
            env(&COMPLETE)(name)
        })
        .unwrap();
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
            IngestConfig::from_lookup(env(&without_bus)),
            Err(ConfigError::Missing {
                name: "EVENT_BUS_NAME"
            })
        );
        let mut bad_url = COMPLETE.to_vec();
        bad_url[3] = ("PUBLIC_BASE_URL", "ftp://hooks.example.com");
        assert!(matches!(
            IngestConfig::from_lookup(env(&bad_url)),
            Err(ConfigError::Invalid {
                name: "PUBLIC_BASE_URL",
                ..
            })
        ));
    }

    #[test]
    fn client_secret_comes_from_the_app_credentials_json() {
        let secret = client_secret_from_json(&SecretString::from(
            r#"{"client_id":"id","client_secret":"s3cret"}"#.to_string(),
        ))
        .unwrap();
        assert_eq!(secret.expose_secret(), "s3cret");
    }

    #[test]
    fn malformed_credentials_are_refused_without_echoing_them() {
        let error = client_secret_from_json(&SecretString::from(
            r#"{"client_id":"id","secret":"leaky-value"}"#.to_string(),
        ))
        .unwrap_err();
        assert!(matches!(error, AppSecretError::Malformed(_)));
        assert!(!error.to_string().contains("leaky-value"));
        let wrong_type = client_secret_from_json(&SecretString::from(
            r#"{"client_id":"id","client_secret":["leaky-value"]}"#.to_string(),
        ))
        .unwrap_err();
        assert!(!wrong_type.to_string().contains("leaky-value"));
    }
}
