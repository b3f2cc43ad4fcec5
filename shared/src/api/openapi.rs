//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use crate::api::error::Problem;
use crate::api::routes::{health, insights, meta, oauth, overview, settings, sync};
use std::sync::OnceLock;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Connected Insights API",
        description = "Client health scores and insights from your CRM. Every /v1 route needs a bearer \
                       JWT whose tenant claim names your tenant. Errors are problem details \
                       (application/problem+json)."
    ),
    paths(
        meta::dashboard,
        meta::health,
        meta::openapi_document,
        overview::get_overview,
        insights::list_insights,
        insights::get_insight,
        insights::change_insight_status,
        health::list_health_scores,
        health::get_client,
        sync::list_sync_runs,
        sync::get_sync_run,
        sync::request_sync,
        settings::get_settings,
        settings::put_settings,
        oauth::install,
        oauth::callback,
    ),
    components(schemas(Problem)),
    modifiers(&BearerJwt),
    tags(
        (name = "overview", description = "The tenant at a glance"),
        (name = "insights", description = "Findings with confidence, impact and recommended actions"),
        (name = "health", description = "Client health scores, their factors and history"),
        (name = "sync", description = "CRM sync runs and manual syncs"),
        (name = "settings", description = "Scoring settings"),
        (name = "onboarding", description = "Connecting a HubSpot portal"),
        (name = "service", description = "The dashboard, health probe and this document"),
    )
)]
pub struct ApiDoc;

struct BearerJwt;

impl Modify for BearerJwt {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("JWT".to_string());
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The document as JSON, built once.
pub fn document_json() -> String {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| document().to_json().unwrap_or_else(|_| "{}".to_string()))
        .clone()
}
