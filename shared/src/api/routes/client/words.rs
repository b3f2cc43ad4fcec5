//! The client's score and insights with the words people read beside the engine's figures: each
//! factor's label and value with its unit, each insight's evidence in sentences and whether its
//! amount is at stake or an upside. The words come from [`crate::scoring::wording`].

use crate::domain::{Dimension, HealthScore, Insight, Platform};
use crate::scoring::money;
use crate::scoring::wording::{
    dimension_label, evidence_text, factor_label, factor_value, RevenueKind,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FactorInWords {
    /// The engine's name (`activity_recency`).
    pub name: String,
    /// "Days since last activity".
    pub label: String,
    /// The raw input, as in the score.
    pub value: Option<f64>,
    /// The value with its unit: "37 days", "$8,828.50", "42%"; "no data" when missing.
    pub value_text: String,
    pub points: f64,
    pub explanation: String,
    pub source: Platform,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DimensionInWords {
    pub dimension: Dimension,
    /// "CRM", "Payment", "Usage", "Support".
    pub label: String,
    /// `None` when the dimension had no data.
    pub score: Option<u8>,
    /// Its share of the overall score as used (0 without data).
    pub weight: f64,
    pub factors: Vec<FactorInWords>,
}

/// The score's dimensions with their factors in words, in the score's order.
pub fn dimensions_in_words(score: &HealthScore) -> Vec<DimensionInWords> {
    score
        .dimensions
        .iter()
        .map(|d| DimensionInWords {
            dimension: d.dimension,
            label: dimension_label(d.dimension).to_owned(),
            score: d.score,
            weight: d.weight,
            factors: d
                .factors
                .iter()
                .map(|f| FactorInWords {
                    name: f.name.clone(),
                    label: factor_label(&f.name),
                    value: f.value,
                    value_text: factor_value(&f.name, f.value),
                    points: f.points,
                    explanation: f.explanation.clone(),
                    source: f.source,
                })
                .collect(),
        })
        .collect()
}

/// An insight as the engine wrote it, with its evidence in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InsightInWords {
    #[serde(flatten)]
    pub insight: Insight,
    /// One sentence part per item of `evidence`, in its order ("Healthy clients' median revenue:
    /// $45,796.50").
    pub evidence_text: Vec<String>,
    /// Whether `revenue_at_stake` is money to lose or an upsell's upside; `null` without amount.
    pub revenue_kind: Option<RevenueKind>,
    /// "$1,200.00 at stake", "$5,000.00 upside".
    pub revenue_text: Option<String>,
}

impl InsightInWords {
    pub fn of(insight: Insight) -> Self {
        let kind = RevenueKind::of(insight.insight_type);
        Self {
            evidence_text: insight.evidence.iter().map(evidence_text).collect(),
            revenue_kind: insight.revenue_at_stake.map(|_| kind),
            revenue_text: insight
                .revenue_at_stake
                .map(|amount| format!("{} {}", money(amount), kind.label())),
            insight,
        }
    }
}
