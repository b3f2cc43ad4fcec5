//! The ingest function: HubSpot webhooks in (`POST /webhooks/hubspot`), one targeted
//! `SyncRequested` per tenant out. The app's client secret, the webhooks' signing key, is read once
//! per cold start.

use crate::config::{Env, IngestConfig};
use crate::ingest::{router, IngestState};
use crate::wiring::clients::{app_credentials, dynamo_store, event_bus, secret_vault};
use crate::wiring::StartupError;

/// Reads the environment and the app secret, and serves API Gateway's requests.
pub async fn serve() -> Result<(), StartupError> {
    let state = build(IngestConfig::from_env(&Env::process())?).await?;
    lambda_http::run(router(state))
        .await
        .map_err(StartupError::Runtime)
}

pub async fn build(config: IngestConfig) -> Result<IngestState, StartupError> {
    let aws = crate::aws::sdk_config().await;
    let app = app_credentials(secret_vault(&aws).as_ref(), &config.hubspot_app_secret_id).await?;
    Ok(IngestState::new(
        dynamo_store(&aws, config.table_name),
        event_bus(&aws, config.event_bus_name),
        app.client_secret,
        config.public_base_url,
    ))
}
