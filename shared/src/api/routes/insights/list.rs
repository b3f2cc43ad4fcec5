//! `GET /v1/insights`: the triage list, with its total.
//!
//! The default view (open insights in triage order: impact, then revenue at stake, then confidence)
//! is read a page at a time from the triage index (`gsi1`'s sort key per status), with its total from
//! the tenant summary's open counts, so its cost does not grow with the tenant (issue 19: 100,000
//! clients). Every other view (the three other orders, other statuses, filters the summary does not
//! count) is read whole and sorted here: one query reads the filter's status partition to its end
//! (on DynamoDB 1 MB pages), the snoozes that ran out are read as open ([`Insight::as_seen_at`]),
//! and the page is cut from the sorted matches. The cursor is the sort key
//! of the last item returned (not an offset), so an insight acknowledged or added between two pages
//! never shifts the next page: no item still in the list is skipped or shown twice.

use crate::api::error::{ApiError, Problem};
use crate::api::extract::ApiQuery;
use crate::api::routes::page_request;
use crate::api::{ApiState, Caller};
use crate::domain::{
    ClientId, ConfidenceBand, Impact, Insight, InsightSort, InsightStatus, InsightType,
    OpenInsightCounts, SortKey, TenantId,
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
    let limit = page.limit as usize;
    let store = state.store.as_ref();
    let triage = match sort {
        InsightSort::Impact => {
            triage_page(
                store,
                &caller.tenant_id,
                &filter,
                after.as_ref(),
                limit,
                now,
            )
            .await?
        }
        _ => None,
    };
    let (mut items, total, status_counts) = match triage {
        Some((items, total)) => (items, total, None),
        None => {
            let mut matches = insights_as_seen(store, &caller.tenant_id, &filter, now).await?;
            let status_counts = filter.status.is_none().then(|| StatusCounts::of(&matches));
            let total = matches.len() as u64;
            sort.sort(&mut matches);
            let start = match &after {
                None => 0,
                Some(after) => matches
                    .partition_point(|i| sort.compare(&SortKey::of(i), after) != Ordering::Greater),
            };
            let items: Vec<Insight> = matches.into_iter().skip(start).take(limit + 1).collect();
            (items, total, status_counts)
        }
    };
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

/// The list's default view, open insights in triage order, without reading them all: up to
/// `limit + 1` after `after` from the triage index with the snoozes that ran out merged in, and the
/// total from the tenant summary's open counts. `None` when that view cannot be served so (another
/// status or a client or confidence filter, counts the summary does not keep, no summary yet, or
/// insights stored before the index): the caller reads the list whole.
async fn triage_page(
    store: &dyn Store,
    tenant_id: &TenantId,
    filter: &InsightFilter,
    after: Option<&SortKey>,
    limit: usize,
    now: DateTime<Utc>,
) -> Result<Option<(Vec<Insight>, u64)>, ApiError> {
    if filter.status != Some(InsightStatus::Open)
        || filter.client_id.is_some()
        || filter.min_confidence.is_some()
    {
        return Ok(None);
    }
    let (summary, snoozed, outside) = tokio::try_join!(
        async { Ok::<_, ApiError>(store.get_summary(tenant_id).await?) },
        snoozed_insights(store, tenant_id),
        async {
            Ok::<_, ApiError>(
                store
                    .has_insights_outside_triage_order(tenant_id, InsightStatus::Open)
                    .await?,
            )
        },
    )?;
    let Some(mut summary) = summary.filter(|_| !outside) else {
        return Ok(None);
    };
    summary.wake_snoozes(&snoozed, now);
    let Some(total) = open_count(&summary.open_insights, filter) else {
        return Ok(None);
    };
    let wanted = u32::try_from(limit + 1).unwrap_or(u32::MAX);
    let mut items = store
        .insights_in_triage_order(tenant_id, InsightStatus::Open, filter, after, wanted)
        .await?;
    let sort = InsightSort::Impact;
    items.extend(
        snoozed
            .into_iter()
            .map(|insight| insight.as_seen_at(now))
            .filter(|insight| filter.matches(insight))
            .filter(|insight| {
                after.is_none_or(|after| sort.compare(&SortKey::of(insight), after).is_gt())
            }),
    );
    sort.sort(&mut items);
    items.truncate(limit + 1);
    Ok(Some((items, total)))
}

/// How many open insights match `filter` by the summary's counts: with no filter, or one of a type,
/// an impact or the needs-review band (the counts the overview shows); `None` for other filters.
fn open_count(counts: &OpenInsightCounts, filter: &InsightFilter) -> Option<u64> {
    let types = &counts.by_type;
    let impacts = &counts.by_impact;
    match (filter.insight_type, filter.impact, filter.band) {
        (None, None, None) => Some(counts.total),
        (Some(insight_type), None, None) => Some(match insight_type {
            InsightType::ClientHealth => types.client_health,
            InsightType::RevenueOptimization => types.revenue_optimization,
            InsightType::ChurnRisk => types.churn_risk,
            InsightType::UpsellOpportunity => types.upsell_opportunity,
            InsightType::PaymentRisk => types.payment_risk,
        }),
        (None, Some(impact), None) => Some(match impact {
            Impact::Low => impacts.low,
            Impact::Medium => impacts.medium,
            Impact::High => impacts.high,
            Impact::Critical => impacts.critical,
        }),
        (None, None, Some(ConfidenceBand::NeedsReview)) => Some(counts.needing_review),
        _ => None,
    }
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
