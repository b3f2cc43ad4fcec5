//! The four health dimensions, the overall score, churn risk and trend.

use crate::domain::{
    Dimension, DimensionScore, Factor, HealthBand, HealthScore, ScorePoint, ScoringSettings, Trend,
    Weights,
};
use crate::scoring::{ClientFeatures, TenantContext};
use chrono::{DateTime, Duration, Utc};

/// Recency: full points up to this many days since the last activity...
pub const RECENCY_FULL_DAYS: f64 = 7.0;
/// ... falling linearly to none at this many.
pub const RECENCY_ZERO_DAYS: f64 = 90.0;
/// CRM activity (interactions, notes, tasks) per 30 days that earns full points.
pub const CRM_ACTIVITY_FULL_PER_30_DAYS: f64 = 6.0;
/// Usage interactions per 30 days that earn full points.
pub const USAGE_INTERACTIONS_FULL_PER_30_DAYS: f64 = 4.0;
/// A response ratio of this or more earns full engagement points.
pub const RESPONSE_RATIO_FULL: f64 = 0.6;
/// Last won deal: full points within this many days, none after `LAST_WON_ZERO_DAYS`.
pub const LAST_WON_FULL_DAYS: f64 = 120.0;
pub const LAST_WON_ZERO_DAYS: f64 = 730.0;

/// Support deductions.
pub const SUPPORT_BASELINE: f64 = 100.0;
pub const OPEN_TICKET_PENALTY: f64 = 6.0;
pub const OPEN_TICKET_PENALTY_CAP: f64 = 30.0;
pub const HIGH_PRIORITY_PENALTY: f64 = 15.0;
pub const HIGH_PRIORITY_PENALTY_CAP: f64 = 45.0;
/// Median resolution up to this many hours costs nothing; the penalty grows to its cap at
/// `SLOW_RESOLUTION_CAP_HOURS`.
pub const RESOLUTION_OK_HOURS: f64 = 24.0;
pub const SLOW_RESOLUTION_CAP_HOURS: f64 = 168.0;
pub const SLOW_RESOLUTION_PENALTY_CAP: f64 = 20.0;
/// New tickets per 30 days beyond this start to cost points.
pub const TICKET_VOLUME_FREE_PER_30_DAYS: f64 = 2.0;
pub const TICKET_VOLUME_PENALTY: f64 = 4.0;
pub const TICKET_VOLUME_PENALTY_CAP: f64 = 15.0;

/// How far from the target date (7 or 30 days ago) a history point may be to serve for a trend.
const TREND_TOLERANCE_7D_HOURS: i64 = 48;
const TREND_TOLERANCE_30D_HOURS: i64 = 7 * 24;

/// Churn risk: points per overall point under 100, per active risk factor, and per point fallen in
/// 30 days.
const CHURN_PER_MISSING_POINT: f64 = 0.75;
const CHURN_PER_RISK_FACTOR: f64 = 10.0;
const CHURN_PER_POINT_FALLEN: f64 = 0.5;
const CHURN_TREND_CAP: f64 = 20.0;

/// The lifecycle stage's weight (0..=100); unknown and custom stages are neutral.
pub fn lifecycle_points(stage: Option<&str>) -> f64 {
    match stage {
        Some("customer" | "evangelist") => 100.0,
        Some("opportunity") => 70.0,
        Some("salesqualifiedlead") => 60.0,
        Some("marketingqualifiedlead") => 50.0,
        Some("lead") => 40.0,
        Some("subscriber") => 30.0,
        _ => 50.0,
    }
}

/// 100 within 7 days of the last activity, falling linearly to 0 at 90 days.
pub fn recency_points(days_since: f64) -> f64 {
    if days_since <= RECENCY_FULL_DAYS {
        100.0
    } else if days_since >= RECENCY_ZERO_DAYS {
        0.0
    } else {
        100.0 * (RECENCY_ZERO_DAYS - days_since) / (RECENCY_ZERO_DAYS - RECENCY_FULL_DAYS)
    }
}

fn linear_down(value: f64, full_until: f64, zero_at: f64) -> f64 {
    if value <= full_until {
        100.0
    } else if value >= zero_at {
        0.0
    } else {
        100.0 * (zero_at - value) / (zero_at - full_until)
    }
}

