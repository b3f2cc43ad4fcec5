//! Re-weighting history: when a tenant's (or a segment's) weights change, each stored history point's
//! overall is recomputed from the dimension scores it kept, so trends before and after the change
//! compare like with like. No past snapshot is needed. Dimension scores and factor points stay as
//! scored; the original overall is kept in `as_scored`. Churn risk is left as scored (it also read
//! risk factors the point does not keep). A threshold change needs none of this: thresholds move
//! insights, not the overall.

use crate::domain::{Dimension, ScorePoint, Weights};
use crate::scoring::dimensions::to_score;
use crate::scoring::effective_weight;

/// `point` under `weights` (the settings of version `version`): its overall recomputed from its
/// dimension scores with the engine's re-weighting rule (dimensions without data left out), its
/// parts' weights updated, and its first overall kept in `as_scored` when the overall moves.
pub fn reweigh_point(point: &ScorePoint, weights: &Weights, version: u32) -> ScorePoint {
    let present: Vec<Dimension> = Dimension::ALL
        .into_iter()
        .filter(|d| point.score_of(*d).is_some())
        .collect();
    let mut reweighed = point.clone();
    reweighed.settings_version = version;
    if present.is_empty() {
        return reweighed;
    }
    let overall: f64 = present
        .iter()
        .map(|d| {
            effective_weight(weights, &present, *d) * f64::from(point.score_of(*d).unwrap_or(0))
        })
        .sum();
    let overall = to_score(overall);
    for part in &mut reweighed.parts {
        let weight = effective_weight(weights, &present, part.dimension);
        part.weight = (weight * 1e6).round() / 1e6;
    }
    if overall != point.overall {
        reweighed.as_scored = point.as_scored.or(Some(point.overall));
        reweighed.overall = overall;
    }
    reweighed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ClientId, PointDimension};
    use chrono::{TimeZone, Utc};
    use std::collections::BTreeMap;

    fn point(crm: Option<u8>, usage: Option<u8>, overall: u8, weights: (f64, f64)) -> ScorePoint {
        let part = |dimension, weight| PointDimension {
            dimension,
            weight,
            factors: BTreeMap::from([("x".to_string(), 1.0)]),
        };
        let mut parts = Vec::new();
        if crm.is_some() {
            parts.push(part(Dimension::Crm, weights.0));
        }
        if usage.is_some() {
            parts.push(part(Dimension::Usage, weights.1));
        }
        ScorePoint {
            client_id: ClientId::parse("1").unwrap(),
            at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            overall,
            churn_risk: 30,
            crm,
            payment: None,
            usage,
            support: None,
            parts,
            settings_version: 1,
            as_scored: None,
            overrides: Vec::new(),
        }
    }

    #[test]
    fn a_point_reweighed_with_its_own_weights_is_unchanged() {
        // Default weights, CRM and usage only: 0.30/0.55 and 0.25/0.55.
        let (crm, usage) = (0.30 / 0.55, 0.25 / 0.55);
        let overall = to_score(crm * 80.0 + usage * 40.0);
        let original = point(Some(80), Some(40), overall, (crm, usage));
        let again = reweigh_point(&original, &Weights::default(), 1);
        assert_eq!(again.overall, original.overall);
        assert_eq!(again.as_scored, None);
        for (a, b) in again.parts.iter().zip(&original.parts) {
            assert!((a.weight - b.weight).abs() < 1e-6);
        }
    }

    #[test]
    fn new_weights_move_the_overall_and_keep_the_dimension_scores_and_the_first_overall() {
        let original = point(Some(80), Some(40), 62, (0.5, 0.5));
        let usage_heavy = Weights {
            crm: 0.1,
            payment: 0.3,
            usage: 0.3,
            support: 0.3,
        };
        let reweighed = reweigh_point(&original, &usage_heavy, 2);
        // 80 * 0.1/0.4 + 40 * 0.3/0.4 = 20 + 30.
        assert_eq!(reweighed.overall, 50);
        assert_eq!(reweighed.as_scored, Some(62));
        assert_eq!(reweighed.settings_version, 2);
        assert_eq!((reweighed.crm, reweighed.usage), (Some(80), Some(40)));
        assert_eq!(reweighed.parts[0].factors, original.parts[0].factors);
        assert!((reweighed.parts[1].weight - 0.75).abs() < 1e-9);
        // Re-weighted again, the first overall is still the one kept.
        let back = reweigh_point(&reweighed, &Weights::default(), 3);
        assert_eq!(back.as_scored, Some(62));
    }

    #[test]
    fn a_point_without_dimension_scores_keeps_its_overall() {
        let empty = point(None, None, 0, (0.0, 0.0));
        let reweighed = reweigh_point(&empty, &Weights::default(), 4);
        assert_eq!(reweighed.overall, 0);
        assert_eq!(reweighed.settings_version, 4);
    }
}
