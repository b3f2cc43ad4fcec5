//! The handlers, grouped by resource, and the one table that lists them.

pub mod alerts;
pub mod audit;
pub mod auth_config;
pub mod calibration;
pub mod client;
pub mod connections;
pub mod correlations;
pub mod erasures;
pub mod exports;
pub mod health;
pub mod insights;
pub mod linked;
pub mod meta;
pub mod oauth;
pub mod overview;
pub mod score_change;
pub mod settings;
pub mod sync;

use crate::api::error::ApiError;
use crate::api::{Access, Route};
use crate::domain::IdError;
use crate::domain::Role;
use crate::ports::{PageRequest, StoreError};
use axum::extract::rejection::PathRejection;
use axum::extract::Path;
use axum::http::Method;
use axum::routing::{delete, get, patch, post, put};
use std::str::FromStr;

pub const DEFAULT_PAGE_LIMIT: u32 = 50;

/// Every route the API serves. The router is built from this table only, and a test holds the
/// OpenAPI document equal to it.
pub fn table() -> Vec<Route> {
    let route = |method: Method, path: &'static str, handler| Route {
        access: access_of(&method, path),
        method,
        path,
        handler,
    };
    vec![
        route(Method::GET, "/", get(meta::dashboard)),
        route(Method::GET, "/health", get(meta::health)),
        route(Method::GET, "/openapi.json", get(meta::openapi_document)),
        route(
            Method::GET,
            "/auth-config.json",
            get(auth_config::auth_config),
        ),
        route(Method::GET, "/v1/overview", get(overview::get_overview)),
        route(
            Method::GET,
            "/v1/calibration",
            get(calibration::get_calibration),
        ),
        route(
            Method::GET,
            "/v1/overview/trends",
            get(overview::get_trends),
        ),
        route(Method::GET, "/v1/insights", get(insights::list_insights)),
        route(
            Method::POST,
            "/v1/insights/bulk",
            post(insights::change_insights),
        ),
        route(Method::GET, "/v1/insights/{id}", get(insights::get_insight)),
        route(
            Method::PATCH,
            "/v1/insights/{id}",
            patch(insights::change_insight_status),
        ),
        route(
            Method::GET,
            "/v1/health-scores",
            get(health::list_health_scores),
        ),
        route(Method::GET, "/v1/clients/{id}", get(client::get_client)),
        route(
            Method::GET,
            "/v1/clients/{id}/score-change",
            get(score_change::get_score_change),
        ),
        route(Method::GET, "/v1/sync-runs", get(sync::list_sync_runs)),
        route(Method::GET, "/v1/sync-runs/{id}", get(sync::get_sync_run)),
        route(Method::POST, "/v1/sync", post(sync::request_sync)),
        route(
            Method::GET,
            "/v1/connections",
            get(connections::list_connections),
        ),
        route(
            Method::POST,
            "/v1/connections",
            post(connections::create_connection),
        ),
        route(
            Method::POST,
            "/v1/connections/{id}/pause",
            post(connections::pause_connection),
        ),
        route(
            Method::POST,
            "/v1/connections/{id}/resume",
            post(connections::resume_connection),
        ),
        route(
            Method::DELETE,
            "/v1/connections/{id}",
            delete(connections::delete_connection),
        ),
        route(
            Method::POST,
            "/v1/connections/{id}/customer-tenants",
            post(connections::m365::add_customer_tenant),
        ),
        route(
            Method::DELETE,
            "/v1/connections/{id}/customer-tenants/{tenant_id}",
            delete(connections::m365::remove_customer_tenant),
        ),
        route(
            Method::POST,
            "/v1/connections/{id}/consent-links",
            post(connections::consent::create_consent_link),
        ),
        route(
            Method::GET,
            "/v1/correlations",
            get(correlations::list_correlations),
        ),
        route(
            Method::PUT,
            "/v1/correlations",
            put(correlations::map_correlation),
        ),
        route(
            Method::DELETE,
            "/v1/correlations",
            delete(correlations::unlink_correlation),
        ),
        route(
            Method::POST,
            "/v1/correlations/confirm",
            post(correlations::confirm_correlation),
        ),
        route(
            Method::POST,
            "/v1/correlations/reject",
            post(correlations::reject_correlation),
        ),
        route(
            Method::GET,
            "/v1/alert-rules",
            get(alerts::rules::list_alert_rules),
        ),
        route(
            Method::POST,
            "/v1/alert-rules",
            post(alerts::rules::create_alert_rule),
        ),
        route(
            Method::GET,
            "/v1/alert-rules/{id}",
            get(alerts::rules::get_alert_rule),
        ),
        route(
            Method::PUT,
            "/v1/alert-rules/{id}",
            put(alerts::rules::put_alert_rule),
        ),
        route(
            Method::DELETE,
            "/v1/alert-rules/{id}",
            delete(alerts::rules::delete_alert_rule),
        ),
        route(
            Method::POST,
            "/v1/alert-rules/{id}/test",
            post(alerts::deliveries::send_test_alert),
        ),
        route(
            Method::GET,
            "/v1/alert-deliveries",
            get(alerts::deliveries::list_deliveries),
        ),
        route(
            Method::PUT,
            "/v1/clients/{id}/snooze",
            put(alerts::snoozes::snooze_client),
        ),
        route(
            Method::DELETE,
            "/v1/clients/{id}/snooze",
            delete(alerts::snoozes::end_snooze),
        ),
        route(
            Method::GET,
            "/v1/clients/{id}/overrides",
            get(client::overrides::list_overrides),
        ),
        route(
            Method::PUT,
            "/v1/clients/{id}/overrides/{kind}",
            put(client::overrides::put_override),
        ),
        route(
            Method::DELETE,
            "/v1/clients/{id}/overrides/{kind}",
            delete(client::overrides::delete_override),
        ),
        route(
            Method::GET,
            "/v1/snoozes",
            get(alerts::snoozes::list_snoozes),
        ),
        route(Method::GET, "/v1/exports", get(exports::list_exports)),
        route(Method::POST, "/v1/exports", post(exports::request_export)),
        route(Method::GET, "/v1/exports/{id}", get(exports::get_export)),
        route(Method::GET, "/v1/audit", get(audit::list_audit)),
        route(Method::GET, "/v1/settings", get(settings::get_settings)),
        route(Method::PUT, "/v1/settings", put(settings::put_settings)),
        route(
            Method::GET,
            "/v1/settings/versions",
            get(settings::list_settings_versions),
        ),
        // Erasures: POST needs admin by the rule below; reading one needs admin too (its counts
        // tell what the tenant held).
        route(
            Method::POST,
            "/v1/erasures",
            post(erasures::request_erasure),
        ),
        route(Method::GET, "/v1/erasures/{id}", get(erasures::get_erasure)),
        route(
            Method::POST,
            "/v1/settings/preview",
            post(settings::preview_settings),
        ),
        route(Method::GET, "/oauth/install", get(oauth::install)),
        route(Method::GET, "/oauth/callback", get(oauth::callback)),
        route(
            Method::GET,
            "/oauth/m365/callback",
            get(connections::consent::consent_callback),
        ),
    ]
}

