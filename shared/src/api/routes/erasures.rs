//! Erasures: ask for one (a contact, a client, a connection or the whole tenant) and watch it. The
//! work runs asynchronously (`ErasureRequested`, handled by `handlers::erasure`).

use crate::api::error::{ApiError, Problem};
use crate::api::extract::ApiJson;
use crate::api::routes::connections::HUBSPOT_CONNECTION_ID;
use crate::api::routes::path_id;
use crate::api::{ApiState, Caller};
use crate::domain::{
    AuditChange, AuditEntityKind, ClientId, ConnectionId, Erasure, ErasureId, ErasurePhase,
    ErasureScope, ErasureStatus, ErasureTarget,
};
use crate::events::{ErasureRequested, ProductEvent};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What to erase.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErasureRequestBody {
    pub scope: ErasureScope,
    /// The contact's CRM id, the client's id, the connection's id, or (scope `tenant`) this
    /// tenant's own id, as a confirmation.
    pub id: String,
}

/// An erasure as the API shows it: never the subject of a contact's erasure, only its receipt hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErasureView {
    pub id: String,
    pub scope: ErasureScope,
    /// The internal id of a client, connection or tenant; a salted hash for a contact.
    pub subject: String,
    pub status: ErasureStatus,
    pub phase: ErasurePhase,
    /// What was erased so far, by kind (`snapshot`, `score`, `secret`, `export_object`...).
    pub counts: BTreeMap<String, u64>,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
}

impl From<Erasure> for ErasureView {
    fn from(erasure: Erasure) -> Self {
        ErasureView {
            id: erasure.id.to_string(),
            scope: erasure.scope,
            subject: erasure.subject,
            status: erasure.status,
            phase: erasure.phase,
            counts: erasure.counts,
            requested_by: erasure.requested_by,
            requested_at: erasure.requested_at,
            started_at: erasure.started_at,
            finished_at: erasure.finished_at,
            error: erasure.error,
        }
    }
}

