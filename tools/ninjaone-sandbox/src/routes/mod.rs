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

// The handlers, after the macro they use (macros are in scope from their definition on).
mod activity;
mod inventory;

use activity::*;
use inventory::*;

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
