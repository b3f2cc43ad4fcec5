//! The CRM, usage and support dimensions, and the weighted mean every dimension is built with.

use crate::domain::{Dimension, DimensionScore, Factor, Platform};
use crate::scoring::accounts::account_usage_parts;
use crate::scoring::ClientFeatures;

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

pub(crate) fn linear_down(value: f64, full_until: f64, zero_at: f64) -> f64 {
    if value <= full_until {
        100.0
    } else if value >= zero_at {
        0.0
    } else {
        100.0 * (zero_at - value) / (zero_at - full_until)
    }
}

pub(crate) fn per_30_days(count: u32, window_days: u32) -> f64 {
    f64::from(count) * 30.0 / f64::from(window_days.max(1))
}

pub(crate) fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

pub(crate) fn to_score(value: f64) -> u8 {
    // Clamped first, so the cast cannot truncate.
    value.clamp(0.0, 100.0).round() as u8
}

/// One input of a dimension: its sub-score 0..=100 (`None` when the data is missing) and its share.
pub(crate) struct Part {
    pub name: &'static str,
    pub share: f64,
    pub value: Option<f64>,
    pub sub_score: Option<f64>,
    pub explanation: String,
    pub source: Platform,
}

/// Weighted mean of the parts that have data (shares renormalised); each factor's points are its
/// contribution, so a dimension's factor points add up to its score.
pub(crate) fn weighted_dimension(dimension: Dimension, parts: Vec<Part>) -> DimensionScore {
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
                source: part.source,
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

pub(crate) fn crm_dimension(f: &ClientFeatures) -> DimensionScore {
    let stage = f.lifecycle_stage.as_deref();
    let activity = f.interactions.total() + f.internal_activities;
    let activity_rate = per_30_days(activity, f.window_days);
    weighted_dimension(
        Dimension::Crm,
        vec![
            Part {
                source: Platform::Hubspot,
                name: "lifecycle_stage",
                share: 0.25,
                value: Some(lifecycle_points(stage)),
                sub_score: Some(lifecycle_points(stage)),
                explanation: format!("lifecycle stage {}", stage.unwrap_or("unknown")),
            },
            Part {
                source: Platform::Hubspot,
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
                source: Platform::Hubspot,
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

pub(crate) fn usage_dimension(f: &ClientFeatures) -> DimensionScore {
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
    let mut parts = vec![
        Part {
            source: Platform::Hubspot,
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
            source: Platform::Hubspot,
            name: "interaction_frequency",
            share: 0.35,
            value: Some(rate),
            sub_score: has_data
                .then(|| (100.0 * rate / USAGE_INTERACTIONS_FULL_PER_30_DAYS).min(100.0)),
            explanation: format!("{rate:.1} emails, calls and meetings per 30 days"),
        },
        Part {
            source: Platform::Hubspot,
            name: "adoption",
            share: 0.25,
            value: adoption,
            sub_score: adoption.map(|a| 100.0 * a),
            explanation: format!(
                "{} of {} contacts interacted in {} days",
                f.engaged_contacts, f.total_contacts, f.window_days
            ),
        },
    ];
    let accounts = account_usage_parts(f);
    let account_data = accounts.iter().any(|p| p.sub_score.is_some());
    parts.extend(accounts);
    let mut dimension = weighted_dimension(Dimension::Usage, parts);
    if !has_data && !account_data {
        dimension.score = None;
    }
    dimension
}

pub(crate) fn support_dimension(f: &ClientFeatures) -> DimensionScore {
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
        source: Platform::Hubspot,
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
