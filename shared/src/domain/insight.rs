//! Insights: what the engine tells a tenant about a client, with how sure it is and what to do.

use crate::domain::score::crm_only;
use crate::domain::{ClientId, InsightId, SourceRef, TenantId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum InsightType {
    ClientHealth,
    RevenueOptimization,
    ChurnRisk,
    UpsellOpportunity,
    /// Money trouble a payments platform shows: overdue invoices, disputes, failed payments.
    PaymentRisk,
}

impl InsightType {
    /// Whether the insight's amount is money to win (an upside) rather than money at stake: an
    /// upsell's amount is never "at stake", so the engine files it as `revenue_upside`.
    pub fn amount_is_upside(self) -> bool {
        matches!(self, InsightType::UpsellOpportunity)
    }
}

/// The rule that produced an insight; part of its id.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum InsightRule {
    InactiveClient,
    HighValueLowEngagement,
    DecliningEngagement,
    MultipleRiskFactors,
    UpsellOpportunity,
    /// Invoices past their due date with money still owed (a payments platform).
    OverdueInvoices,
    /// A dispute or chargeback opened by the client (a payments platform).
    PaymentDispute,
    /// Subscription payments failing, or a subscription suspended (a payments platform).
    FailedSubscriptionPayments,
    /// Critical alerts open or many devices long offline (NinjaOne).
    ItIssues,
    /// Seats shrinking or subscriptions cancelled (Pax8).
    SeatsShrinking,
    /// Licences bought and not assigned to anyone (Microsoft 365).
    UnusedLicences,
    /// Products most clients of similar size hold and this one lacks (Pax8, against the tenant).
    ProductGap,
    /// Seats paid for (Pax8) that nobody uses (Microsoft 365 active users): downsell or churn risk.
    PaidSeatsUnused,
    /// IT alerts and tickets rising (NinjaOne) while interactions fall (HubSpot).
    SupportLoadRising,
    /// Seats growing (Pax8), payments healthy (PayPal or won deals) and no deal open (HubSpot).
    ExpansionSignal,
    /// No CRM activity, devices offline and Microsoft 365 activity falling: a client going quiet.
    SilentClient,
    /// The overall's 30-day projection falls into the at-risk band (from the score history).
    ProjectedAtRisk,
}

impl InsightRule {
    pub const ALL: [InsightRule; 17] = [
        InsightRule::InactiveClient,
        InsightRule::HighValueLowEngagement,
        InsightRule::DecliningEngagement,
        InsightRule::MultipleRiskFactors,
        InsightRule::UpsellOpportunity,
        InsightRule::OverdueInvoices,
        InsightRule::PaymentDispute,
        InsightRule::FailedSubscriptionPayments,
        InsightRule::ItIssues,
        InsightRule::SeatsShrinking,
        InsightRule::UnusedLicences,
        InsightRule::ProductGap,
        InsightRule::PaidSeatsUnused,
        InsightRule::SupportLoadRising,
        InsightRule::ExpansionSignal,
        InsightRule::SilentClient,
        InsightRule::ProjectedAtRisk,
    ];

