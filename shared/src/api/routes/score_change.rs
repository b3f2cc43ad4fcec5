//! `GET /v1/clients/{id}/score-change`: why a client's score changed between two dates, split into
//! dimension and factor lines that add up to the change exactly (`scoring::attribution`).

use crate::api::error::{ApiError, Problem};
use crate::api::extract::ApiQuery;
use crate::api::routes::path_id;
use crate::api::{ApiState, Caller};
use crate::domain::ClientId;
use crate::scoring::attribution::{explain_change, nearest_point, ScoreChange};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

/// `from` defaults to this many days before `to`.
pub const DEFAULT_CHANGE_DAYS: i64 = 30;
/// History is read from this long before `from`, so a point a little older than `from` can be the
/// nearest one.
const LOOK_BEFORE: Duration = Duration::days(7);
/// The longest span asked for: history is not kept longer.
const MAX_SPAN_DAYS: i64 = 3650;

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ScoreChangeQuery {
    /// A date (`2026-11-01`: its start) or an RFC 3339 time; default 30 days before `to`.
    pub from: Option<String>,
    /// A date (`2026-11-30`: its end) or an RFC 3339 time; default now.
    pub to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScoreChangeView {
    #[schema(value_type = String)]
    pub client_id: ClientId,
    /// The times asked for; `change.start` and `change.end` are the history points nearest them.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub change: ScoreChange,
}

/// A date or a time; a date stands for its start (`end_of_day` false) or its last second.
fn parse_when(
    name: &str,
    value: Option<&str>,
    end_of_day: bool,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if let Ok(at) = DateTime::parse_from_rfc3339(value) {
        return Ok(Some(at.with_timezone(&Utc)));
    }
    let day = NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
        ApiError::bad_parameter(name, "must be a date (2026-11-01) or an RFC 3339 time")
    })?;
    let time = if end_of_day {
        NaiveTime::from_hms_opt(23, 59, 59)
    } else {
        Some(NaiveTime::MIN)
    };
    Ok(time.map(|t| day.and_time(t).and_utc()))
}

/// Why a client's overall score changed between two dates: the history points nearest `from` and
/// `to` (the current score stands for now), the total change, one line per dimension scored at both
/// (its factors as parts), re-weighting and rounding. The lines add up to `total` exactly, to the
/// hundredth of a point: a waterfall.
#[utoipa::path(
    get,
    path = "/v1/clients/{id}/score-change",
    tag = "health",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The client id"), ScoreChangeQuery),
    responses(
        (status = 200, description = "The change, split", body = ScoreChangeView),
        (status = 400, description = "A parameter is invalid (named in `parameter`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No scored client with this id for this tenant", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_score_change(
    State(state): State<ApiState>,
    caller: Caller,
    id: Result<Path<String>, PathRejection>,
    ApiQuery(query): ApiQuery<ScoreChangeQuery>,
) -> Result<Json<ScoreChangeView>, ApiError> {
    let client_id: ClientId = path_id(id)?;
    let now = state.now();
    let to = parse_when("to", query.to.as_deref(), true)?.unwrap_or(now);
    let from = parse_when("from", query.from.as_deref(), false)?
        .unwrap_or(to - Duration::days(DEFAULT_CHANGE_DAYS));
    if from > to {
        return Err(ApiError::bad_parameter("from", "must not be after `to`"));
    }
    if to - from > Duration::days(MAX_SPAN_DAYS) {
        return Err(ApiError::bad_parameter(
            "from",
            format!("must be at most {MAX_SPAN_DAYS} days before `to`"),
        ));
    }
    let tenant_id = &caller.tenant_id;
    let (score, tenant, mut points) = tokio::try_join!(
        state.store.get_score(tenant_id, &client_id),
        state.store.get_tenant(tenant_id),
        state
            .store
            .history(tenant_id, &client_id, from - LOOK_BEFORE, to),
    )?;
    let score = score.ok_or(ApiError::NotFound { entity: "client" })?;
    // The current score is the newest point there is; history may lag it by up to a day.
    if score.scored_at <= to && points.iter().all(|p| p.at < score.scored_at) {
        points.push(score.point());
    }
    let (Some(start), Some(end)) = (nearest_point(&points, from), nearest_point(&points, to))
    else {
        // Scored only after `to`, with no history before.
        return Err(ApiError::NotFound {
            entity: "score history",
        });
    };
    let change = explain_change(
        start,
        end,
        tenant.settings.weights_for(score.segment.as_deref()),
    );
    Ok(Json(ScoreChangeView {
        client_id,
        from,
        to,
        change,
    }))
}
