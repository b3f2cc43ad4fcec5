//! Where each event goes: the one routing table the sync and score Lambdas and the local runner share.
//! A Lambda decodes its EventBridge envelope into a [`Trigger`], checks that the trigger is one its
//! function handles ([`Trigger::handled_by`], the same split the template's rules make), and hands it
//! to [`route`]; the local runner hands every event its in-process bus delivers to the same [`route`].

use crate::connector::engine::SyncProgress;
use crate::domain::SyncRun;
use crate::events::{ProductEvent, ScoresUpdated, EVENT_SOURCE};
use crate::handlers::score::{handle_tenant_synced, ScoreError};
use crate::handlers::sync::{
    dispatch_scheduled, handle_sync_requested, DispatchReport, SourceFactory, SyncHandlerError,
};
use crate::handlers::{detail, EventError};
use crate::ports::{EventBus, Store};
use aws_lambda_events::eventbridge::EventBridgeEvent;
use chrono::Utc;
use std::sync::Arc;
use std::time::Instant;

/// The EventBridge schedule's source and detail-type.
const SCHEDULE_SOURCE: &str = "aws.events";
const SCHEDULE_DETAIL_TYPE: &str = "Scheduled Event";

/// The function that handles a trigger (one Lambda each; the local runner is all of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Sync,
    Score,
}

/// Something that starts work: the schedule's tick or one of the product's events.
#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    Schedule,
    Event(ProductEvent),
}

impl Trigger {
    /// Reads an EventBridge envelope: the schedule, or a product event decoded by its detail-type.
    pub fn from_envelope(envelope: EventBridgeEvent) -> Result<Trigger, EventError> {
        let unexpected = |envelope: &EventBridgeEvent| EventError::Unexpected {
            source_name: envelope.source.clone(),
            detail_type: envelope.detail_type.clone(),
        };
        match (envelope.source.as_str(), envelope.detail_type.as_str()) {
            (SCHEDULE_SOURCE, SCHEDULE_DETAIL_TYPE) => Ok(Trigger::Schedule),
            (EVENT_SOURCE, "SyncRequested") => Ok(Trigger::Event(ProductEvent::SyncRequested(
                detail(envelope)?,
            ))),
            (EVENT_SOURCE, "TenantSynced") => Ok(Trigger::Event(ProductEvent::TenantSynced(
                detail(envelope)?,
            ))),
            (EVENT_SOURCE, "ScoresUpdated") => Ok(Trigger::Event(ProductEvent::ScoresUpdated(
                detail(envelope)?,
            ))),
            _ => Err(unexpected(&envelope)),
        }
    }

    /// The function whose rule delivers this trigger; `None` for events no function of ours
    /// consumes (`ScoresUpdated` is for the tenant's own automations).
    pub fn handled_by(&self) -> Option<Function> {
        match self {
            Trigger::Schedule | Trigger::Event(ProductEvent::SyncRequested(_)) => {
                Some(Function::Sync)
            }
            Trigger::Event(ProductEvent::TenantSynced(_)) => Some(Function::Score),
            Trigger::Event(ProductEvent::ScoresUpdated(_)) => None,
        }
    }

    /// Its EventBridge detail-type, for messages.
    pub fn detail_type(&self) -> &'static str {
        match self {
            Trigger::Schedule => SCHEDULE_DETAIL_TYPE,
            Trigger::Event(event) => event.detail_type(),
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
    #[error("this function cannot sync: it was built without sources")]
    NoSources,
}

impl FunctionError {
    pub fn is_retryable(&self) -> bool {
        match self {
            FunctionError::Event(_) | FunctionError::NoSources => false,
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
    /// An event no function consumes, or one meant for another function.
    Ignored,
}

/// The clients a handler needs; the score function has no sources.
pub struct Handlers<'a, S: ?Sized, B: ?Sized> {
    pub store: &'a Arc<S>,
    pub bus: &'a B,
    pub sources: Option<&'a dyn SourceFactory>,
}

/// Runs the handler of `trigger`. `deadline` bounds a sync's invocation; `progress` watches it.
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
    match trigger {
        Trigger::Schedule => Ok(Handled::Dispatched(
            dispatch_scheduled(handlers.store.as_ref(), handlers.bus, Utc::now()).await?,
        )),
        Trigger::Event(ProductEvent::SyncRequested(request)) => {
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
        Trigger::Event(ProductEvent::TenantSynced(synced)) => Ok(Handled::Scored(
            handle_tenant_synced(handlers.store.as_ref(), handlers.bus, &synced, Utc::now())
                .await?,
        )),
        Trigger::Event(ProductEvent::ScoresUpdated(_)) => Ok(Handled::Ignored),
    }
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
                include_str!("../../../events/tenant-synced.json"),
                Some(Function::Score),
            ),
            (include_str!("../../../events/scores-updated.json"), None),
        ];
        for (json, function) in cases {
            match sample(json) {
                Ok(trigger) => assert_eq!(trigger.handled_by(), function, "{trigger:?}"),
                Err(error) => panic!("{error}"),
            }
        }
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
