//! Segments of a tenant's clients scored with their own weights or thresholds: "enterprise" clients
//! (revenue of 100,000 or more) may weigh usage more than "trial" ones. A client belongs to the
//! first segment whose rule matches, else to none and is scored with the tenant's own settings.
//! Rules read what the CRM snapshot already has (lifecycle stage, revenue): no property is synced
//! for them.

use crate::domain::settings::{SettingsError, Thresholds, Weights};
use serde::{Deserialize, Serialize};

/// At most this many segments: each client is tested against them in order.
pub const MAX_SEGMENTS: usize = 10;
const MAX_ID_CHARS: usize = 40;
const MAX_NAME_CHARS: usize = 80;
const MAX_STAGES: usize = 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    /// Stable key (lower-case letters, digits, `-` and `_`): scores name their segment by it.
    pub id: String,
    pub name: String,
    pub rule: SegmentRule,
    /// The segment's weights; absent: the tenant's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<Weights>,
    /// The segment's thresholds; absent: the tenant's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thresholds: Option<Thresholds>,
}

/// Which clients a segment holds. Each condition given must hold (and); at least one is given.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SegmentRule {
    /// The client's lifecycle stage is one of these (compared lower-case); empty: any stage.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lifecycle_stages: Vec<String>,
    /// The client's revenue (closed-won deals, else the reported revenue) is at least this...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revenue_min: Option<f64>,
    /// ... and under this. A client whose revenue is unknown is in no revenue range.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revenue_max: Option<f64>,
}

impl SegmentRule {
    /// Whether a client of this lifecycle stage and revenue is in the segment.
    pub fn matches(&self, lifecycle_stage: Option<&str>, revenue: Option<f64>) -> bool {
        let stage_ok = self.lifecycle_stages.is_empty()
            || lifecycle_stage.is_some_and(|stage| {
                self.lifecycle_stages
                    .iter()
                    .any(|s| s.trim().eq_ignore_ascii_case(stage.trim()))
            });
        let has_range = self.revenue_min.is_some() || self.revenue_max.is_some();
        let revenue_ok = !has_range
            || revenue.is_some_and(|r| {
                self.revenue_min.is_none_or(|min| r >= min)
                    && self.revenue_max.is_none_or(|max| r < max)
            });
        stage_ok && revenue_ok
    }

    fn validate(&self) -> Result<(), String> {
        if self.lifecycle_stages.is_empty()
            && self.revenue_min.is_none()
            && self.revenue_max.is_none()
        {
            return Err("rule needs lifecycle_stages or a revenue range".into());
        }
        if self.lifecycle_stages.len() > MAX_STAGES {
            return Err(format!("rule.lifecycle_stages: at most {MAX_STAGES}"));
        }
        if self.lifecycle_stages.iter().any(|s| s.trim().is_empty()) {
            return Err("rule.lifecycle_stages: a stage is empty".into());
        }
        for (name, bound) in [
            ("revenue_min", self.revenue_min),
            ("revenue_max", self.revenue_max),
        ] {
            if bound.is_some_and(|b| !b.is_finite() || b < 0.0) {
                return Err(format!("rule.{name}: must be a non-negative amount"));
            }
        }
        if let (Some(min), Some(max)) = (self.revenue_min, self.revenue_max) {
            if min >= max {
                return Err("rule: revenue_min must be under revenue_max".into());
            }
        }
        Ok(())
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.chars().count() <= MAX_ID_CHARS
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// Checks the segments: the field is `segments`, the reason names the segment (by position and id)
/// and its bad part, e.g. "segment 2 (`gold`): weights.crm: must be a number between 0 and 1".
pub fn validate_segments(
    segments: &[Segment],
    weights: impl Fn(&Weights) -> Result<(), SettingsError>,
    thresholds: impl Fn(&Thresholds) -> Result<(), SettingsError>,
) -> Result<(), SettingsError> {
    let refuse = |reason: String| {
        Err(SettingsError {
            field: "segments",
            reason,
        })
    };
    if segments.len() > MAX_SEGMENTS {
        return refuse(format!(
            "at most {MAX_SEGMENTS} segments (got {})",
            segments.len()
        ));
    }
    for (index, segment) in segments.iter().enumerate() {
        let at = format!("segment {} (`{}`)", index + 1, segment.id);
        if !valid_id(&segment.id) {
            return refuse(format!(
                "{at}: id must be 1 to {MAX_ID_CHARS} lower-case letters, digits, - or _"
            ));
        }
        if segments[..index].iter().any(|s| s.id == segment.id) {
            return refuse(format!("{at}: id is used by an earlier segment"));
        }
        let name_chars = segment.name.trim().chars().count();
        if name_chars == 0 || name_chars > MAX_NAME_CHARS {
            return refuse(format!(
                "{at}: name must be 1 to {MAX_NAME_CHARS} characters"
            ));
        }
        if let Err(reason) = segment.rule.validate() {
            return refuse(format!("{at}: {reason}"));
        }
        if let Some(error) = segment.weights.as_ref().and_then(|w| weights(w).err()) {
            return refuse(format!("{at}: {error}"));
        }
        if let Some(error) = segment
            .thresholds
            .as_ref()
            .and_then(|t| thresholds(t).err())
        {
            return refuse(format!("{at}: {error}"));
        }
    }
    Ok(())
}

/// The first segment whose rule matches the client, if any.
pub fn segment_of<'a>(
    segments: &'a [Segment],
    lifecycle_stage: Option<&str>,
    revenue: Option<f64>,
) -> Option<&'a Segment> {
    segments
        .iter()
        .find(|s| s.rule.matches(lifecycle_stage, revenue))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(stages: &[&str], min: Option<f64>, max: Option<f64>) -> SegmentRule {
        SegmentRule {
            lifecycle_stages: stages.iter().map(|s| s.to_string()).collect(),
            revenue_min: min,
            revenue_max: max,
        }
    }

