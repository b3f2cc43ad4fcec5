//! The overall score, churn risk, trend and risk factors of a client, from its four dimensions.

use crate::domain::{
    Dimension, DimensionScore, HealthBand, HealthScore, ScorePoint, ScoringSettings, SourceRef,
    Trend, Weights,
};
use crate::scoring::accounts::support_with_it;
use crate::scoring::dimensions::{crm_dimension, support_dimension, to_score, usage_dimension};
use crate::scoring::overrides::apply_dimension_overrides;
use crate::scoring::payment_dimension::payment_dimension;
use crate::scoring::satisfaction::support_with_satisfaction;
use crate::scoring::{ClientFeatures, TenantContext};
use chrono::{DateTime, Duration, Utc};

/// How far from the target date (7 or 30 days ago) a history point may be to serve for a trend.
const TREND_TOLERANCE_7D_HOURS: i64 = 48;
const TREND_TOLERANCE_30D_HOURS: i64 = 7 * 24;

/// Churn risk: points per overall point under 100, per active risk factor, and per point fallen in
/// 30 days.
const CHURN_PER_MISSING_POINT: f64 = 0.75;
const CHURN_PER_RISK_FACTOR: f64 = 10.0;
const CHURN_PER_POINT_FALLEN: f64 = 0.5;
const CHURN_TREND_CAP: f64 = 20.0;

fn weight_of(weights: &Weights, dimension: Dimension) -> f64 {
    let w = match dimension {
        Dimension::Crm => weights.crm,
        Dimension::Payment => weights.payment,
        Dimension::Usage => weights.usage,
        Dimension::Support => weights.support,
    };
    if w.is_finite() && w > 0.0 {
        w
    } else {
        0.0
    }
}

/// A dimension's effective weight when only the dimensions in `present` have data: its configured
/// weight over theirs (0 when it has no data). Should every dimension with data carry weight 0,
/// they count equally rather than leaving the client unscored. The one re-weighting rule: the
/// engine scores with it and "why it changed" estimates the weights of old history points with it.
pub fn effective_weight(weights: &Weights, present: &[Dimension], dimension: Dimension) -> f64 {
    if !present.contains(&dimension) {
        return 0.0;
    }
    let configured: f64 = present.iter().map(|d| weight_of(weights, *d)).sum();
    if configured > 0.0 {
        weight_of(weights, dimension) / configured
    } else {
        1.0 / present.len() as f64
    }
}

/// Sets each dimension's effective weight (its share of the overall after leaving out dimensions
/// without data) and returns the overall score.
fn overall_and_weights(dimensions: &mut [DimensionScore], weights: &Weights) -> u8 {
    let present: Vec<Dimension> = dimensions
        .iter()
        .filter(|d| d.score.is_some())
        .map(|d| d.dimension)
        .collect();
    let mut overall = 0.0;
    for d in dimensions.iter_mut() {
        d.weight = effective_weight(weights, &present, d.dimension);
        overall += d.weight * f64::from(d.score.unwrap_or(0));
    }
    to_score(overall)
}

/// The history points that belong to this client, at or before `now`.
fn past_points<'a>(
    history: &'a [ScorePoint],
    features: &'a ClientFeatures,
    now: DateTime<Utc>,
) -> impl Iterator<Item = &'a ScorePoint> {
    history
        .iter()
        .filter(move |p| p.client_id == features.client_id && p.at <= now)
}

/// The point nearest `days` ago, within a tolerance; on a tie the older one.
fn point_near<'a>(
    points: impl Iterator<Item = &'a ScorePoint>,
    now: DateTime<Utc>,
    days: i64,
    tolerance_hours: i64,
) -> Option<&'a ScorePoint> {
    let target = now - Duration::days(days);
    let tolerance = Duration::hours(tolerance_hours);
    points
        .filter(|p| (p.at - target).abs() <= tolerance)
        .min_by_key(|p| ((p.at - target).abs(), p.at))
}

