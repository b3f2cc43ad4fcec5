//! The tenant at a glance, kept as one record: the overview reads it instead of every score and
//! insight, which on a tenant of 10,000 clients is the difference between one read and hundreds.
//!
//! Score writes it whole after every run; a status change (acknowledge, dismiss, reopen) adjusts
//! its open-insight counts in place.

use crate::domain::{
    ConfidenceBand, HealthBand, HealthScore, Impact, Insight, InsightStatus, InsightType,
};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
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
    /// Left out while zero, so a tenant without a payments connection sees the counts it always saw.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub payment_risk: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImpactCounts {
    pub low: u64,
    pub medium: u64,
    pub high: u64,
    pub critical: u64,
}

/// Insights with status `open`, counted the ways the overview shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenInsightCounts {
    pub total: u64,
    pub by_type: InsightTypeCounts,
    pub by_impact: ImpactCounts,
    /// Confidence under 50: a person should look.
    pub needing_review: u64,
}

impl OpenInsightCounts {
    /// Counts `insight` once more (`+1`) or once less (`-1`); counts never go below zero.
    fn count(&mut self, insight: &Insight, step: i8) {
        let apply = |n: &mut u64| {
            *n = if step >= 0 {
                n.saturating_add(1)
            } else {
                n.saturating_sub(1)
            }
        };
        apply(&mut self.total);
        apply(match insight.insight_type {
            InsightType::ClientHealth => &mut self.by_type.client_health,
            InsightType::RevenueOptimization => &mut self.by_type.revenue_optimization,
            InsightType::ChurnRisk => &mut self.by_type.churn_risk,
            InsightType::UpsellOpportunity => &mut self.by_type.upsell_opportunity,
            InsightType::PaymentRisk => &mut self.by_type.payment_risk,
        });
        apply(match insight.impact {
            Impact::Low => &mut self.by_impact.low,
            Impact::Medium => &mut self.by_impact.medium,
            Impact::High => &mut self.by_impact.high,
            Impact::Critical => &mut self.by_impact.critical,
        });
        if insight.confidence_band == ConfidenceBand::NeedsReview {
            apply(&mut self.needing_review);
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantSummary {
    /// Clients with a current score.
    pub clients: u64,
    /// Sum of their overall scores (the average is this over `clients`).
    pub overall_sum: u64,
    pub clients_by_band: BandCounts,
    pub open_insights: OpenInsightCounts,
    /// When score last wrote it whole.
    pub computed_at: DateTime<Utc>,
    /// Incremented by every write; a status change is applied against the version it read.
    #[serde(default)]
    pub version: u64,
}

impl TenantSummary {
    /// The summary of these current scores and insights (only open insights are counted).
    pub fn of<'a>(
        scores: impl IntoIterator<Item = &'a HealthScore>,
        insights: impl IntoIterator<Item = &'a Insight>,
        computed_at: DateTime<Utc>,
    ) -> Self {
        let mut summary = TenantSummary {
            clients: 0,
            overall_sum: 0,
            clients_by_band: BandCounts::default(),
            open_insights: OpenInsightCounts::default(),
            computed_at,
            version: 0,
        };
        summary.add(scores, insights);
        summary
    }

    /// Counts more scores and insights, as [`TenantSummary::of`] does: a run scoring its clients a
    /// page at a time adds each page's (each client and insight in one page only).
    pub fn add<'a>(
        &mut self,
        scores: impl IntoIterator<Item = &'a HealthScore>,
        insights: impl IntoIterator<Item = &'a Insight>,
    ) {
        for score in scores {
            self.clients += 1;
            self.overall_sum += u64::from(score.overall);
            let band = &mut self.clients_by_band;
            *match score.band {
                HealthBand::Healthy => &mut band.healthy,
                HealthBand::Watch => &mut band.watch,
                HealthBand::AtRisk => &mut band.at_risk,
                HealthBand::Critical => &mut band.critical,
            } += 1;
        }
        for insight in insights {
            // A snooze that ran out by `computed_at` counts as open (see `wake_snoozes`).
            if insight.status_at(self.computed_at) == InsightStatus::Open {
                self.open_insights.count(insight, 1);
            }
        }
    }

    /// Mean overall score to one decimal; `None` before the first score.
    pub fn average_health(&self) -> Option<f64> {
        (self.clients > 0)
            .then(|| (self.overall_sum as f64 / self.clients as f64 * 10.0).round() / 10.0)
    }

    /// Clients under 50 (bands `at_risk` and `critical`).
    pub fn clients_at_risk(&self) -> u64 {
        self.clients_by_band.at_risk + self.clients_by_band.critical
    }

    /// Follows `insight` (as it was) moving to `status`: it leaves or joins the open counts.
    pub fn status_changed(&mut self, insight: &Insight, status: InsightStatus) {
        // As the summary counted it: a snooze run out before `computed_at` was counted open.
        let was_open = insight.status_at(self.computed_at) == InsightStatus::Open;
        let is_open = status == InsightStatus::Open;
        if was_open && !is_open {
            self.open_insights.count(insight, -1);
        } else if is_open && !was_open {
            self.open_insights.count(insight, 1);
        }
    }

    /// Counts the snoozes that ran out between `computed_at` and `now` as open again, so the
    /// overview agrees with the open list without a job waking snoozed insights. `snoozed`: the
    /// tenant's insights stored as snoozed (others are ignored).
    pub fn wake_snoozes(&mut self, snoozed: &[Insight], now: DateTime<Utc>) {
        for insight in snoozed {
            let until = match (insight.status, insight.snoozed_until) {
                (InsightStatus::Snoozed, Some(until)) => until,
                _ => continue,
            };
            if self.computed_at < until && until <= now {
                self.open_insights.count(insight, 1);
            }
        }
    }
}

/// One day of the tenant's health, for the overview's trends. Every scoring run writes the point of
/// its day (the day of the `now` it scored at, UTC), so the last run of a day wins; points are kept
/// as long as score history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TrendPoint {
    #[schema(value_type = String, format = Date)]
    pub day: NaiveDate,
    /// When the run that wrote it scored.
    pub at: DateTime<Utc>,
    /// Clients with a score.
    pub clients: u64,
    /// Mean overall score to one decimal; `null` with no client scored.
    pub average_health: Option<f64>,
    pub clients_by_band: BandCounts,
    /// Insights with status `open`.
    pub open_insights: u64,
}

