//! The api Lambda: the HTTP API and dashboard behind API Gateway. Reads its configuration once per
//! cold start, builds the AWS clients once, and serves the router from `shared::api`.

use shared::api::{router, ApiFunctionConfig, ApiState, Authenticator};
use shared::bus::EventBridgeBus;
use shared::store::DynamoStore;
use shared::vault::SecretsManagerVault;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let config = ApiFunctionConfig::from_env().unwrap_or_else(|error| {
        tracing::error!(%error, "invalid configuration");
        std::process::exit(2)
    });
    let aws = shared::aws::sdk_config().await;
    let state = ApiState::new(
        Arc::new(DynamoStore::new(
            aws_sdk_dynamodb::Client::new(&aws),
            config.table_name,
        )),
        Arc::new(EventBridgeBus::from_config(&aws, config.event_bus_name)),
        Arc::new(SecretsManagerVault::from_config(&aws)),
        config.api.clone(),
        Authenticator::api_gateway(config.api.tenant_claim),
    );
    lambda_http::run(router(state)).await
}
