//! Health scores: the sortable list. One client's page is `routes/client`.

use crate::api::error::{ApiError, Problem};
use crate::api::extract::ApiQuery;
use crate::api::routes::{list_error, page_request};
use crate::api::{ApiState, Caller};
use crate::domain::{HealthBand, HealthScore};
use crate::ports::{ScoreOrder, ScoreQuery};
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};

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
