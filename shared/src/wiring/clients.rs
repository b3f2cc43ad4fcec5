//! The clients the functions build, one function each, so that a function's code reaches only the
//! clients it builds (the template test derives each role's AWS actions and variables from what a
//! function's code reaches).

use crate::bus::EventBridgeBus;
use crate::config::hubspot::HUBSPOT_APP_SECRET_ID;
use crate::config::sources::AccountHosts;
use crate::objects::{s3_client, S3ObjectStore};
use crate::ports::ConnectionSources;
use crate::ports::ObjectStore;
use crate::ports::SecretVault;
use crate::sources::http_retry::default_http_client;
use crate::sources::hubspot::{
    AppCredentials, HubSpotClient, HubSpotSources, OAuthApp, OAuthClient,
};
use crate::sources::m365::M365Sources;
use crate::sources::ninjaone::NinjaoneSources;
use crate::sources::pax8::Pax8Sources;
use crate::sources::paypal::PaypalSources;
use crate::store::DynamoStore;
use crate::vault::SecretsManagerVault;
use crate::wiring::StartupError;
use aws_config::SdkConfig;
use std::sync::Arc;

pub(super) fn dynamo_store(aws: &SdkConfig, table_name: String) -> Arc<DynamoStore> {
    Arc::new(DynamoStore::new(
        aws_sdk_dynamodb::Client::new(aws),
        table_name,
    ))
}

pub(super) fn event_bus(aws: &SdkConfig, event_bus_name: String) -> Arc<EventBridgeBus> {
    Arc::new(EventBridgeBus::from_config(aws, event_bus_name))
}

/// The export bucket.
pub(super) fn object_store(aws: &SdkConfig, bucket: String) -> Arc<dyn ObjectStore> {
    Arc::new(S3ObjectStore::new(s3_client(aws), bucket))
}

pub(super) fn secret_vault(aws: &SdkConfig) -> Arc<SecretsManagerVault> {
    Arc::new(SecretsManagerVault::from_config(aws))
}

/// The HubSpot app's credentials; a missing, unreadable, malformed or placeholder secret stops the
/// start with the secret's id and the variable that names it.
pub(super) async fn app_credentials(
    vault: &dyn SecretVault,
    secret_id: &str,
) -> Result<AppCredentials, StartupError> {
    AppCredentials::load(vault, secret_id)
        .await
        .map_err(|source| StartupError::AppSecret {
            variable: HUBSPOT_APP_SECRET_ID,
            secret_id: secret_id.to_string(),
            source,
        })
}

/// The HubSpot sources of the tenants' portals, refreshing OAuth tokens with the app's credentials
/// (read from `app_secret_id`).
pub(super) async fn hubspot_sources(
    vault: Arc<SecretsManagerVault>,
    store: Arc<DynamoStore>,
    app_secret_id: &str,
    api_base_url: &url::Url,
) -> Result<HubSpotSources<DynamoStore>, StartupError> {
    let app = app_credentials(vault.as_ref(), app_secret_id).await?;
    let http = HubSpotClient::default_http().map_err(|e| StartupError::Http(e.to_string()))?;
    let api_base = api_base_url.as_str().trim_end_matches('/');
    let oauth = OAuthClient::new(
        http.clone(),
        api_base,
        Arc::new(OAuthApp::for_refresh(app)),
        Default::default(),
    );
    Ok(HubSpotSources::new(
        http,
        api_base,
        Some(oauth),
        vault,
        store,
    ))
}

/// The PayPal sources: every PayPal connection's client, built from its secret on first use.
/// `email_key` hashes payer emails; only syncs read payers, so the api and ingest give none.
pub(super) fn paypal_sources(
    vault: Arc<dyn SecretVault>,
    base_url: Option<&url::Url>,
    email_key: &[u8],
) -> Result<Arc<PaypalSources>, StartupError> {
    let http = default_http_client().map_err(|e| StartupError::Http(e.to_string()))?;
    let mut sources = PaypalSources::new(http, vault, email_key);
    if let Some(url) = base_url {
        sources = sources.with_base_url(url.as_str().trim_end_matches('/'));
    }
    Ok(Arc::new(sources))
}

/// `sources` with the account-like platforms added (NinjaOne, Pax8, Microsoft 365), each sent to
/// its host override when one is set. They need no key of their own, so every function that meets
/// connections can reach them.
pub(super) fn with_account_sources(
    sources: ConnectionSources,
    vault: Arc<dyn SecretVault>,
    hosts: &AccountHosts,
) -> Result<ConnectionSources, StartupError> {
    let http = default_http_client().map_err(|e| StartupError::Http(e.to_string()))?;
    let base = |url: &Option<url::Url>| {
        url.as_ref()
            .map(|u| u.as_str().trim_end_matches('/').to_owned())
    };
    let mut ninjaone = NinjaoneSources::new(http.clone(), vault.clone());
    if let Some(url) = base(&hosts.ninjaone) {
        ninjaone = ninjaone.with_base_url(url);
    }
    let mut pax8 = Pax8Sources::new(http.clone(), vault.clone());
    if let Some(url) = base(&hosts.pax8) {
        pax8 = pax8.with_base_url(url);
    }
    let mut m365 = M365Sources::new(http, vault);
    if let Some(url) = base(&hosts.m365) {
        m365 = m365.with_base_url(url);
    }
    Ok(sources
        .with_accounts(Arc::new(ninjaone))
        .with_accounts(Arc::new(pax8))
        .with_accounts(Arc::new(m365)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::hubspot::AppSecretError;
    use crate::vault::InProcessVault;
    use secrecy::SecretString;

    #[tokio::test]
    async fn a_placeholder_app_secret_stops_the_start_naming_the_variable() {
        let vault = InProcessVault::new();
        vault
            .create(
                "ci/app",
                &SecretString::from(r#"{"client_id":"set-me","client_secret":"set-me"}"#),
            )
            .await
            .unwrap();
        let error = app_credentials(&vault, "ci/app").await.unwrap_err();
        let message = error.to_string();
        assert!(message.contains("HUBSPOT_APP_SECRET_ID"), "{message}");
        assert!(message.contains("ci/app"), "{message}");
        assert!(message.contains("placeholder `set-me`"), "{message}");
        let missing = app_credentials(&vault, "ci/other").await.unwrap_err();
        assert!(matches!(
            missing,
            StartupError::AppSecret {
                source: AppSecretError::Vault(_),
                ..
            }
        ));
    }
}
