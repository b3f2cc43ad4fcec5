//! The sync function's environment.

use crate::config::common::{EVENT_BUS_NAME, EXPORT_BUCKET_NAME, TABLE_NAME};
use crate::config::hubspot::{
    api_base_url, app_secret_id, HUBSPOT_API_BASE_URL, HUBSPOT_APP_SECRET_ID,
};
use crate::config::paypal::{self, PAYPAL_API_BASE_URL};
use crate::config::sources::{
    AccountHosts, M365_API_BASE_URL, NINJAONE_API_BASE_URL, PAX8_API_BASE_URL,
};
use crate::config::{ConfigError, Env};
use crate::domain::schedule_slot::ScheduleTicks;
use url::Url;

/// Secrets Manager id of the key payer emails are hashed with: emails are kept as keyed hashes, never
/// in clear, and the key stays out of the table. Empty: PayPal connections are not synced.
pub const PAYER_EMAIL_KEY_SECRET_ID: &str = "PAYER_EMAIL_KEY_SECRET_ID";

/// The schedule rule's expression (the template passes its `SyncScheduleExpression`): its ticks
/// spread each tenant's syncs over its interval. Absent or a cron: every tenant at every tick.
pub const SYNC_SCHEDULE_EXPRESSION: &str = "SYNC_SCHEDULE_EXPRESSION";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncConfig {
    pub table_name: String,
    pub event_bus_name: String,
    /// Secrets Manager id of the HubSpot app's `{client_id, client_secret}` (to refresh tokens).
    pub hubspot_app_secret_id: String,
    pub hubspot_api_base_url: Url,
    /// One host for every PayPal connection (a simulator's); `None`: PayPal's own.
    pub paypal_api_base_url: Option<Url>,
    /// Secrets Manager id of the payer-email hashing key; `None`: PayPal connections are not synced.
    pub payer_email_key_secret_id: Option<String>,
    /// Host overrides of NinjaOne, Pax8 and Microsoft 365 (simulators); `None`: their own.
    pub account_hosts: AccountHosts,
    /// The export bucket, whose tenant objects a tenant erasure deletes; `None` fails tenant erasures.
    pub export_bucket_name: Option<String>,
    /// The schedule's ticks, which the fan-out spreads tenants over.
    pub schedule_ticks: ScheduleTicks,
}

impl SyncConfig {
    /// The variables it reads (checked against the SAM template in CI).
    pub const ENV_VARS: &'static [&'static str] = &[
        TABLE_NAME,
        EVENT_BUS_NAME,
        HUBSPOT_APP_SECRET_ID,
        HUBSPOT_API_BASE_URL,
        PAYPAL_API_BASE_URL,
        PAYER_EMAIL_KEY_SECRET_ID,
        NINJAONE_API_BASE_URL,
        PAX8_API_BASE_URL,
        M365_API_BASE_URL,
        EXPORT_BUCKET_NAME,
        SYNC_SCHEDULE_EXPRESSION,
    ];

    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: env.required(TABLE_NAME)?,
            event_bus_name: env.required(EVENT_BUS_NAME)?,
            hubspot_app_secret_id: app_secret_id(env)?,
            hubspot_api_base_url: api_base_url(env)?,
            paypal_api_base_url: paypal::api_base_url(env)?,
            payer_email_key_secret_id: env.optional(PAYER_EMAIL_KEY_SECRET_ID),
            account_hosts: AccountHosts::from_env(env)?,
            export_bucket_name: env.optional(EXPORT_BUCKET_NAME),
            schedule_ticks: env
                .optional(SYNC_SCHEDULE_EXPRESSION)
                .map_or(ScheduleTicks::EVERY_TICK, |e| {
                    ScheduleTicks::of_expression(&e)
                }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::env;

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
        assert_eq!(config.account_hosts, AccountHosts::default());
        assert_eq!(config.schedule_ticks, ScheduleTicks::EVERY_TICK);
        let spread = SyncConfig::from_env(&env(&[
            ("TABLE_NAME", "t"),
            ("EVENT_BUS_NAME", "b"),
            ("HUBSPOT_APP_SECRET_ID", "app"),
            ("SYNC_SCHEDULE_EXPRESSION", "rate(5 minutes)"),
        ]))
        .unwrap();
        assert_eq!(spread.schedule_ticks.tick_minutes, Some(5));
        for name in AccountHosts::ENV_VARS {
            assert!(SyncConfig::ENV_VARS.contains(&name), "{name} is listed");
        }
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
    }
}
