//! Connections' webhooks: `POST /webhooks/{paypal,ninjaone,pax8}/{tenant}/{connection}`.
//!
//! A delivery names its connection in the path (each connection has its own webhook URL,
//! [`crate::domain::Connection::webhook_path`]). It is verified through the platform's factory in
//! [`crate::ports::ConnectionSources`] (PayPal: its verify-webhook-signature call, which only the
//! platform can answer; NinjaOne, Pax8: the connection's webhook secret the delivery must carry),
//! deduplicated by the event's id, and turned into one targeted `SyncRequested` naming the objects
//! (PayPal) or accounts (NinjaOne, Pax8) the event is about; a verified delivery naming none is
//! acknowledged and ignored. Reading those records is the sync's job: we answer fast.
//!
//! Refused, and logged without the body or any credential: a connection we do not have (404), a
//! delivery the platform does not vouch for (401), a verified body that is no event (400). Losing
//! nothing: the event id is recorded before the publish and forgotten again when anything after it
//! fails, so the platform's redelivery is processed rather than dropped as a duplicate.

use super::error::IngestError;
use super::handler::{IngestState, DEDUPE_RETENTION};
use crate::domain::{ConnectionId, Platform, TenantId};
use crate::events::{ProductEvent, SyncRequested};
use crate::ports::source::SourceError;
use crate::ports::StoreError;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// The routes, as axum spells them.
pub const PAYPAL_WEBHOOK_ROUTE: &str = "/webhooks/paypal/{tenant}/{connection}";
pub const NINJAONE_WEBHOOK_ROUTE: &str = "/webhooks/ninjaone/{tenant}/{connection}";
pub const PAX8_WEBHOOK_ROUTE: &str = "/webhooks/pax8/{tenant}/{connection}";

/// The path of a PayPal connection's webhook URL (the public base URL goes in front).
pub fn paypal_webhook_path(tenant_id: &TenantId, connection_id: &ConnectionId) -> String {
    format!("/webhooks/paypal/{tenant_id}/{connection_id}")
}

/// The 200 body of a connection's delivery.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PaymentsDeliveryOutcome {
    /// The platform's event id.
    pub event_id: String,
    /// Seen before: nothing was requested again.
    pub duplicate: bool,
    /// A targeted sync was requested.
    pub sync_requested: bool,
}

