//! `https://api.pax8.com/api/v2/webhooks`: create, list, get and delete. A webhook carries the
//! `authorization` value Pax8 sends back as the `Authorization` header of its deliveries.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::{error, gate, json_response, paged, paging, param, query_pairs, AppState};
use crate::generate::uuid;
use crate::model::{rfc3339, Webhook};
use crate::state::{lock, read, write};

/// The most consecutive errors a webhook may allow before an email (the spec's maximum).
const MAX_ERROR_THRESHOLD: i64 = 20;

pub(crate) fn webhook_json(account_id: &str, webhook: &Webhook) -> Value {
    json!({
        "id": webhook.id,
        "accountId": account_id,
        "displayName": webhook.display_name,
        "url": webhook.url,
        "authorization": webhook.authorization,
        "active": webhook.active,
        "contactEmail": webhook.contact_email,
        "errorThreshold": webhook.error_threshold,
        "webhookTopics": webhook.topics.iter().map(|(id, topic, filters)| json!({
            "id": id, "topic": topic, "filters": filters,
        })).collect::<Vec<_>>(),
        "createdAt": rfc3339(webhook.created_ms),
        "updatedAt": rfc3339(webhook.created_ms),
    })
}

fn bad_request(message: &str) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "BAD_REQUEST",
        message,
        "/api/v2/webhooks",
    )
}

pub(super) async fn create(State(shared): AppState, headers: HeaderMap, body: Bytes) -> Response {
    let instance = "/api/v2/webhooks";
    if let Err(refused) = gate(&shared, &headers, "POST /api/v2/webhooks", instance).await {
        return refused;
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return bad_request("The request body is not JSON");
    };
    let text = |field: &str| body.get(field).and_then(Value::as_str).map(str::to_owned);
    let Some(display_name) = text("displayName").filter(|n| !n.trim().is_empty()) else {
        return bad_request("displayName is required");
    };
    let error_threshold = body
        .get("errorThreshold")
        .and_then(Value::as_i64)
        .unwrap_or(3);
    if !(0..=MAX_ERROR_THRESHOLD).contains(&error_threshold) {
        return bad_request("errorThreshold must be at most 20");
    }
    let mut topics = Vec::new();
    let requested = body
        .get("webhookTopics")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for entry in requested {
        let Some(topic) = entry.get("topic").and_then(Value::as_str) else {
            return bad_request("webhookTopics[].topic is required");
        };
        if topics
            .iter()
            .any(|(_, t, _): &(String, String, Value)| t == topic)
        {
            return bad_request("Only 1 of each webhook topic can be present in a webhook");
        }
        let filters = entry.get("filters").cloned().unwrap_or_else(|| json!([]));
        let id = uuid(&mut *lock(&shared.rng));
        topics.push((id, topic.to_owned(), filters));
    }
    let webhook = Webhook {
        id: uuid(&mut *lock(&shared.rng)),
        display_name,
        url: text("url"),
        authorization: text("authorization"),
        active: body.get("active").and_then(Value::as_bool).unwrap_or(false),
        error_threshold,
        contact_email: text("contactEmail"),
        topics,
        created_ms: shared.now_ms(),
    };
    let mut world = write(&shared.world);
    let answer = webhook_json(&world.account_id, &webhook);
    world.webhooks.push(webhook);
    json_response(StatusCode::OK, &answer)
}

pub(super) async fn list(
    State(shared): AppState,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let instance = "/api/v2/webhooks";
    if let Err(refused) = gate(&shared, &headers, "GET /api/v2/webhooks", instance).await {
        return refused;
    }
    let pairs = query_pairs(query.as_deref());
    let (page, size) = match paging(&pairs, instance) {
        Ok(paging) => paging,
        Err(refused) => return *refused,
    };
    let topic = param(&pairs, "topic");
    let world = read(&shared.world);
    let items = world
        .webhooks
        .iter()
        .filter(|w| topic.is_none_or(|t| w.topics.iter().any(|(_, name, _)| name == t)))
        .map(|w| webhook_json(&world.account_id, w))
        .collect();
    paged(items, page, size)
}

pub(super) async fn get_one(
    State(shared): AppState,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let instance = format!("/api/v2/webhooks/{id}");
    if let Err(refused) = gate(&shared, &headers, "GET /api/v2/webhooks/{id}", &instance).await {
        return refused;
    }
    let world = read(&shared.world);
    match world.webhooks.iter().find(|w| w.id == id) {
        Some(w) => json_response(StatusCode::OK, &webhook_json(&world.account_id, w)),
        None => error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "Webhook not found",
            &instance,
        ),
    }
}

pub(super) async fn delete(
    State(shared): AppState,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let instance = format!("/api/v2/webhooks/{id}");
    if let Err(refused) = gate(&shared, &headers, "DELETE /api/v2/webhooks/{id}", &instance).await {
        return refused;
    }
    let mut world = write(&shared.world);
    let before = world.webhooks.len();
    world.webhooks.retain(|w| w.id != id);
    if world.webhooks.len() == before {
        return error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "Webhook not found",
            &instance,
        );
    }
    StatusCode::NO_CONTENT.into_response()
}
