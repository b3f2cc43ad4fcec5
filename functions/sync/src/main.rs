use lambda_runtime::{run, service_fn, tracing, Error, LambdaEvent};
use serde_json::Value;
use shared::handlers::lambda::SyncFunction;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let function = SyncFunction::from_env().await.inspect_err(|error| {
        tracing::error!(%error, "the sync function cannot start");
    })?;
    run(service_fn(|event: LambdaEvent<Value>| {
        function.handle(event)
    }))
    .await
}