    pub fn insight_type(self) -> InsightType {
        match self {
            InsightRule::InactiveClient | InsightRule::ItIssues => InsightType::ClientHealth,
            InsightRule::HighValueLowEngagement | InsightRule::UnusedLicences => {
                InsightType::RevenueOptimization
            }
            InsightRule::DecliningEngagement
            | InsightRule::MultipleRiskFactors
            | InsightRule::SeatsShrinking
            | InsightRule::PaidSeatsUnused
            | InsightRule::SupportLoadRising
            | InsightRule::SilentClient
            | InsightRule::ProjectedAtRisk => InsightType::ChurnRisk,
            InsightRule::UpsellOpportunity
            | InsightRule::ProductGap
            | InsightRule::ExpansionSignal => InsightType::UpsellOpportunity,
            InsightRule::OverdueInvoices
            | InsightRule::PaymentDispute
            | InsightRule::FailedSubscriptionPayments => InsightType::PaymentRisk,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            InsightRule::InactiveClient => "inactive_client",
            InsightRule::HighValueLowEngagement => "high_value_low_engagement",
            InsightRule::DecliningEngagement => "declining_engagement",
            InsightRule::MultipleRiskFactors => "multiple_risk_factors",
            InsightRule::UpsellOpportunity => "upsell_opportunity",
            InsightRule::OverdueInvoices => "overdue_invoices",
            InsightRule::PaymentDispute => "payment_dispute",
            InsightRule::FailedSubscriptionPayments => "failed_subscription_payments",
            InsightRule::ItIssues => "it_issues",
            InsightRule::SeatsShrinking => "seats_shrinking",
            InsightRule::UnusedLicences => "unused_licences",
            InsightRule::ProductGap => "product_gap",
            InsightRule::PaidSeatsUnused => "paid_seats_unused",
            InsightRule::SupportLoadRising => "support_load_rising",
            InsightRule::ExpansionSignal => "expansion_signal",
            InsightRule::SilentClient => "silent_client",
            InsightRule::ProjectedAtRisk => "projected_at_risk",
        }
    }
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Impact {
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConfidenceBand {
    /// 85-100: multiple data points.
    High,
    /// 70-84: reliable patterns.
    Medium,
    /// 50-69: limited data.
    Lower,
    /// Under 50: flagged for manual review.
    NeedsReview,
}

impl ConfidenceBand {
    pub fn of(confidence: u8) -> Self {
        match confidence {
            85..=u8::MAX => ConfidenceBand::High,
            70..=84 => ConfidenceBand::Medium,
            50..=69 => ConfidenceBand::Lower,
            _ => ConfidenceBand::NeedsReview,
        }
    }

    /// The inclusive confidence range of the band.
    pub fn range(self) -> (u8, u8) {
        match self {
            ConfidenceBand::High => (85, 100),
            ConfidenceBand::Medium => (70, 84),
            ConfidenceBand::Lower => (50, 69),
            ConfidenceBand::NeedsReview => (0, 49),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InsightStatus {
    Open,
    Acknowledged,
    Dismissed,
    Resolved,
    /// Put aside by a person until `snoozed_until`; from then on it reads as `open` again
    /// ([`Insight::status_at`]), with no job needed to wake it.
    Snoozed,
}

/// A figure that triggered an insight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Evidence {
    pub name: String,
    pub value: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Insight {
    #[schema(value_type = String)]
    pub id: InsightId,
    #[schema(value_type = String)]
    pub tenant_id: TenantId,
    #[schema(value_type = String)]
    pub client_id: ClientId,
    pub client_name: String,
    #[serde(rename = "type")]
    pub insight_type: InsightType,
    pub rule: InsightRule,
    pub title: String,
    pub description: String,
    /// Why the engine believes this, in a sentence a user can check against the evidence.
    pub explanation: String,
    pub confidence: u8,
    pub confidence_band: ConfidenceBand,
    pub impact: Impact,
    /// Revenue at stake (a loss the insight warns of), when known. An upside is never here.
    pub revenue_at_stake: Option<f64>,
    /// Revenue to win (an upsell or expansion), when known; see [`InsightType::amount_is_upside`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revenue_upside: Option<f64>,
    pub recommendations: Vec<String>,
    pub evidence: Vec<Evidence>,
    pub status: InsightStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_changed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_changed_by: Option<String>,
    /// Why a person acknowledged, dismissed or snoozed it (their words, kept with the insight).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// Until when a snoozed insight stays out of the open list; only with status `snoozed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snoozed_until: Option<DateTime<Utc>>,
    /// Optimistic-concurrency version, incremented by every write.
    #[serde(default)]
    pub version: u64,
    /// The sources whose data backs the evidence, with how each linked record was matched;
    /// insights stored before there was a second source read as HubSpot's.
    #[serde(default = "crm_only")]
    pub sources: Vec<SourceRef>,
}

impl Insight {
    /// Equal in what the engine computes (ignores timestamps, status and version).
    pub fn same_finding_as(&self, other: &Insight) -> bool {
        self.id == other.id
            && self.title == other.title
            && self.description == other.description
            && self.explanation == other.explanation
            && self.confidence == other.confidence
            && self.impact == other.impact
            && self.revenue_at_stake == other.revenue_at_stake
            && self.revenue_upside == other.revenue_upside
            && self.recommendations == other.recommendations
            && self.evidence == other.evidence
            && self.client_name == other.client_name
            && self.sources == other.sources
    }

    /// The status as it reads at `now`: a snooze whose date has come (or that has none) reads as
    /// `open`. This one rule is why no job has to wake snoozed insights: every reader asks it.
    pub fn status_at(&self, now: DateTime<Utc>) -> InsightStatus {
        match (self.status, self.snoozed_until) {
            (InsightStatus::Snoozed, Some(until)) if until > now => InsightStatus::Snoozed,
            (InsightStatus::Snoozed, _) => InsightStatus::Open,
            (status, _) => status,
        }
    }

    /// The insight as a reader sees it at `now`: a snooze that has run out reads as `open`, without
    /// its date (the reason stays, so the next reader knows why it was put aside).
    pub fn as_seen_at(mut self, now: DateTime<Utc>) -> Insight {
        let status = self.status_at(now);
        if status != self.status {
            self.status = status;
            self.snoozed_until = None;
        }
        self
    }
}

/// An insight for the crate's unit tests.
#[cfg(test)]
pub(crate) fn sample(status: InsightStatus, at: DateTime<Utc>) -> Insight {
    let rule = InsightRule::InactiveClient;
    Insight {
        id: InsightId::parse("i1").unwrap(),
        tenant_id: TenantId::parse("t").unwrap(),
        client_id: ClientId::parse("c").unwrap(),
        client_name: "C".into(),
        insight_type: rule.insight_type(),
        rule,
        title: String::new(),
        description: String::new(),
        explanation: String::new(),
        confidence: 80,
        confidence_band: ConfidenceBand::of(80),
        impact: Impact::High,
        revenue_at_stake: None,
        revenue_upside: None,
        recommendations: Vec::new(),
        evidence: Vec::new(),
        status,
        created_at: at,
        updated_at: at,
        status_changed_at: None,
        status_changed_by: None,
        status_reason: None,
        snoozed_until: None,
        version: 0,
        sources: crm_only(),
    }
}

#[cfg(test)]
mod snooze_tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_snooze_reads_as_open_once_its_date_has_come() {
        let at = |h| Utc.with_ymd_and_hms(2026, 12, 1, h, 0, 0).unwrap();
        let mut insight = sample(InsightStatus::Snoozed, at(0));
        insight.snoozed_until = Some(at(12));
        assert_eq!(insight.status_at(at(11)), InsightStatus::Snoozed);
        assert_eq!(insight.status_at(at(12)), InsightStatus::Open);
        let seen = insight.clone().as_seen_at(at(13));
        assert_eq!(
            (seen.status, seen.snoozed_until),
            (InsightStatus::Open, None)
        );
        assert_eq!(insight.clone().as_seen_at(at(11)), insight);
        insight.snoozed_until = None;
        assert_eq!(insight.status_at(at(0)), InsightStatus::Open);
    }
}
