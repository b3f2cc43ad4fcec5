//! Users' overrides applied to a score, as pure steps: [`active_overrides`] keeps those in force at
//! `now` (one per kind), a sentiment override replaces the CRM's sentiment in the features (so
//! support's satisfaction factor reads it), and [`apply_dimension_overrides`] replaces a
//! dimension's computed score, keeping the computed one in the [`AppliedOverride`] and as a factor
//! `user_override` whose points are the difference (so a dimension's factor points still add up to
//! its score, and "why it changed" names the override). The overall, band, churn risk and insights
//! follow the overridden dimensions.

use crate::domain::{
    AppliedOverride, ClientOverride, DimensionScore, Factor, OverrideKind, OverrideValue, Platform,
};
use crate::scoring::dimensions::round2;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// The overrides in force at `now`, one per kind (the latest set wins should a store hold two), in
/// kind order.
pub fn active_overrides<'a>(
    overrides: impl IntoIterator<Item = &'a ClientOverride>,
    now: DateTime<Utc>,
) -> Vec<ClientOverride> {
    let mut by_kind: BTreeMap<OverrideKind, &ClientOverride> = BTreeMap::new();
    for o in overrides.into_iter().filter(|o| o.is_active_at(now)) {
        match by_kind.get(&o.kind) {
            Some(kept) if kept.set_at >= o.set_at => {}
            _ => {
                by_kind.insert(o.kind, o);
            }
        }
    }
    by_kind.into_values().cloned().collect()
}

/// Replaces the scores of the overridden dimensions; returns what applied, sentiment included, in
/// kind order.
pub(crate) fn apply_dimension_overrides(
    dimensions: &mut [DimensionScore],
    overrides: &[ClientOverride],
) -> Vec<AppliedOverride> {
    let mut applied = Vec::new();
    for o in overrides {
        if let Some(sentiment) = o.sentiment() {
            applied.push(AppliedOverride {
                kind: o.kind,
                value: OverrideValue::Sentiment(sentiment),
                computed: None,
            });
            continue;
        }
        let Some((dimension, score)) = o.dimension_score() else {
            continue;
        };
        let Some(d) = dimensions.iter_mut().find(|d| d.dimension == dimension) else {
            continue;
        };
        let computed = d.score;
        let from_data = computed.map_or(0.0, f64::from);
        d.factors.push(Factor {
            name: "user_override".to_owned(),
            value: computed.map(f64::from),
            points: round2(f64::from(score) - from_data),
            explanation: match computed {
                Some(c) => format!("set to {score} by a user; the data gives {c}"),
                None => format!("set to {score} by a user; no data to score it"),
            },
            source: Platform::Hubspot,
        });
        d.score = Some(score);
        applied.push(AppliedOverride {
            kind: o.kind,
            value: OverrideValue::Score(score),
            computed,
        });
    }
    applied
}
