//! The ingest function: HubSpot webhooks in (`POST /webhooks/hubspot`), PayPal's, NinjaOne's and
//! Pax8's (`POST /webhooks/{platform}/{tenant}/{connection}`), one targeted
//! `SyncRequested` per tenant out. The app's client secret, the webhooks' signing key, is read once
//! per cold start.

use crate::config::{Env, IngestConfig};
use crate::domain::Platform;
use crate::ingest::{router, IngestState};
use crate::ports::ConnectionSources;
use crate::wiring::clients::{
    app_credentials, dynamo_store, event_bus, paypal_sources, secret_vault, with_account_sources,
};
use crate::wiring::StartupError;

/// Reads the environment and the app secret, and serves API Gateway's requests.
pub async fn serve() -> Result<(), StartupError> {
    let state = build(IngestConfig::from_env(&Env::process())?).await?;
    lambda_http::run(router(state))
        .await
        .map_err(StartupError::Runtime)
}

/// PayPal deliveries are verified through the PayPal sources (PayPal's verify call), NinjaOne's and
/// Pax8's through theirs (the connection's webhook secret).
pub async fn build(config: IngestConfig) -> Result<IngestState, StartupError> {
    let aws = crate::aws::sdk_config().await;
    let vault = secret_vault(&aws);
    let app = app_credentials(vault.as_ref(), &config.hubspot_app_secret_id).await?;
    let store = dynamo_store(&aws, config.table_name);
    let paypal = paypal_sources(vault.clone(), config.paypal_api_base_url.as_ref(), &[])?;
    let sources = with_account_sources(
        ConnectionSources::new().with_payments(Platform::Paypal, paypal),
        vault,
        &config.account_hosts,
    )?;
    Ok(IngestState::new(
        store.clone(),
        event_bus(&aws, config.event_bus_name),
        app.client_secret,
        config.public_base_url,
    )
    .with_connection_sources(store, sources))
}