pub(super) async fn receive_paypal_delivery(
    state: State<IngestState>,
    path: Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<PaymentsDeliveryOutcome>, IngestError> {
    receive(Platform::Paypal, state, path, headers, body).await
}

pub(super) async fn receive_ninjaone_delivery(
    state: State<IngestState>,
    path: Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<PaymentsDeliveryOutcome>, IngestError> {
    receive(Platform::Ninjaone, state, path, headers, body).await
}

pub(super) async fn receive_pax8_delivery(
    state: State<IngestState>,
    path: Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<PaymentsDeliveryOutcome>, IngestError> {
    receive(Platform::Pax8, state, path, headers, body).await
}

async fn receive(
    platform: Platform,
    State(state): State<IngestState>,
    Path((tenant, connection)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<PaymentsDeliveryOutcome>, IngestError> {
    let (Ok(tenant_id), Ok(connection_id)) =
        (TenantId::parse(tenant), ConnectionId::parse(connection))
    else {
        tracing::warn!(%platform, "webhook to a malformed connection path; refused");
        return Err(IngestError::UnknownConnection);
    };
    let budget = state.processing_budget;
    let mut recorded: Option<String> = None;
    let result = tokio::time::timeout(
        budget,
        process(
            &state,
            platform,
            &tenant_id,
            &connection_id,
            &headers,
            &body,
            Utc::now(),
            &mut recorded,
        ),
    )
    .await
    .unwrap_or(Err(IngestError::OutOfTime(budget)));
    if result.is_err() {
        if let Some(key) = recorded {
            if let Err(error) = state.store.forget_webhook_event(&tenant_id, &key).await {
                tracing::error!(tenant = %tenant_id, connection = %connection_id, event_key = %key, %error,
                    "could not forget a webhook event id; its redelivery will be taken as a duplicate");
            }
        }
    }
    result.map(Json)
}

#[allow(clippy::too_many_arguments)] // one delivery's parts, passed through once
async fn process(
    state: &IngestState,
    platform: Platform,
    tenant_id: &TenantId,
    connection_id: &ConnectionId,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
    recorded: &mut Option<String>,
) -> Result<PaymentsDeliveryOutcome, IngestError> {
    let Some(webhooks) = &state.connections else {
        tracing::warn!(tenant = %tenant_id, connection = %connection_id, %platform,
            "connection webhook received but connection webhooks are not configured; refused");
        return Err(IngestError::UnknownConnection);
    };
    let connection = match webhooks
        .connections
        .get_connection(tenant_id, connection_id)
        .await
    {
        Ok(connection) if connection.platform == platform => connection,
        Ok(_) | Err(StoreError::NotFound { .. }) => {
            tracing::warn!(tenant = %tenant_id, connection = %connection_id, %platform,
                "webhook for an unknown connection; refused");
            return Err(IngestError::UnknownConnection);
        }
        Err(error) => return Err(error.into()),
    };

    let event = webhooks
        .sources
        .verify_webhook(&connection, headers, body)
        .await
        .map_err(|error| {
            // The platform's message only: never the body, headers or credentials.
            tracing::warn!(tenant = %tenant_id, connection = %connection_id, %platform, %error,
                "webhook not verified; refused");
            match error {
                SourceError::InvalidResponse(_) => IngestError::UnreadableEvent,
                SourceError::Unavailable { .. } | SourceError::RateLimited { .. } => {
                    IngestError::VerificationUnavailable
                }
                _ => IngestError::Unverified,
            }
        })?;

    let key = format!(
        "{}:{}:{}",
        connection.platform, connection_id, event.event_id
    );
    *recorded = Some(key.clone());
    let first_time = state
        .store
        .record_webhook_event(tenant_id, &key, now + DEDUPE_RETENTION)
        .await
        .map_err(|error| match error {
            StoreError::InvalidInput(_) => IngestError::UnreadableEvent,
            other => IngestError::Store(other),
        })?;
    let mut outcome = PaymentsDeliveryOutcome {
        event_id: event.event_id.clone(),
        ..Default::default()
    };
    if !first_time {
        // Processed by an earlier delivery: it must stay recorded whatever happens here.
        *recorded = None;
        outcome.duplicate = true;
        tracing::info!(tenant = %tenant_id, connection = %connection_id, %platform,
            event_id = %event.event_id, "duplicate webhook delivery; acknowledged");
        return Ok(outcome);
    }
    let names_nothing = match platform {
        Platform::Paypal => event.refs.is_empty(),
        _ => event.account_ids.is_empty(),
    };
    if names_nothing || !connection.status.is_syncable() {
        tracing::info!(tenant = %tenant_id, connection = %connection_id, %platform,
            event_type = %event.event_type, status = ?connection.status,
            "webhook acknowledged; nothing to sync for it");
        return Ok(outcome);
    }
    let request = match platform {
        Platform::Paypal => {
            SyncRequested::payments(tenant_id.clone(), connection_id.clone(), event.refs, now)
        }
        _ => SyncRequested::accounts(
            tenant_id.clone(),
            connection_id.clone(),
            event.account_ids,
            now,
        ),
    };
    state
        .bus
        .publish(&[ProductEvent::SyncRequested(request)])
        .await?;
    outcome.sync_requested = true;
    tracing::info!(tenant = %tenant_id, connection = %connection_id, %platform,
        event_type = %event.event_type, "webhook turned into a targeted sync");
    Ok(outcome)
}
