//! Health scores: the sortable list, and one client with its factors, trend, history and insights.

use crate::api::error::{ApiError, Problem};
use crate::api::extract::ApiQuery;
use crate::api::routes::linked::{linked_records, LinkedRecord};
use crate::api::routes::{list_error, page_request, path_id};
use crate::api::{ApiState, Caller};
use crate::domain::{ClientId, HealthBand, HealthScore, Insight, InsightStatus, ScorePoint, Trend};
use crate::ports::{ScoreOrder, ScoreQuery};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// How long a client's history reaches back when `from` is not given.
pub const DEFAULT_HISTORY_DAYS: i64 = 90;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScoreSort {
    /// Least healthy first.
    #[default]
    OverallAsc,
    OverallDesc,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HealthScoresQuery {
    /// `overall_asc` (default: least healthy first) or `overall_desc`.
    pub sort: Option<ScoreSort>,
    /// Only clients in this health band.
    pub band: Option<HealthBand>,
    /// Only clients whose churn risk is at least this percentage.
    #[param(minimum = 0, maximum = 100)]
    pub min_churn_risk: Option<u8>,
    /// Only clients whose overall score is at most this (49: the overview's clients at risk).
    #[param(minimum = 0, maximum = 100)]
    pub max_overall: Option<u8>,
    /// Page size, 1-200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HealthScorePage {
    pub items: Vec<HealthScore>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Current health scores of the tenant's clients, with their dimensions.
#[utoipa::path(
    get,
    path = "/v1/health-scores",
    tag = "health",
    security(("bearer" = [])),
    params(HealthScoresQuery),
    responses(
        (status = 200, description = "A page of health scores", body = HealthScorePage),
        (status = 400, description = "A parameter is invalid (named in `parameter`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_health_scores(
    State(state): State<ApiState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<HealthScoresQuery>,
) -> Result<Json<HealthScorePage>, ApiError> {
    if query.min_churn_risk.is_some_and(|r| r > 100) {
        return Err(ApiError::bad_parameter(
            "min_churn_risk",
            "must be between 0 and 100",
        ));
    }
    let page = page_request(query.limit, query.cursor)?;
    let score_query = ScoreQuery {
        order: match query.sort.unwrap_or_default() {
            ScoreSort::OverallAsc => ScoreOrder::OverallAscending,
            ScoreSort::OverallDesc => ScoreOrder::OverallDescending,
        },
        band: query.band,
        min_churn_risk: query.min_churn_risk,
        max_overall: query.max_overall,
    };
    let found = state
        .store
        .list_scores(&caller.tenant_id, &score_query, &page)
        .await
        .map_err(list_error)?;
    Ok(Json(HealthScorePage {
        items: found.items,
        next_cursor: found.next_cursor,
    }))
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ClientQuery {
    /// Start of the history range (RFC 3339); default 90 days before `to`.
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<DateTime<Utc>>,
    /// End of the history range (RFC 3339); default now.
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClientDetail {
    /// The current score, each dimension with the factors that explain it.
    pub score: HealthScore,
    /// Change of the overall score over 7 and 30 days.
    pub trend: Trend,
    pub history_from: DateTime<Utc>,
    pub history_to: DateTime<Utc>,
    /// Score history inside the range, oldest first.
    pub history: Vec<ScorePoint>,
    /// The client's insights with status `open`, newest first.
    pub open_insights: Vec<Insight>,
    /// Records of other platforms matched to the client: linked ones first, then those waiting for
    /// review.
    pub linked_records: Vec<LinkedRecord>,
}

/// One client: current score with factors, trend, history in a range and open insights.
#[utoipa::path(
    get,
    path = "/v1/clients/{id}",
    tag = "health",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The client id"), ClientQuery),
    responses(
        (status = 200, description = "The client", body = ClientDetail),
        (status = 400, description = "A parameter is invalid (named in `parameter`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No scored client with this id for this tenant", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_client(
    State(state): State<ApiState>,
    caller: Caller,
    id: Result<Path<String>, PathRejection>,
    ApiQuery(query): ApiQuery<ClientQuery>,
) -> Result<Json<ClientDetail>, ApiError> {
    let client_id: ClientId = path_id(id)?;
    let to = query.to.unwrap_or_else(|| state.now());
    let from = query
        .from
        .unwrap_or_else(|| to - Duration::days(DEFAULT_HISTORY_DAYS));
    if from > to {
        return Err(ApiError::bad_parameter("from", "must not be after `to`"));
    }
    let tenant_id = &caller.tenant_id;
    let score = state
        .store
        .get_score(tenant_id, &client_id)
        .await?
        .ok_or(ApiError::NotFound { entity: "client" })?;
    let history = state.store.history(tenant_id, &client_id, from, to).await?;
    let mut open_insights: Vec<Insight> = state
        .store
        .insights_for_clients(tenant_id, std::slice::from_ref(&client_id))
        .await?
        .into_iter()
        .filter(|i| i.status == InsightStatus::Open)
        .collect();
    open_insights.sort_by_key(|insight| std::cmp::Reverse(insight.updated_at));
    let linked_records = linked_records(&state, tenant_id, &client_id, state.now()).await?;
    Ok(Json(ClientDetail {
        trend: score.trend,
        score,
        history_from: from,
        history_to: to,
        history,
        open_insights,
        linked_records,
    }))
}
