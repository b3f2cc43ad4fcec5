//! The ingest Lambda: HubSpot webhooks in (`POST /webhooks/hubspot`), one targeted `SyncRequested`
//! per tenant out. Reads its configuration and the app's client secret once per cold start; the
//! router and everything it does live in `shared::ingest`.

use shared::bus::EventBridgeBus;
use shared::config::Env;
use shared::ingest::{router, IngestConfig, IngestState};
use shared::sources::hubspot::AppCredentials;
use shared::store::DynamoStore;
use shared::vault::SecretsManagerVault;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let config = IngestConfig::from_env(&Env::process())?;
    let aws = shared::aws::sdk_config().await;
    let vault = SecretsManagerVault::from_config(&aws);
    let app = AppCredentials::load(&vault, &config.hubspot_app_secret_id).await?;
    let state = IngestState::new(
        Arc::new(DynamoStore::new(
            aws_sdk_dynamodb::Client::new(&aws),
            config.table_name,
        )),
        Arc::new(EventBridgeBus::from_config(&aws, config.event_bus_name)),
        app.client_secret,
        config.public_base_url,
    );
    lambda_http::run(router(state)).await
}
