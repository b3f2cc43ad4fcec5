//! `GET /v1/insights`: the triage list, with its total.
//!
//! Why the list is read whole and sorted here rather than paged by the store: the triage order
//! (impact, then revenue at stake, then confidence) and the three other orders are not the order of
//! any index, and the total must count every match, which a paged query cannot know without reading
//! to the end anyway. So one query reads the filter's status partition to its end (on DynamoDB 1 MB
//! pages, a few for a tenant with thousands of insights), the snoozes that ran out are read as open
//! ([`Insight::as_seen_at`]), and the page is cut from the sorted matches. The cursor is the sort key
//! of the last item returned (not an offset), so an insight acknowledged or added between two pages
//! never shifts the next page: no item still in the list is skipped or shown twice.

use crate::api::error::{ApiError, Problem};
use crate::api::extract::ApiQuery;
use crate::api::routes::page_request;
use crate::api::{ApiState, Caller};
use crate::domain::{
    ClientId, ConfidenceBand, Impact, Insight, InsightSort, InsightStatus, InsightType, SortKey,
    TenantId,
};
use crate::ports::{InsightFilter, Store};
use axum::extract::State;
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InsightsQuery {
    /// Only insights of this type.
    #[serde(rename = "type")]
    pub insight_type: Option<InsightType>,
    pub impact: Option<Impact>,
    /// Only insights with this status; `open` includes snoozed insights whose date has come.
    pub status: Option<InsightStatus>,
    /// Only insights at least this confident (0-100).
    #[param(minimum = 0, maximum = 100)]
    pub min_confidence: Option<u8>,
    /// Only insights in this confidence band.
    pub band: Option<ConfidenceBand>,
    /// Only insights about this client.
    #[param(value_type = Option<String>)]
    pub client: Option<ClientId>,
    /// `impact` (default: triage order, critical first, then revenue at stake, then confidence),
    /// `revenue`, `confidence` or `updated` (newest first).
    pub sort: Option<InsightSort>,
    /// Page size, 1-200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// How many insights have each status (as they read now), over the list's other filters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StatusCounts {
    pub open: u64,
    pub snoozed: u64,
    pub acknowledged: u64,
    pub dismissed: u64,
    pub resolved: u64,
}

impl StatusCounts {
    fn of<'a>(insights: impl IntoIterator<Item = &'a Insight>) -> Self {
        let mut counts = Self::default();
        for insight in insights {
            *match insight.status {
                InsightStatus::Open => &mut counts.open,
                InsightStatus::Snoozed => &mut counts.snoozed,
                InsightStatus::Acknowledged => &mut counts.acknowledged,
                InsightStatus::Dismissed => &mut counts.dismissed,
                InsightStatus::Resolved => &mut counts.resolved,
            } += 1;
        }
        counts
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InsightPage {
    pub items: Vec<Insight>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
    /// Every insight the filter matches, on all pages.
    pub total: u64,
    /// The order of `items`.
    pub sort: InsightSort,
    /// Only when no `status` is asked for (then every status is read anyway): the matches by
    /// status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_counts: Option<StatusCounts>,
}

/// Insights in triage order (or the `sort` asked for), filtered, with the total of the filter.
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
    let page = page_request(query.limit, query.cursor.clone())?;
    let sort = query.sort.unwrap_or_default();
    let after = page
        .cursor
        .as_deref()
        .map(|cursor| decode_cursor(cursor, &caller.tenant_id, sort))
        .transpose()?;
    let filter = InsightFilter {
        status: query.status,
        insight_type: query.insight_type,
        impact: query.impact,
        min_confidence: query.min_confidence,
        band: query.band,
        client_id: query.client,
    };
    let now = state.now();
    let mut matches =
        insights_as_seen(state.store.as_ref(), &caller.tenant_id, &filter, now).await?;
    let status_counts = filter.status.is_none().then(|| StatusCounts::of(&matches));
    let total = matches.len() as u64;
    sort.sort(&mut matches);
    let start = match &after {
        None => 0,
        Some(after) => {
            matches.partition_point(|i| sort.compare(&SortKey::of(i), after) != Ordering::Greater)
        }
    };
    let limit = page.limit as usize;
    let mut items: Vec<Insight> = matches.into_iter().skip(start).take(limit + 1).collect();
    let next_cursor = if items.len() > limit {
        items.truncate(limit);
        items
            .last()
            .map(|last| encode_cursor(&caller.tenant_id, sort, SortKey::of(last)))
    } else {
        None
    };
    Ok(Json(InsightPage {
        items,
        next_cursor,
        total,
        sort,
        status_counts,
    }))
}

/// Every insight of `filter` as it reads at `now`. Asking for `open` also reads the snoozed ones,
/// whose date may have come; asking for `snoozed` keeps only those still snoozed.
pub async fn insights_as_seen(
    store: &dyn Store,
    tenant_id: &TenantId,
    filter: &InsightFilter,
    now: DateTime<Utc>,
) -> Result<Vec<Insight>, ApiError> {
    let stored_statuses = match filter.status {
        Some(InsightStatus::Open) => vec![Some(InsightStatus::Open), Some(InsightStatus::Snoozed)],
        other => vec![other],
    };
    let reads = stored_statuses.into_iter().map(|status| {
        let filter = InsightFilter {
            status,
            ..filter.clone()
        };
        async move { store.matching_insights(tenant_id, &filter).await }
    });
    let found = futures::future::try_join_all(reads).await?;
    Ok(found
        .into_iter()
        .flatten()
        .map(|insight| insight.as_seen_at(now))
        .filter(|insight| filter.status.is_none_or(|s| insight.status == s))
        .collect())
}

/// The cursor: base64url of the tenant, the order and the last item's sort key.
#[derive(Serialize, Deserialize)]
struct Cursor {
    t: String,
    s: InsightSort,
    k: SortKey,
}

fn encode_cursor(tenant_id: &TenantId, sort: InsightSort, key: SortKey) -> String {
    let cursor = Cursor {
        t: tenant_id.to_string(),
        s: sort,
        k: key,
    };
    // A struct of strings, numbers and a date always serialises.
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&cursor).unwrap_or_default())
}

fn decode_cursor(raw: &str, tenant_id: &TenantId, sort: InsightSort) -> Result<SortKey, ApiError> {
    let refused = || ApiError::bad_parameter("cursor", "is not a cursor this list returned");
    let bytes = URL_SAFE_NO_PAD
        .decode(raw.as_bytes())
        .map_err(|_| refused())?;
    let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| refused())?;
    if cursor.t != tenant_id.as_str() {
        return Err(refused());
    }
    if cursor.s != sort {
        return Err(ApiError::bad_parameter(
            "cursor",
            format!(
                "was made for sort `{}`; ask the same sort or start again",
                cursor.s.as_str()
            ),
        ));
    }
    Ok(cursor.k)
}

/// The tenant's insights stored as snoozed (the overview wakes those whose date has come).
pub async fn snoozed_insights(
    store: &dyn Store,
    tenant_id: &TenantId,
) -> Result<Vec<Insight>, ApiError> {
    let snoozed = InsightFilter {
        status: Some(InsightStatus::Snoozed),
        ..InsightFilter::default()
    };
    Ok(store.matching_insights(tenant_id, &snoozed).await?)
}
