//! `GET /v1/overview`: the tenant at a glance.

use crate::api::error::{ApiError, Problem};
use crate::api::{ApiState, Caller};
use crate::domain::{
    ConfidenceBand, HealthBand, Impact, InsightStatus, InsightType, SyncRun, TenantStatus,
};
use crate::ports::{InsightFilter, PageRequest, ScoreQuery, StoreError};
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BandCounts {
    pub healthy: u64,
    pub watch: u64,
    pub at_risk: u64,
    pub critical: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InsightTypeCounts {
    pub client_health: u64,
    pub revenue_optimization: u64,
    pub churn_risk: u64,
    pub upsell_opportunity: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImpactCounts {
    pub low: u64,
    pub medium: u64,
    pub high: u64,
    pub critical: u64,
}

/// The tenant's connection to its CRM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Connection {
    pub name: String,
    pub status: TenantStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hubspot_portal_id: Option<u64>,
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
    let store = &state.store;

    let mut clients = 0u64;
    let mut overall_sum = 0u64;
    let mut bands = BandCounts::default();
    let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
    loop {
        let scores = store
            .list_scores(tenant_id, &ScoreQuery::default(), &page)
            .await?;
        for score in &scores.items {
            clients += 1;
            overall_sum += u64::from(score.overall);
            match score.band {
                HealthBand::Healthy => bands.healthy += 1,
                HealthBand::Watch => bands.watch += 1,
                HealthBand::AtRisk => bands.at_risk += 1,
                HealthBand::Critical => bands.critical += 1,
            }
        }
        match scores.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => break,
        }
    }

    let mut by_type = InsightTypeCounts::default();
    let mut by_impact = ImpactCounts::default();
    let mut open_insights = 0u64;
    let mut needing_review = 0u64;
    let open = InsightFilter {
        status: Some(InsightStatus::Open),
        ..InsightFilter::default()
    };
    let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
    loop {
        let insights = store.list_insights(tenant_id, &open, &page).await?;
        for insight in &insights.items {
            open_insights += 1;
            match insight.insight_type {
                InsightType::ClientHealth => by_type.client_health += 1,
                InsightType::RevenueOptimization => by_type.revenue_optimization += 1,
                InsightType::ChurnRisk => by_type.churn_risk += 1,
                InsightType::UpsellOpportunity => by_type.upsell_opportunity += 1,
            }
            match insight.impact {
                Impact::Low => by_impact.low += 1,
                Impact::Medium => by_impact.medium += 1,
                Impact::High => by_impact.high += 1,
                Impact::Critical => by_impact.critical += 1,
            }
            if insight.confidence_band == ConfidenceBand::NeedsReview {
                needing_review += 1;
            }
        }
        match insights.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => break,
        }
    }

    let last_sync = store
        .list_sync_runs(tenant_id, &PageRequest::first(1))
        .await?
        .items
        .into_iter()
        .next();

    let connection = match store.get_tenant(tenant_id).await {
        Ok(tenant) => Some(Connection {
            name: tenant.name,
            status: tenant.status,
            status_reason: tenant.status_reason,
            hubspot_portal_id: tenant.hubspot_portal_id,
        }),
        Err(StoreError::NotFound { .. }) => None,
        Err(other) => return Err(other.into()),
    };

    Ok(Json(Overview {
        clients,
        average_health: (clients > 0)
            .then(|| (overall_sum as f64 / clients as f64 * 10.0).round() / 10.0),
        clients_at_risk: bands.at_risk + bands.critical,
        clients_by_band: bands,
        open_insights,
        open_insights_by_type: by_type,
        open_insights_by_impact: by_impact,
        open_insights_needing_review: needing_review,
        last_sync,
        connection,
    }))
}
