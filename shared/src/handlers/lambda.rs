//! The Lambda edge of the sync and score functions: one struct per function holding the clients
//! built once per cold start, and a `handle` that decodes the event, runs the handler and reports
//! errors in a form Lambda's retries and dead-letter queues can act on.

use crate::bus::EventBridgeBus;
use crate::config::{ConfigError, Env, ScoreConfig, SyncConfig};
use crate::connector::engine::NoProgress;
use crate::events::{SyncRequested, TenantSynced, EVENT_SOURCE};
use crate::handlers::score::{handle_tenant_synced, ScoreError};
use crate::handlers::sync::{dispatch_scheduled, handle_sync_requested, SyncHandlerError};
use crate::handlers::{detail, parse_envelope, EventError};
use crate::ports::source::SourceFactory;
use crate::ports::{EventBus, Store};
use crate::sources::hubspot::HubSpotSources;
use crate::sources::hubspot::{
    AppCredentials, AppSecretError, HubSpotClient, OAuthApp, OAuthClient,
};
use crate::store::DynamoStore;
use crate::vault::SecretsManagerVault;
use chrono::Utc;
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

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

/// A failed invocation. `Retryable` makes EventBridge/Lambda try again; `Permanent` ones land in the
/// dead-letter queue after the configured attempts, with this message.
#[derive(Debug, thiserror::Error)]
pub enum FunctionError {
    #[error(transparent)]
    Event(#[from] EventError),
    #[error(transparent)]
    Sync(#[from] SyncHandlerError),
    #[error(transparent)]
    Score(#[from] ScoreError),
}

impl FunctionError {
    pub fn is_retryable(&self) -> bool {
        match self {
            FunctionError::Event(_) => false,
            FunctionError::Sync(e) => e.is_retryable(),
            FunctionError::Score(e) => e.is_retryable(),
        }
    }
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
        let envelope = parse_envelope(event.payload)?;
        match (envelope.source.as_str(), envelope.detail_type.as_str()) {
            ("aws.events", "Scheduled Event") => {
                let report =
                    dispatch_scheduled(self.store.as_ref(), self.bus.as_ref(), Utc::now()).await?;
                Ok(json!({
                    "tenants_requested": report.tenants_requested,
                    "tenants_skipped": report.tenants_skipped,
                }))
            }
            (EVENT_SOURCE, "SyncRequested") => {
                let request: SyncRequested = detail(envelope)?;
                let run = handle_sync_requested(
                    &self.store,
                    self.bus.as_ref(),
                    self.sources.as_ref(),
                    &request,
                    deadline,
                    &NoProgress,
                )
                .await?;
                Ok(json!({
                    "tenant_id": run.tenant_id,
                    "sync_id": run.sync_id,
                    "status": run.status,
                    "counts": run.counts,
                    "requests_used": run.requests_used,
                    "error": run.error,
                }))
            }
            (source, detail_type) => Err(EventError::Unexpected {
                source_name: source.to_string(),
                detail_type: detail_type.to_string(),
            }
            .into()),
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
        let envelope = parse_envelope(event.payload)?;
        if envelope.source != EVENT_SOURCE || envelope.detail_type != "TenantSynced" {
            return Err(EventError::Unexpected {
                source_name: envelope.source,
                detail_type: envelope.detail_type,
            }
            .into());
        }
        let synced: TenantSynced = detail(envelope)?;
        let updated =
            handle_tenant_synced(self.store.as_ref(), self.bus.as_ref(), &synced, Utc::now())
                .await?;
        serde_json::to_value(&updated).map_err(|e| {
            FunctionError::Event(EventError::BadDetail {
                detail_type: "ScoresUpdated".to_string(),
                message: e.to_string(),
            })
        })
    }
}
