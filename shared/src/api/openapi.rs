//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use crate::api::error::{Problem, PROBLEM_CONTENT_TYPE};
use crate::api::routes::alerts::{deliveries, rules, snoozes};
use crate::api::routes::{
    audit, auth_config, calibration, client, connections, correlations, erasures, exports, health,
    insights, meta, oauth, overview, score_change, settings, sync,
};
use crate::api::{Access, MAX_URI_BYTES};
use crate::domain::Role;
use axum::http::Method;
use std::sync::OnceLock;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Ref, RefOr};
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
        auth_config::auth_config,
        overview::get_overview,
        insights::list::list_insights,
        overview::get_trends,
        calibration::get_calibration,
        insights::get_insight,
        insights::change_insight_status,
        insights::bulk::change_insights,
        health::list_health_scores,
        client::get_client,
        score_change::get_score_change,
        sync::list_sync_runs,
        sync::get_sync_run,
        sync::request_sync,
        connections::list_connections,
        connections::create::create_connection,
        connections::pause_connection,
        connections::resume_connection,
        connections::delete_connection,
        connections::m365::add_customer_tenant,
        connections::m365::remove_customer_tenant,
        connections::consent::create_consent_link,
        // Correlations (entity matching; owned by the match branch).
        correlations::list_correlations,
        correlations::confirm_correlation,
        correlations::reject_correlation,
        correlations::map_correlation,
        correlations::unlink_correlation,
        rules::list_alert_rules,
        rules::create_alert_rule,
        rules::get_alert_rule,
        rules::put_alert_rule,
        rules::delete_alert_rule,
        deliveries::send_test_alert,
        deliveries::list_deliveries,
        snoozes::snooze_client,
        snoozes::end_snooze,
        snoozes::list_snoozes,
        client::overrides::list_overrides,
        client::overrides::put_override,
        client::overrides::delete_override,
        exports::request_export,
        exports::list_exports,
        exports::get_export,
        audit::list_audit,
        settings::get_settings,
        settings::put_settings,
        settings::preview_settings,
        settings::list_settings_versions,
        oauth::install,
        oauth::callback,
        connections::consent::consent_callback,
        erasures::request_erasure,
        erasures::get_erasure,
    ),
    // Schemas only a parameter names are not collected from the handlers: list them here.
    components(schemas(Problem, health::ScoreSort, crate::domain::InsightSort)),
    modifiers(&BearerJwt, &SharedResponses),
    components(schemas(Problem, health::ScoreSort)),
    modifiers(&BearerJwt, &SharedResponses, &RequiredRoles),
    tags(
        (name = "overview", description = "The tenant at a glance"),
        (name = "insights", description = "Findings with confidence, impact and recommended actions"),
        (name = "health", description = "Client health scores, their factors and history"),
        (name = "sync", description = "CRM sync runs and manual syncs"),
        (name = "connections", description = "The sources a tenant's data comes from: its HubSpot portal, PayPal, NinjaOne, Pax8 and Microsoft 365 (with its customer tenants)"),
        (name = "correlations", description = "Which record of another source is which client: the review queue, confirming, rejecting and mapping by hand"),
        (name = "alerts", description = "Alert rules and their channels (Slack, Teams, email, signed webhooks), test sends, the delivery log and snoozed clients"),
        (name = "exports", description = "Exports of the tenant's data (an archive of JSON Lines per entity, downloaded through a short-lived link); admins only"),
        (name = "audit", description = "Who changed what, when and from which request: the tenant's audit trail (editors and admins)"),
        (name = "settings", description = "Scoring, matching, alerting and HubSpot write-back settings"),
        (name = "data", description = "Your data: erasure of a contact, a client, a connection or the whole tenant"),
        (name = "onboarding", description = "Connecting a HubSpot portal, and Microsoft 365 customer tenants' admin consent"),
        (name = "service", description = "The dashboard, its sign-in settings, health probe and this document"),
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

/// Answers every operation can give without its handler: a URI over the limit (414), and on the
/// routes that read the store, a failure on our side (500) or of a service we use (503). Added to
/// each operation that does not document them itself, as references to shared responses.
struct SharedResponses;

const URI_TOO_LONG: &str = "UriTooLong";
const INTERNAL: &str = "Internal";
const UNAVAILABLE: &str = "Unavailable";

impl Modify for SharedResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, description) in [
            (
                URI_TOO_LONG,
                format!("The path and query are longer than {MAX_URI_BYTES} bytes"),
            ),
            (INTERNAL, "Something went wrong on our side".to_string()),
            (
                UNAVAILABLE,
                "A service the API uses is unavailable; retry shortly".to_string(),
            ),
        ] {
            components
                .responses
                .insert(name.to_string(), RefOr::T(problem_response(&description)));
        }
        for (path, item) in openapi.paths.paths.iter_mut() {
            let reads_the_store = path.starts_with("/v1/") || path.starts_with("/oauth/");
            for operation in operations(item) {
                let responses = &mut operation.responses.responses;
                let mut add = |status: &str, name: &str| {
                    responses
                        .entry(status.to_string())
                        .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
                };
                add("414", URI_TOO_LONG);
                if reads_the_store {
                    add("500", INTERNAL);
                    add("503", UNAVAILABLE);
                }
            }
        }
    }
}

/// Each operation's access, from the route table (the one place it is written): the
/// `x-required-role` extension and a sentence at the end of its description; operations that need
/// more than `viewer` also list the 403 every signed-in caller with less gets.
struct RequiredRoles;

/// The extension that names the least role an operation needs.
pub const REQUIRED_ROLE_EXTENSION: &str = "x-required-role";
const FORBIDDEN: &str = "Forbidden";

impl Modify for RequiredRoles {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.responses.insert(
            FORBIDDEN.to_string(),
            RefOr::T(problem_response(
                "The caller's role does not allow this; the problem names the role needed \
                 (`required_role`) and the caller's (`role`)",
            )),
        );
        for route in crate::api::routes::table() {
            let Some(item) = openapi.paths.paths.get_mut(route.path) else {
                continue;
            };
            let Some(operation) = operation_of(item, &route.method) else {
                continue;
            };
            let sentence = match route.access {
                Access::Public => "Needs no sign-in.".to_string(),
                Access::AtLeast(role) => {
                    let extensions = operation.extensions.get_or_insert_with(Default::default);
                    extensions.insert(REQUIRED_ROLE_EXTENSION.to_string(), role.name().into());
                    if role > Role::Viewer {
                        operation
                            .responses
                            .responses
                            .entry("403".to_string())
                            .or_insert_with(|| RefOr::Ref(Ref::from_response_name(FORBIDDEN)));
                    }
                    format!("Needs the `{role}` role or a higher one.")
                }
            };
            operation.description = Some(match operation.description.take() {
                Some(text) if !text.trim().is_empty() => {
                    format!("{}\n\n{sentence}", text.trim_end())
                }
                _ => sentence,
            });
        }
    }
}

fn operation_of<'a>(item: &'a mut PathItem, method: &Method) -> Option<&'a mut Operation> {
    let slot = match *method {
        Method::GET => &mut item.get,
        Method::PUT => &mut item.put,
        Method::POST => &mut item.post,
        Method::DELETE => &mut item.delete,
        Method::PATCH => &mut item.patch,
        Method::HEAD => &mut item.head,
        Method::OPTIONS => &mut item.options,
        _ => return None,
    };
    slot.as_mut()
}

fn problem_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_CONTENT_TYPE,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
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
