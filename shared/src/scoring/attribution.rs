//! "Why it changed": the change of a client's overall score between two history points, split into
//! parts that add up to it exactly (to the hundredth of a point), ready for a waterfall chart.
//!
//! The overall is `round(Σ w_d · s_d)` over the dimensions with data, `w_d` their effective weights
//! (re-weighted over the dimensions present, [`effective_weight`]) and `s_d` their whole-number
//! scores. Between a start (`0`) and an end (`1`) point, for a dimension scored at both:
//!
//! `w1·s1 − w0·s0 = w̄·(s1 − s0) + s̄·(w1 − w0)` with `w̄`, `s̄` the means of the two,
//!
//! which is exact and does not depend on which point is called the start. The first term is the
//! dimension's line (its score moved at its weight); the second joins the re-weighting line, with
//! the whole contribution of a dimension that gained data (`+w1·s1`) or lost it (`−w0·s0`). What is
//! left of the total (the overall's own rounding to a whole number, and each line's rounding to a
//! hundredth) is the rounding line, so the lines always add up to the total.
//!
//! Within a dimension, each factor's line is its change of points at the dimension's weight
//! (`w̄·Δpoints`); a dimension is not always a plain sum of its factor points (its score is rounded
//! to a whole number, clamped to 0..=100, and factor points are kept to the hundredth), so what
//! the factors leave of the dimension's line is a `remainder` part. The parts of a line add up to
//! the line exactly.
//!
//! Pure: no clock, no I/O.

use crate::domain::{Dimension, ScorePoint, Weights};
use crate::scoring::health::effective_weight;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Key of the part of a dimension line its factors do not explain (rounding, the 0..=100 limit).
pub const REMAINDER: &str = "remainder";
/// Key of the part standing for a dimension whose factors the older point did not record.
pub const NOT_RECORDED: &str = "factors_not_recorded";
pub const REWEIGHTING: &str = "reweighting";
pub const ROUNDING: &str = "rounding";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// A dimension scored at both points: its score change at its weight.
    Dimension,
    /// Weights that changed: a dimension gained or lost data (the others were re-weighted), or the
    /// tenant changed its weights.
    Reweighting,
    /// The overall's rounding to a whole number, and the lines' to the hundredth.
    Rounding,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PartKind {
    /// One factor of a dimension line: `before`/`after` are its points.
    Factor,
    /// What the factors leave of a dimension line (`remainder`, or `factors_not_recorded`).
    Remainder,
    /// One dimension of the re-weighting line: `before`/`after` are its weights (0 without data).
    Dimension,
}

/// One part of a line; a line's parts add up to its points exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChangePart {
    pub kind: PartKind,
    /// The factor's name (`activity_recency`), `remainder`, `factors_not_recorded`, or for a
    /// re-weighting part the dimension (`payment`).
    pub key: String,
    /// Points of the overall score, to the hundredth.
    pub points: f64,
    /// A factor's points before, or a dimension's weight before; `None` when absent then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<f64>,
}

/// One bar of the waterfall.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChangeLine {
    pub kind: LineKind,
    /// The dimension (`crm`), `reweighting` or `rounding`.
    pub key: String,
    /// Points of the overall score, to the hundredth.
    pub points: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimension: Option<Dimension>,
    /// A dimension line's scores and weights at the two points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_before: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_after: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_before: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_after: Option<f64>,
    /// A dimension line's factors that moved (then its remainder); the re-weighting line's
    /// dimensions. Empty for rounding.
    pub parts: Vec<ChangePart>,
}

/// The change of the overall score between two points, split exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScoreChange {
    pub start: ScorePoint,
    pub end: ScorePoint,
    /// `end.overall − start.overall`.
    pub total: i16,
    /// Dimension lines (crm, payment, usage, support: those scored at both points), then
    /// re-weighting and rounding when not zero. Their points add up to `total` exactly, to the
    /// hundredth (sum them in hundredths: `Math.round(points * 100)`).
    pub lines: Vec<ChangeLine>,
    /// A point was stored before weights were kept: its weights were estimated from the tenant's
    /// current settings, and its factor changes are not known.
    pub weights_estimated: bool,
}

/// Points in hundredths, the unit the lines are added up in.
fn hundredths(points: f64) -> i64 {
    if points.is_finite() {
        // Far inside i64: a score is at most 100 points.
        (points * 100.0).round().clamp(-1e12, 1e12) as i64
    } else {
        0
    }
}

fn points(hundredths: i64) -> f64 {
    hundredths as f64 / 100.0
}

pub fn dimension_key(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::Crm => "crm",
        Dimension::Payment => "payment",
        Dimension::Usage => "usage",
        Dimension::Support => "support",
    }
}

/// Each dimension's weight at `point` (0 without data), and whether they had to be estimated: a
/// point from before weights were kept gets the engine's rule applied to `fallback`.
fn weights_at(point: &ScorePoint, fallback: &Weights) -> ([f64; 4], bool) {
    let present: Vec<Dimension> = Dimension::ALL
        .into_iter()
        .filter(|d| point.score_of(*d).is_some())
        .collect();
    let recorded = present.iter().all(|d| point.part(*d).is_some());
    let mut weights = [0.0; 4];
    for (i, d) in Dimension::ALL.into_iter().enumerate() {
        weights[i] = match point.part(d) {
            Some(part) if recorded && present.contains(&d) => part.weight,
            _ => effective_weight(fallback, &present, d),
        };
    }
    (weights, !recorded)
}

