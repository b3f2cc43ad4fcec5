//! Where each event goes: the one routing table the sync, score and notify Lambdas and the local
//! runner share.
//! A Lambda decodes its EventBridge envelope into a [`Trigger`], checks that the trigger is one its
//! function handles ([`Trigger::handled_by`], the same split the template's rules make), and hands it
//! to [`route`]; the local runner hands every event its in-process bus delivers to the same [`route`].

use crate::connector::engine::SyncProgress;
use crate::domain::schedule_slot::ScheduleTicks;
use crate::domain::{ExportJob, SyncRun};
use crate::events::{
    ClientHealthChanged, ErasureRequested, ExportRequested, InsightOpened, InsightResolved,
    ProductEvent, ScoresUpdated, SyncRequested, TenantSynced, EVENT_SOURCE,
};
use crate::handlers::connection_sync::handle_connection_sync;
use crate::handlers::erasure::{handle_erasure_requested, ErasureError, ErasurePorts};
use crate::handlers::export::handle_export_requested;
use crate::handlers::score::{handle_tenant_synced, ScoreError};
use crate::handlers::sync::{
    dispatch_scheduled_with, handle_sync_requested, DispatchOptions, DispatchReport,
    SyncHandlerError,
};
use crate::handlers::{detail, EventError};
use crate::ports::source::SourceFactory;
use crate::ports::ConnectionSources;
use crate::ports::{EventBus, ObjectStore, Store, StoreError};
use crate::store::LeaseTerms;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Instant;

/// The EventBridge schedule's source and detail-type.
const SCHEDULE_SOURCE: &str = "aws.events";
const SCHEDULE_DETAIL_TYPE: &str = "Scheduled Event";
/// The detail-type of the hourly alert release: the schedule's own envelope, renamed by the rule's
/// input transformer (infra/template.yaml, `NotifyReleaseScheduleRule`) so it is told apart from
/// sync's tick when it reaches notify through its queue.
pub const ALERT_RELEASE_DETAIL_TYPE: &str = "Release Due Alerts";

/// The function that handles a trigger (one Lambda each; the local runner is all of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Sync,
    Score,
    Notify,
}

/// Something that starts work: the schedule's tick or one of the product's events. Its own enum,
/// not a wrapped `ProductEvent`: decoding an event is not emitting one, and the least-privilege
/// check, which reads the code for `ProductEvent` constructions, must not mistake one for the other.
#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    /// The schedule's tick; `slot` is its time (a retried tick keeps it).
    Schedule {
        slot: DateTime<Utc>,
    },
    /// The hourly release of alerts held by quiet hours or for the daily digest.
    AlertRelease,
    SyncRequested(SyncRequested),
    TenantSynced(TenantSynced),
    ScoresUpdated(ScoresUpdated),
    ClientHealthChanged(ClientHealthChanged),
    InsightOpened(InsightOpened),
    InsightResolved(InsightResolved),
    ExportRequested(ExportRequested),
    ErasureRequested(ErasureRequested),
}

impl From<ProductEvent> for Trigger {
    fn from(event: ProductEvent) -> Self {
        match event {
            ProductEvent::SyncRequested(request) => Trigger::SyncRequested(request),
            ProductEvent::TenantSynced(synced) => Trigger::TenantSynced(synced),
            ProductEvent::ScoresUpdated(updated) => Trigger::ScoresUpdated(updated),
            ProductEvent::ClientHealthChanged(changed) => Trigger::ClientHealthChanged(changed),
            ProductEvent::InsightOpened(opened) => Trigger::InsightOpened(opened),
            ProductEvent::InsightResolved(resolved) => Trigger::InsightResolved(resolved),
            ProductEvent::ExportRequested(requested) => Trigger::ExportRequested(requested),
            ProductEvent::ErasureRequested(request) => Trigger::ErasureRequested(request),
        }
    }
}