/// Erase a contact, a client, a connection or the whole tenant. Runs asynchronously: watch it with
/// `GET /v1/erasures/{id}`. Each erasure leaves a receipt in the audit trail that names no person.
#[utoipa::path(
    post,
    path = "/v1/erasures",
    tag = "data",
    security(("bearer" = [])),
    request_body = ErasureRequestBody,
    responses(
        (status = 202, description = "The erasure is under way; `Location` is where to watch it", body = ErasureView),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The HubSpot connection is erased by uninstalling the app, or with the tenant", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than the API reads", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "A body was sent without a JSON content type", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The scope or id is invalid (`field` names it)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn request_erasure(
    State(state): State<ApiState>,
    caller: Caller,
    ApiJson(body): ApiJson<ErasureRequestBody>,
) -> Result<Response, ApiError> {
    let target = target_of(&caller, &body)?;
    let now = state.now();
    let erasure = Erasure::request(
        ErasureId::generate(),
        caller.tenant_id.clone(),
        target,
        "api",
        now,
    );
    state.store.put_erasure(&erasure).await?;
    let event = ErasureRequested::new(caller.tenant_id.clone(), erasure.id.clone(), now);
    state
        .bus
        .publish(&[ProductEvent::ErasureRequested(event)])
        .await?;
    let change = AuditChange::new("erasure.requested", AuditEntityKind::Erasure, &erasure.id)
        .detail(serde_json::json!({"scope": erasure.scope, "subject": erasure.subject}));
    crate::api::audit::record(&state, &caller, change).await?;
    let location = format!("/v1/erasures/{}", erasure.id);
    let mut response = (StatusCode::ACCEPTED, Json(ErasureView::from(erasure))).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// One erasure: where it stands and what it erased.
#[utoipa::path(
    get,
    path = "/v1/erasures/{id}",
    tag = "data",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The erasure id")),
    responses(
        (status = 200, description = "The erasure", body = ErasureView),
        (status = 400, description = "The id is malformed (`parameter` is `id`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such erasure for this tenant", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_erasure(
    State(state): State<ApiState>,
    caller: Caller,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<ErasureView>, ApiError> {
    let erasure_id: ErasureId = path_id(id)?;
    let erasure = state
        .store
        .get_erasure(&caller.tenant_id, &erasure_id)
        .await?;
    Ok(Json(erasure.into()))
}

fn invalid_id(reason: impl ToString) -> ApiError {
    ApiError::InvalidField {
        field: "id".into(),
        reason: reason.to_string(),
    }
}

/// The subject the body names, checked.
fn target_of(caller: &Caller, body: &ErasureRequestBody) -> Result<ErasureTarget, ApiError> {
    let id = body.id.trim();
    match body.scope {
        ErasureScope::Contact => {
            crate::store::keys::free_key_part("contact id", id)
                .map_err(|_| invalid_id("must be a CRM contact id"))?;
            Ok(ErasureTarget::Contact(id.to_owned()))
        }
        ErasureScope::Client => Ok(ErasureTarget::Client(
            ClientId::parse(id).map_err(invalid_id)?,
        )),
        ErasureScope::Connection => {
            let connection = ConnectionId::parse(id).map_err(invalid_id)?;
            if connection.as_str() == HUBSPOT_CONNECTION_ID {
                return Err(ApiError::conflict(
                    "The HubSpot connection is this account's own portal: uninstalling the app in \
                     HubSpot erases it, or erase the whole tenant.",
                ));
            }
            Ok(ErasureTarget::Connection(connection))
        }
        ErasureScope::Tenant => {
            if id != caller.tenant_id.as_str() {
                return Err(invalid_id(
                    "must be this tenant's own id, to confirm erasing everything",
                ));
            }
            Ok(ErasureTarget::Tenant)
        }
    }
}

/// How long the API works on an erasure itself (a deleted connection's) before the sync function
/// continues it: well inside API Gateway's 29 seconds.
const API_ERASURE_BUDGET: std::time::Duration = std::time::Duration::from_secs(15);

/// Erases a connection being deleted, through the same erasure as `POST /v1/erasures` (receipt
/// included), run here for a quick answer: 204 when done, 202 with the erasure when it continues
/// asynchronously (a big connection, or a service that failed for a moment).
pub(crate) async fn erase_deleted_connection(
    state: &ApiState,
    caller: &Caller,
    connection_id: &ConnectionId,
) -> Result<Response, ApiError> {
    let now = state.now();
    let tenant_id = &caller.tenant_id;
    let erasure = Erasure::request(
        ErasureId::generate(),
        tenant_id.clone(),
        ErasureTarget::Connection(connection_id.clone()),
        "connection-deleted",
        now,
    );
    state.store.put_erasure(&erasure).await?;
    let request = ErasureRequested::new(tenant_id.clone(), erasure.id.clone(), now);
    let ports = crate::handlers::erasure::ErasurePorts {
        vault: state.vault.as_ref(),
        objects: None,
    };
    let deadline = std::time::Instant::now() + API_ERASURE_BUDGET;
    let outcome = crate::handlers::erasure::handle_erasure_requested(
        state.store.as_ref(),
        state.bus.as_ref(),
        ports,
        &request,
        deadline,
        now,
    )
    .await;
    let erasure = match outcome {
        Ok(erasure) => erasure,
        Err(error) => {
            // Saved at its last step: the sync function takes it from there.
            tracing::warn!(%error, erasure = %erasure.id, "connection erasure continues asynchronously");
            state
                .bus
                .publish(&[ProductEvent::ErasureRequested(request)])
                .await?;
            state.store.get_erasure(tenant_id, &erasure.id).await?
        }
    };
    match erasure.status {
        ErasureStatus::Completed => Ok(StatusCode::NO_CONTENT.into_response()),
        ErasureStatus::Failed => Err(ApiError::internal(std::io::Error::other(
            erasure
                .error
                .unwrap_or_else(|| "the connection's erasure failed".into()),
        ))),
        ErasureStatus::Pending | ErasureStatus::Running => {
            let location = format!("/v1/erasures/{}", erasure.id);
            let mut response =
                (StatusCode::ACCEPTED, Json(ErasureView::from(erasure))).into_response();
            if let Ok(value) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, value);
            }
            Ok(response)
        }
    }
}