/// Splits the change of the overall score from `start` to `end`. `fallback` are the weights to
/// assume for a point stored before weights were kept (the tenant's current ones).
pub fn explain_change(start: &ScorePoint, end: &ScorePoint, fallback: &Weights) -> ScoreChange {
    let (w0s, estimated0) = weights_at(start, fallback);
    let (w1s, estimated1) = weights_at(end, fallback);
    let total = i16::from(end.overall) - i16::from(start.overall);
    let mut lines = Vec::new();
    let mut reweighting = Vec::new();
    for (i, dimension) in Dimension::ALL.into_iter().enumerate() {
        let (w0, w1) = (w0s[i], w1s[i]);
        let key = dimension_key(dimension);
        let weight_part = |contribution: f64| ChangePart {
            kind: PartKind::Dimension,
            key: key.to_owned(),
            points: points(hundredths(contribution)),
            before: Some(w0),
            after: Some(w1),
        };
        match (start.score_of(dimension), end.score_of(dimension)) {
            (Some(s0), Some(s1)) => {
                let (s0f, s1f) = (f64::from(s0), f64::from(s1));
                let mean_weight = (w0 + w1) / 2.0;
                let line = hundredths(mean_weight * (s1f - s0f));
                let parts = factor_parts(start, end, dimension, mean_weight, line);
                lines.push(ChangeLine {
                    kind: LineKind::Dimension,
                    key: key.to_owned(),
                    points: points(line),
                    dimension: Some(dimension),
                    score_before: Some(s0),
                    score_after: Some(s1),
                    weight_before: Some(w0),
                    weight_after: Some(w1),
                    parts,
                });
                let moved = (s0f + s1f) / 2.0 * (w1 - w0);
                if hundredths(moved) != 0 {
                    reweighting.push(weight_part(moved));
                }
            }
            (None, Some(s1)) => reweighting.push(weight_part(w1 * f64::from(s1))),
            (Some(s0), None) => reweighting.push(weight_part(-w0 * f64::from(s0))),
            (None, None) => {}
        }
    }
    let simple_line = |kind: LineKind, key: &str, value: i64, parts: Vec<ChangePart>| ChangeLine {
        kind,
        key: key.to_owned(),
        points: points(value),
        dimension: None,
        score_before: None,
        score_after: None,
        weight_before: None,
        weight_after: None,
        parts,
    };
    let reweighted: i64 = reweighting.iter().map(|p| hundredths(p.points)).sum();
    if !reweighting.is_empty() {
        lines.push(simple_line(
            LineKind::Reweighting,
            REWEIGHTING,
            reweighted,
            reweighting,
        ));
    }
    let explained: i64 = lines.iter().map(|l| hundredths(l.points)).sum();
    let rounding = i64::from(total) * 100 - explained;
    if rounding != 0 {
        lines.push(simple_line(
            LineKind::Rounding,
            ROUNDING,
            rounding,
            Vec::new(),
        ));
    }
    ScoreChange {
        start: start.clone(),
        end: end.clone(),
        total,
        lines,
        weights_estimated: estimated0 || estimated1,
    }
}

/// The factors of `dimension` that moved, each at `weight`, then what they leave of `line`.
fn factor_parts(
    start: &ScorePoint,
    end: &ScorePoint,
    dimension: Dimension,
    weight: f64,
    line: i64,
) -> Vec<ChangePart> {
    let (Some(before), Some(after)) = (start.part(dimension), end.part(dimension)) else {
        return remainder(NOT_RECORDED, line).into_iter().collect();
    };
    let names: BTreeSet<&String> = before.factors.keys().chain(after.factors.keys()).collect();
    let mut parts: Vec<ChangePart> = names
        .into_iter()
        .filter_map(|name| {
            let (b, a) = (
                before.factors.get(name).copied(),
                after.factors.get(name).copied(),
            );
            let change = hundredths(weight * (a.unwrap_or(0.0) - b.unwrap_or(0.0)));
            (change != 0).then(|| ChangePart {
                kind: PartKind::Factor,
                key: name.clone(),
                points: points(change),
                before: b,
                after: a,
            })
        })
        .collect();
    // Largest first: the bars a reader looks for.
    parts.sort_by_key(|p| std::cmp::Reverse(hundredths(p.points).abs()));
    let explained: i64 = parts.iter().map(|p| hundredths(p.points)).sum();
    parts.extend(remainder(REMAINDER, line - explained));
    parts
}

fn remainder(key: &str, value: i64) -> Option<ChangePart> {
    (value != 0).then(|| ChangePart {
        kind: PartKind::Remainder,
        key: key.to_owned(),
        points: points(value),
        before: None,
        after: None,
    })
}

/// The point nearest `at`; on a tie the older one.
pub fn nearest_point(points: &[ScorePoint], at: DateTime<Utc>) -> Option<&ScorePoint> {
    points.iter().min_by_key(|p| ((p.at - at).abs(), p.at))
}

#[cfg(test)]
#[path = "attribution_tests.rs"]
mod tests;
