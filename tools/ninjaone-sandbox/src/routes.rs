//! The HTTP endpoints (NinjaOne Public API 2.0 paths, SOURCES.md §2) and the gate every API call
//! passes: counting, latency, the rate-limit window, injected faults and the bearer token.

// A helper's refusal is the answer itself, built at most once a request: boxing it buys nothing.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use rand::Rng;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::config::Ticketing;
use crate::model::{Device, Org};
use crate::state::{lock, AccessToken, CursorSession, QueryKind, Shared, WebhookRegistration};

type App = State<Arc<Shared>>;
type Params = Query<HashMap<String, String>>;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/ws/oauth/token", post(token))
        .route("/oauth/token", post(token))
        .route("/v2/organizations", get(organizations))
        .route("/v2/organizations-detailed", get(organizations_detailed))
        .route("/v2/organization/{id}", get(organization))
        .route("/v2/organization/{id}/custom-fields", get(custom_fields))
        .route("/v2/organization/{id}/end-users", get(org_end_users))
        .route("/v2/user/end-users", get(end_users))
        .route("/v2/devices", get(devices))
        .route("/v2/devices-detailed", get(devices_detailed))
        .route("/v2/queries/device-health", get(device_health))
        .route("/v2/queries/antivirus-status", get(antivirus_status))
        .route("/v2/queries/os-patches", get(os_patches))
        .route("/v2/alerts", get(alerts))
        .route("/v2/ticketing/trigger/boards", get(boards))
        .route("/v2/ticketing/trigger/board/{id}/run", post(run_board))
        .route("/v2/webhook", put(put_webhook).delete(delete_webhook))
        .with_state(shared)
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({ "resultCode": code, "errorMessage": message })),
    )
        .into_response()
}

fn too_many(shared: &Shared, wait_s: u64) -> Response {
    lock(&shared.stats).rate_limited += 1;
    let mut response = error(
        StatusCode::TOO_MANY_REQUESTS,
        "TOO_MANY_REQUESTS",
        "Rate limit exceeded",
    );
    if let Ok(value) = header::HeaderValue::from_str(&wait_s.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// Counting, latency, limits and faults; then the bearer token. `Err` is the refusal to send.
async fn gate(shared: &Shared, headers: &HeaderMap, route: &str) -> Result<(), Response> {
    count(shared, route);
    let faults = *lock(&shared.faults);
    if faults.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.latency_ms)).await;
    }
    if let Err(wait_ms) = shared.admit() {
        let wait_s = (wait_ms as u64)
            .div_ceil(1_000)
            .max(faults.retry_after_secs);
        return Err(too_many(shared, wait_s));
    }
    {
        let mut live = lock(&shared.faults);
        if live.throttle_next > 0 {
            live.throttle_next -= 1;
            drop(live);
            return Err(too_many(shared, faults.retry_after_secs));
        }
        if live.fail_next > 0 {
            live.fail_next -= 1;
            drop(live);
            lock(&shared.stats).server_errors += 1;
            return Err(error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "FAILURE",
                "Internal error",
            ));
        }
    }
    let (throttle, fail) = {
        let mut rng = lock(&shared.rng);
        (
            rng.random_bool(faults.rate_limit_rate.clamp(0.0, 1.0)),
            rng.random_bool(faults.server_error_rate.clamp(0.0, 1.0)),
        )
    };
    if throttle {
        return Err(too_many(shared, faults.retry_after_secs));
    }
    if fail {
        lock(&shared.stats).server_errors += 1;
        let status = if lock(&shared.rng).random_bool(0.5) {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        };
        return Err(error(status, "FAILURE", "Internal error"));
    }
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let now = shared.now_ms();
    let valid = lock(&shared.auth)
        .tokens
        .get(token)
        .is_some_and(|t| !t.revoked && t.expires_at_ms > now);
    if !valid {
        lock(&shared.stats).unauthorized += 1;
        return Err((
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "invalid_token", "error_description": "Access token expired or invalid" })),
        )
            .into_response());
    }
    Ok(())
}

fn count(shared: &Shared, route: &str) {
    let mut stats = lock(&shared.stats);
    stats.requests += 1;
    *stats.by_route.entry(route.to_owned()).or_default() += 1;
}

macro_rules! gate {
    ($shared:expr, $headers:expr, $route:expr) => {
        if let Err(refused) = gate(&$shared, &$headers, $route).await {
            return refused;
        }
    };
}

// ---- OAuth2 client credentials ------------------------------------------------------------------

#[derive(Deserialize)]
struct TokenForm {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    scope: Option<String>,
}

