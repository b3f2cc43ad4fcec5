//! What changed for a client between two scorings, in the words alerts and events use: where its
//! health stood, which factors moved, and the facts of an insight that opened or resolved.

use crate::domain::{
    ClientId, Dimension, HealthBand, Impact, Insight, InsightId, InsightRule, InsightType,
    Platform, SourceRef,
};
use serde::{Deserialize, Serialize};

/// The factors that moved most, at most this many per event.
pub const MAX_MOVED_FACTORS: usize = 3;

/// Where a client's health stood at one scoring.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HealthLevel {
    pub overall: u8,
    pub band: HealthBand,
    /// 0..=100.
    pub churn_risk: u8,
}

/// One factor whose points changed between two scorings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactorMove {
    pub dimension: Dimension,
    /// The factor's name as in the score (`days_since_last_activity`).
    pub name: String,
    /// `None` when the factor was not in the earlier score.
    pub points_before: Option<f64>,
    /// `None` when the factor is not in the new score.
    pub points_after: Option<f64>,
    /// The factor's explanation in the new score (or the old one when it left).
    pub explanation: String,
    pub source: Platform,
}

/// What an alert needs to know of an insight, shared by the opened and resolved events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InsightFacts {
    pub insight_id: InsightId,
    pub client_id: ClientId,
    pub client_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle_stage: Option<String>,
    #[serde(rename = "type")]
    pub insight_type: InsightType,
    pub rule: InsightRule,
    pub title: String,
    pub impact: Impact,
    /// 0..=100.
    pub confidence: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revenue_at_stake: Option<f64>,
    /// The first recommendation, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_recommendation: Option<String>,
    pub sources: Vec<SourceRef>,
}

impl InsightFacts {
    /// The facts of `insight`, with the client's lifecycle stage when known.
    pub fn of(insight: &Insight, lifecycle_stage: Option<String>) -> Self {
        Self {
            insight_id: insight.id.clone(),
            client_id: insight.client_id.clone(),
            client_name: insight.client_name.clone(),
            lifecycle_stage,
            insight_type: insight.insight_type,
            rule: insight.rule,
            title: insight.title.clone(),
            impact: insight.impact,
            confidence: insight.confidence,
            revenue_at_stake: insight.revenue_at_stake,
            top_recommendation: insight.recommendations.first().cloned(),
            sources: insight.sources.clone(),
        }
    }
}
