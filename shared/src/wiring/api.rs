//! The api function: the HTTP API and dashboard behind API Gateway.

use crate::api::{router, ApiFunctionConfig, ApiState, Authenticator};
use crate::channels::{ChannelSender, SenderOptions, SesEmail, UrlPolicy};
use crate::domain::Platform;
use crate::ports::ConnectionSources;
use crate::wiring::clients::{
    dynamo_store, event_bus, object_store, paypal_sources, secret_vault, with_account_sources,
};
use crate::wiring::StartupError;
use std::sync::Arc;

/// Reads the environment, builds the router's state and serves API Gateway's requests.
pub async fn serve() -> Result<(), StartupError> {
    let state = build(ApiFunctionConfig::from_env()?).await?;
    lambda_http::run(router(state))
        .await
        .map_err(StartupError::Runtime)
}

/// The router's state: the AWS clients; the HubSpot app is read from the vault on first use, so a
/// deployment whose app secret is not set yet still serves everything but the install.
/// Credentials are checked through the platforms' sources (PayPal, NinjaOne, Pax8, Microsoft 365)
/// before a connection is saved, and NinjaOne's and Pax8's webhooks registered through them. Test
/// alerts go out through the channels' real senders (email only with `ALERT_EMAIL_FROM`).
pub async fn build(config: ApiFunctionConfig) -> Result<ApiState, StartupError> {
    let aws = crate::aws::sdk_config().await;
    let authenticator = Authenticator::api_gateway(config.api.tenant_claim.clone())
        .with_role_claim(config.api.role_claim.clone());
    let vault = secret_vault(&aws);
    let paypal = paypal_sources(vault.clone(), config.paypal_api_base_url.as_ref(), &[])?;
    let sources = with_account_sources(
        ConnectionSources::new().with_payments(Platform::Paypal, paypal),
        vault.clone(),
        &config.api.account_hosts,
    )?;
    let email = config
        .alert_email_from
        .map(|from| SesEmail::new(aws_sdk_sesv2::Client::new(&aws), from));
    let alerts = ChannelSender::new(
        vault.clone(),
        email,
        SenderOptions {
            url_policy: UrlPolicy::allowing_local_http(config.allow_local_http_channels),
            ..SenderOptions::default()
        },
    )
    .map_err(|e| StartupError::Http(e.to_string()))?;
    let objects = config
        .export_bucket_name
        .map(|bucket| object_store(&aws, bucket));
    Ok(ApiState::new(
        dynamo_store(&aws, config.table_name),
        event_bus(&aws, config.event_bus_name),
        vault,
        config.api,
        authenticator,
    )
    .with_connection_sources(sources)
    .with_object_store(objects)
    .with_alert_sender(Arc::new(alerts))
    .with_channel_urls(UrlPolicy::allowing_local_http(
        config.allow_local_http_channels,
    )))
}