async fn token(State(shared): App, body: String) -> Response {
    count(&shared, "POST /oauth/token");
    lock(&shared.stats).token_requests += 1;
    let latency = lock(&shared.faults).latency_ms;
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    let Ok(form) = serde_urlencoded::from_str::<TokenForm>(&body) else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
    };
    if form.grant_type.as_deref() != Some("client_credentials") {
        return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    }
    let right = form.client_id.as_deref() == Some(shared.config.client_id.as_str())
        && form.client_secret.as_deref() == Some(shared.config.client_secret.as_str());
    let mut auth = lock(&shared.auth);
    if !right || auth.refuse_credentials {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    auth.issued += 1;
    let token = format!(
        "ninja-at-{}-{:016x}",
        auth.issued,
        lock(&shared.rng).random::<u64>()
    );
    let ttl = shared.config.token_ttl_secs;
    auth.tokens.insert(
        token.clone(),
        AccessToken {
            expires_at_ms: shared.now_ms() + ttl as i64 * 1_000,
            revoked: false,
        },
    );
    Json(json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": ttl,
        "scope": form.scope.unwrap_or_else(|| "monitoring".to_owned()),
    }))
    .into_response()
}

fn oauth_error(status: StatusCode, code: &str) -> Response {
    (status, Json(json!({ "error": code }))).into_response()
}

// ---- paging helpers ------------------------------------------------------------------------------

fn page_size(shared: &Shared, params: &HashMap<String, String>) -> Result<usize, Response> {
    match params.get("pageSize") {
        None => Ok(shared.config.max_page_size),
        Some(raw) => match raw.parse::<usize>() {
            Ok(0) | Err(_) => Err(error(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "Invalid pageSize",
            )),
            Ok(n) => Ok(n.min(shared.config.max_page_size)),
        },
    }
}

fn after(params: &HashMap<String, String>) -> Result<u32, Response> {
    params.get("after").map_or(Ok(0), |raw| {
        raw.parse()
            .map_err(|_| error(StatusCode::BAD_REQUEST, "BAD_REQUEST", "Invalid after"))
    })
}

