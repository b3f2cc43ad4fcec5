//! The Lambda edge of the sync and score functions: one struct per function holding the clients
//! built once per cold start (by `crate::wiring`), and a `handle` that decodes the event, runs the handler and reports
//! errors in a form Lambda's retries and dead-letter queues can act on.

use crate::connector::engine::NoProgress;
use crate::handlers::route::{route_score, route_sync, Handled, Handlers, Trigger};
use crate::handlers::{parse_envelope, EventError};
use crate::ports::source::SourceFactory;
use crate::ports::{ConnectionSources, EventBus, ObjectStore, Store};
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

pub use crate::handlers::route::FunctionError;

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
    /// The sources of the other platforms' connections, by platform (a platform missing here fails
    /// its connections' sync requests as not configured).
    pub connections: ConnectionSources,
    /// The tenants' secrets, which erasures delete.
    pub vault: Arc<dyn crate::ports::SecretVault>,
    /// The export bucket, whose tenant objects a tenant's erasure deletes (`None` until the
    /// function is given one: such an erasure then fails clearly).
    pub objects: Option<Arc<dyn crate::ports::ObjectStore>>,
    /// The schedule's ticks (`SYNC_SCHEDULE_EXPRESSION`), which the fan-out spreads tenants over.
    pub schedule: crate::domain::schedule_slot::ScheduleTicks,
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
            connections: &self.connections,
            objects: None,
            erasure: Some(crate::handlers::erasure::ErasurePorts {
                vault: self.vault.as_ref(),
                objects: self.objects.as_deref(),
            }),
            schedule: self.schedule,
        };
        match route_sync(&handlers, trigger, deadline, &NoProgress).await? {
            Handled::Dispatched(report) => Ok(json!({
                "tenants_requested": report.tenants_requested,
                "tenants_skipped": report.tenants_skipped,
                "connections_requested": report.connections_requested,
                "connections_skipped": report.connections_skipped,
                "tenants_not_due": report.tenants_not_due,
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
            Handled::Scored(_) | Handled::Exported(_) | Handled::Ignored => Ok(Value::Null),
            Handled::Erased(erasure) => Ok(json!({
                "tenant_id": erasure.tenant_id,
                "erasure_id": erasure.id,
                "status": erasure.status,
                "phase": erasure.phase,
                "counts": erasure.counts,
            })),
        }
    }
}

/// The score function (scoring, and the exports of tenants' data).
pub struct ScoreFunction<S: ?Sized, B: ?Sized> {
    pub store: Arc<S>,
    pub bus: Arc<B>,
    /// The export bucket; without it, export requests fail.
    pub objects: Option<Arc<dyn ObjectStore>>,
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
            connections: &ConnectionSources::new(),
            objects: self.objects.as_deref(),
            erasure: None,
            schedule: crate::domain::schedule_slot::ScheduleTicks::EVERY_TICK,
        };
        match route_score(&handlers, trigger).await? {
            Handled::Scored(updated) => serde_json::to_value(&updated).map_err(|e| {
                FunctionError::Event(EventError::BadDetail {
                    detail_type: "ScoresUpdated".to_string(),
                    message: e.to_string(),
                })
            }),
            Handled::Exported(job) => Ok(json!({
                "tenant_id": job.tenant_id,
                "export_id": job.id,
                "status": job.status,
                "counts": job.counts,
                "error": job.error,
            })),
            Handled::Dispatched(_) | Handled::Synced(_) | Handled::Erased(_) | Handled::Ignored => {
                Ok(Value::Null)
            }
        }
    }
}
