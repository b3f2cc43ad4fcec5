//! One version of a tenant's settings, kept when a change is accepted: who made it, when, which
//! sections moved, and the scoring settings of that version (what re-weighting history reads).

use crate::domain::{ScoringSettings, TenantId, Weights};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SettingsVersion {
    #[schema(value_type = String)]
    pub tenant_id: TenantId,
    /// 1 for the first accepted change; 0 for the settings the tenant had before any change.
    pub version: u32,
    pub changed_at: DateTime<Utc>,
    /// Who changed them (the caller's subject); `None` for version 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_by: Option<String>,
    /// The sections of the settings that changed (`settings`, `matching`, `alerting`, `writeback`,
    /// `audit`); empty for version 0.
    #[serde(default)]
    pub sections: Vec<String>,
    /// The scoring settings of this version.
    pub settings: ScoringSettings,
}

impl SettingsVersion {
    /// Whether this version's weights (the tenant's or a segment's) differ from `earlier`'s: only
    /// then does history need re-weighting (thresholds move insights, not the overall).
    pub fn weights_changed_since(&self, earlier: &ScoringSettings) -> bool {
        fn weights(s: &ScoringSettings) -> (Weights, Vec<(&str, Option<Weights>)>) {
            let segments = s
                .segments
                .iter()
                .map(|g| (g.id.as_str(), g.weights))
                .collect();
            (s.weights, segments)
        }
        weights(&self.settings) != weights(earlier)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Segment, SegmentRule};

    fn kept(settings: ScoringSettings) -> SettingsVersion {
        SettingsVersion {
            tenant_id: TenantId::parse("acme").unwrap(),
            version: 1,
            changed_at: chrono::Utc::now(),
            changed_by: None,
            sections: Vec::new(),
            settings,
        }
    }

    #[test]
    fn only_a_change_of_weights_needs_history_re_weighted() {
        let before = ScoringSettings::default();
        let mut thresholds_only = before.clone();
        thresholds_only.thresholds.at_risk_overall = 30;
        assert!(!kept(thresholds_only).weights_changed_since(&before));
        let mut tenant_weights = before.clone();
        tenant_weights.weights.crm = 0.4;
        tenant_weights.weights.support = 0.1;
        assert!(kept(tenant_weights).weights_changed_since(&before));
        let mut segment_weights = before.clone();
        segment_weights.segments = vec![Segment {
            id: "gold".into(),
            name: "Gold".into(),
            rule: SegmentRule {
                revenue_min: Some(1.0),
                ..SegmentRule::default()
            },
            weights: Some(Weights::default()),
            thresholds: None,
        }];
        assert!(kept(segment_weights).weights_changed_since(&before));
    }
}

/// How far re-weighting the tenant's history to a settings version got (one item per tenant): the
/// score function moves it on a page at a time after its runs until `done`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReweighState {
    /// The settings version the history is being (or has been) re-weighted to.
    pub version: u32,
    /// Where the walk goes on; `None` with `done`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    pub done: bool,
    pub clients: u64,
    pub points_rewritten: u64,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}
