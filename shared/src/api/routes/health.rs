//! Health scores: the sortable list (with a name search, and each client's revenue and next
//! renewal). One client's page is `routes/client`.

use crate::api::error::{ApiError, Problem};
use crate::api::extract::ApiQuery;
use crate::api::routes::{list_error, page_request};
use crate::api::{ApiState, Caller};
use crate::domain::ScoringSettings;
use crate::domain::{ClientId, ClientSnapshot, HealthBand, HealthScore};
use crate::ports::{PageRequest, ScoreOrder, ScoreQuery};
use crate::scoring::derive_features;
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

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
    /// Only clients whose name contains this text (any case; at most 100 characters). A page of a
    /// search may hold fewer than `limit` items and still have a `next_cursor`: follow it.
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// Only clients whose overall score is at most this (49: the overview's clients at risk).
    #[param(minimum = 0, maximum = 100)]
    pub max_overall: Option<u8>,
    /// Page size, 1-200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One row of the list: the score, and what the client is worth and when it renews.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HealthScoreRow {
    #[serde(flatten)]
    pub score: HealthScore,
    /// The client's revenue as scoring counts it: its closed-won deal amounts, or the company's
    /// reported revenue when no won deal has an amount; `null` when neither is known.
    pub revenue: Option<f64>,
    /// The close date of the client's next open deal (its renewal), overdue ones included; `null`
    /// when it has no open deal with a close date.
    pub renewal_at: Option<DateTime<Utc>>,
}

/// How many store pages one search request reads at most before it answers with what it found and
/// a cursor: a rare name on a large tenant costs several short pages, never one unbounded request.
const SEARCH_PAGES_PER_REQUEST: usize = 10;
const MAX_SEARCH_CHARS: usize = 100;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HealthScorePage {
    pub items: Vec<HealthScoreRow>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Current health scores of the tenant's clients, with their dimensions, revenue and next renewal.
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
    let search = search_text(query.q.as_deref())?;
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
    // Without a search this is one store page. With one, store pages are read for just the rows
    // still missing, so nothing read is skipped and the last cursor resumes exactly after it.
    let mut scores = Vec::new();
    let mut cursor = page.cursor;
    for _ in 0..SEARCH_PAGES_PER_REQUEST {
        let wanted = page.limit.saturating_sub(len_u32(&scores));
        let request = PageRequest {
            limit: wanted,
            cursor: cursor.take(),
        };
        let found = state
            .store
            .list_scores(&caller.tenant_id, &score_query, &request)
            .await
            .map_err(list_error)?;
        scores.extend(
            found
                .items
                .into_iter()
                .filter(|s| search.as_deref().is_none_or(|q| name_matches(s, q))),
        );
        cursor = found.next_cursor;
        if search.is_none() || cursor.is_none() || len_u32(&scores) >= page.limit {
            break;
        }
    }
    let items = with_commercials(&state, &caller, scores).await?;
    Ok(Json(HealthScorePage {
        items,
        next_cursor: cursor,
    }))
}

fn len_u32<T>(items: &[T]) -> u32 {
    u32::try_from(items.len()).unwrap_or(u32::MAX)
}

/// The search as compared: trimmed and lower-cased; `None` when empty.
fn search_text(q: Option<&str>) -> Result<Option<String>, ApiError> {
    let q = q.map(str::trim).unwrap_or_default();
    if q.chars().count() > MAX_SEARCH_CHARS {
        return Err(ApiError::bad_parameter(
            "q",
            format!("must be at most {MAX_SEARCH_CHARS} characters"),
        ));
    }
    Ok((!q.is_empty()).then(|| q.to_lowercase()))
}

fn name_matches(score: &HealthScore, lowercase_query: &str) -> bool {
    score.client_name.to_lowercase().contains(lowercase_query)
}

/// Adds each client's revenue and renewal from its snapshot (one batch read for the page).
async fn with_commercials(
    state: &ApiState,
    caller: &Caller,
    scores: Vec<HealthScore>,
) -> Result<Vec<HealthScoreRow>, ApiError> {
    let ids: Vec<ClientId> = scores.iter().map(|s| s.client_id.clone()).collect();
    let snapshots: HashMap<ClientId, ClientSnapshot> = if ids.is_empty() {
        HashMap::new()
    } else {
        state
            .store
            .get_snapshots(&caller.tenant_id, &ids)
            .await?
            .into_iter()
            .map(|s| (s.client_id.clone(), s))
            .collect()
    };
    let now = state.now();
    Ok(scores
        .into_iter()
        .map(|score| {
            let snapshot = snapshots.get(&score.client_id);
            HealthScoreRow {
                revenue: snapshot.and_then(|s| revenue(s, now)),
                renewal_at: snapshot.and_then(ClientSnapshot::next_open_deal_close),
                score,
            }
        })
        .collect())
}

/// The revenue the scoring rules use (one rule, in `scoring::features`), rounded to cents.
fn revenue(snapshot: &ClientSnapshot, now: DateTime<Utc>) -> Option<f64> {
    derive_features(snapshot, &ScoringSettings::default(), now)
        .revenue
        .amount()
        .map(|amount| (amount * 100.0).round() / 100.0)
}