fn per_30_days(count: u32, window_days: u32) -> f64 {
    f64::from(count) * 30.0 / f64::from(window_days.max(1))
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

fn to_score(value: f64) -> u8 {
    // Clamped first, so the cast cannot truncate.
    value.clamp(0.0, 100.0).round() as u8
}

/// One input of a dimension: its sub-score 0..=100 (`None` when the data is missing) and its share.
struct Part {
    name: &'static str,
    share: f64,
    value: Option<f64>,
    sub_score: Option<f64>,
    explanation: String,
}

/// Weighted mean of the parts that have data (shares renormalised); each factor's points are its
/// contribution, so a dimension's factor points add up to its score.
fn weighted_dimension(dimension: Dimension, parts: Vec<Part>) -> DimensionScore {
    let present: f64 = parts
        .iter()
        .filter(|p| p.sub_score.is_some())
        .map(|p| p.share)
        .sum();
    let mut total = 0.0;
    let factors = parts
        .into_iter()
        .map(|part| {
            let points = match part.sub_score {
                Some(sub) if present > 0.0 => sub * part.share / present,
                _ => 0.0,
            };
            total += points;
            Factor {
                name: part.name.to_owned(),
                value: part.value.map(round2),
                points: round2(points),
                explanation: part.explanation,
            }
        })
        .collect();
    DimensionScore {
        dimension,
        score: (present > 0.0).then(|| to_score(total)),
        weight: 0.0,
        factors,
    }
}

fn crm_dimension(f: &ClientFeatures) -> DimensionScore {
    let stage = f.lifecycle_stage.as_deref();
    let activity = f.interactions.total() + f.internal_activities;
    let activity_rate = per_30_days(activity, f.window_days);
    weighted_dimension(
        Dimension::Crm,
        vec![
            Part {
                name: "lifecycle_stage",
                share: 0.25,
                value: Some(lifecycle_points(stage)),
                sub_score: Some(lifecycle_points(stage)),
                explanation: format!("lifecycle stage {}", stage.unwrap_or("unknown")),
            },
            Part {
                name: "activity_recency",
                share: 0.45,
                value: f.days_since_last_activity,
                sub_score: Some(f.days_since_last_activity.map_or(0.0, recency_points)),
                explanation: match f.days_since_last_activity {
                    Some(days) => format!("last activity {} days ago", days.floor()),
                    None => "no activity recorded".to_owned(),
                },
            },
            Part {
                name: "activity_frequency",
                share: 0.30,
                value: Some(activity_rate),
                sub_score: Some((100.0 * activity_rate / CRM_ACTIVITY_FULL_PER_30_DAYS).min(100.0)),
                explanation: format!(
                    "{activity_rate:.1} activities per 30 days (interactions, notes and tasks)"
                ),
            },
        ],
    )
}

fn payment_dimension(f: &ClientFeatures, ctx: &TenantContext) -> DimensionScore {
    let revenue = f.revenue.amount();
    let last_won_days = f
        .deals
        .last_won_at
        .map(|at| (f.at - at).num_seconds() as f64 / 86_400.0);
    let decided = f.deals.won_last_12_months + f.deals.lost_last_12_months;
    // Laplace smoothing: one lost deal out of one is bad news, not proof of a 0% win rate.
    let win_rate = (decided > 0)
        .then(|| (f64::from(f.deals.won_last_12_months) + 1.0) / (f64::from(decided) + 2.0));
    weighted_dimension(
        Dimension::Payment,
        vec![
            Part {
                name: "revenue_value",
                share: 0.5,
                value: revenue,
                sub_score: revenue.map(|r| ctx.revenue_value(r)),
                explanation: match revenue {
                    Some(r) => format!("revenue ${r:.2}, log-scaled against the tenant's clients"),
                    None => "no revenue known".to_owned(),
                },
            },
            Part {
                name: "last_won_deal_recency",
                share: 0.25,
                value: last_won_days,
                sub_score: last_won_days
                    .map(|d| linear_down(d, LAST_WON_FULL_DAYS, LAST_WON_ZERO_DAYS)),
                explanation: match last_won_days {
                    Some(d) => format!("last deal won {} days ago", d.floor()),
                    None => "no won deal with a close date".to_owned(),
                },
            },
            Part {
                name: "won_vs_lost_12_months",
                share: 0.25,
                value: win_rate,
                sub_score: win_rate.map(|r| 100.0 * r),
                explanation: format!(
                    "{} won and {} lost deals in the last 12 months",
                    f.deals.won_last_12_months, f.deals.lost_last_12_months
                ),
            },
        ],
    )
}

fn usage_dimension(f: &ClientFeatures) -> DimensionScore {
    let counts = &f.interactions;
    let has_data = f.engagements_recorded > 0 || f.total_contacts > 0;
    let ratio = counts.response_ratio();
    let ratio_score = match ratio {
        Some(r) => Some((100.0 * r / RESPONSE_RATIO_FULL).min(100.0)),
        // They reach out without being asked: as engaged as it gets.
        None if counts.responses() > 0 => Some(100.0),
        None => None,
    };
    let rate = per_30_days(counts.total(), f.window_days);
    let adoption =
        (f.total_contacts > 0).then(|| f64::from(f.engaged_contacts) / f64::from(f.total_contacts));
    let mut dimension = weighted_dimension(
        Dimension::Usage,
        vec![
            Part {
                name: "engagement_ratio",
                share: 0.40,
                value: ratio,
                sub_score: ratio_score,
                explanation: format!(
                    "{} responses to {} outreach in {} days",
                    counts.responses(),
                    counts.outreach(),
                    f.window_days
                ),
            },
            Part {
                name: "interaction_frequency",
                share: 0.35,
                value: Some(rate),
                sub_score: has_data
                    .then(|| (100.0 * rate / USAGE_INTERACTIONS_FULL_PER_30_DAYS).min(100.0)),
                explanation: format!("{rate:.1} emails, calls and meetings per 30 days"),
            },
            Part {
                name: "adoption",
                share: 0.25,
                value: adoption,
                sub_score: adoption.map(|a| 100.0 * a),
                explanation: format!(
                    "{} of {} contacts interacted in {} days",
                    f.engaged_contacts, f.total_contacts, f.window_days
                ),
            },
        ],
    );
    if !has_data {
        dimension.score = None;
    }
    dimension
}

fn support_dimension(f: &ClientFeatures) -> DimensionScore {
    let t = &f.tickets;
    let open_normal = t.open.saturating_sub(t.open_high_priority);
    let open_penalty = (OPEN_TICKET_PENALTY * f64::from(open_normal)).min(OPEN_TICKET_PENALTY_CAP);
    let high_penalty =
        (HIGH_PRIORITY_PENALTY * f64::from(t.open_high_priority)).min(HIGH_PRIORITY_PENALTY_CAP);
    let slow_penalty = t.median_hours_to_close.map_or(0.0, |hours| {
        let over =
            (hours - RESOLUTION_OK_HOURS) / (SLOW_RESOLUTION_CAP_HOURS - RESOLUTION_OK_HOURS);
        SLOW_RESOLUTION_PENALTY_CAP * over.clamp(0.0, 1.0)
    });
    let volume = per_30_days(t.created_in_window, f.window_days);
    let volume_penalty = (TICKET_VOLUME_PENALTY * (volume - TICKET_VOLUME_FREE_PER_30_DAYS))
        .clamp(0.0, TICKET_VOLUME_PENALTY_CAP);
    let factor = |name: &str, value: Option<f64>, points: f64, explanation: String| Factor {
        name: name.to_owned(),
        value: value.map(round2),
        points: round2(points),
        explanation,
    };
    if t.total == 0 {
        // No tickets says nothing either way: the dimension stays out of the overall score.
        return DimensionScore {
            dimension: Dimension::Support,
            score: None,
            weight: 0.0,
            factors: vec![factor(
                "tickets",
                Some(0.0),
                0.0,
                "no tickets on record: neutral, left out of the overall score".to_owned(),
            )],
        };
    }
    let total = SUPPORT_BASELINE - open_penalty - high_penalty - slow_penalty - volume_penalty;
    DimensionScore {
        dimension: Dimension::Support,
        score: Some(to_score(total)),
        weight: 0.0,
        factors: vec![
            factor(
                "baseline",
                None,
                SUPPORT_BASELINE,
                "support starts at 100 and loses points for open and slow tickets".to_owned(),
            ),
            factor(
                "open_tickets",
                Some(f64::from(open_normal)),
                -open_penalty,
                format!("{open_normal} open tickets of normal priority"),
            ),
            factor(
                "open_high_priority_tickets",
                Some(f64::from(t.open_high_priority)),
                -high_penalty,
                format!(
                    "{} open tickets of high or urgent priority",
                    t.open_high_priority
                ),
            ),
            factor(
                "median_hours_to_close",
                t.median_hours_to_close,
                -slow_penalty,
                match t.median_hours_to_close {
                    Some(h) => format!("tickets closed in a median of {h:.1} hours"),
                    None => "no ticket closed in the last 12 months".to_owned(),
                },
            ),
            factor(
                "ticket_volume",
                Some(volume),
                -volume_penalty,
                format!("{volume:.1} new tickets per 30 days"),
            ),
        ],
    }
}

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

/// Sets each dimension's effective weight (its share of the overall after leaving out dimensions
/// without data) and returns the overall score. Should every dimension with data carry weight 0,
/// they count equally rather than leaving the client unscored.
fn overall_and_weights(dimensions: &mut [DimensionScore], weights: &Weights) -> u8 {
    let configured: f64 = dimensions
        .iter()
        .filter(|d| d.score.is_some())
        .map(|d| weight_of(weights, d.dimension))
        .sum();
    let with_data = dimensions.iter().filter(|d| d.score.is_some()).count();
    let mut overall = 0.0;
    for d in dimensions.iter_mut() {
        d.weight = match d.score {
            None => 0.0,
            Some(_) if configured > 0.0 => weight_of(weights, d.dimension) / configured,
            Some(_) => 1.0 / with_data as f64,
        };
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
}

impl RiskFactors {
    pub fn count(&self) -> u32 {
        [
            self.inactive,
            self.declining_engagement,
            self.low_overall,
            self.open_high_priority_ticket,
            self.score_dropped,
        ]
        .into_iter()
        .map(u32::from)
        .sum()
    }

    pub fn names(&self) -> Vec<&'static str> {
        [
            (self.inactive, "inactive"),
            (self.declining_engagement, "declining engagement"),
            (self.low_overall, "low overall score"),
            (self.open_high_priority_ticket, "open high-priority ticket"),
            (self.score_dropped, "falling score"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect()
    }
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
        support_dimension(features),
    ];
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
    }
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
