//! Users' overrides of a client (`/v1/clients/{id}/overrides`): the account team's sentiment, or a
//! dimension's score, set with a reason and an expiry. The next scoring run applies them
//! (`scoring::overrides`); the audit trail records who set or removed one, never the reason's text.

use crate::api::error::{ApiError, Problem};
use crate::api::extract::ApiJson;
use crate::api::routes::path_id;
use crate::api::{ApiState, Caller};
use crate::domain::{
    AuditChange, AuditEntityKind, ClientId, ClientOverride, CsmSentiment, OverrideKind,
    OverrideValue,
};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideInput {
    /// For kind `sentiment`: `positive`, `neutral` or `negative`.
    #[serde(default)]
    pub sentiment: Option<String>,
    /// For a dimension (`crm`, `payment`, `usage`, `support`): its score, 0 to 100.
    #[serde(default)]
    pub score: Option<i64>,
    /// Why (1 to 500 characters): shown to the team, never written to the audit trail.
    pub reason: String,
    /// When it stops applying: in the future, at most 366 days ahead.
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OverrideList {
    /// The client's overrides in force, in kind order.
    pub items: Vec<ClientOverride>,
}

/// The client's overrides in force.
#[utoipa::path(
    get,
    path = "/v1/clients/{id}/overrides",
    tag = "health",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The client id")),
    responses(
        (status = 200, description = "The overrides in force", body = OverrideList),
        (status = 400, description = "The id is malformed (`parameter` is `id`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_overrides(
    State(state): State<ApiState>,
    caller: Caller,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<OverrideList>, ApiError> {
    let client_id: ClientId = path_id(id)?;
    let items = active_overrides_of(&state, &caller, &client_id).await?;
    Ok(Json(OverrideList { items }))
}

/// The client's overrides in force at the state's `now` (the one expiry rule).
pub(crate) async fn active_overrides_of(
    state: &ApiState,
    caller: &Caller,
    client_id: &ClientId,
) -> Result<Vec<ClientOverride>, ApiError> {
    let stored = state
        .store
        .client_overrides(&caller.tenant_id, client_id)
        .await?;
    Ok(crate::scoring::active_overrides(&stored, state.now()))
}

/// Set the client's override of a kind (`sentiment`, `crm`, `payment`, `usage`, `support`),
/// replacing the one before. The score shows it from the next scoring run.
#[utoipa::path(
    put,
    path = "/v1/clients/{id}/overrides/{kind}",
    tag = "health",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The client id"),
        ("kind" = String, Path, description = "`sentiment`, `crm`, `payment`, `usage` or `support`"),
    ),
    request_body(content = OverrideInput, content_type = "application/json"),
    responses(
        (status = 200, description = "The override is set", body = ClientOverride),
        (status = 400, description = "The id or kind is malformed (`parameter`), or the value, reason or expiry is refused (`field`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Setting an override needs the editor role", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No scored client with this id for this tenant", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "A body was sent without a JSON content type", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The body is not an override", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put_override(
    State(state): State<ApiState>,
    caller: Caller,
    path: Result<Path<(String, String)>, PathRejection>,
    ApiJson(body): ApiJson<OverrideInput>,
) -> Result<Json<ClientOverride>, ApiError> {
    let (client_id, kind) = client_and_kind(path)?;
    let now = state.now();
    let value = value_of(kind, &body)?;
    let client_override = ClientOverride::new(
        client_id,
        kind,
        value,
        &body.reason,
        body.expires_at,
        &caller.subject,
        now,
    )
    .map_err(|e| ApiError::InvalidField {
        field: e.field.to_owned(),
        reason: e.reason,
    })?;
    let tenant_id = &caller.tenant_id;
    state
        .store
        .get_score(tenant_id, &client_override.client_id)
        .await?
        .ok_or(ApiError::NotFound { entity: "client" })?;
    let before = state
        .store
        .client_overrides(tenant_id, &client_override.client_id)
        .await?
        .into_iter()
        .find(|o| o.kind == kind && o.is_active_at(now));
    state
        .store
        .put_override(tenant_id, &client_override)
        .await?;
    tracing::info!(client = %client_override.client_id, kind = %kind, by = %caller.subject, "override set");
    let mut audit = AuditChange::new(
        "override.set",
        AuditEntityKind::ClientOverride,
        entity_id(&client_override.client_id, kind),
    )
    .after(&audited(&client_override));
    if let Some(before) = &before {
        audit = audit.before(&audited(before));
    }
    crate::api::audit::record(&state, &caller, audit).await?;
    Ok(Json(client_override))
}

/// Remove the client's override of a kind; the next scoring run uses the data again. Removing one
/// that is not there is no error.
#[utoipa::path(
    delete,
    path = "/v1/clients/{id}/overrides/{kind}",
    tag = "health",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The client id"),
        ("kind" = String, Path, description = "`sentiment`, `crm`, `payment`, `usage` or `support`"),
    ),
    responses(
        (status = 204, description = "The client has no override of this kind"),
        (status = 400, description = "The id or kind is malformed (`parameter`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Removing an override needs the editor role", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete_override(
    State(state): State<ApiState>,
    caller: Caller,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let (client_id, kind) = client_and_kind(path)?;
    let removed = state
        .store
        .delete_override(&caller.tenant_id, &client_id, kind)
        .await?;
    if let Some(removed) = removed {
        tracing::info!(client = %client_id, kind = %kind, by = %caller.subject, "override removed");
        let audit = AuditChange::new(
            "override.removed",
            AuditEntityKind::ClientOverride,
            entity_id(&client_id, kind),
        )
        .before(&audited(&removed));
        crate::api::audit::record(&state, &caller, audit).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

fn client_and_kind(
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<(ClientId, OverrideKind), ApiError> {
    let Path((id, kind)) =
        path.map_err(|rejection| ApiError::bad_parameter("id", rejection.body_text()))?;
    let client_id: ClientId = path_id(Ok(Path(id)))?;
    let kind = OverrideKind::parse(&kind).ok_or_else(|| {
        ApiError::bad_parameter(
            "kind",
            "must be `sentiment`, `crm`, `payment`, `usage` or `support`",
        )
    })?;
    Ok((client_id, kind))
}

/// The value the body sets for `kind`: a sentiment for `sentiment`, a score for a dimension.
fn value_of(kind: OverrideKind, body: &OverrideInput) -> Result<OverrideValue, ApiError> {
    let invalid = |field: &str, reason: &str| ApiError::InvalidField {
        field: field.to_owned(),
        reason: reason.to_owned(),
    };
    match (kind, &body.sentiment, body.score) {
        (OverrideKind::Sentiment, Some(s), None) => CsmSentiment::parse(s)
            .map(OverrideValue::Sentiment)
            .ok_or_else(|| invalid("sentiment", "must be `positive`, `neutral` or `negative`")),
        (OverrideKind::Sentiment, _, _) => Err(invalid(
            "sentiment",
            "is required for a sentiment override, without `score`",
        )),
        (_, None, Some(score)) => u8::try_from(score)
            .ok()
            .filter(|s| *s <= 100)
            .map(OverrideValue::Score)
            .ok_or_else(|| invalid("score", "must be between 0 and 100")),
        (_, _, _) => Err(invalid(
            "score",
            "is required for a dimension override, without `sentiment`",
        )),
    }
}

fn entity_id(client_id: &ClientId, kind: OverrideKind) -> String {
    format!("{client_id}/{kind}")
}

/// What the audit trail keeps of an override: everything but the reason's text (free text a person
/// typed, which may name people), of which only that one was given.
fn audited(o: &ClientOverride) -> serde_json::Value {
    serde_json::json!({
        "kind": o.kind,
        "value": o.value,
        "expires_at": o.expires_at,
        "reason_given": !o.reason.is_empty(),
    })
}
