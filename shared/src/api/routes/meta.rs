//! Routes about the service itself: the dashboard page, the health probe and the OpenAPI document.

use crate::api::openapi::document_json;
use axum::http::{header, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

/// The dashboard is one page with one inline script (one request, and no other route for API Gateway
/// to serve). It is kept in parts that each stay readable: the shell (markup and styles), then the
/// script in order: core helpers and sign-in, the overview, the insights (triage), the client pages, the sources pages, the alerts page,
/// and routing, which closes the script and the page. The parts share the script's scope.
const DASHBOARD_HTML: &str = concat!(
    include_str!("../dashboard/shell.html"),
    include_str!("../dashboard/core.js"),
    include_str!("../dashboard/overview.js"),
    include_str!("../dashboard/insights.js"),
    include_str!("../dashboard/pages.js"),
    include_str!("../dashboard/sources.js"),
    include_str!("../dashboard/alerts.js"),
    include_str!("../dashboard/data.js"),
    include_str!("../dashboard/client.js"),
    include_str!("../dashboard/overrides.js"),
    include_str!("../dashboard/trends.js"),
    include_str!("../dashboard/accuracy.js"),
    include_str!("../dashboard/settings.js"),
    include_str!("../dashboard/syncs.js"),
    include_str!("../dashboard/audit.js"),
    include_str!("../dashboard/routing.js"),
);

/// The dashboard: a static page that uses only the public API.
#[utoipa::path(
    get,
    path = "/",
    tag = "service",
    responses((status = 200, description = "The dashboard page", content_type = "text/html", body = String))
)]
pub async fn dashboard() -> Html<&'static str> {
    Html(DASHBOARD_HTML)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HealthStatus {
    /// Always `ok` when the process answers.
    pub status: String,
    pub version: String,
}

/// Liveness probe; needs no credentials.
#[utoipa::path(
    get,
    path = "/health",
    tag = "service",
    responses((status = 200, description = "The service answers", body = HealthStatus))
)]
pub async fn health() -> Json<HealthStatus> {
    Json(HealthStatus {
        status: "ok".to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
    })
}

/// This document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "service",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object))
)]
pub async fn openapi_document() -> Response {
    let mut response = document_json().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
