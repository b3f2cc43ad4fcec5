//! The rule "projected to fall into at risk within 30 days": the forecast of [`super::forecast`]
//! over the client's history and its score of this run.

use super::confidence::{evidence, evidence_threshold, impact, Backing};
use super::forecast::{
    forecast_overall, projected_at_risk, AtRiskProjection, OverallForecast, OverallPoint,
    FORECAST_HORIZON_DAYS,
};
use super::insights::{Finding, RuleInput};
use crate::domain::{Impact, InsightRule, ScorePoint};
use chrono::{DateTime, Utc};

/// The "at risk" band starts under this overall (`HealthBand::of`: 25-49 at risk, under 25 critical).
pub const AT_RISK_BAND_BELOW: u8 = 50;

/// A projection less sure than this stays quiet: a wide band only half under the line is a guess,
/// and an insight is a call to act.
pub const MIN_PROJECTION_CONFIDENCE: u8 = 50;

/// The forecast of a client scored `overall_now` at `scored_at` with `history` before it, and its
/// projection into at risk: `None` when the client is already at risk, the history is too short, the
/// projection stays out of at risk, or it is less sure than [`MIN_PROJECTION_CONFIDENCE`].
pub fn at_risk_outlook(
    history: &[ScorePoint],
    overall_now: u8,
    scored_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<(OverallForecast, AtRiskProjection)> {
    if overall_now < AT_RISK_BAND_BELOW {
        return None;
    }
    let points: Vec<OverallPoint> = history
        .iter()
        .map(OverallPoint::from)
        .chain([OverallPoint {
            at: scored_at,
            overall: f64::from(overall_now),
        }])
        .collect();
    let forecast = forecast_overall(&points, now)?;
    let projection = projected_at_risk(&forecast, AT_RISK_BAND_BELOW)?;
    (projection.confidence >= MIN_PROJECTION_CONFIDENCE).then_some((forecast, projection))
}

pub(crate) fn projected_at_risk_rule(input: &RuleInput) -> Option<Finding> {
    let score = input.score;
    let (forecast, projection) =
        at_risk_outlook(input.history, score.overall, score.scored_at, input.now)?;
    let name = input.name();
    let f = input.features;
    let revenue = f.revenue.amount();
    let days = projection.days_to_threshold.ceil().max(1.0);
    let per_week = forecast.slope_per_day * 7.0;
    Some(Finding {
        rule: InsightRule::ProjectedAtRisk,
        title: format!("{name} is projected to fall into at risk within {FORECAST_HORIZON_DAYS} days"),
        description: format!(
            "{name}'s health is {} today and falling {:.1} points a week; at this pace it would be \
             {:.0} in {FORECAST_HORIZON_DAYS} days (likely between {:.0} and {:.0}), under {AT_RISK_BAND_BELOW} \
             in about {days:.0} days.",
            score.overall,
            -per_week,
            forecast.projected,
            forecast.low,
            forecast.high,
        ),
        explanation: format!(
            "A robust trend (Theil-Sen) over {} days of scores in the last 90 projects {:.0} in \
             {FORECAST_HORIZON_DAYS} days, under the at-risk line of {AT_RISK_BAND_BELOW}; its 80% \
             band reaches {:.0} to {:.0}.",
            forecast.points_used, forecast.projected, forecast.low, forecast.high,
        ),
        confidence: projection.confidence,
        impact: impact(Impact::Medium, revenue, input.ctx),
        revenue_at_stake: revenue,
        recommendations: vec![
            format!("Look at what moved {name}'s score in the last weeks (the client page's \"why it changed\") and act on the largest fall."),
            format!("Book a check-in with {name} before the score reaches at risk, while there is time to turn it."),
        ],
        evidence: vec![
            evidence("overall_now", f64::from(score.overall), "points"),
            evidence("projected_overall", forecast.projected, "points"),
            evidence("projected_low", forecast.low, "points"),
            evidence("projected_high", forecast.high, "points"),
            evidence("trend_per_week", per_week, "points"),
            evidence("days_to_at_risk", days, "days"),
            evidence("forecast_days_used", forecast.points_used as f64, "count"),
            evidence_threshold("at_risk_overall", f64::from(AT_RISK_BAND_BELOW), "points"),
        ],
        sources: Backing::crm(f).sources(),
    })
}

#[cfg(test)]
#[path = "forecast_rule_tests.rs"]
mod tests;
