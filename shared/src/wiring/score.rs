//! The score function: one tenant's scores from its stored snapshots.

use crate::bus::EventBridgeBus;
use crate::config::{Env, ScoreConfig};
use crate::handlers::lambda::ScoreFunction;
use crate::store::DynamoStore;
use crate::wiring::clients::{dynamo_store, event_bus, object_store};
use crate::wiring::StartupError;
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

/// Reads the environment, builds the function and serves Lambda's invocations.
pub async fn serve() -> Result<(), StartupError> {
    let function = build(ScoreConfig::from_env(&Env::process())?).await;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        function.handle(event)
    }))
    .await
    .map_err(StartupError::Runtime)
}

pub async fn build(config: ScoreConfig) -> ScoreFunction<DynamoStore, EventBridgeBus> {
    let aws = crate::aws::sdk_config().await;
    ScoreFunction {
        store: dynamo_store(&aws, config.table_name),
        bus: event_bus(&aws, config.event_bus_name),
        objects: config
            .export_bucket_name
            .map(|bucket| object_store(&aws, bucket)),
    }
}