impl Trigger {
    /// Reads an EventBridge envelope: the schedule, or a product event decoded by its detail-type.
    pub fn from_envelope(envelope: EventBridgeEvent) -> Result<Trigger, EventError> {
        let unexpected = |envelope: &EventBridgeEvent| EventError::Unexpected {
            source_name: envelope.source.clone(),
            detail_type: envelope.detail_type.clone(),
        };
        match (envelope.source.as_str(), envelope.detail_type.as_str()) {
            (SCHEDULE_SOURCE, SCHEDULE_DETAIL_TYPE) => Ok(Trigger::Schedule {
                // EventBridge stamps every scheduled event; without a stamp, the hour it arrived
                // in stands for the slot (a retry within the hour finds the same record).
                slot: envelope.time.unwrap_or_else(|| start_of_hour(Utc::now())),
            }),
            (SCHEDULE_SOURCE, ALERT_RELEASE_DETAIL_TYPE) => Ok(Trigger::AlertRelease),
            (EVENT_SOURCE, "SyncRequested") => Ok(Trigger::SyncRequested(detail(envelope)?)),
            (EVENT_SOURCE, "TenantSynced") => Ok(Trigger::TenantSynced(detail(envelope)?)),
            (EVENT_SOURCE, "ScoresUpdated") => Ok(Trigger::ScoresUpdated(detail(envelope)?)),
            (EVENT_SOURCE, "ClientHealthChanged") => {
                Ok(Trigger::ClientHealthChanged(detail(envelope)?))
            }
            (EVENT_SOURCE, "InsightOpened") => Ok(Trigger::InsightOpened(detail(envelope)?)),
            (EVENT_SOURCE, "InsightResolved") => Ok(Trigger::InsightResolved(detail(envelope)?)),
            (EVENT_SOURCE, "ExportRequested") => Ok(Trigger::ExportRequested(detail(envelope)?)),
            (EVENT_SOURCE, "ErasureRequested") => Ok(Trigger::ErasureRequested(detail(envelope)?)),
            _ => Err(unexpected(&envelope)),
        }
    }

    /// The function whose rule delivers this trigger; `None` for events no function of ours
    /// consumes.
    pub fn handled_by(&self) -> Option<Function> {
        match self {
            // Erasures run where the tenant's secrets are already reachable (sync reads them).
            Trigger::Schedule { .. } | Trigger::SyncRequested(_) | Trigger::ErasureRequested(_) => {
                Some(Function::Sync)
            }
            // Exports read the whole tenant, as scoring does: the score function builds them.
            Trigger::TenantSynced(_) | Trigger::ExportRequested(_) => Some(Function::Score),
            // Alerts on the client changes; the HubSpot write-back after each scoring.
            Trigger::AlertRelease
            | Trigger::ScoresUpdated(_)
            | Trigger::ClientHealthChanged(_)
            | Trigger::InsightOpened(_)
            | Trigger::InsightResolved(_) => Some(Function::Notify),
        }
    }

    /// Its EventBridge detail-type, for messages.
    pub fn detail_type(&self) -> &'static str {
        match self {
            Trigger::Schedule { .. } => SCHEDULE_DETAIL_TYPE,
            Trigger::AlertRelease => ALERT_RELEASE_DETAIL_TYPE,
            Trigger::SyncRequested(_) => "SyncRequested",
            Trigger::TenantSynced(_) => "TenantSynced",
            Trigger::ScoresUpdated(_) => "ScoresUpdated",
            Trigger::ClientHealthChanged(_) => "ClientHealthChanged",
            Trigger::InsightOpened(_) => "InsightOpened",
            Trigger::InsightResolved(_) => "InsightResolved",
            Trigger::ExportRequested(_) => "ExportRequested",
            Trigger::ErasureRequested(_) => "ErasureRequested",
        }
    }
}

