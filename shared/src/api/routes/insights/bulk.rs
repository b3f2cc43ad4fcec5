//! `POST /v1/insights/bulk`: acknowledge, dismiss or snooze up to 100 insights at once, with one
//! reason. Each id gets its own outcome; one insight that cannot change does not stop the others.

use super::status::{self, Applied, Requested, RequestedStatus};
use crate::api::error::{ApiError, Problem};
use crate::api::extract::ApiJson;
use crate::api::{ApiState, Caller};
use crate::domain::{InsightId, InsightStatus};
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Ids one request may name.
pub const MAX_BULK_IDS: usize = 100;
/// Insights changed at once: a few store round trips in flight, not a hundred.
const CONCURRENT_CHANGES: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BulkAction {
    Acknowledge,
    Dismiss,
    /// Needs `snoozed_until`.
    Snooze,
}

impl From<BulkAction> for RequestedStatus {
    fn from(action: BulkAction) -> Self {
        match action {
            BulkAction::Acknowledge => RequestedStatus::Acknowledged,
            BulkAction::Dismiss => RequestedStatus::Dismissed,
            BulkAction::Snooze => RequestedStatus::Snoozed,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkStatusChange {
    /// 1 to 100 insight ids (a repeated id counts once).
    pub ids: Vec<String>,
    pub action: BulkAction,
    /// Why, in the person's words; kept on each insight.
    #[serde(default)]
    pub reason: Option<String>,
    /// Until when, for `snooze` (RFC 3339, in the future).
    #[serde(default)]
    pub snoozed_until: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BulkOutcomeKind {
    /// Changed, or already so.
    Done,
    /// Not changed: resolved by the engine, or changed by someone else meanwhile.
    Conflict,
    /// No such insight for this tenant.
    NotFound,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BulkOutcome {
    pub id: String,
    pub outcome: BulkOutcomeKind,
    /// The insight's status after the request (when it exists).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<InsightStatus>,
    /// Why it was not done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BulkResult {
    /// One per distinct id, in the order asked.
    pub results: Vec<BulkOutcome>,
    pub done: u64,
    pub conflicts: u64,
    pub not_found: u64,
}

/// Acknowledge, dismiss or snooze many insights with one reason; per-id outcomes.
#[utoipa::path(
    post,
    path = "/v1/insights/bulk",
    tag = "insights",
    security(("bearer" = [])),
    request_body = BulkStatusChange,
    responses(
        (status = 200, description = "Each id's outcome: done, conflict or not found", body = BulkResult),
        (status = 400, description = "No ids or more than 100, a reason too long, or a snooze without a date to come (`field` names it)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The body is not a bulk change", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn change_insights(
    State(state): State<ApiState>,
    caller: Caller,
    ApiJson(body): ApiJson<BulkStatusChange>,
) -> Result<Json<BulkResult>, ApiError> {
    let mut seen = HashSet::new();
    let ids: Vec<String> = body
        .ids
        .into_iter()
        .filter(|id| seen.insert(id.clone()))
        .collect();
    if ids.is_empty() || ids.len() > MAX_BULK_IDS {
        return Err(ApiError::InvalidField {
            field: "ids".to_owned(),
            reason: format!("must name 1 to {MAX_BULK_IDS} insights"),
        });
    }
    let requested = Requested::check(
        body.action.into(),
        body.reason,
        body.snoozed_until,
        state.now(),
    )?;
    let (state, caller, requested) = (&state, &caller, &requested);
    let applied: Vec<(String, Result<Applied, ApiError>)> = futures::stream::iter(ids)
        .map(|raw| async move {
            let result = match raw.parse::<InsightId>() {
                // An id that cannot exist is not found, like one that does not.
                Err(_) => Err(ApiError::NotFound { entity: "insight" }),
                Ok(id) => status::apply(state, caller, &id, requested, None).await,
            };
            (raw, result)
        })
        .buffered(CONCURRENT_CHANGES)
        .collect()
        .await;

    let mut result = BulkResult {
        results: Vec::with_capacity(applied.len()),
        done: 0,
        conflicts: 0,
        not_found: 0,
    };
    let mut moves = Vec::new();
    let mut failure = None;
    for (id, outcome) in applied {
        let entry = match outcome {
            Ok(Applied::Changed { before, after }) => {
                if let Err(error) =
                    status::record(state, caller, requested, &before, &after, true).await
                {
                    failure.get_or_insert(error);
                }
                let status = after.status;
                moves.push((*before, status));
                done(id, status)
            }
            Ok(Applied::Unchanged(insight)) => done(id, insight.status),
            Err(ApiError::NotFound { .. }) => BulkOutcome {
                id,
                outcome: BulkOutcomeKind::NotFound,
                status: None,
                detail: None,
            },
            Err(ApiError::Conflict { detail }) => BulkOutcome {
                id,
                outcome: BulkOutcomeKind::Conflict,
                status: None,
                detail: Some(detail),
            },
            // The store failing is the whole request's failure (what was done stays done, and
            // the summary still follows it below).
            Err(other) => {
                failure.get_or_insert(other);
                continue;
            }
        };
        match entry.outcome {
            BulkOutcomeKind::Done => result.done += 1,
            BulkOutcomeKind::Conflict => result.conflicts += 1,
            BulkOutcomeKind::NotFound => result.not_found += 1,
        }
        result.results.push(entry);
    }
    status::follow_in_summary(state.store.as_ref(), &caller.tenant_id, &moves).await;
    match failure {
        Some(error) => Err(error),
        None => Ok(Json(result)),
    }
}

fn done(id: String, status: InsightStatus) -> BulkOutcome {
    BulkOutcome {
        id,
        outcome: BulkOutcomeKind::Done,
        status: Some(status),
        detail: None,
    }
}
