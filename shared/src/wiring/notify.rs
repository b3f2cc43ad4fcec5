//! The notify function: alerts to the tenants' channels (Slack, Teams, SES email, signed webhooks),
//! read from its SQS queue in batches.

use crate::channels::{ChannelSender, SenderOptions, SesEmail, UrlPolicy};
use crate::config::{Env, NotifyConfig};
use crate::handlers::notify::deliver::Pacing;
use crate::handlers::notify::function::NotifyFunction;
use crate::sources::hubspot::writeback::HubSpotWritebacks;
use crate::store::DynamoStore;
use crate::wiring::clients::{dynamo_store, hubspot_sources, secret_vault};
use crate::wiring::StartupError;
use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{service_fn, LambdaEvent};
use std::sync::Arc;

/// Reads the environment, builds the function and serves Lambda's invocations.
pub async fn serve() -> Result<(), StartupError> {
    let function = build(NotifyConfig::from_env(&Env::process())?).await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        function.handle(event)
    }))
    .await
    .map_err(StartupError::Runtime)
}

pub async fn build(config: NotifyConfig) -> Result<NotifyFunction<DynamoStore>, StartupError> {
    let aws = crate::aws::sdk_config().await;
    let email = config
        .alert_email_from
        .as_ref()
        .map(|from| SesEmail::new(aws_sdk_sesv2::Client::new(&aws), from.clone()));
    let store = dynamo_store(&aws, config.table_name.clone());
    let vault = secret_vault(&aws);
    let sender = ChannelSender::new(
        vault.clone(),
        email,
        SenderOptions {
            url_policy: UrlPolicy::allowing_local_http(config.allow_local_http_channels),
            ..SenderOptions::default()
        },
    )
    .map_err(|e| StartupError::Http(e.to_string()))?;
    // The write-back reaches HubSpot as the sync does: the tenant's tokens, refreshed with the app.
    let sources = hubspot_sources(
        vault,
        store.clone(),
        &config.hubspot_app_secret_id,
        &config.hubspot_api_base_url,
    )
    .await?;
    Ok(NotifyFunction {
        store,
        sender: Arc::new(sender),
        dashboard_url: Some(config.dashboard_url()),
        pacing: Pacing::default(),
        writebacks: Some(Arc::new(HubSpotWritebacks::new(sources))),
    })
}
