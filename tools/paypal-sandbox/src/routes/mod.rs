//! The HTTP endpoints, one module per PayPal resource, and the gate every API call passes: counting,
//! latency, the rolling rate-limit window, the bearer token, and injected faults.

mod disputes;
mod invoices;
mod oauth;
mod subscriptions;
mod transactions;
mod webhooks;

pub(crate) use disputes::dispute_json;
pub(crate) use invoices::invoice_json;
pub(crate) use subscriptions::subscription_json;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::json;

use crate::config::Injected;
use crate::state::{lock, Shared};
use crate::wire::{json_response, ApiError};

pub(crate) type AppState = State<Arc<Shared>>;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/oauth2/token", post(oauth::token))
        .route("/v1/reporting/transactions", get(transactions::search))
        .route("/v2/invoicing/invoices", get(invoices::list))
        .route("/v2/invoicing/invoices/{id}", get(invoices::get_one))
        .route("/v2/invoicing/search-invoices", post(invoices::search))
        .route("/v1/customer/disputes", get(disputes::list))
        .route("/v1/customer/disputes/{id}", get(disputes::get_one))
        .route(
            "/v1/billing/subscriptions/{id}",
            get(subscriptions::get_one),
        )
        .route(
            "/v1/notifications/verify-webhook-signature",
            post(webhooks::verify),
        )
        .fallback(not_found)
        .with_state(shared)
}

async fn not_found(State(shared): AppState) -> Response {
    let debug_id = shared.debug_id();
    json_response(
        StatusCode::NOT_FOUND,
        &json!({
            "name": "RESOURCE_NOT_FOUND",
            "message": "The specified resource does not exist.",
            "debug_id": debug_id,
        }),
        &debug_id,
    )
}

/// Counts the request, waits the configured latency and applies the rolling window. `Err` holds the
/// 429 to answer.
pub(crate) async fn enter(shared: &Shared, route: &str) -> Result<(), Response> {
    {
        let mut stats = lock(&shared.stats);
        stats.requests += 1;
        *stats.by_route.entry(route.to_owned()).or_default() += 1;
    }
    let faults = *lock(&shared.faults);
    if faults.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.latency_ms)).await;
    }
    if let Err(wait_ms) = shared.admit() {
        lock(&shared.stats).rate_limited += 1;
        let retry_after_secs = faults
            .retry_after_secs
            .map(|secs| secs.max((wait_ms as u64).div_ceil(1_000)));
        return Err(ApiError::RateLimited { retry_after_secs }.respond(&shared.debug_id()));
    }
    Ok(())
}

/// The gate of every API call (everything but the token endpoint). `Ok` gives the call's debug id.
pub(crate) async fn gate(
    shared: &Shared,
    headers: &HeaderMap,
    route: &str,
) -> Result<String, Response> {
    enter(shared, route).await?;
    let debug_id = shared.debug_id();
    authorize(shared, headers).map_err(|error| error.respond(&debug_id))?;
    let faults = *lock(&shared.faults);
    let injected = faults.draw(&mut *lock(&shared.rng));
    if let Some(injected) = injected {
        lock(&shared.stats).injected_faults += 1;
        let error = match injected {
            Injected::RateLimited => ApiError::RateLimited {
                retry_after_secs: faults.retry_after_secs,
            },
            Injected::ServerError(status) => ApiError::Server(status),
        };
        return Err(error.respond(&debug_id));
    }
    Ok(debug_id)
}

fn authorize(shared: &Shared, headers: &HeaderMap) -> Result<(), ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(ApiError::AuthenticationFailure)?;
    let auth = lock(&shared.auth);
    match auth.tokens.get(token) {
        None => Err(ApiError::InvalidToken("Access Token not found in cache")),
        Some(t) if t.revoked => Err(ApiError::InvalidToken("Access Token not found in cache")),
        Some(t) if t.expires_at_ms <= shared.now_ms() => Err(ApiError::InvalidToken(
            "Token signature verification failed",
        )),
        Some(_) => Ok(()),
    }
}

/// The query's pairs, in order (a malformed query reads as empty).
pub(crate) fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    raw.and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default()
}

pub(crate) fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}