/// A failed invocation. `is_retryable` tells EventBridge/Lambda to try again; the others land in
/// the dead-letter queue after the configured attempts, with this message.
#[derive(Debug, thiserror::Error)]
pub enum FunctionError {
    #[error(transparent)]
    Event(#[from] EventError),
    #[error(transparent)]
    Sync(#[from] SyncHandlerError),
    #[error(transparent)]
    Score(#[from] ScoreError),
    #[error(transparent)]
    Erasure(#[from] ErasureError),
    #[error("this function cannot sync: it was built without sources")]
    NoSources,
    #[error("this function cannot export: it was built without the export bucket")]
    NoObjectStore,
    /// The export job could not be read or recorded.
    #[error("export: {0}")]
    Export(StoreError),
    #[error("this function cannot erase: it was built without the vault and the export bucket")]
    NoErasure,
}

impl FunctionError {
    pub fn is_retryable(&self) -> bool {
        match self {
            FunctionError::Event(_)
            | FunctionError::NoSources
            | FunctionError::NoObjectStore
            | FunctionError::NoErasure => false,
            FunctionError::Export(e) => e.is_retryable(),
            FunctionError::Erasure(e) => e.is_retryable(),
            FunctionError::Sync(e) => e.is_retryable(),
            FunctionError::Score(e) => e.is_retryable(),
        }
    }
}

/// What handling a trigger did.
#[derive(Debug, Clone, PartialEq)]
pub enum Handled {
    Dispatched(DispatchReport),
    Synced(SyncRun),
    Scored(ScoresUpdated),
    Exported(ExportJob),
    Erased(crate::domain::Erasure),
    /// An event no function consumes, or one meant for another function.
    Ignored,
}

/// The clients a handler needs; the score function has no sources.
pub struct Handlers<'a, S: ?Sized, B: ?Sized> {
    pub store: &'a Arc<S>,
    pub bus: &'a B,
    /// The HubSpot portal's source (requests that name no connection).
    pub sources: Option<&'a dyn SourceFactory>,
    /// The sources of the other platforms' connections (PayPal, NinjaOne, Pax8, Microsoft 365); a
    /// platform missing here fails its requests as not configured.
    pub connections: &'a ConnectionSources,
    /// The export bucket (the score function and the local runner); exports fail without it.
    pub objects: Option<&'a dyn ObjectStore>,
    /// What erasures reach beyond the store (the vault, the export bucket); `None` in functions
    /// that run none.
    pub erasure: Option<ErasurePorts<'a>>,
    /// The schedule's ticks, which the fan-out spreads tenants over (the sync function's config;
    /// [`ScheduleTicks::EVERY_TICK`] where ticks are the tenants' own interval, as locally).
    pub schedule: ScheduleTicks,
}

/// Runs the handler of `trigger`, whichever function's it is: the local runner, which is every
/// function at once.
pub async fn route<S, B>(
    handlers: &Handlers<'_, S, B>,
    trigger: Trigger,
    deadline: Instant,
    progress: &dyn SyncProgress,
) -> Result<Handled, FunctionError>
where
    S: Store + ?Sized,
    B: EventBus + ?Sized,
{
    match trigger.handled_by() {
        Some(Function::Sync) => route_sync(handlers, trigger, deadline, progress).await,
        Some(Function::Score) => route_score(handlers, trigger).await,
        // notify takes its events in batches (`crate::handlers::notify`); one at a time here
        // would bypass its grouping, so the runner hands them to it as a batch of its own.
        Some(Function::Notify) | None => Ok(Handled::Ignored),
    }
}

/// The sync function's triggers: the schedule's fan-out and one sync, of the tenant's HubSpot portal
/// or of the connection the request names. Each Lambda routes only its own triggers, so its binary
/// reaches only its own handlers (the least-privilege check reads those calls).
pub async fn route_sync<S, B>(
    handlers: &Handlers<'_, S, B>,
    trigger: Trigger,
    deadline: Instant,
    progress: &dyn SyncProgress,
) -> Result<Handled, FunctionError>
where
    S: Store + ?Sized,
    B: EventBus + ?Sized,
{
    match trigger {
        Trigger::Schedule { slot } => {
            let options = DispatchOptions {
                deadline: Some(deadline),
                ticks: handlers.schedule,
                ..DispatchOptions::default()
            };
            let report = dispatch_scheduled_with(
                handlers.store.as_ref(),
                handlers.bus,
                slot,
                Utc::now(),
                &options,
            )
            .await?;
            Ok(Handled::Dispatched(report))
        }
        Trigger::SyncRequested(request) => {
            if let Some(connection_id) = &request.connection_id {
                let run = handle_connection_sync(
                    handlers.store,
                    handlers.bus,
                    handlers.connections,
                    &request,
                    connection_id,
                    deadline,
                    LeaseTerms::SYNC,
                )
                .await?;
                return Ok(Handled::Synced(run));
            }
            let sources = handlers.sources.ok_or(FunctionError::NoSources)?;
            let run = handle_sync_requested(
                handlers.store,
                handlers.bus,
                sources,
                &request,
                deadline,
                progress,
            )
            .await?;
            Ok(Handled::Synced(run))
        }
        Trigger::ErasureRequested(request) => {
            let ports = handlers.erasure.ok_or(FunctionError::NoErasure)?;
            let erasure = handle_erasure_requested(
                handlers.store.as_ref(),
                handlers.bus,
                ports,
                &request,
                deadline,
                Utc::now(),
            )
            .await?;
            Ok(Handled::Erased(erasure))
        }
        other => Err(not_for(&other)),
    }
}

/// The score function's triggers: one tenant's sync finished; an export was requested.
pub async fn route_score<S, B>(
    handlers: &Handlers<'_, S, B>,
    trigger: Trigger,
) -> Result<Handled, FunctionError>
where
    S: Store + ?Sized,
    B: EventBus + ?Sized,
{
    match trigger {
        Trigger::TenantSynced(synced) => Ok(Handled::Scored(
            handle_tenant_synced(handlers.store.as_ref(), handlers.bus, &synced, Utc::now())
                .await?,
        )),
        Trigger::ExportRequested(requested) => {
            let objects = handlers.objects.ok_or(FunctionError::NoObjectStore)?;
            let job =
                handle_export_requested(handlers.store.as_ref(), objects, &requested, Utc::now())
                    .await
                    .map_err(FunctionError::Export)?;
            Ok(Handled::Exported(job))
        }
        other => Err(not_for(&other)),
    }
}

fn start_of_hour(at: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::Timelike;
    at.with_nanosecond(0)
        .and_then(|at| at.with_second(0))
        .and_then(|at| at.with_minute(0))
        .unwrap_or(at)
}

/// A trigger routed to a function whose rule does not deliver it: refused, not handled.
fn not_for(trigger: &Trigger) -> FunctionError {
    FunctionError::Event(EventError::Unexpected {
        source_name: match trigger {
            Trigger::Schedule { .. } | Trigger::AlertRelease => SCHEDULE_SOURCE.to_string(),
            _ => EVENT_SOURCE.to_string(),
        },
        detail_type: trigger.detail_type().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handlers::parse_envelope;

    /// The sample events shipped in `events/`, as EventBridge delivers them.
    fn sample(json: &str) -> Result<Trigger, EventError> {
        Trigger::from_envelope(parse_envelope(serde_json::from_str(json).unwrap())?)
    }

    #[test]
    fn the_schedule_and_each_product_event_reach_their_function() {
        let cases = [
            (
                include_str!("../../../events/schedule.json"),
                Some(Function::Sync),
            ),
            (
                include_str!("../../../events/sync-requested.json"),
                Some(Function::Sync),
            ),
            (
                include_str!("../../../events/sync-requested-objects.json"),
                Some(Function::Sync),
            ),
            (
                include_str!("../../../events/sync-requested-payments.json"),
                Some(Function::Sync),
            ),
            (
                include_str!("../../../events/sync-requested-accounts.json"),
                Some(Function::Sync),
            ),
            (
                include_str!("../../../events/tenant-synced.json"),
                Some(Function::Score),
            ),
            (
                include_str!("../../../events/export-requested.json"),
                Some(Function::Score),
            ),
            (
                include_str!("../../../events/erasure-requested.json"),
                Some(Function::Sync),
            ),
            (
                include_str!("../../../events/scores-updated.json"),
                Some(Function::Notify),
            ),
        ];
        for (json, function) in cases {
            match sample(json) {
                Ok(trigger) => assert_eq!(trigger.handled_by(), function, "{trigger:?}"),
                Err(error) => panic!("{error}"),
            }
        }
    }

    #[test]
    fn the_alert_release_is_the_schedules_envelope_under_its_own_detail_type() {
        let mut release: serde_json::Value =
            serde_json::from_str(include_str!("../../../events/schedule.json")).unwrap();
        release["detail-type"] = ALERT_RELEASE_DETAIL_TYPE.into();
        let trigger = Trigger::from_envelope(parse_envelope(release).unwrap()).unwrap();
        assert_eq!(trigger, Trigger::AlertRelease);
        assert_eq!(trigger.handled_by(), Some(Function::Notify));
        assert_eq!(trigger.detail_type(), ALERT_RELEASE_DETAIL_TYPE);
    }

    #[test]
    fn foreign_and_malformed_events_are_clear_errors() {
        let mut foreign: serde_json::Value =
            serde_json::from_str(include_str!("../../../events/sync-requested.json")).unwrap();
        foreign["source"] = "other.app".into();
        let foreign = Trigger::from_envelope(parse_envelope(foreign).unwrap());
        assert!(matches!(foreign, Err(EventError::Unexpected { .. })));

        let mut malformed: serde_json::Value =
            serde_json::from_str(include_str!("../../../events/tenant-synced.json")).unwrap();
        malformed["detail"] = serde_json::json!({"x": 1});
        let malformed = Trigger::from_envelope(parse_envelope(malformed).unwrap());
        assert!(matches!(malformed, Err(EventError::BadDetail { .. })));
    }
}