/// The organisations a device filter keeps: `org = 5`, `org=5`, `org eq 5`, `org in (1,2,3)`;
/// `None` keeps all. Other filters are refused, so a client bug shows.
pub(crate) fn org_filter(df: Option<&String>) -> Result<Option<Vec<u32>>, Response> {
    let Some(df) = df.map(|d| d.trim()).filter(|d| !d.is_empty()) else {
        return Ok(None);
    };
    let bad = || {
        error(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "Invalid device filter",
        )
    };
    let rest = df.strip_prefix("org").ok_or_else(bad)?.trim_start();
    let list = if let Some(value) = rest.strip_prefix('=') {
        value.trim().to_owned()
    } else if let Some(value) = rest.strip_prefix("eq ") {
        value.trim().to_owned()
    } else if let Some(value) = rest.strip_prefix("in") {
        let value = value.trim();
        value
            .strip_prefix('(')
            .and_then(|v| v.strip_suffix(')'))
            .ok_or_else(bad)?
            .to_owned()
    } else {
        return Err(bad());
    };
    list.split(',')
        .map(|id| id.trim().parse::<u32>().map_err(|_| bad()))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn keeps(orgs: &Option<Vec<u32>>, org: u32) -> bool {
    orgs.as_ref().is_none_or(|list| list.contains(&org))
}

// ---- organisations -------------------------------------------------------------------------------

fn org_json(org: &Org, detailed: bool) -> Value {
    let mut value = json!({
        "id": org.id,
        "name": org.name,
        "description": "",
        "nodeApprovalMode": "AUTOMATIC",
        "tags": org.tags,
    });
    if detailed {
        let fields: serde_json::Map<String, Value> = org
            .fields
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        value["fields"] = Value::Object(fields);
        value["locations"] = json!([{ "id": org.id * 10, "name": "Main office" }]);
        value["policies"] = json!([]);
        value["settings"] = json!({});
    }
    value
}

async fn list_orgs(shared: &Shared, params: &HashMap<String, String>, detailed: bool) -> Response {
    let size = match page_size(shared, params) {
        Ok(size) => size,
        Err(refused) => return refused,
    };
    let after = match after(params) {
        Ok(after) => after,
        Err(refused) => return refused,
    };
    let page: Vec<Value> = shared
        .world
        .orgs
        .iter()
        .filter(|o| o.id > after)
        .take(size)
        .map(|o| org_json(o, detailed))
        .collect();
    Json(page).into_response()
}

async fn organizations(State(shared): App, headers: HeaderMap, Query(params): Params) -> Response {
    gate!(shared, headers, "GET /v2/organizations");
    list_orgs(&shared, &params, false).await
}

async fn organizations_detailed(
    State(shared): App,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    gate!(shared, headers, "GET /v2/organizations-detailed");
    list_orgs(&shared, &params, true).await
}

fn find_org(shared: &Shared, id: u32) -> Result<&Org, Response> {
    shared
        .world
        .orgs
        .iter()
        .find(|o| o.id == id)
        .ok_or_else(|| error(StatusCode::NOT_FOUND, "NOT_FOUND", "Organization not found"))
}

async fn organization(State(shared): App, headers: HeaderMap, Path(id): Path<u32>) -> Response {
    gate!(shared, headers, "GET /v2/organization/{id}");
    match find_org(&shared, id) {
        Ok(org) => Json(org_json(org, true)).into_response(),
        Err(refused) => refused,
    }
}

async fn custom_fields(State(shared): App, headers: HeaderMap, Path(id): Path<u32>) -> Response {
    gate!(shared, headers, "GET /v2/organization/{id}/custom-fields");
    match find_org(&shared, id) {
        Ok(org) => Json(org_json(org, true)["fields"].clone()).into_response(),
        Err(refused) => refused,
    }
}

fn end_user_json(user: &crate::model::EndUser) -> Value {
    json!({
        "id": user.id,
        "uid": format!("00000000-0000-4000-8000-{:012x}", user.id),
        "firstName": "End",
        "lastName": format!("User {}", user.id),
        "email": user.email,
        "organizationId": user.org,
        "fullPortalAccess": false,
    })
}

async fn org_end_users(State(shared): App, headers: HeaderMap, Path(id): Path<u32>) -> Response {
    gate!(shared, headers, "GET /v2/organization/{id}/end-users");
    if let Err(refused) = find_org(&shared, id) {
        return refused;
    }
    let users: Vec<Value> = shared
        .world
        .end_users
        .iter()
        .filter(|u| u.org == id)
        .map(end_user_json)
        .collect();
    Json(users).into_response()
}

async fn end_users(State(shared): App, headers: HeaderMap) -> Response {
    gate!(shared, headers, "GET /v2/user/end-users");
    let users: Vec<Value> = shared.world.end_users.iter().map(end_user_json).collect();
    Json(users).into_response()
}

// ---- devices -------------------------------------------------------------------------------------

fn device_json(shared: &Shared, device: &Device, detailed: bool) -> Value {
    let mut value = json!({
        "id": device.id,
        "uid": format!("10000000-0000-4000-8000-{:012x}", device.id),
        "organizationId": device.org,
        "locationId": device.org * 10,
        "nodeClass": "WINDOWS_WORKSTATION",
        "approvalStatus": "APPROVED",
        "offline": device.offline,
        "displayName": device.system_name,
        "systemName": device.system_name,
        "dnsName": format!("{}.local", device.system_name.to_ascii_lowercase()),
        "created": shared.epoch(400 * 86_400),
        "lastContact": shared.epoch(device.last_contact_ago_s),
        "lastUpdate": shared.epoch(device.last_contact_ago_s),
    });
    if detailed {
        value["system"] = json!({
            "manufacturer": "Dell Inc.",
            "model": "OptiPlex 7090",
            "serialNumber": device.serial,
            "biosSerialNumber": device.serial,
            "virtualMachine": false,
        });
        value["os"] = json!({ "name": "Windows 11 Pro" });
    }
    value
}

async fn list_devices(
    shared: &Shared,
    params: &HashMap<String, String>,
    detailed: bool,
) -> Response {
    let (size, after, orgs) = match (
        page_size(shared, params),
        after(params),
        org_filter(params.get("df")),
    ) {
        (Ok(size), Ok(after), Ok(orgs)) => (size, after, orgs),
        (Err(r), _, _) | (_, Err(r), _) | (_, _, Err(r)) => return r,
    };
    let page: Vec<Value> = shared
        .world
        .devices
        .iter()
        .filter(|d| d.id > after && keeps(&orgs, d.org))
        .take(size)
        .map(|d| device_json(shared, d, detailed))
        .collect();
    Json(page).into_response()
}

async fn devices(State(shared): App, headers: HeaderMap, Query(params): Params) -> Response {
    gate!(shared, headers, "GET /v2/devices");
    list_devices(&shared, &params, false).await
}

async fn devices_detailed(
    State(shared): App,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    gate!(shared, headers, "GET /v2/devices-detailed");
    list_devices(&shared, &params, true).await
}

// ---- cursor queries ------------------------------------------------------------------------------

/// How long a query cursor lives (NinjaOne sends `expires`; its length is unconfirmed).
const CURSOR_TTL_MS: i64 = 10 * 60 * 1_000;

fn query_rows(shared: &Shared, kind: QueryKind, orgs: &Option<Vec<u32>>) -> Vec<Value> {
    let devices = shared.world.devices.iter().filter(|d| keeps(orgs, d.org));
    match kind {
        QueryKind::DeviceHealth => devices
            .map(|d| {
                json!({
                    "deviceId": d.id,
                    "offline": d.offline,
                    "healthStatus": d.health,
                    "failedOSPatchesCount": d.failed_patches,
                    "pendingOSPatchesCount": d.failed_patches * 2,
                    "activeThreatsCount": d.active_threats,
                    "quarantinedThreatsCount": 0,
                    "blockedThreatsCount": 0,
                    "alertCount": shared.world.alerts.iter().filter(|a| a.device == d.id).count(),
                })
            })
            .collect(),
        QueryKind::Antivirus => devices
            .map(|d| {
                json!({
                    "deviceId": d.id,
                    "productName": "Bitdefender Endpoint Security",
                    "productState": d.av_state,
                    "definitionStatus": d.av_definitions,
                    "version": "7.9",
                    "timestamp": shared.epoch(d.last_contact_ago_s),
                })
            })
            .collect(),
        QueryKind::OsPatches => devices
            .flat_map(|d| {
                (0..d.failed_patches).map(move |i| {
                    json!({
                        "deviceId": d.id,
                        "id": format!("KB50{:05}", d.id * 10 + i),
                        "name": "Cumulative Update",
                        "severity": "IMPORTANT",
                        "status": "FAILED",
                        "type": "PATCH",
                    })
                })
            })
            .collect(),
    }
}

async fn cursor_query(
    shared: &Shared,
    params: &HashMap<String, String>,
    kind: QueryKind,
) -> Response {
    let now = shared.now_ms();
    let (name, mut session) = match params.get("cursor").filter(|c| !c.is_empty()) {
        Some(name) => {
            let found = lock(&shared.cursors).get(name).cloned();
            match found {
                Some(session) if session.kind == kind && session.expires_ms > now => {
                    (name.clone(), session)
                }
                _ => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "BAD_REQUEST",
                        "Invalid or expired cursor",
                    )
                }
            }
        }
        None => {
            let (size, orgs) = match (page_size(shared, params), org_filter(params.get("df"))) {
                (Ok(size), Ok(orgs)) => (size, orgs),
                (Err(r), _) | (_, Err(r)) => return r,
            };
            let mut seq = lock(&shared.cursor_seq);
            *seq += 1;
            (
                format!("cursor-{:x}-{:x}", *seq, lock(&shared.rng).random::<u32>()),
                CursorSession {
                    kind,
                    orgs,
                    next: 0,
                    page_size: size,
                    expires_ms: now + CURSOR_TTL_MS,
                },
            )
        }
    };
    let rows = query_rows(shared, kind, &session.orgs);
    let offset = session.next.min(rows.len());
    let page: Vec<Value> = rows
        .into_iter()
        .skip(offset)
        .take(session.page_size)
        .collect();
    session.next = offset + page.len();
    let expires = if shared.config.epoch_millis {
        session.expires_ms as f64
    } else {
        session.expires_ms as f64 / 1_000.0
    };
    let count = page.len();
    lock(&shared.cursors).insert(name.clone(), session);
    Json(json!({
        "cursor": { "name": name, "offset": offset, "count": count, "expires": expires },
        "results": page,
    }))
    .into_response()
}

