//! Health scores: four dimensions with the factors that explain them, the overall score, churn risk
//! and trend, and the points kept in history.

use crate::domain::{AppliedOverride, ClientId, MatchMethod, Platform};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
pub enum Dimension {
    Crm,
    Payment,
    Usage,
    Support,
}

impl Dimension {
    pub const ALL: [Dimension; 4] = [
        Dimension::Crm,
        Dimension::Payment,
        Dimension::Usage,
        Dimension::Support,
    ];
}

/// One reason a score is what it is: a named input, its raw value and the points it contributed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Factor {
    pub name: String,
    /// The raw input (days, a count, a ratio, an amount); `None` when the data was missing.
    pub value: Option<f64>,
    pub points: f64,
    pub explanation: String,
    /// The platform the input came from; scores stored before there was a second source read as
    /// HubSpot's.
    #[serde(default = "crm_platform")]
    pub source: Platform,
}

fn crm_platform() -> Platform {
    Platform::Hubspot
}

/// One source behind a score or an insight: the platform, and for a record of another platform than
/// the client's CRM, how it was matched to the client and how sure that match is. Shown as "HubSpot +
/// PayPal, matched by email domain, 0.93".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SourceRef {
    pub platform: Platform,
    /// How the record was matched to the client; `None` for the client's own CRM record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched_by: Option<MatchMethod>,
    /// The match's confidence, 0-1; `None` for the client's own CRM record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_confidence: Option<f64>,
}

impl SourceRef {
    /// The client's own CRM record (HubSpot).
    pub fn crm() -> Self {
        Self::own(Platform::Hubspot)
    }

    /// A platform's data about the client itself, not reached through a match.
    pub fn own(platform: Platform) -> Self {
        Self {
            platform,
            matched_by: None,
            match_confidence: None,
        }
    }
}

/// What scores and insights stored before there was a second source were built from.
/// One entry per platform, in first-seen order, each the surest: a platform's own data beats a match,
/// and a stronger match a weaker one. Two records of one platform (a PayPal payer's account and its
/// invoices sent to the same email) are one source, not two.
pub fn one_per_platform(sources: impl IntoIterator<Item = SourceRef>) -> Vec<SourceRef> {
    let sureness = |s: &SourceRef| s.match_confidence.unwrap_or(f64::INFINITY);
    let mut kept: Vec<SourceRef> = Vec::new();
    for source in sources {
        match kept.iter_mut().find(|k| k.platform == source.platform) {
            Some(existing) if sureness(&source) > sureness(existing) => *existing = source,
            Some(_) => {}
            None => kept.push(source),
        }
    }
    kept
}

