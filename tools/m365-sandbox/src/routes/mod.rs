//! The HTTP routes and what every Graph request goes through first: latency, counting, the bearer
//! token, injected faults and the global limit.

mod auth;
mod graph;
mod reports;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::NaiveDate;
use serde_json::{json, Value};

use crate::model::TenantModel;
use crate::state::{lock, Shared};

pub(crate) use reports::refresh_date;

type AppState = State<Arc<Shared>>;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(auth::token))
        .route("/v1.0/organization", get(graph::organization))
        .route("/v1.0/subscribedSkus", get(graph::subscribed_skus))
        .route("/v1.0/admin/reportSettings", get(graph::report_settings))
        .route(
            "/v1.0/deviceManagement/managedDevices",
            get(graph::managed_devices),
        )
        .route("/v1.0/reports/{call}", get(reports::report))
        .route("/reportdownload/{id}", get(reports::download))
        .fallback(not_found)
        .with_state(shared)
}

async fn not_found(State(shared): AppState) -> Response {
    shared.count("unknown");
    graph_error(
        &shared,
        StatusCode::NOT_FOUND,
        "UnknownError",
        "Resource not found for the segment.",
    )
}

/// Graph's error body: `{"error": {"code", "message", "innerError": {date, request-id}}}`.
pub(crate) fn graph_error(
    shared: &Shared,
    status: StatusCode,
    code: &str,
    message: &str,
) -> Response {
    let request_id = shared.next_id("req-");
    let body = json!({
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": crate::datetime(shared.now_ms()).to_rfc3339(),
                "request-id": request_id,
                "client-request-id": request_id,
            }
        }
    });
    json_response(status, &body)
}

pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

fn with_retry_after(mut response: Response, seconds: u64) -> Response {
    if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

pub(crate) fn throttled(shared: &Shared, seconds: u64) -> Response {
    with_retry_after(
        graph_error(
            shared,
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "Too many requests.",
        ),
        seconds.max(1),
    )
}

/// What every Graph route does first. Answers the tenant the bearer token was issued for, or the
/// response to send instead.
pub(crate) async fn admit<'a>(
    shared: &'a Shared,
    headers: &HeaderMap,
    route: &str,
) -> Result<&'a TenantModel, Response> {
    let faults = lock(&shared.faults).clone();
    if faults.latency > Duration::ZERO {
        tokio::time::sleep(faults.latency).await;
    }
    shared.count(route);
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or_default();
    let now = shared.now_ms();
    let issued = lock(&shared.tokens).get(token).cloned();
    let valid = issued.filter(|t| {
        let early = faults
            .token_valid_for
            .is_some_and(|life| now >= t.issued_ms + life.as_millis() as i64);
        now < t.expires_ms && !early
    });
    let Some(issued) = valid else {
        lock(&shared.stats).unauthorized += 1;
        let message = if token.is_empty() {
            "Access token is empty."
        } else {
            "Access token has expired or is not yet valid."
        };
        return Err(graph_error(
            shared,
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            message,
        ));
    };
    {
        let mut faults = lock(&shared.faults);
        if faults.unavailable_next > 0 {
            faults.unavailable_next -= 1;
            lock(&shared.stats).injected_faults += 1;
            let seconds = faults.retry_after_secs;
            drop(faults);
            return Err(with_retry_after(
                graph_error(
                    shared,
                    StatusCode::SERVICE_UNAVAILABLE,
                    "serviceNotAvailable",
                    "The service is temporarily unavailable.",
                ),
                seconds,
            ));
        }
        if faults.throttle_next > 0 {
            faults.throttle_next -= 1;
            lock(&shared.stats).injected_faults += 1;
            let seconds = faults.retry_after_secs;
            drop(faults);
            return Err(throttled(shared, seconds));
        }
    }
    {
        let second = now.div_euclid(1000);
        let mut global = lock(&shared.global_second);
        if global.0 != second {
            *global = (second, 0);
        }
        if global.1 >= shared.config.limits.global_per_second {
            drop(global);
            lock(&shared.stats).throttled += 1;
            return Err(throttled(shared, 1));
        }
        global.1 += 1;
    }
    shared.tenant(&issued.tenant_id).ok_or_else(|| {
        graph_error(
            shared,
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            "Unknown tenant.",
        )
    })
}

pub(crate) fn date_of(shared: &Shared) -> NaiveDate {
    crate::datetime(shared.now_ms()).date_naive()
}
