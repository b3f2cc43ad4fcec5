//! Insights: the triage list (`list`), read one, a person's status change of one (acknowledge,
//! dismiss, snooze until a date, reopen) and of many at once (`bulk`). The rules of a status change
//! live once, in `status`.

pub mod bulk;
pub mod list;
pub mod status;

pub use bulk::change_insights;
pub use list::{list_insights, InsightPage, InsightsQuery, StatusCounts};
pub use status::RequestedStatus;

use crate::api::error::{ApiError, Problem};
use crate::api::extract::ApiJson;
use crate::api::routes::path_id;
use crate::api::{ApiState, Caller};
use crate::domain::{Insight, InsightId};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use status::{Applied, Requested};

/// One insight of the caller's tenant (a snooze whose date has come reads as `open`).
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
    Ok(Json(insight.as_seen_at(state.now())))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InsightStatusUpdate {
    pub status: RequestedStatus,
    /// The `version` the caller read; when given and the insight has moved on, the change is
    /// refused with 409.
    #[serde(default)]
    pub version: Option<u64>,
    /// Why, in the person's words (at most 500 characters); kept on the insight.
    #[serde(default)]
    pub reason: Option<String>,
    /// Until when, for status `snoozed` (RFC 3339, in the future, within a year).
    #[serde(default)]
    pub snoozed_until: Option<DateTime<Utc>>,
}

/// Acknowledge, dismiss, snooze until a date, or reopen an insight.
#[utoipa::path(
    patch,
    path = "/v1/insights/{id}",
    tag = "insights",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The insight id")),
    request_body = InsightStatusUpdate,
    responses(
        (status = 200, description = "The insight after the change", body = Insight),
        (status = 400, description = "The id is malformed (`parameter` is `id`), the body is not JSON, or a field breaks a rule (`field`: a snooze needs `snoozed_until` in the future, a reason is at most 500 characters)", body = Problem, content_type = "application/problem+json"),
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
    let requested = Requested::check(
        update.status,
        update.reason,
        update.snoozed_until,
        state.now(),
    )?;
    match status::apply(&state, &caller, &id, &requested, update.version).await? {
        Applied::Unchanged(insight) => Ok(Json(*insight)),
        Applied::Changed { before, after } => {
            status::record(&state, &caller, &requested, &before, &after, false).await?;
            let moves = [(*before, after.status)];
            status::follow_in_summary(state.store.as_ref(), &caller.tenant_id, &moves).await;
            Ok(Json(*after))
        }
    }
}
