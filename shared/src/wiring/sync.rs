//! The sync function: the schedule's fan-out and one tenant's or connection's sync, with the AWS
//! clients, the HubSpot source factory and the other platforms' factories built once.

use crate::bus::EventBridgeBus;
use crate::config::sync::PAYER_EMAIL_KEY_SECRET_ID;
use crate::config::{Env, SyncConfig};
use crate::domain::Platform;
use crate::handlers::lambda::SyncFunction;
use crate::ports::{ConnectionSources, SecretVault};
use crate::store::DynamoStore;
use crate::wiring::clients::{
    dynamo_store, event_bus, hubspot_sources, object_store, paypal_sources, secret_vault,
    with_account_sources,
};
use crate::wiring::StartupError;
use lambda_runtime::{service_fn, LambdaEvent};
use secrecy::ExposeSecret;
use serde_json::Value;
use std::sync::Arc;

/// Reads the environment, builds the function and serves Lambda's invocations.
pub async fn serve() -> Result<(), StartupError> {
    let function = build(SyncConfig::from_env(&Env::process())?).await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        function.handle(event)
    }))
    .await
    .map_err(StartupError::Runtime)
}

/// The AWS clients and the HubSpot sources (which refresh OAuth tokens with the app's credentials).
pub async fn build(
    config: SyncConfig,
) -> Result<SyncFunction<DynamoStore, EventBridgeBus>, StartupError> {
    let aws = crate::aws::sdk_config().await;
    let store = dynamo_store(&aws, config.table_name);
    let vault = secret_vault(&aws);
    let sources = Arc::new(
        hubspot_sources(
            vault.clone(),
            store.clone(),
            &config.hubspot_app_secret_id,
            &config.hubspot_api_base_url,
        )
        .await?,
    );
    // PayPal connections sync only where the payer-email key is configured (see `config::paypal`).
    let mut connections = ConnectionSources::new();
    if let Some(secret_id) = &config.payer_email_key_secret_id {
        let key = payer_email_key(vault.as_ref(), secret_id).await?;
        let paypal = paypal_sources(vault.clone(), config.paypal_api_base_url.as_ref(), &key)?;
        connections = connections.with_payments(Platform::Paypal, paypal);
    }
    let connections = with_account_sources(connections, vault.clone(), &config.account_hosts)?;
    Ok(SyncFunction {
        store,
        bus: event_bus(&aws, config.event_bus_name),
        sources,
        connections,
        vault,
        objects: config
            .export_bucket_name
            .map(|bucket| object_store(&aws, bucket)),
        schedule: config.schedule_ticks,
    })
}

/// The key payer emails are hashed with, from its secret.
async fn payer_email_key(
    vault: &dyn SecretVault,
    secret_id: &str,
) -> Result<Vec<u8>, StartupError> {
    let key = vault
        .get(secret_id)
        .await
        .map_err(|e| StartupError::Secret {
            variable: PAYER_EMAIL_KEY_SECRET_ID,
            secret_id: secret_id.to_string(),
            message: e.to_string(),
        })?;
    Ok(key.value.expose_secret().trim().as_bytes().to_vec())
}
