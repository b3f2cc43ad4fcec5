//! A tenant's scoring settings. Defaults are the product brief's seed thresholds, which are promises to
//! users: change them only as a tenant's own choice.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoringSettings {
    /// The window W, in days, over which interactions are counted.
    pub window_days: u32,
    pub weights: Weights,
    pub thresholds: Thresholds,
    /// How long score history is kept, in days.
    pub history_retention_days: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    pub crm: f64,
    pub payment: f64,
    pub usage: f64,
    pub support: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// Inactive client: no activity for this many days or more (seed: 30).
    pub inactive_days: u32,
    /// High value, low engagement: revenue strictly over this amount (seed: 10,000)...
    pub high_value_revenue: f64,
    /// ... and strictly fewer interactions than this in the window (seed: 5).
    pub high_value_min_interactions: u32,
    /// Declining engagement: response ratio strictly under this (seed: 0.30)...
    pub low_response_ratio: f64,
    /// ... with strictly more interactions than this (seed: 3).
    pub low_response_min_interactions: u32,
    /// Overall score under this counts as a risk factor (seed: 40).
    pub at_risk_overall: u8,
    /// A fall of this many points in 30 days counts as a risk factor (seed: 15).
    pub score_drop_points: u8,
    /// Upsell needs an overall of at least this (75).
    pub upsell_min_overall: u8,
}

impl Default for Weights {
    fn default() -> Self {
        Self {
            crm: 0.30,
            payment: 0.25,
            usage: 0.25,
            support: 0.20,
        }
    }
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            inactive_days: 30,
            high_value_revenue: 10_000.0,
            high_value_min_interactions: 5,
            low_response_ratio: 0.30,
            low_response_min_interactions: 3,
            at_risk_overall: 40,
            score_drop_points: 15,
            upsell_min_overall: 75,
        }
    }
}

impl Default for ScoringSettings {
    fn default() -> Self {
        Self {
            window_days: 90,
            weights: Weights::default(),
            thresholds: Thresholds::default(),
            history_retention_days: 400,
        }
    }
}

/// A setting that is out of range, naming the field by its JSON path.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct SettingsError {
    pub field: &'static str,
    pub reason: String,
}

fn check(ok: bool, field: &'static str, reason: impl Into<String>) -> Result<(), SettingsError> {
    if ok {
        Ok(())
    } else {
        Err(SettingsError {
            field,
            reason: reason.into(),
        })
    }
}

impl ScoringSettings {
    pub fn validate(&self) -> Result<(), SettingsError> {
        check(
            (7..=365).contains(&self.window_days),
            "window_days",
            "must be between 7 and 365",
        )?;
        check(
            (7..=3650).contains(&self.history_retention_days),
            "history_retention_days",
            "must be between 7 and 3650",
        )?;
        let w = &self.weights;
        for (field, value) in [
            ("weights.crm", w.crm),
            ("weights.payment", w.payment),
            ("weights.usage", w.usage),
            ("weights.support", w.support),
        ] {
            check(
                value.is_finite() && (0.0..=1.0).contains(&value),
                field,
                "must be a number between 0 and 1",
            )?;
        }
        let sum = w.crm + w.payment + w.usage + w.support;
        check(
            (sum - 1.0).abs() <= 0.001,
            "weights",
            format!("must add up to 1 (they add up to {sum:.3})"),
        )?;
        let t = &self.thresholds;
        check(
            (1..=365).contains(&t.inactive_days),
            "thresholds.inactive_days",
            "must be between 1 and 365",
        )?;
        check(
            t.high_value_revenue.is_finite() && t.high_value_revenue >= 0.0,
            "thresholds.high_value_revenue",
            "must be a non-negative amount",
        )?;
        check(
            t.low_response_ratio.is_finite() && (0.0..=1.0).contains(&t.low_response_ratio),
            "thresholds.low_response_ratio",
            "must be between 0 and 1",
        )?;
        check(
            t.at_risk_overall <= 100,
            "thresholds.at_risk_overall",
            "must be at most 100",
        )?;
        check(
            (1..=100).contains(&t.score_drop_points),
            "thresholds.score_drop_points",
            "must be between 1 and 100",
        )?;
        check(
            t.upsell_min_overall <= 100,
            "thresholds.upsell_min_overall",
            "must be at most 100",
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_carry_the_seed_thresholds() {
        let s = ScoringSettings::default();
        assert_eq!(s.validate(), Ok(()));
        assert_eq!(s.thresholds.inactive_days, 30);
        assert_eq!(s.thresholds.high_value_revenue, 10_000.0);
        assert_eq!(s.thresholds.high_value_min_interactions, 5);
        assert_eq!(s.thresholds.low_response_ratio, 0.30);
        assert_eq!(s.thresholds.low_response_min_interactions, 3);
    }

    #[test]
    fn validation_names_the_bad_field() {
        let mut s = ScoringSettings::default();
        s.weights.usage = 0.5;
        assert_eq!(s.validate().unwrap_err().field, "weights");
        let mut s = ScoringSettings::default();
        s.weights.crm = f64::NAN;
        assert_eq!(s.validate().unwrap_err().field, "weights.crm");
        let s = ScoringSettings {
            window_days: 0,
            ..ScoringSettings::default()
        };
        assert_eq!(s.validate().unwrap_err().field, "window_days");
        let mut s = ScoringSettings::default();
        s.thresholds.low_response_ratio = 1.5;
        assert_eq!(
            s.validate().unwrap_err().field,
            "thresholds.low_response_ratio"
        );
    }
}