    fn segment(id: &str, rule: SegmentRule) -> Segment {
        Segment {
            id: id.into(),
            name: id.to_uppercase(),
            rule,
            weights: None,
            thresholds: None,
        }
    }

    #[test]
    fn a_rule_needs_every_condition_it_gives() {
        let enterprise_customer = rule(&["customer"], Some(100_000.0), None);
        assert!(enterprise_customer.matches(Some("Customer"), Some(100_000.0)));
        assert!(!enterprise_customer.matches(Some("customer"), Some(99_999.0)));
        assert!(!enterprise_customer.matches(Some("lead"), Some(500_000.0)));
        assert!(!enterprise_customer.matches(None, Some(500_000.0)));
        // Revenue unknown is in no range, even an open one.
        assert!(!enterprise_customer.matches(Some("customer"), None));
        let small = rule(&[], None, Some(10_000.0));
        assert!(small.matches(None, Some(0.0)));
        assert!(!small.matches(None, Some(10_000.0)));
    }

    #[test]
    fn the_first_matching_segment_wins() {
        let segments = [
            segment("big", rule(&[], Some(50_000.0), None)),
            segment("customers", rule(&["customer"], None, None)),
        ];
        let id = |stage, revenue| segment_of(&segments, stage, revenue).map(|s| s.id.as_str());
        assert_eq!(id(Some("customer"), Some(60_000.0)), Some("big"));
        assert_eq!(id(Some("customer"), Some(10.0)), Some("customers"));
        assert_eq!(id(Some("lead"), Some(10.0)), None);
    }

    fn check(segments: &[Segment]) -> Result<(), SettingsError> {
        validate_segments(segments, |_| Ok(()), |_| Ok(()))
    }

    #[test]
    fn validation_names_the_segment_and_its_bad_part() {
        let ok = segment("gold", rule(&["customer"], None, None));
        assert_eq!(check(std::slice::from_ref(&ok)), Ok(()));
        let refused = |segments: &[Segment], part: &str| {
            let error = check(segments).unwrap_err();
            assert_eq!(error.field, "segments");
            assert!(error.reason.contains(part), "{} lacks {part}", error.reason);
        };
        refused(&[segment("gold", SegmentRule::default())], "rule needs");
        refused(&[segment("Gold!", ok.rule.clone())], "id must be");
        refused(&[ok.clone(), ok.clone()], "segment 2 (`gold`): id is used");
        refused(
            &[segment("r", rule(&[], Some(10.0), Some(5.0)))],
            "revenue_min must be under",
        );
        refused(
            &[segment("r", rule(&[], Some(f64::NAN), None))],
            "rule.revenue_min",
        );
        refused(&vec![ok.clone(); MAX_SEGMENTS + 1], "at most");
        let mut unnamed = ok.clone();
        unnamed.name = "  ".into();
        refused(&[unnamed], "name must be");
        let failing_weights = |_: &Weights| {
            Err(SettingsError {
                field: "weights.crm",
                reason: "must be a number between 0 and 1".into(),
            })
        };
        // Without its own weights a segment's weights are not checked (the tenant's are).
        assert_eq!(
            validate_segments(std::slice::from_ref(&ok), failing_weights, |_| Ok(())),
            Ok(())
        );
        let mut weighted = ok;
        weighted.weights = Some(Weights::default());
        let error = validate_segments(&[weighted], failing_weights, |_| Ok(())).unwrap_err();
        assert_eq!(
            error.reason,
            "segment 1 (`gold`): weights.crm: must be a number between 0 and 1"
        );
    }
}
