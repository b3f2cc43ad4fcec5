//! The Lambda edge of the sync and score functions: one struct per function holding the clients
//! built once per cold start, and a `handle` that decodes the event, runs the handler and reports
//! errors in a form Lambda's retries and dead-letter queues can act on.

use crate::bus::EventBridgeBus;
use crate::config::{ConfigError, Env, ScoreConfig, SyncConfig};
use crate::connector::engine::NoProgress;
use crate::handlers::route::{route_score, route_sync, Handled, Handlers, Trigger};
use crate::handlers::{parse_envelope, EventError};
use crate::ports::source::{PaymentsSourceFactory, SourceFactory};
use crate::ports::{EventBus, Store};
use crate::sources::hubspot::HubSpotSources;
use crate::sources::hubspot::{
    AppCredentials, AppSecretError, HubSpotClient, OAuthApp, OAuthClient,
};
use crate::store::DynamoStore;
use crate::vault::SecretsManagerVault;
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

pub use crate::handlers::route::FunctionError;

/// Why a function could not start. Printed once at cold start; the process then exits non-zero.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("HubSpot app credentials: {0}")]
    AppSecret(#[from] AppSecretError),
    #[error("HTTP client: {0}")]
    Http(String),
}

impl From<FunctionError> for Diagnostic {
    fn from(error: FunctionError) -> Self {
        Diagnostic {
            error_type: if error.is_retryable() {
                "Retryable".to_string()
            } else {
                "Permanent".to_string()
            },
            error_message: error.to_string(),
        }
    }
}

/// The invocation's deadline as an `Instant`, from the Runtime API's epoch milliseconds.
pub fn deadline_of(context: &lambda_runtime::Context) -> Instant {
    let left = context
        .deadline()
        .duration_since(SystemTime::now())
        .unwrap_or(Duration::ZERO);
    Instant::now() + left
}

/// The sync function: the schedule's fan-out and one tenant's sync.
pub struct SyncFunction<S: ?Sized, B: ?Sized> {
    pub store: Arc<S>,
    pub bus: Arc<B>,
    pub sources: Arc<dyn SourceFactory>,
    /// The sources of payments connections; `None` until a payments platform is wired in (their
    /// sync requests then fail as not configured).
    pub payments: Option<Arc<dyn PaymentsSourceFactory>>,
}

impl SyncFunction<DynamoStore, EventBridgeBus> {
    /// Reads the environment and builds the AWS and HubSpot clients, once per cold start.
    pub async fn from_env() -> Result<Self, StartupError> {
        let config = SyncConfig::from_env(&Env::process())?;
        let aws = crate::aws::sdk_config().await;
        let store = Arc::new(DynamoStore::new(
            aws_sdk_dynamodb::Client::new(&aws),
            config.table_name,
        ));
        let bus = Arc::new(EventBridgeBus::from_config(&aws, config.event_bus_name));
        let vault = Arc::new(SecretsManagerVault::from_config(&aws));
        let app = AppCredentials::load(vault.as_ref(), &config.hubspot_app_secret_id).await?;
        let http = HubSpotClient::default_http().map_err(|e| StartupError::Http(e.to_string()))?;
        let api_base = config.hubspot_api_base_url.as_str().trim_end_matches('/');
        let oauth = OAuthClient::new(
            http.clone(),
            api_base,
            Arc::new(OAuthApp {
                client_id: app.client_id,
                client_secret: app.client_secret,
                // Only refreshes happen here; installs go through the api function.
                redirect_uri: String::new(),
                scopes: Vec::new(),
                optional_scopes: Vec::new(),
                authorize_url: crate::sources::hubspot::api::DEFAULT_AUTHORIZE_URL.to_string(),
            }),
            Default::default(),
        );
        let sources = Arc::new(HubSpotSources::new(
            http,
            api_base,
            Some(oauth),
            vault,
            store.clone(),
        ));
        Ok(Self {
            store,
            bus,
            sources,
            payments: None,
        })
    }
}

impl<S, B> SyncFunction<S, B>
where
    S: Store + ?Sized,
    B: EventBus + ?Sized,
{
    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, FunctionError> {
        let deadline = deadline_of(&event.context);
        let trigger = Trigger::from_envelope(parse_envelope(event.payload)?)?;
        let handlers = Handlers {
            store: &self.store,
            bus: self.bus.as_ref(),
            sources: Some(self.sources.as_ref()),
            payments: self.payments.as_deref(),
        };
        match route_sync(&handlers, trigger, deadline, &NoProgress).await? {
            Handled::Dispatched(report) => Ok(json!({
                "tenants_requested": report.tenants_requested,
                "tenants_skipped": report.tenants_skipped,
                "connections_requested": report.connections_requested,
                "connections_skipped": report.connections_skipped,
            })),
            Handled::Synced(run) => Ok(json!({
                "tenant_id": run.tenant_id,
                "connection_id": run.connection_id,
                "sync_id": run.sync_id,
                "status": run.status,
                "counts": run.counts,
                "requests_used": run.requests_used,
                "error": run.error,
            })),
            Handled::Scored(_) | Handled::Ignored => Ok(Value::Null),
        }
    }
}

/// The score function.
pub struct ScoreFunction<S: ?Sized, B: ?Sized> {
    pub store: Arc<S>,
    pub bus: Arc<B>,
}

impl ScoreFunction<DynamoStore, EventBridgeBus> {
    pub async fn from_env() -> Result<Self, StartupError> {
        let config = ScoreConfig::from_env(&Env::process())?;
        let aws = crate::aws::sdk_config().await;
        Ok(Self {
            store: Arc::new(DynamoStore::new(
                aws_sdk_dynamodb::Client::new(&aws),
                config.table_name,
            )),
            bus: Arc::new(EventBridgeBus::from_config(&aws, config.event_bus_name)),
        })
    }
}

impl<S, B> ScoreFunction<S, B>
where
    S: Store + ?Sized,
    B: EventBus + ?Sized,
{
    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, FunctionError> {
        let trigger = Trigger::from_envelope(parse_envelope(event.payload)?)?;
        let handlers = Handlers {
            store: &self.store,
            bus: self.bus.as_ref(),
            sources: None,
            payments: None,
        };
        match route_score(&handlers, trigger).await? {
            Handled::Scored(updated) => serde_json::to_value(&updated).map_err(|e| {
                FunctionError::Event(EventError::BadDetail {
                    detail_type: "ScoresUpdated".to_string(),
                    message: e.to_string(),
                })
            }),
            Handled::Dispatched(_) | Handled::Synced(_) | Handled::Ignored => Ok(Value::Null),
        }
    }
}