pub(crate) fn trend(
    overall: u8,
    history: &[ScorePoint],
    features: &ClientFeatures,
    now: DateTime<Utc>,
) -> Trend {
    let delta = |p: &ScorePoint| i16::from(overall) - i16::from(p.overall);
    Trend {
        delta_7d: point_near(
            past_points(history, features, now),
            now,
            7,
            TREND_TOLERANCE_7D_HOURS,
        )
        .map(delta),
        delta_30d: point_near(
            past_points(history, features, now),
            now,
            30,
            TREND_TOLERANCE_30D_HOURS,
        )
        .map(delta),
    }
}

/// The highest overall score of the last 30 days, for "fell 15 points in 30 days": a drop from a
/// peak in the middle of the month counts as much as one from the score of exactly 30 days ago.
pub(crate) fn peak_overall_30d(
    history: &[ScorePoint],
    features: &ClientFeatures,
    now: DateTime<Utc>,
) -> Option<u8> {
    let since = now - Duration::days(30);
    past_points(history, features, now)
        .filter(|p| p.at >= since)
        .map(|p| p.overall)
        .max()
}

/// The conditions that each make churn more likely; also the inputs of the "multiple risk factors"
/// insight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RiskFactors {
    pub inactive: bool,
    pub declining_engagement: bool,
    pub low_overall: bool,
    pub open_high_priority_ticket: bool,
    pub score_dropped: bool,
    /// Overdue invoices, a dispute or chargeback, failing or cancelled subscriptions on a linked
    /// payments platform. Always false for a client known to its CRM only.
    pub payment_risk: bool,
    /// Seats shrinking or subscriptions cancelled on a linked Pax8 company (`seats_shrinking`).
    /// Always false for a client without one.
    pub seats_shrinking: bool,
}

impl RiskFactors {
    pub fn count(&self) -> u32 {
        [
            self.inactive,
            self.declining_engagement,
            self.low_overall,
            self.open_high_priority_ticket,
            self.score_dropped,
            self.payment_risk,
            self.seats_shrinking,
        ]
        .into_iter()
        .map(u32::from)
        .sum()
    }

    /// The count without the linked platforms' factors: what the client's CRM alone shows.
    pub fn crm_count(&self) -> u32 {
        self.count() - u32::from(self.payment_risk) - u32::from(self.seats_shrinking)
    }