impl TrendPoint {
    /// The point of `summary`'s day, from a summary score just computed.
    pub fn of(summary: &TenantSummary) -> Self {
        TrendPoint {
            day: summary.computed_at.date_naive(),
            at: summary.computed_at,
            clients: summary.clients,
            average_health: summary.average_health(),
            clients_by_band: summary.clients_by_band.clone(),
            open_insights: summary.open_insights.total,
        }
    }

    /// The last instant of the point's day: what its retention counts from.
    pub fn day_end(&self) -> DateTime<Utc> {
        self.day
            .and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN))
            .and_utc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ClientId, InsightId, InsightRule, TenantId, Trend};
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap()
    }

    fn score(client: &str, overall: u8, band: HealthBand) -> HealthScore {
        HealthScore {
            segment: None,
            settings_version: 0,
            sources: Default::default(),
            client_id: ClientId::parse(client).unwrap(),
            client_name: client.to_owned(),
            overall,
            band,
            churn_risk: 10,
            dimensions: Vec::new(),
            trend: Trend {
                delta_7d: None,
                delta_30d: None,
            },
            scored_at: at(),
            overrides: Vec::new(),
        }
    }

    fn insight(
        n: u32,
        kind: InsightType,
        impact: Impact,
        confidence: u8,
        status: InsightStatus,
    ) -> Insight {
        Insight {
            sources: Default::default(),
            id: InsightId::parse(format!("i{n}")).unwrap(),
            tenant_id: TenantId::parse("t").unwrap(),
            client_id: ClientId::parse("c").unwrap(),
            client_name: "C".into(),
            insight_type: kind,
            rule: InsightRule::InactiveClient,
            title: String::new(),
            description: String::new(),
            explanation: String::new(),
            confidence,
            confidence_band: ConfidenceBand::of(confidence),
            impact,
            revenue_at_stake: None,
            revenue_upside: None,
            status_reason: None,
            snoozed_until: None,
            recommendations: Vec::new(),
            evidence: Vec::new(),
            status,
            created_at: at(),
            updated_at: at(),
            status_changed_at: None,
            status_changed_by: None,
            version: 0,
        }
    }

    #[test]
    fn it_counts_scores_by_band_and_only_open_insights() {
        let scores = [
            score("a", 80, HealthBand::Healthy),
            score("b", 45, HealthBand::AtRisk),
            score("c", 20, HealthBand::Critical),
        ];
        let insights = [
            insight(
                1,
                InsightType::ChurnRisk,
                Impact::High,
                80,
                InsightStatus::Open,
            ),
            insight(
                2,
                InsightType::ChurnRisk,
                Impact::Low,
                40,
                InsightStatus::Open,
            ),
            insight(
                3,
                InsightType::UpsellOpportunity,
                Impact::High,
                90,
                InsightStatus::Dismissed,
            ),
            insight(
                4,
                InsightType::ClientHealth,
                Impact::Critical,
                70,
                InsightStatus::Resolved,
            ),
        ];

        let summary = TenantSummary::of(&scores, &insights, at());
        let trend = TrendPoint::of(&summary);
        assert_eq!(trend.day.to_string(), "2026-11-26");
        assert_eq!(trend.average_health, Some(48.3));
        assert_eq!((trend.clients, trend.open_insights), (3, 2));
        assert_eq!(trend.clients_by_band.critical, 1);

        assert_eq!(summary.clients, 3);
        assert_eq!(summary.average_health(), Some(48.3));
        assert_eq!(summary.clients_at_risk(), 2);
        assert_eq!(summary.clients_by_band.healthy, 1);
        assert_eq!(summary.open_insights.total, 2);
        assert_eq!(summary.open_insights.by_type.churn_risk, 2);
        assert_eq!(summary.open_insights.by_type.upsell_opportunity, 0);
        assert_eq!(summary.open_insights.by_impact.high, 1);
        assert_eq!(summary.open_insights.by_impact.low, 1);
        assert_eq!(summary.open_insights.needing_review, 1);
        assert_eq!(TenantSummary::of([], [], at()).average_health(), None);
    }

    #[test]
    fn status_changes_move_an_insight_out_of_and_back_into_the_open_counts() {
        let open = insight(
            1,
            InsightType::ChurnRisk,
            Impact::High,
            40,
            InsightStatus::Open,
        );
        let mut summary = TenantSummary::of([], [&open], at());
        let before = summary.clone();

        summary.status_changed(&open, InsightStatus::Dismissed);
        assert_eq!(summary.open_insights, OpenInsightCounts::default());

        let dismissed = Insight {
            status: InsightStatus::Dismissed,
            ..open.clone()
        };
        // Dismissed to acknowledged: neither is open, nothing moves.
        summary.status_changed(&dismissed, InsightStatus::Acknowledged);
        assert_eq!(summary.open_insights, OpenInsightCounts::default());

        summary.status_changed(&dismissed, InsightStatus::Open);
        assert_eq!(summary, before);
    }

    #[test]
    fn counts_never_go_below_zero() {
        let open = insight(
            1,
            InsightType::ChurnRisk,
            Impact::High,
            40,
            InsightStatus::Open,
        );
        let mut summary = TenantSummary::of([], [], at());
        summary.status_changed(&open, InsightStatus::Acknowledged);
        assert_eq!(summary.open_insights, OpenInsightCounts::default());
    }
}