/// The access each route needs: the public pages and redirects need none; reads need `viewer`;
/// triage (insight status, matches, snoozes, syncs) needs `editor`; everything that changes how the
/// tenant is set up (settings, connections, alert rules), exports and erasures needs `admin`.
fn access_of(method: &Method, path: &str) -> Access {
    // `/oauth/install` too: a new customer has no tenant (nor token) yet, and the dashboard's
    // "connect" link is a browser navigation that carries none; API Gateway serves it without the
    // authorizer. A signed-in caller's tenant is only bound into the signed state.
    const PUBLIC: [&str; 7] = [
        "/",
        "/health",
        "/openapi.json",
        "/auth-config.json",
        "/oauth/install",
        "/oauth/callback",
        "/oauth/m365/callback",
    ];
    const EDITOR_PREFIXES: [&str; 4] = [
        "/v1/insights",
        "/v1/correlations",
        "/v1/sync",
        "/v1/clients",
    ];
    if PUBLIC.contains(&path) {
        return Access::Public;
    }
    // An export holds all the tenant's data, and reading one hands out its download link: even
    // reading exports is the admin's. An erasure's status and counts describe what the tenant held
    // and what an admin erased: admins only, reading included.
    if path.starts_with("/v1/exports") || path.starts_with("/v1/erasures") {
        return Access::AtLeast(Role::Admin);
    }
    // The audit trail names colleagues and what they changed: editors and admins only (see
    // `audit.rs`).
    if path == "/v1/audit" {
        return Access::AtLeast(Role::Editor);
    }
    if method == Method::GET || method == Method::HEAD {
        return Access::AtLeast(Role::Viewer);
    }
    if EDITOR_PREFIXES
        .iter()
        .any(|prefix| path.starts_with(prefix))
    {
        return Access::AtLeast(Role::Editor);
    }
    Access::AtLeast(Role::Admin)
}

/// A page request from the `limit` and `cursor` parameters.
pub(crate) fn page_request(
    limit: Option<u32>,
    cursor: Option<String>,
) -> Result<PageRequest, ApiError> {
    let limit = limit.unwrap_or(DEFAULT_PAGE_LIMIT);
    if !(1..=PageRequest::MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_parameter(
            "limit",
            format!("must be between 1 and {}", PageRequest::MAX_LIMIT),
        ));
    }
    Ok(PageRequest {
        limit,
        cursor: cursor.filter(|c| !c.is_empty()),
    })
}

/// The store refuses a cursor that is malformed or was made for another tenant or query.
pub(crate) fn list_error(error: StoreError) -> ApiError {
    match error {
        StoreError::InvalidInput(_) => {
            ApiError::bad_parameter("cursor", "is not a cursor this list returned")
        }
        other => other.into(),
    }
}

/// The `{id}` path parameter as a validated id; an id that cannot exist is a 400 naming `id`.
pub(crate) fn path_id<T>(raw: Result<Path<String>, PathRejection>) -> Result<T, ApiError>
where
    T: FromStr<Err = IdError>,
{
    let Path(raw) =
        raw.map_err(|rejection| ApiError::bad_parameter("id", rejection.body_text()))?;
    raw.parse()
        .map_err(|error: IdError| ApiError::bad_parameter("id", error.to_string()))
}