    pub fn names(&self) -> Vec<&'static str> {
        [
            (self.inactive, "inactive"),
            (self.declining_engagement, "declining engagement"),
            (self.low_overall, "low overall score"),
            (self.open_high_priority_ticket, "open high-priority ticket"),
            (self.score_dropped, "falling score"),
            (self.payment_risk, "payment risk"),
            (self.seats_shrinking, "seats shrinking"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect()
    }
}

/// Seats shrinking (Pax8): seats down by `seat_drop_share` or more over 90 days, or at least
/// `cancelled_subscriptions` subscriptions cancelled in 90 days.
pub fn is_seats_shrinking(
    subscriptions: &crate::scoring::SubscriptionFeatures,
    settings: &ScoringSettings,
) -> bool {
    let t = &settings.accounts;
    subscriptions
        .change_90d()
        .is_some_and(|change| -change >= t.seat_drop_share && change < 0.0)
        || subscriptions.cancelled_90d >= t.cancelled_subscriptions
}

/// Inactive: no activity for `inactive_days` or more (a client with no activity at all is inactive).
pub fn is_inactive(features: &ClientFeatures, settings: &ScoringSettings) -> bool {
    features
        .days_since_last_activity
        .is_none_or(|days| days >= f64::from(settings.thresholds.inactive_days))
}

/// Declining engagement: strictly more than the minimum interactions in W, and a response ratio
/// strictly under the threshold.
pub fn is_declining_engagement(features: &ClientFeatures, settings: &ScoringSettings) -> bool {
    let t = &settings.thresholds;
    features.interactions.total() > t.low_response_min_interactions
        && features
            .interactions
            .response_ratio()
            .is_some_and(|ratio| ratio < t.low_response_ratio)
}

/// Low engagement: fewer interactions in W than the high-value minimum. The "barely engaged" of the
/// high-value rule.
pub fn is_low_engagement(features: &ClientFeatures, settings: &ScoringSettings) -> bool {
    features.interactions.total() < settings.thresholds.high_value_min_interactions
}

/// Strong engagement (SCORING.md): at least the high-value minimum of interactions in W and a
/// response ratio at or over the low-response threshold, and active. The one notion of "engaged"
/// every rule shares: a client that is low-engagement, declining or inactive is never strongly
/// engaged, so no run calls one client both engaged and disengaged.
pub fn is_strongly_engaged(features: &ClientFeatures, settings: &ScoringSettings) -> bool {
    !is_low_engagement(features, settings)
        && !is_declining_engagement(features, settings)
        && !is_inactive(features, settings)
        && features
            .interactions
            .response_ratio()
            .is_some_and(|ratio| ratio >= settings.thresholds.low_response_ratio)
}

pub fn risk_factors(
    features: &ClientFeatures,
    overall: u8,
    history: &[ScorePoint],
    settings: &ScoringSettings,
    now: DateTime<Utc>,
) -> RiskFactors {
    let t = &settings.thresholds;
    RiskFactors {
        inactive: is_inactive(features, settings),
        declining_engagement: is_declining_engagement(features, settings),
        low_overall: overall < t.at_risk_overall,
        open_high_priority_ticket: features.tickets.open_high_priority > 0,
        score_dropped: peak_overall_30d(history, features, now)
            .is_some_and(|peak| peak >= overall.saturating_add(t.score_drop_points)),
        payment_risk: features.payments.is_payment_risk(),
        seats_shrinking: features
            .accounts
            .subscriptions
            .as_ref()
            .is_some_and(|s| is_seats_shrinking(s, settings)),
    }
}

/// Scores one client. Pure and deterministic: the same inputs give the same score.
pub fn score_client(
    features: &ClientFeatures,
    ctx: &TenantContext,
    settings: &ScoringSettings,
    history: &[ScorePoint],
    now: DateTime<Utc>,
) -> HealthScore {
    let mut dimensions = vec![
        crm_dimension(features),
        payment_dimension(features, ctx),
        usage_dimension(features),
        support_with_satisfaction(
            features,
            support_with_it(features, support_dimension(features)),
        ),
    ];
    let overrides = apply_dimension_overrides(&mut dimensions, &features.overrides);
    let overall = overall_and_weights(&mut dimensions, &settings.weights);
    let trend = trend(overall, history, features, now);
    let risks = risk_factors(features, overall, history, settings, now);
    let churn_risk = churn_risk(overall, &risks, features, history, now);
    HealthScore {
        client_id: features.client_id.clone(),
        client_name: features.client_name.clone(),
        overall,
        band: HealthBand::of(overall),
        churn_risk,
        dimensions,
        trend,
        scored_at: now,
        sources: score_sources(features),
        segment: None,
        settings_version: settings.version,
        overrides,
    }
}

/// The snapshot's platforms, then each linked platform with its surest match.
fn score_sources(features: &ClientFeatures) -> Vec<SourceRef> {
    let own = features.platforms.iter().map(|p| SourceRef::own(*p));
    let linked = features
        .payments
        .payers
        .iter()
        .filter_map(|p| p.link.map(|l| l.source()));
    let accounts = features.accounts.sources();
    crate::domain::score::one_per_platform(own.chain(linked).chain(accounts))
}

/// Churn risk rises as the overall falls, with each behavioural risk factor (the score-based ones
/// are already in the overall and the trend terms), and with the fall over 30 days.
fn churn_risk(
    overall: u8,
    risks: &RiskFactors,
    features: &ClientFeatures,
    history: &[ScorePoint],
    now: DateTime<Utc>,
) -> u8 {
    let behavioural = [
        risks.inactive,
        risks.declining_engagement,
        risks.open_high_priority_ticket,
        risks.payment_risk,
        risks.seats_shrinking,
    ]
    .into_iter()
    .filter(|on| *on)
    .count() as f64;
    let fallen = peak_overall_30d(history, features, now)
        .map_or(0.0, |peak| f64::from(peak.saturating_sub(overall)));
    let risk = CHURN_PER_MISSING_POINT * (100.0 - f64::from(overall))
        + CHURN_PER_RISK_FACTOR * behavioural
        + (CHURN_PER_POINT_FALLEN * fallen).min(CHURN_TREND_CAP);
    to_score(risk)
}