async fn device_health(State(shared): App, headers: HeaderMap, Query(params): Params) -> Response {
    gate!(shared, headers, "GET /v2/queries/device-health");
    cursor_query(&shared, &params, QueryKind::DeviceHealth).await
}

async fn antivirus_status(
    State(shared): App,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    gate!(shared, headers, "GET /v2/queries/antivirus-status");
    cursor_query(&shared, &params, QueryKind::Antivirus).await
}

async fn os_patches(State(shared): App, headers: HeaderMap, Query(params): Params) -> Response {
    gate!(shared, headers, "GET /v2/queries/os-patches");
    cursor_query(&shared, &params, QueryKind::OsPatches).await
}

// ---- alerts --------------------------------------------------------------------------------------

async fn alerts(State(shared): App, headers: HeaderMap, Query(params): Params) -> Response {
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

fn ticketing_refusal(shared: &Shared) -> Option<Response> {
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

async fn boards(State(shared): App, headers: HeaderMap) -> Response {
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

fn is_closed(status: &str) -> bool {
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

async fn run_board(
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

async fn put_webhook(State(shared): App, headers: HeaderMap, body: String) -> Response {
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

async fn delete_webhook(State(shared): App, headers: HeaderMap) -> Response {
    gate!(shared, headers, "DELETE /v2/webhook");
    *lock(&shared.webhook) = None;
    StatusCode::NO_CONTENT.into_response()
}
