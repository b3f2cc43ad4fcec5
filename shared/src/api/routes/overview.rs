//! `GET /v1/overview`: the tenant at a glance; `GET /v1/overview/trends`: its days.

use crate::api::error::{ApiError, Problem};
use crate::api::extract::ApiQuery;
use crate::api::routes::insights;
use crate::api::{ApiState, Caller};
use crate::domain::{
    AuthKind, InsightStatus, SyncRun, Tenant, TenantId, TenantStatus, TenantSummary, TrendPoint,
};
use crate::ports::{InsightFilter, PageRequest, Store, StoreError};
use crate::store::every_score;
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

pub use crate::domain::{BandCounts, ImpactCounts, InsightTypeCounts};

/// The tenant's connection to its CRM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Connection {
    pub name: String,
    /// `needs_reauth`: HubSpot refused the tenant's tokens; syncs stop until the app is installed
    /// again (`reconnect_url`) or, for a private app, a new token is given.
    pub status: TenantStatus,
    /// Why the status is not `active`, e.g. what HubSpot answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hubspot_portal_id: Option<u64>,
    /// Where to install the app again (`/oauth/install`); only while an OAuth connection needs
    /// re-auth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconnect_url: Option<String>,
}

impl Connection {
    /// `install_url`: the absolute URL of `/oauth/install`.
    pub fn of(tenant: Tenant, install_url: &str) -> Self {
        let reconnect =
            tenant.status == TenantStatus::NeedsReauth && tenant.auth_kind == AuthKind::OAuth;
        Connection {
            reconnect_url: reconnect.then(|| install_url.to_owned()),
            name: tenant.name,
            status: tenant.status,
            status_reason: tenant.status_reason,
            hubspot_portal_id: tenant.hubspot_portal_id,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Overview {
    /// Clients with a current health score.
    pub clients: u64,
    /// Mean overall score, one decimal; `null` when no client is scored yet.
    pub average_health: Option<f64>,
    /// Clients whose overall score is under 50 (bands `at_risk` and `critical`).
    pub clients_at_risk: u64,
    pub clients_by_band: BandCounts,
    /// Insights with status `open`.
    pub open_insights: u64,
    pub open_insights_by_type: InsightTypeCounts,
    pub open_insights_by_impact: ImpactCounts,
    /// Open insights whose confidence is under 50: they need a person to look.
    pub open_insights_needing_review: u64,
    /// The most recent sync run, if any.
    pub last_sync: Option<SyncRun>,
    /// `null` until the tenant has connected its portal.
    pub connection: Option<Connection>,
}

/// The tenant at a glance: clients, average health, clients at risk, open insights by type and
/// impact, and the last sync.
#[utoipa::path(
    get,
    path = "/v1/overview",
    tag = "overview",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The overview", body = Overview),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_overview(
    State(state): State<ApiState>,
    caller: Caller,
) -> Result<Json<Overview>, ApiError> {
    let tenant_id = &caller.tenant_id;
    let store = state.store.as_ref();
    // A re-install of the same portal reconnects its tenant.
    let install_url = state.config.install_url();
    // Three independent reads: the page answers in the time of the longest, not of their sum.
    let (summary, last_sync, connection) = tokio::try_join!(
        summary(store, tenant_id, state.now()),
        last_sync(store, tenant_id),
        connection(store, tenant_id, &install_url),
    )?;
    Ok(Json(Overview {
        clients: summary.clients,
        average_health: summary.average_health(),
        clients_at_risk: summary.clients_at_risk(),
        clients_by_band: summary.clients_by_band,
        open_insights: summary.open_insights.total,
        open_insights_by_type: summary.open_insights.by_type,
        open_insights_by_impact: summary.open_insights.by_impact,
        open_insights_needing_review: summary.open_insights.needing_review,
        last_sync,
        connection,
    }))
}

/// The summary score keeps, with the snoozes that ran out since counted open again; counted from
/// every score and open insight until score has written one.
async fn summary(
    store: &dyn Store,
    tenant_id: &TenantId,
    now: DateTime<Utc>,
) -> Result<TenantSummary, ApiError> {
    let (stored, snoozed) = tokio::try_join!(
        async { Ok::<_, ApiError>(store.get_summary(tenant_id).await?) },
        insights::list::snoozed_insights(store, tenant_id),
    )?;
    if let Some(mut summary) = stored {
        summary.wake_snoozes(&snoozed, now);
        return Ok(summary);
    }
    let open = InsightFilter {
        status: Some(InsightStatus::Open),
        ..InsightFilter::default()
    };
    let open = &open;
    let (scores, insights) = tokio::try_join!(
        async { Ok::<_, ApiError>(every_score(store, tenant_id).await?) },
        insights::list::insights_as_seen(store, tenant_id, open, now),
    )?;
    Ok(TenantSummary::of(&scores, &insights, now))
}

async fn last_sync(store: &dyn Store, tenant_id: &TenantId) -> Result<Option<SyncRun>, ApiError> {
    Ok(store
        .list_sync_runs(tenant_id, &PageRequest::first(1))
        .await?
        .items
        .into_iter()
        .next())
}

async fn connection(
    store: &dyn Store,
    tenant_id: &TenantId,
    install_url: &str,
) -> Result<Option<Connection>, ApiError> {
    match store.get_tenant(tenant_id).await {
        Ok(tenant) => Ok(Some(Connection::of(tenant, install_url))),
        Err(StoreError::NotFound { .. }) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

/// Days of trends when `days` is not given, and the most one may ask for.
pub const DEFAULT_TREND_DAYS: u32 = 90;
pub const MAX_TREND_DAYS: u32 = 365;

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TrendsQuery {
    /// How many days back, today included: 1-365 (default 90).
    #[param(minimum = 1, maximum = 365)]
    pub days: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Trends {
    /// The first and last day asked for (UTC).
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
    /// One point per day a scoring run wrote one, oldest first; days without are absent.
    pub points: Vec<TrendPoint>,
}

/// The tenant's health day by day: average health, clients per band and open insights, as the
/// last scoring run of each day left them.
#[utoipa::path(
    get,
    path = "/v1/overview/trends",
    tag = "overview",
    security(("bearer" = [])),
    params(TrendsQuery),
    responses(
        (status = 200, description = "The days", body = Trends),
        (status = 400, description = "A parameter is invalid (named in `parameter`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_trends(
    State(state): State<ApiState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<TrendsQuery>,
) -> Result<Json<Trends>, ApiError> {
    let days = query.days.unwrap_or(DEFAULT_TREND_DAYS);
    if !(1..=MAX_TREND_DAYS).contains(&days) {
        return Err(ApiError::bad_parameter(
            "days",
            format!("must be between 1 and {MAX_TREND_DAYS}"),
        ));
    }
    let to = state.now().date_naive();
    let from = to
        .checked_sub_days(Days::new(u64::from(days - 1)))
        .unwrap_or(NaiveDate::MIN);
    let points = state
        .store
        .trend_points(&caller.tenant_id, from, to)
        .await?;
    Ok(Json(Trends { from, to, points }))
}
