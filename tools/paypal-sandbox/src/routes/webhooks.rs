//! `POST /v1/notifications/verify-webhook-signature`: SUCCESS only for a delivery this sandbox made,
//! to the configured webhook, repeated exactly (headers and event); FAILURE otherwise.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use super::{gate, AppState};
use crate::state::lock;
use crate::webhook::{cert_url, AUTH_ALGO};
use crate::wire::{json_response, ApiError, Detail};

const REQUIRED: &[&str] = &[
    "auth_algo",
    "cert_url",
    "transmission_id",
    "transmission_sig",
    "transmission_time",
    "webhook_id",
    "webhook_event",
];

pub(super) async fn verify(State(shared): AppState, headers: HeaderMap, body: Bytes) -> Response {
    let debug_id = match gate(
        &shared,
        &headers,
        "POST /v1/notifications/verify-webhook-signature",
    )
    .await
    {
        Ok(id) => id,
        Err(refused) => return refused,
    };
    let Ok(Value::Object(request)) = serde_json::from_slice::<Value>(&body) else {
        return ApiError::invalid(vec![Detail::body(
            "/",
            None,
            "MALFORMED_REQUEST_JSON",
            "The request JSON is not well formed.",
        )])
        .respond(&debug_id);
    };
    let missing: Vec<Detail> = REQUIRED
        .iter()
        .filter(|field| request.get(**field).is_none_or(Value::is_null))
        .map(|field| {
            Detail::body(
                &format!("/{field}"),
                None,
                "MISSING_REQUIRED_PARAMETER",
                "A required field / parameter is missing.",
            )
        })
        .collect();
    if !missing.is_empty() {
        return ApiError::invalid(missing).respond(&debug_id);
    }
    let text = |field: &str| {
        request
            .get(field)
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    let delivery = lock(&shared.deliveries)
        .get(text("transmission_id"))
        .cloned();
    let verified = delivery.is_some_and(|d| {
        text("webhook_id") == shared.config.webhook_id
            && d.webhook_id == shared.config.webhook_id
            && text("auth_algo") == AUTH_ALGO
            && text("cert_url") == cert_url(&shared.base_url)
            && text("transmission_time") == d.transmission_time
            && text("transmission_sig") == d.transmission_sig
            && request.get("webhook_event") == Some(&d.event)
    });
    let status = if verified { "SUCCESS" } else { "FAILURE" };
    json_response(
        StatusCode::OK,
        &json!({ "verification_status": status }),
        &debug_id,
    )
}
