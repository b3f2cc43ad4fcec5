//! A tenant's scoring settings. Defaults are the product brief's seed thresholds, which are promises to
//! users: change them only as a tenant's own choice.

use crate::domain::segment::{validate_segments, Segment};
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
    /// Thresholds of the rules one account platform feeds (NinjaOne, Pax8, Microsoft 365); stored
    /// tenants without them get the defaults.
    #[serde(default)]
    pub accounts: AccountThresholds,
    /// Thresholds of the rules only several sources together can see; defaults when absent.
    #[serde(default)]
    pub cross_source: CrossSourceSettings,
    /// What counts as a client churning, for the backtest and calibration; defaults when absent.
    #[serde(default)]
    pub outcomes: crate::domain::OutcomeDefinition,
    /// Groups of clients with their own weights or thresholds, tested in order: a client takes
    /// the first whose rule matches, else these settings. Absent in stored settings: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<Segment>,
    /// The settings' version, set by the store of settings (1 more at each accepted change; 0:
    /// never changed). A value sent with a change is ignored; scores record the version they
    /// were computed with.
    #[serde(default)]
    pub version: u32,
}

/// The single-source rules of the account platforms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AccountThresholds {
    /// A managed device counts as long offline after this many days without contact (7).
    pub offline_device_days: u32,
    /// IT issues: this share of devices long offline or more (0.25)...
    pub many_offline_share: f64,
    /// ... or at least this many open critical alerts (1).
    pub critical_alerts: u32,
    /// Seats shrinking: seats down by this share or more over 90 days (0.10)...
    pub seat_drop_share: f64,
    /// ... or at least this many subscriptions cancelled in 90 days (1).
    pub cancelled_subscriptions: u32,
    /// Licences unused: at least this many bought licences unassigned (3)...
    pub unused_licences: u32,
    /// ... and at least this share of the bought ones (0.20).
    pub unused_licence_share: f64,
    /// Product gap: a product counts as usual among peers of similar size when at least this share
    /// of them hold it (0.5)...
    pub product_gap_peer_share: f64,
    /// ... out of at least this many peers (3).
    pub product_gap_min_peers: u32,
}

/// The rules that need two sources or more.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CrossSourceSettings {
    /// Paid seats unused: Pax8 seats minus Microsoft 365 users active in 30 days, at least this
    /// share of the seats (0.25)...
    pub idle_seat_share: f64,
    /// ... and at least this many seats (3).
    pub idle_seats: u32,
    /// Support load rising: NinjaOne alerts and tickets of the last 30 days at least this multiple
    /// of the 30 days before (1.5)...
    pub support_rise_ratio: f64,
    /// ... and at least this many (3)...
    pub support_rise_min: u32,
    /// ... while HubSpot interactions of the last 30 days fell by this share or more (0.3).
    pub engagement_fall_share: f64,
    /// Expansion signal: seats up by this share or more over 90 days (0.10).
    pub seat_growth_share: f64,
    /// Silent client: no HubSpot activity for this many days (30), and devices long offline at this
    /// share or more (0.5) or Microsoft 365 activity down by `activity_fall_share` or more (0.3).
    pub silent_days: u32,
    pub silent_offline_share: f64,
    pub activity_fall_share: f64,
}

impl Default for AccountThresholds {
    fn default() -> Self {
        Self {
            offline_device_days: 7,
            many_offline_share: 0.25,
            critical_alerts: 1,
            seat_drop_share: 0.10,
            cancelled_subscriptions: 1,
            unused_licences: 3,
            unused_licence_share: 0.20,
            product_gap_peer_share: 0.5,
            product_gap_min_peers: 3,
        }
    }
}

impl Default for CrossSourceSettings {
    fn default() -> Self {
        Self {
            idle_seat_share: 0.25,
            idle_seats: 3,
            support_rise_ratio: 1.5,
            support_rise_min: 3,
            engagement_fall_share: 0.3,
            seat_growth_share: 0.10,
            silent_days: 30,
            silent_offline_share: 0.5,
            activity_fall_share: 0.3,
        }
    }
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
            accounts: AccountThresholds::default(),
            cross_source: CrossSourceSettings::default(),
            outcomes: crate::domain::OutcomeDefinition::default(),
            segments: Vec::new(),
            version: 0,
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
    /// The weights of the segment `segment` (a score's `segment`), else the tenant's.
    pub fn weights_for(&self, segment: Option<&str>) -> &Weights {
        segment
            .and_then(|id| self.segments.iter().find(|s| s.id == id))
            .and_then(|s| s.weights.as_ref())
            .unwrap_or(&self.weights)
    }

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
        validate_weights(&self.weights)?;
        validate_thresholds(&self.thresholds)?;
        validate_segments(&self.segments, validate_weights, validate_thresholds)?;
        self.accounts.validate()?;
        self.cross_source.validate()?;
        match self.outcomes.problem() {
            Some((field, reason)) => Err(SettingsError { field, reason }),
            None => Ok(()),
        }
    }
}

fn validate_weights(w: &Weights) -> Result<(), SettingsError> {
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
    Ok(())
}

