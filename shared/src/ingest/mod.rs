//! The webhook ingest: HubSpot's `POST /webhooks/hubspot`, and connections' webhooks
//! (`POST /webhooks/{paypal,ninjaone,pax8}/{tenant}/{connection}`, in [`payments`]).
//!
//! The route verifies HubSpot's signature and parses the delivery (both in
//! [`crate::sources::hubspot::webhook`]), and
//! [`handler::process_delivery`] maps portals to tenants, drops events already seen, erases
//! privacy-deleted contacts at once, and publishes one `SyncRequested` (mode `objects`) per tenant.
//! The same [`router`] runs inside `lambda_http` on Lambda and under `axum::serve` locally.
//!
//! Deletions, merges and restores are not applied here: their objects go into the targeted sync,
//! which reads the records' current state and finds a deleted or merged-away record gone. HubSpot
//! does not guarantee delivery order, so reading the truth beats replaying events. Privacy
//! deletions are the exception: the contact's data leaves the snapshots before we answer.

pub mod error;
pub mod handler;
pub mod payments;
pub mod plan;
pub mod privacy;

pub use crate::config::{IngestConfig, PublicBaseUrl};
pub use crate::sources::hubspot::webhook::{parse_delivery, WebhookEvent};
pub use error::IngestError;
pub use handler::{
    process_delivery, ConnectionWebhooks, DeliveryOutcome, IngestState, IngestStore,
};
pub use payments::{
    paypal_webhook_path, PaymentsDeliveryOutcome, NINJAONE_WEBHOOK_ROUTE, PAX8_WEBHOOK_ROUTE,
    PAYPAL_WEBHOOK_ROUTE,
};

use crate::sources::hubspot::webhook::signature::{self, SignatureHeaders, SignedRequest};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::routing::post;
use axum::{Json, Router};
use chrono::Utc;

pub const WEBHOOK_PATH: &str = "/webhooks/hubspot";
/// A delivery holds at most 100 events of well under 1 KiB each.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The webhook route, ready for `lambda_http::run`, `axum::serve` or merging into another router.
pub fn router(state: IngestState) -> Router {
    Router::new()
        .route(WEBHOOK_PATH, post(receive_delivery))
        .route(
            PAYPAL_WEBHOOK_ROUTE,
            post(payments::receive_paypal_delivery),
        )
        .route(
            NINJAONE_WEBHOOK_ROUTE,
            post(payments::receive_ninjaone_delivery),
        )
        .route(PAX8_WEBHOOK_ROUTE, post(payments::receive_pax8_delivery))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

async fn receive_delivery(
    State(state): State<IngestState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<DeliveryOutcome>, IngestError> {
    let now = Utc::now();
    let path_and_query = uri
        .path_and_query()
        .map_or_else(|| uri.path(), |p| p.as_str());
    let signed_uri = signature::signed_uri(state.public_base_url.as_str(), path_and_query);
    signature::verify(
        &SignatureHeaders::from_headers(&headers),
        &SignedRequest {
            method: method.as_str(),
            uri: &signed_uri,
            body: &body,
        },
        &state.client_secret,
        now,
    )?;
    let events = parse_delivery(&body)?;
    let outcome = process_delivery(&state, events, now).await?;
    Ok(Json(outcome))
}