pub fn crm_only() -> Vec<SourceRef> {
    vec![SourceRef::crm()]
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DimensionScore {
    pub dimension: Dimension,
    /// 0..=100, or `None` when the dimension had no data (it is then left out of the overall score).
    pub score: Option<u8>,
    pub weight: f64,
    pub factors: Vec<Factor>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthBand {
    /// 75 and above.
    Healthy,
    /// 50..75.
    Watch,
    /// 25..50.
    AtRisk,
    /// Under 25.
    Critical,
}

impl HealthBand {
    pub fn of(overall: u8) -> Self {
        match overall {
            75..=u8::MAX => HealthBand::Healthy,
            50..=74 => HealthBand::Watch,
            25..=49 => HealthBand::AtRisk,
            _ => HealthBand::Critical,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Trend {
    /// Change of the overall score against the history point nearest 7 days ago.
    pub delta_7d: Option<i16>,
    pub delta_30d: Option<i16>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HealthScore {
    #[schema(value_type = String)]
    pub client_id: ClientId,
    pub client_name: String,
    pub overall: u8,
    pub band: HealthBand,
    /// 0..=100.
    pub churn_risk: u8,
    pub dimensions: Vec<DimensionScore>,
    pub trend: Trend,
    pub scored_at: DateTime<Utc>,
    /// The sources the score's factors came from, with how each linked record was matched.
    #[serde(default = "crm_only")]
    pub sources: Vec<SourceRef>,
    /// The id of the client's segment (whose weights and thresholds scored it); `None`: the
    /// tenant's own settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    /// The version of the settings it was computed with (0: before settings had versions).
    #[serde(default)]
    pub settings_version: u32,
    /// The users' overrides that applied (a sentiment, a dimension's score with the computed one
    /// beside it); empty in scores stored before there were overrides.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<AppliedOverride>,
}

impl HealthScore {
    pub fn dimension(&self, dimension: Dimension) -> Option<&DimensionScore> {
        self.dimensions.iter().find(|d| d.dimension == dimension)
    }

    /// Equal apart from when it was computed: such a score need not be written again.
    pub fn same_content_as(&self, other: &HealthScore) -> bool {
        self.client_id == other.client_id
            && self.client_name == other.client_name
            && self.overall == other.overall
            && self.churn_risk == other.churn_risk
            && self.dimensions == other.dimensions
            && self.trend == other.trend
            && self.sources == other.sources
            && self.segment == other.segment
            && self.settings_version == other.settings_version
            && self.overrides == other.overrides
    }

    pub fn point(&self) -> ScorePoint {
        let dim = |d| self.dimension(d).and_then(|s| s.score);
        ScorePoint {
            client_id: self.client_id.clone(),
            at: self.scored_at,
            overall: self.overall,
            churn_risk: self.churn_risk,
            crm: dim(Dimension::Crm),
            payment: dim(Dimension::Payment),
            usage: dim(Dimension::Usage),
            support: dim(Dimension::Support),
            parts: self
                .dimensions
                .iter()
                .filter(|d| d.score.is_some())
                .map(PointDimension::of)
                .collect(),
            settings_version: self.settings_version,
            as_scored: None,
            overrides: self.overrides.clone(),
        }
    }
}

/// One entry of a client's score history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScorePoint {
    #[schema(value_type = String)]
    pub client_id: ClientId,
    pub at: DateTime<Utc>,
    pub overall: u8,
    pub churn_risk: u8,
    pub crm: Option<u8>,
    pub payment: Option<u8>,
    pub usage: Option<u8>,
    pub support: Option<u8>,
    /// Each scored dimension's weight as used and its factors' points: what "why it changed"
    /// (`scoring::attribution`) splits a change of `overall` with. Empty in points stored before
    /// it was kept; a dimension without data is not listed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<PointDimension>,
    /// The version of the settings whose weights made `overall` (0: before settings had versions).
    #[serde(default)]
    pub settings_version: u32,
    /// The overall as first scored, kept when the point was re-weighted to later settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_scored: Option<u8>,
    /// The overrides the score applied, as on [`HealthScore::overrides`], so history shows which
    /// points a person set. Empty in points stored before there were overrides.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<AppliedOverride>,
}

impl ScorePoint {
    /// The dimension's score at this point (`None`: no data, left out of the overall).
    pub fn score_of(&self, dimension: Dimension) -> Option<u8> {
        match dimension {
            Dimension::Crm => self.crm,
            Dimension::Payment => self.payment,
            Dimension::Usage => self.usage,
            Dimension::Support => self.support,
        }
    }

    pub fn part(&self, dimension: Dimension) -> Option<&PointDimension> {
        self.parts.iter().find(|p| p.dimension == dimension)
    }
}

/// Decimals a history point keeps of a weight: enough that the weighted sum is off by under 0.01
/// point, few enough to keep the point small (rounding is shown as its own line anyway).
const POINT_WEIGHT_DECIMALS: f64 = 1e6;

/// One scored dimension of a history point, compactly: its share of the overall (the effective
/// weight, after leaving out dimensions without data) and each factor's points by factor name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PointDimension {
    pub dimension: Dimension,
    /// The dimension's share of the overall score, 0..=1, as the score used it.
    pub weight: f64,
    /// Factor name -> points. Two factors of one name (not made today) add up.
    pub factors: BTreeMap<String, f64>,
}

impl PointDimension {
    pub fn of(score: &DimensionScore) -> Self {
        let mut factors = BTreeMap::new();
        for factor in &score.factors {
            *factors.entry(factor.name.clone()).or_insert(0.0) += factor.points;
        }
        Self {
            dimension: score.dimension,
            weight: (score.weight * POINT_WEIGHT_DECIMALS).round() / POINT_WEIGHT_DECIMALS,
            factors,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{MatchMethod, Platform};

    #[test]
    fn a_platform_counts_once_with_its_surest_match() {
        let matched = |confidence: f64| SourceRef {
            platform: Platform::Paypal,
            matched_by: Some(MatchMethod::EmailDomain),
            match_confidence: Some(confidence),
        };
        let kept = one_per_platform([
            SourceRef::crm(),
            matched(0.7),
            matched(0.95),
            SourceRef::crm(),
        ]);
        assert_eq!(kept, vec![SourceRef::crm(), matched(0.95)]);
    }
}
