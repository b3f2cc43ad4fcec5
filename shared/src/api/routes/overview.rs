//! `GET /v1/overview`: the tenant at a glance.

use crate::api::error::{ApiError, Problem};
use crate::api::{ApiState, Caller};
use crate::domain::{
    ConfidenceBand, HealthBand, HealthScore, Impact, Insight, InsightStatus, InsightType, SyncRun,
    TenantId, TenantStatus,
};
use crate::ports::{InsightFilter, PageRequest, ScoreQuery, Store, StoreError};
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
    let store = state.store.as_ref();
    // Four independent reads: the page answers in the time of the longest, not of their sum.
    let (scores, insights, last_sync, connection) = tokio::try_join!(
        score_tally(store, tenant_id),
        open_insight_tally(store, tenant_id),
        last_sync(store, tenant_id),
        connection(store, tenant_id),
    )?;
    Ok(Json(Overview {
        clients: scores.clients,
        average_health: scores.average(),
        clients_at_risk: scores.bands.at_risk + scores.bands.critical,
        clients_by_band: scores.bands,
        open_insights: insights.open,
        open_insights_by_type: insights.by_type,
        open_insights_by_impact: insights.by_impact,
        open_insights_needing_review: insights.needing_review,
        last_sync,
        connection,
    }))
}

/// Current scores, counted by band.
#[derive(Debug, Default, PartialEq)]
struct ScoreTally {
    clients: u64,
    overall_sum: u64,
    bands: BandCounts,
}

impl ScoreTally {
    fn add(&mut self, score: &HealthScore) {
        self.clients += 1;
        self.overall_sum += u64::from(score.overall);
        let band = match score.band {
            HealthBand::Healthy => &mut self.bands.healthy,
            HealthBand::Watch => &mut self.bands.watch,
            HealthBand::AtRisk => &mut self.bands.at_risk,
            HealthBand::Critical => &mut self.bands.critical,
        };
        *band += 1;
    }

    /// Mean overall score to one decimal; `None` before the first score.
    fn average(&self) -> Option<f64> {
        (self.clients > 0)
            .then(|| (self.overall_sum as f64 / self.clients as f64 * 10.0).round() / 10.0)
    }
}

/// Open insights, counted by type, impact and whether a person should review them.
#[derive(Debug, Default, PartialEq)]
struct InsightTally {
    open: u64,
    by_type: InsightTypeCounts,
    by_impact: ImpactCounts,
    needing_review: u64,
}

impl InsightTally {
    fn add(&mut self, insight: &Insight) {
        self.open += 1;
        let by_type = match insight.insight_type {
            InsightType::ClientHealth => &mut self.by_type.client_health,
            InsightType::RevenueOptimization => &mut self.by_type.revenue_optimization,
            InsightType::ChurnRisk => &mut self.by_type.churn_risk,
            InsightType::UpsellOpportunity => &mut self.by_type.upsell_opportunity,
        };
        *by_type += 1;
        let by_impact = match insight.impact {
            Impact::Low => &mut self.by_impact.low,
            Impact::Medium => &mut self.by_impact.medium,
            Impact::High => &mut self.by_impact.high,
            Impact::Critical => &mut self.by_impact.critical,
        };
        *by_impact += 1;
        if insight.confidence_band == ConfidenceBand::NeedsReview {
            self.needing_review += 1;
        }
    }
}

async fn score_tally(store: &dyn Store, tenant_id: &TenantId) -> Result<ScoreTally, ApiError> {
    let mut tally = ScoreTally::default();
    let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
    loop {
        let scores = store
            .list_scores(tenant_id, &ScoreQuery::default(), &page)
            .await?;
        scores.items.iter().for_each(|score| tally.add(score));
        match scores.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => return Ok(tally),
        }
    }
}

async fn open_insight_tally(
    store: &dyn Store,
    tenant_id: &TenantId,
) -> Result<InsightTally, ApiError> {
    let open = InsightFilter {
        status: Some(InsightStatus::Open),
        ..InsightFilter::default()
    };
    let mut tally = InsightTally::default();
    let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
    loop {
        let insights = store.list_insights(tenant_id, &open, &page).await?;
        insights.items.iter().for_each(|insight| tally.add(insight));
        match insights.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => return Ok(tally),
        }
    }
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
) -> Result<Option<Connection>, ApiError> {
    match store.get_tenant(tenant_id).await {
        Ok(tenant) => Ok(Some(Connection {
            name: tenant.name,
            status: tenant.status,
            status_reason: tenant.status_reason,
            hubspot_portal_id: tenant.hubspot_portal_id,
        })),
        Err(StoreError::NotFound { .. }) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally_of(scores: &[(u8, HealthBand)]) -> ScoreTally {
        let mut tally = ScoreTally::default();
        for (overall, band) in scores {
            let score = HealthScore {
                client_id: crate::domain::ClientId::parse("c1").unwrap_or_else(|e| panic!("{e}")),
                client_name: "C".into(),
                overall: *overall,
                band: *band,
                churn_risk: 10,
                dimensions: Vec::new(),
                trend: crate::domain::Trend {
                    delta_7d: None,
                    delta_30d: None,
                },
                scored_at: chrono::Utc::now(),
            };
            tally.add(&score);
        }
        tally
    }

    #[test]
    fn the_average_is_rounded_to_one_decimal_and_absent_without_scores() {
        assert_eq!(ScoreTally::default().average(), None);
        let tally = tally_of(&[
            (80, HealthBand::Healthy),
            (45, HealthBand::AtRisk),
            (20, HealthBand::Critical),
        ]);
        assert_eq!(tally.average(), Some(48.3));
        assert_eq!(tally.clients, 3);
        assert_eq!(
            tally.bands,
            BandCounts {
                healthy: 1,
                watch: 0,
                at_risk: 1,
                critical: 1
            }
        );
    }
}
