//! Insights: list with filters, read one, acknowledge / dismiss / reopen.

use crate::api::error::{ApiError, Problem};
use crate::api::extract::{ApiJson, ApiQuery};
use crate::api::routes::{list_error, page_request, path_id};
use crate::api::{ApiState, Caller};
use crate::domain::{
    ClientId, ConfidenceBand, Impact, Insight, InsightId, InsightStatus, InsightType, TenantId,
};
use crate::ports::{InsightFilter, StatusChange, Store, StoreError};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InsightsQuery {
    /// Only insights of this type.
    #[serde(rename = "type")]
    pub insight_type: Option<InsightType>,
    pub impact: Option<Impact>,
    pub status: Option<InsightStatus>,
    /// Only insights at least this confident (0-100).
    #[param(minimum = 0, maximum = 100)]
    pub min_confidence: Option<u8>,
    /// Only insights in this confidence band.
    pub band: Option<ConfidenceBand>,
    /// Only insights about this client.
    #[param(value_type = Option<String>)]
    pub client: Option<ClientId>,
    /// Page size, 1-200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InsightPage {
    pub items: Vec<Insight>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Insights newest first (by last update), filtered.
#[utoipa::path(
    get,
    path = "/v1/insights",
    tag = "insights",
    security(("bearer" = [])),
    params(InsightsQuery),
    responses(
        (status = 200, description = "A page of insights", body = InsightPage),
        (status = 400, description = "A parameter is invalid (named in `parameter`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_insights(
    State(state): State<ApiState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<InsightsQuery>,
) -> Result<Json<InsightPage>, ApiError> {
    if query.min_confidence.is_some_and(|c| c > 100) {
        return Err(ApiError::bad_parameter(
            "min_confidence",
            "must be between 0 and 100",
        ));
    }
    let page = page_request(query.limit, query.cursor)?;
    let filter = InsightFilter {
        status: query.status,
        insight_type: query.insight_type,
        impact: query.impact,
        min_confidence: query.min_confidence,
        band: query.band,
        client_id: query.client,
    };
    let found = state
        .store
        .list_insights(&caller.tenant_id, &filter, &page)
        .await
        .map_err(list_error)?;
    Ok(Json(InsightPage {
        items: found.items,
        next_cursor: found.next_cursor,
    }))
}

/// One insight of the caller's tenant.
#[utoipa::path(
    get,
    path = "/v1/insights/{id}",
    tag = "insights",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The insight id")),
    responses(
        (status = 200, description = "The insight", body = Insight),
        (status = 400, description = "The id is malformed (`parameter` is `id`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such insight for this tenant", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_insight(
    State(state): State<ApiState>,
    caller: Caller,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Insight>, ApiError> {
    let id: InsightId = path_id(id)?;
    let insight = state.store.get_insight(&caller.tenant_id, &id).await?;
    Ok(Json(insight))
}

/// The statuses a person may set; `resolved` belongs to the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestedStatus {
    Open,
    Acknowledged,
    Dismissed,
}

impl From<RequestedStatus> for InsightStatus {
    fn from(status: RequestedStatus) -> Self {
        match status {
            RequestedStatus::Open => InsightStatus::Open,
            RequestedStatus::Acknowledged => InsightStatus::Acknowledged,
            RequestedStatus::Dismissed => InsightStatus::Dismissed,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InsightStatusUpdate {
    pub status: RequestedStatus,
    /// The `version` the caller read; when given and the insight has moved on, the change is
    /// refused with 409.
    #[serde(default)]
    pub version: Option<u64>,
}

/// Acknowledge, dismiss or reopen an insight.
#[utoipa::path(
    patch,
    path = "/v1/insights/{id}",
    tag = "insights",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The insight id")),
    request_body = InsightStatusUpdate,
    responses(
        (status = 200, description = "The insight after the change", body = Insight),
        (status = 400, description = "The id is malformed (`parameter` is `id`), or the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such insight for this tenant", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The insight changed since `version`, or it is resolved", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The body is not a status update", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn change_insight_status(
    State(state): State<ApiState>,
    caller: Caller,
    id: Result<Path<String>, PathRejection>,
    ApiJson(update): ApiJson<InsightStatusUpdate>,
) -> Result<Json<Insight>, ApiError> {
    let id: InsightId = path_id(id)?;
    let current = state.store.get_insight(&caller.tenant_id, &id).await?;
    if let Some(version) = update.version.filter(|v| *v != current.version) {
        return Err(ApiError::conflict(format!(
            "The insight is at version {}, not {version}: read it again and retry.",
            current.version
        )));
    }
    if current.status == InsightStatus::Resolved {
        return Err(ApiError::conflict(
            "The insight is resolved: its condition no longer holds, and it reopens by itself if it returns.",
        ));
    }
    let status = InsightStatus::from(update.status);
    if current.status == status {
        return Ok(Json(current));
    }
    let change = StatusChange {
        status,
        changed_by: caller.subject.clone(),
        changed_at: state.now(),
        expected_version: current.version,
    };
    let changed = state
        .store
        .change_insight_status(&caller.tenant_id, &id, &change)
        .await?;
    follow_in_summary(state.store.as_ref(), &caller.tenant_id, &current, status).await;
    let audit = crate::domain::AuditChange::new(
        insight_status_action(status),
        crate::domain::AuditEntityKind::Insight,
        &id,
    )
    .before(&serde_json::json!({"status": current.status, "version": current.version}))
    .after(&serde_json::json!({"status": changed.status, "version": changed.version}))
    .detail(serde_json::json!({"client_id": changed.client_id, "rule": changed.rule}));
    crate::api::audit::record(&state, &caller, audit).await?;
    Ok(Json(changed))
}

/// The audit action of a status change: `insight.acknowledged`, `insight.dismissed`,
/// `insight.reopened`.
pub(crate) fn insight_status_action(status: InsightStatus) -> String {
    let verb = match status {
        InsightStatus::Open => "reopened".to_string(),
        other => serde_json::to_value(other)
            .ok()
            .and_then(|value| value.as_str().map(str::to_string))
            .unwrap_or_else(|| "status_changed".to_string()),
    };
    format!("insight.{verb}")
}

/// Moves the insight in or out of the summary's open counts. The change itself is already stored;
/// if the summary cannot follow, the next scoring run rewrites it whole, so this only logs.
async fn follow_in_summary(
    store: &dyn Store,
    tenant_id: &TenantId,
    before: &Insight,
    status: InsightStatus,
) {
    const ATTEMPTS: usize = 3;
    for _ in 0..ATTEMPTS {
        let mut summary = match store.get_summary(tenant_id).await {
            // No summary yet: the overview counts live until score writes one.
            Ok(None) => return,
            Ok(Some(summary)) => summary,
            Err(error) => {
                tracing::warn!(%error, tenant = %tenant_id, "could not read the summary");
                return;
            }
        };
        summary.status_changed(before, status);
        match store.put_summary(tenant_id, &summary, true).await {
            Ok(_) => return,
            Err(StoreError::Conflict { .. }) => continue,
            Err(error) => {
                tracing::warn!(%error, tenant = %tenant_id, "could not update the summary");
                return;
            }
        }
    }
    tracing::warn!(tenant = %tenant_id, "the summary kept changing; the next scoring run corrects it");
}