fn validate_thresholds(t: &Thresholds) -> Result<(), SettingsError> {
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

fn check_share(value: f64, field: &'static str) -> Result<(), SettingsError> {
    check(
        value.is_finite() && (0.0..=1.0).contains(&value),
        field,
        "must be between 0 and 1",
    )
}

impl AccountThresholds {
    fn validate(&self) -> Result<(), SettingsError> {
        check(
            (1..=365).contains(&self.offline_device_days),
            "accounts.offline_device_days",
            "must be between 1 and 365",
        )?;
        check_share(self.many_offline_share, "accounts.many_offline_share")?;
        check_share(self.seat_drop_share, "accounts.seat_drop_share")?;
        check_share(self.unused_licence_share, "accounts.unused_licence_share")?;
        check_share(
            self.product_gap_peer_share,
            "accounts.product_gap_peer_share",
        )?;
        check(
            self.critical_alerts >= 1,
            "accounts.critical_alerts",
            "must be at least 1",
        )?;
        check(
            self.cancelled_subscriptions >= 1,
            "accounts.cancelled_subscriptions",
            "must be at least 1",
        )?;
        check(
            self.product_gap_min_peers >= 1,
            "accounts.product_gap_min_peers",
            "must be at least 1",
        )
    }
}

impl CrossSourceSettings {
    fn validate(&self) -> Result<(), SettingsError> {
        check_share(self.idle_seat_share, "cross_source.idle_seat_share")?;
        check_share(
            self.engagement_fall_share,
            "cross_source.engagement_fall_share",
        )?;
        check_share(self.seat_growth_share, "cross_source.seat_growth_share")?;
        check_share(
            self.silent_offline_share,
            "cross_source.silent_offline_share",
        )?;
        check_share(self.activity_fall_share, "cross_source.activity_fall_share")?;
        check(
            self.support_rise_ratio.is_finite() && (1.0..=100.0).contains(&self.support_rise_ratio),
            "cross_source.support_rise_ratio",
            "must be between 1 and 100",
        )?;
        check(
            self.support_rise_min >= 1,
            "cross_source.support_rise_min",
            "must be at least 1",
        )?;
        check(
            (1..=365).contains(&self.silent_days),
            "cross_source.silent_days",
            "must be between 1 and 365",
        )
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
    fn stored_settings_without_the_account_thresholds_load_with_the_defaults() {
        let mut stored = serde_json::to_value(ScoringSettings::default()).unwrap();
        let object = stored.as_object_mut().unwrap();
        object.remove("accounts");
        object.remove("cross_source");
        let loaded: ScoringSettings = serde_json::from_value(stored).unwrap();
        assert_eq!(loaded, ScoringSettings::default());
        let partial: CrossSourceSettings =
            serde_json::from_value(serde_json::json!({ "idle_seats": 5 })).unwrap();
        assert_eq!(partial.idle_seats, 5);
        assert_eq!(partial.idle_seat_share, 0.25);
    }

    #[test]
    fn validation_names_the_bad_account_and_cross_source_field() {
        let mut s = ScoringSettings::default();
        s.accounts.many_offline_share = 1.5;
        assert_eq!(
            s.validate().unwrap_err().field,
            "accounts.many_offline_share"
        );
        let mut s = ScoringSettings::default();
        s.accounts.offline_device_days = 0;
        assert_eq!(
            s.validate().unwrap_err().field,
            "accounts.offline_device_days"
        );
        let mut s = ScoringSettings::default();
        s.cross_source.support_rise_ratio = f64::NAN;
        assert_eq!(
            s.validate().unwrap_err().field,
            "cross_source.support_rise_ratio"
        );
        let mut s = ScoringSettings::default();
        s.cross_source.idle_seat_share = -0.1;
        assert_eq!(
            s.validate().unwrap_err().field,
            "cross_source.idle_seat_share"
        );
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

    #[test]
    fn stored_settings_without_segments_or_version_read_unchanged() {
        let mut stored = serde_json::to_value(ScoringSettings::default()).unwrap();
        let object = stored.as_object_mut().unwrap();
        assert!(!object.contains_key("segments"), "no segments: not written");
        object.remove("version");
        let loaded: ScoringSettings = serde_json::from_value(stored).unwrap();
        assert_eq!(loaded, ScoringSettings::default());
        assert!(loaded.segments.is_empty());
    }

    #[test]
    fn a_segment_s_own_weights_and_thresholds_are_checked_like_the_tenant_s() {
        let segment = |weights: Option<Weights>, thresholds: Option<Thresholds>| Segment {
            id: "gold".into(),
            name: "Gold".into(),
            rule: crate::domain::SegmentRule {
                lifecycle_stages: vec!["customer".into()],
                ..Default::default()
            },
            weights,
            thresholds,
        };
        let with = |segment: Segment| ScoringSettings {
            segments: vec![segment],
            ..ScoringSettings::default()
        };
        assert_eq!(with(segment(None, None)).validate(), Ok(()));
        let heavy = Weights {
            crm: 0.9,
            ..Weights::default()
        };
        let error = with(segment(Some(heavy), None)).validate().unwrap_err();
        assert_eq!(error.field, "segments");
        assert!(error
            .reason
            .starts_with("segment 1 (`gold`): weights: must add up to 1"));
        let thresholds = Thresholds {
            at_risk_overall: 101,
            ..Thresholds::default()
        };
        let error = with(segment(None, Some(thresholds)))
            .validate()
            .unwrap_err();
        assert!(
            error.reason.contains("thresholds.at_risk_overall"),
            "{}",
            error.reason
        );
    }
}
