//! The notify function's environment: where its data is, the dashboard's address (for the links in
//! alerts), the SES identity alert emails come from, and the HubSpot app (the write-back refreshes
//! tenants' tokens with it).

use crate::config::alerts::{
    alert_email_from, allow_local_http_channels, ALERT_CHANNELS_ALLOW_LOCAL_HTTP, ALERT_EMAIL_FROM,
};
use crate::config::common::{PUBLIC_BASE_URL, TABLE_NAME};
use crate::config::hubspot::{
    api_base_url, app_secret_id, HUBSPOT_API_BASE_URL, HUBSPOT_APP_SECRET_ID,
};
use crate::config::{ConfigError, Env, PublicBaseUrl};
use url::Url;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyConfig {
    pub table_name: String,
    /// Where people reach the dashboard (its pages are under `<base>/`), for the links in alerts.
    pub public_base_url: PublicBaseUrl,
    pub alert_email_from: Option<String>,
    /// Channel URLs may be plain http on this machine (local runner, system test).
    pub allow_local_http_channels: bool,
    /// Secrets Manager id of the app's `{client_id, client_secret}` (token refresh).
    pub hubspot_app_secret_id: String,
    pub hubspot_api_base_url: Url,
}

impl NotifyConfig {
    /// The variables it reads (the SAM template must set each of them).
    pub const ENV_VARS: &'static [&'static str] = &[
        TABLE_NAME,
        PUBLIC_BASE_URL,
        ALERT_EMAIL_FROM,
        ALERT_CHANNELS_ALLOW_LOCAL_HTTP,
        HUBSPOT_APP_SECRET_ID,
        HUBSPOT_API_BASE_URL,
    ];

    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        let public_base_url = env.url(PUBLIC_BASE_URL, None)?;
        let public_base_url = PublicBaseUrl::parse(public_base_url.as_str()).map_err(|reason| {
            ConfigError::Invalid {
                name: PUBLIC_BASE_URL,
                reason,
            }
        })?;
        Ok(Self {
            table_name: env.required(TABLE_NAME)?,
            public_base_url,
            alert_email_from: alert_email_from(env)?,
            allow_local_http_channels: allow_local_http_channels(env)?,
            hubspot_app_secret_id: app_secret_id(env)?,
            hubspot_api_base_url: api_base_url(env)?,
        })
    }

    /// The dashboard's own address (the api serves it at `<base>/`).
    pub fn dashboard_url(&self) -> String {
        format!("{}/", self.public_base_url.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::env;

    const COMPLETE: [(&str, &str); 4] = [
        ("TABLE_NAME", "ci"),
        ("PUBLIC_BASE_URL", "https://insights.example.com/"),
        ("HUBSPOT_APP_SECRET_ID", "ci/app"),
        ("ALERT_EMAIL_FROM", "alerts@example.com"),
    ];

    #[test]
    fn reads_every_variable_with_defaults_for_the_optional_ones() {
        let config = NotifyConfig::from_env(&env(&COMPLETE)).unwrap();
        assert_eq!(config.table_name, "ci");
        assert_eq!(config.dashboard_url(), "https://insights.example.com/");
        assert_eq!(
            config.alert_email_from.as_deref(),
            Some("alerts@example.com")
        );
        assert_eq!(
            config.hubspot_api_base_url.as_str(),
            "https://api.hubapi.com/"
        );
        let without_email = NotifyConfig::from_env(&env(&COMPLETE[..3])).unwrap();
        assert_eq!(without_email.alert_email_from, None);
    }

    #[test]
    fn a_missing_table_or_a_bad_sender_names_the_variable() {
        assert_eq!(
            NotifyConfig::from_env(&env(&COMPLETE[1..])),
            Err(ConfigError::Missing { name: "TABLE_NAME" })
        );
        let mut bad = COMPLETE;
        bad[3] = ("ALERT_EMAIL_FROM", "alerts");
        assert!(matches!(
            NotifyConfig::from_env(&env(&bad)),
            Err(ConfigError::Invalid {
                name: "ALERT_EMAIL_FROM",
                ..
            })
        ));
    }
}
