//! The HTTP endpoints and the gate every API call passes: counting, latency, the rolling
//! rate-limit window, the bearer token (its expiry, revocation and audience), and injected faults.

mod partner;
mod token;
mod webhooks;

pub(crate) use webhooks::webhook_json;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use crate::config::Injected;
use crate::state::{lock, Shared};

pub(crate) type AppState = State<Arc<Shared>>;

/// The audience that opens the partner endpoints.
pub(crate) const PARTNER_AUDIENCE: &str = "https://api.pax8.com";

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/oauth/token", post(token::issue))
        .route("/v1/token", post(token::issue))
        .route("/v1/companies", get(partner::companies))
        .route("/v1/companies/{id}", get(partner::company))
        .route("/v1/companies/{id}/contacts", get(partner::contacts))
        .route("/v1/subscriptions", get(partner::subscriptions))
        .route("/v1/subscriptions/{id}", get(partner::subscription))
        .route("/v1/subscriptions/{id}/history", get(partner::history))
        .route(
            "/v1/subscriptions/{id}/usage-summaries",
            get(partner::usage_summaries),
        )
        .route("/v1/products/{id}", get(partner::product))
        .route(
            "/api/v2/webhooks",
            get(webhooks::list).post(webhooks::create),
        )
        .route(
            "/api/v2/webhooks/{id}",
            get(webhooks::get_one).delete(webhooks::delete),
        )
        .fallback(not_found)
        .with_state(shared)
}

async fn not_found(uri: axum::http::Uri) -> Response {
    error(StatusCode::NOT_FOUND, "NOT_FOUND", "Not found", uri.path())
}

pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Pax8's error body: `type, message, instance, status`.
pub(crate) fn error(status: StatusCode, kind: &str, message: &str, instance: &str) -> Response {
    json_response(
        status,
        &json!({
            "type": kind,
            "message": message,
            "instance": instance,
            "status": status.as_u16(),
        }),
    )
}

fn too_many(retry_after_secs: Option<u64>, instance: &str) -> Response {
    let mut response = error(
        StatusCode::TOO_MANY_REQUESTS,
        "TOO_MANY_REQUESTS",
        "Too Many Requests",
        instance,
    );
    if let Some(secs) = retry_after_secs {
        if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
    }
    response
}

/// Counts the request, waits the configured latency and applies the rolling window.
pub(crate) async fn enter(shared: &Shared, route: &str, instance: &str) -> Result<(), Response> {
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
        let retry_after = faults
            .retry_after_secs
            .map(|secs| secs.max((wait_ms as u64).div_ceil(1_000)));
        return Err(too_many(retry_after, instance));
    }
    Ok(())
}

/// The gate of every API call (everything but the token endpoint).
pub(crate) async fn gate(
    shared: &Shared,
    headers: &HeaderMap,
    route: &str,
    instance: &str,
) -> Result<(), Response> {
    enter(shared, route, instance).await?;
    if let Err(message) = authorize(shared, headers) {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            message,
            instance,
        ));
    }
    let faults = *lock(&shared.faults);
    let injected = faults.draw(&mut *lock(&shared.rng));
    if let Some(injected) = injected {
        let mut stats = lock(&shared.stats);
        stats.injected_faults += 1;
        return Err(match injected {
            Injected::RateLimited => {
                stats.rate_limited += 1;
                too_many(faults.retry_after_secs, instance)
            }
            Injected::ServerError(status) => error(
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                "INTERNAL_SERVER_ERROR",
                "An unexpected error occurred",
                instance,
            ),
        });
    }
    Ok(())
}

fn authorize(shared: &Shared, headers: &HeaderMap) -> Result<(), &'static str> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or("Full authentication is required to access this resource")?;
    let auth = lock(&shared.auth);
    match auth.tokens.get(token) {
        None => Err("Invalid token"),
        Some(t) if t.revoked => Err("Token has been revoked"),
        Some(t) if t.expires_at_ms <= shared.now_ms() => Err("Jwt is expired"),
        Some(t) if t.audience != PARTNER_AUDIENCE => Err("Invalid audience"),
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

/// Pax8 pages: `page` 0-based (default 0), `size` 1-200 (default 10; larger sizes are served as
/// 200). `Err` for a page or size that is not a number or below the minimum.
pub(crate) fn paging(
    pairs: &[(String, String)],
    instance: &str,
) -> Result<(usize, usize), Box<Response>> {
    let bad = |field: &str| {
        Box::new(error(
            StatusCode::BAD_REQUEST,
            "INVALID_PARAM",
            &format!("Invalid value for {field}"),
            instance,
        ))
    };
    let page = match param(pairs, "page") {
        None => 0,
        Some(v) => v.parse::<usize>().map_err(|_| bad("page"))?,
    };
    let size = match param(pairs, "size") {
        None => 10,
        Some(v) => match v.parse::<usize>() {
            Ok(size) if size >= 1 => size.min(MAX_PAGE_SIZE),
            _ => return Err(bad("size")),
        },
    };
    Ok((page, size))
}

/// The largest page Pax8 serves.
pub const MAX_PAGE_SIZE: usize = 200;

/// `{content, page:{size,totalElements,totalPages,number}}` for one page of `items`.
pub(crate) fn paged(items: Vec<Value>, page: usize, size: usize) -> Response {
    let total = items.len();
    let content: Vec<Value> = items.into_iter().skip(page * size).take(size).collect();
    json_response(
        StatusCode::OK,
        &json!({
            "content": content,
            "page": {
                "size": size,
                "totalElements": total,
                "totalPages": total.div_ceil(size),
                "number": page,
            }
        }),
    )
}
