//! Correlations: which record of another platform is the same client, how sure we are, and who
//! decided (the brief's `cross_platform_correlations`).

use crate::domain::{ClientId, ConnectionId, Platform, TenantId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How a record was matched to a client, strongest first.
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
pub enum MatchMethod {
    /// A person mapped it, or the record carries the client's CRM id (PayPal `custom_id`).
    ExplicitId,
    /// A verified domain of the other platform equals one of the client's domains.
    VerifiedDomain,
    /// The record's email is a contact of exactly one client.
    ContactEmail,
    /// The record's website host equals the client's domain.
    Website,
    /// The record shares device serials with a record of another platform already linked to the
    /// client (a NinjaOne organisation and a Microsoft 365 tenant's Intune devices).
    DeviceSerials,
    /// The record's (non-free-mail) email domain equals the client's domain.
    EmailDomain,
    /// The normalised business names are equal and unique.
    NormalisedName,
    /// The names are close but not equal.
    FuzzyName,
}

/// One piece of evidence for (or against) a match, shown side by side in the review queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MatchEvidence {
    pub method: MatchMethod,
    /// What the other platform's record says (`acme.com`, `ACME Ltd.`).
    pub source_value: String,
    /// What the client's record says.
    pub client_value: String,
    /// This evidence's own score, 0-1.
    pub score: f64,
    /// False when the evidence speaks against the match (names disagree while domains agree).
    #[serde(default = "agrees")]
    pub agrees: bool,
}

fn agrees() -> bool {
    true
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CorrelationStatus {
    /// Linked by itself: confidence at or above the auto-link threshold.
    Auto,
    /// Between the review and auto-link thresholds, or ambiguous: waits for a person.
    NeedsReview,
    /// A person said yes (or mapped it by hand).
    Confirmed,
    /// A person said no: a re-run never proposes it again.
    Rejected,
}

impl CorrelationStatus {
    /// Whether the record's signals count for the client.
    pub fn is_linked(self) -> bool {
        matches!(self, CorrelationStatus::Auto | CorrelationStatus::Confirmed)
    }

    /// Whether a person decided; matching never overrides such a correlation.
    pub fn is_decided_by_person(self) -> bool {
        matches!(
            self,
            CorrelationStatus::Confirmed | CorrelationStatus::Rejected
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Correlation {
    pub tenant_id: TenantId,
    pub client_id: ClientId,
    pub platform: Platform,
    pub connection_id: ConnectionId,
    /// The other platform's id of the record (a PayPal payer id).
    pub external_id: String,
    /// The strongest agreeing evidence's method.
    pub method: MatchMethod,
    pub evidence: Vec<MatchEvidence>,
    /// 0-1.
    pub confidence: f64,
    pub status: CorrelationStatus,
    /// The person (token subject) who confirmed, rejected or mapped it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Thresholds of matching, a tenant setting (defaults from SOURCES.md §5).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MatchingSettings {
    /// At or above: links itself.
    pub auto_link: f64,
    /// At or above (and below `auto_link`): waits in the review queue.
    pub review: f64,
    /// Two candidate clients closer than this go to review even above `auto_link`.
    pub ambiguity_margin: f64,
}

impl MatchingSettings {
    /// Thresholds in order: 0 < review <= auto_link <= 1, and a margin of at most 0.5.
    pub fn validate(&self) -> Result<(), crate::domain::SettingsError> {
        let error = |field: &'static str, reason: &str| crate::domain::SettingsError {
            field,
            reason: reason.to_string(),
        };
        if !(self.auto_link.is_finite() && self.auto_link > 0.0 && self.auto_link <= 1.0) {
            return Err(error("matching.auto_link", "must be above 0 and at most 1"));
        }
        if !(self.review.is_finite() && self.review > 0.0 && self.review <= self.auto_link) {
            return Err(error(
                "matching.review",
                "must be above 0 and at most matching.auto_link",
            ));
        }
        if !(self.ambiguity_margin.is_finite() && (0.0..=0.5).contains(&self.ambiguity_margin)) {
            return Err(error(
                "matching.ambiguity_margin",
                "must be between 0 and 0.5",
            ));
        }
        Ok(())
    }
}

impl Default for MatchingSettings {
    fn default() -> Self {
        Self {
            auto_link: 0.90,
            review: 0.60,
            ambiguity_margin: 0.10,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_must_be_in_order() {
        assert!(MatchingSettings::default().validate().is_ok());
        let review_above_auto = MatchingSettings {
            review: 0.95,
            ..MatchingSettings::default()
        };
        assert_eq!(
            review_above_auto.validate().unwrap_err().field,
            "matching.review"
        );
        let nan = MatchingSettings {
            auto_link: f64::NAN,
            ..MatchingSettings::default()
        };
        assert_eq!(nan.validate().unwrap_err().field, "matching.auto_link");
        let wide = MatchingSettings {
            ambiguity_margin: 0.9,
            ..MatchingSettings::default()
        };
        assert_eq!(
            wide.validate().unwrap_err().field,
            "matching.ambiguity_margin"
        );
    }
}
