//! Alerts, ticketing and webhooks.

#![allow(clippy::result_large_err)]

use super::*;

// ---- alerts --------------------------------------------------------------------------------------

pub(super) async fn alerts(
    State(shared): App,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    gate!(shared, headers, "GET /v2/alerts");
    let orgs = match org_filter(params.get("df")) {
        Ok(orgs) => orgs,
        Err(refused) => return refused,
    };
    let world = &shared.world;
    let rows: Vec<Value> = world
        .alerts
        .iter()
        .filter_map(|a| {
            let device = world.devices.iter().find(|d| d.id == a.device)?;
            keeps(&orgs, device.org).then(|| {
                json!({
                    "uid": a.uid,
                    "deviceId": a.device,
                    "message": "Condition triggered",
                    "subject": "Condition triggered",
                    "sourceType": "CONDITION_AGENT_DISK_FREE_SPACE",
                    "sourceName": "Disk space",
                    "createTime": shared.epoch(a.created_ago_s),
                    "updateTime": shared.epoch(a.created_ago_s / 2),
                    // The spec's Alert has no severity; the condition's severity is carried in the
                    // free-form `data` (our reading, unconfirmed).
                    "data": { "severity": a.severity },
                    "device": { "id": device.id, "organizationId": device.org },
                })
            })
        })
        .collect();
    Json(rows).into_response()
}

// ---- ticketing -----------------------------------------------------------------------------------

pub(super) fn ticketing_refusal(shared: &Shared) -> Option<Response> {
    match *lock(&shared.ticketing) {
        Ticketing::Enabled => None,
        Ticketing::Forbidden => Some(error(
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            "Ticketing is not enabled",
        )),
        Ticketing::NotFound => Some(error(StatusCode::NOT_FOUND, "NOT_FOUND", "Not found")),
    }
}

pub(super) async fn boards(State(shared): App, headers: HeaderMap) -> Response {
    gate!(shared, headers, "GET /v2/ticketing/trigger/boards");
    if let Some(refused) = ticketing_refusal(&shared) {
        return refused;
    }
    Json(json!([
        { "id": 1, "uid": "20000000-0000-4000-8000-000000000001", "name": "All tickets",
          "system": true, "ticketCount": shared.world.tickets.len() },
        { "id": 2, "uid": "20000000-0000-4000-8000-000000000002", "name": "Open tickets",
          "system": true, "ticketCount": shared.world.tickets.iter().filter(|t| !is_closed(t.status)).count() },
    ]))
    .into_response()
}

pub(super) fn is_closed(status: &str) -> bool {
    matches!(status, "RESOLVED" | "CLOSED")
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct BoardRun {
    page_size: Option<usize>,
    last_cursor_id: Option<u32>,
    #[serde(default)]
    filters: Vec<Rule>,
}

#[derive(Deserialize)]
struct Rule {
    field: String,
    operator: String,
    value: String,
}

pub(super) async fn run_board(
    State(shared): App,
    headers: HeaderMap,
    Path(id): Path<u32>,
    body: String,
) -> Response {
    gate!(shared, headers, "POST /v2/ticketing/trigger/board/{id}/run");
    if let Some(refused) = ticketing_refusal(&shared) {
        return refused;
    }
    if id != 1 && id != 2 {
        return error(StatusCode::NOT_FOUND, "NOT_FOUND", "Board not found");
    }
    let Ok(run) = serde_json::from_str::<BoardRun>(if body.is_empty() { "{}" } else { &body })
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "Invalid board run request",
        );
    };
    // The client filter: `{field: "clientId", operator: "in", value: "1,2"}` (names unconfirmed).
    let mut orgs: Option<Vec<u32>> = None;
    for rule in &run.filters {
        if rule.field != "clientId" || !matches!(rule.operator.as_str(), "in" | "eq") {
            return error(StatusCode::BAD_REQUEST, "BAD_REQUEST", "Unsupported filter");
        }
        let ids: Result<Vec<u32>, _> = rule.value.split(',').map(|v| v.trim().parse()).collect();
        match ids {
            Ok(ids) => orgs = Some(ids),
            Err(_) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "BAD_REQUEST",
                    "Invalid filter value",
                )
            }
        }
    }
    let size = run
        .page_size
        .unwrap_or(50)
        .clamp(1, shared.config.max_page_size);
    let after = run.last_cursor_id.unwrap_or(0);
    let rows: Vec<Value> = shared
        .world
        .tickets
        .iter()
        .filter(|t| t.id > after && keeps(&orgs, t.org) && (id == 1 || !is_closed(t.status)))
        .take(size)
        .map(|t| {
            json!({
                "id": t.id,
                "clientId": t.org,
                "organization": { "id": t.org },
                "status": { "name": t.status, "displayName": t.status, "statusId": if is_closed(t.status) { 5000 } else { 1000 } },
                "priority": t.priority,
                "severity": "NONE",
                "createTime": shared.epoch(t.created_ago_s),
                "lastUpdated": shared.epoch(t.created_ago_s / 2),
            })
        })
        .collect();
    Json(json!({
        "data": rows,
        "metadata": { "columns": ["id", "clientId", "status", "priority", "createTime"] },
    }))
    .into_response()
}

// ---- webhooks ------------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WebhookBody {
    url: Option<String>,
    #[serde(default)]
    activities: Value,
    #[serde(default)]
    expand: Vec<String>,
    #[serde(default)]
    headers: Vec<HeaderBody>,
    #[serde(default)]
    organization_ids: Vec<u32>,
}

#[derive(Deserialize)]
struct HeaderBody {
    name: String,
    value: String,
}

pub(super) async fn put_webhook(State(shared): App, headers: HeaderMap, body: String) -> Response {
    gate!(shared, headers, "PUT /v2/webhook");
    let Ok(config) = serde_json::from_str::<WebhookBody>(&body) else {
        return error(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "Invalid webhook configuration",
        );
    };
    let Some(url) = config.url.filter(|u| u.starts_with("http")) else {
        return error(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "A callback url is required",
        );
    };
    *lock(&shared.webhook) = Some(WebhookRegistration {
        url,
        activities: config.activities,
        expand: config.expand,
        headers: config
            .headers
            .into_iter()
            .map(|h| (h.name, h.value))
            .collect(),
        organization_ids: config.organization_ids,
    });
    StatusCode::NO_CONTENT.into_response()
}

pub(super) async fn delete_webhook(State(shared): App, headers: HeaderMap) -> Response {
    gate!(shared, headers, "DELETE /v2/webhook");
    *lock(&shared.webhook) = None;
    StatusCode::NO_CONTENT.into_response()
}
