//! What the account platforms add to the usage and support dimensions. Each linked platform's parts
//! share out its best match confidence (HubSpot's own usage parts share out 1), so a weakly matched
//! account moves a dimension less than the client's own record; a dimension that had no data (support
//! without HubSpot tickets) gets NinjaOne's alone.

use super::{best_weight, ItFeatures, ProductivityFeatures, SubscriptionFeatures};
use crate::domain::{Dimension, DimensionScore, Factor, Platform};
use crate::scoring::dimensions::{linear_down, round2, to_score, Part};
use crate::scoring::ClientFeatures;

/// NinjaOne support deductions from 100: devices long offline (the full cap at half of them),
/// open critical and major alerts, patch and antivirus failures (shares of devices), and with
/// ticketing, ticket volume, open high-priority tickets and the oldest open ticket's age.
pub const OFFLINE_PENALTY_CAP: f64 = 30.0;
pub const CRITICAL_ALERT_PENALTY: f64 = 15.0;
pub const CRITICAL_ALERT_PENALTY_CAP: f64 = 45.0;
pub const MAJOR_ALERT_PENALTY: f64 = 5.0;
pub const MAJOR_ALERT_PENALTY_CAP: f64 = 20.0;
pub const PATCH_FAILURE_PENALTY_CAP: f64 = 15.0;
pub const ANTIVIRUS_PENALTY_CAP: f64 = 15.0;
pub const IT_TICKET_VOLUME_FREE_PER_30_DAYS: f64 = 2.0;
pub const IT_TICKET_VOLUME_PENALTY: f64 = 4.0;
pub const IT_TICKET_VOLUME_PENALTY_CAP: f64 = 15.0;
pub const IT_HIGH_PRIORITY_PENALTY: f64 = 10.0;
pub const IT_HIGH_PRIORITY_PENALTY_CAP: f64 = 30.0;
/// The oldest open ticket costs nothing up to this many days, the cap at `TICKET_AGE_CAP_DAYS`.
pub const TICKET_AGE_OK_DAYS: f64 = 7.0;
pub const TICKET_AGE_CAP_DAYS: f64 = 30.0;
pub const TICKET_AGE_PENALTY_CAP: f64 = 15.0;

/// Products that earn a Pax8 client full points for breadth.
pub const FULL_POINTS_PRODUCTS: f64 = 3.0;
/// Points each cancellation or downgrade in 90 days costs.
pub const CANCELLATION_PENALTY: f64 = 34.0;

/// A trend as points: flat or growing 100, each 1% down 2 points (none at half gone).
fn trend_points(change: f64) -> f64 {
    (100.0 + 200.0 * change).clamp(0.0, 100.0)
}

fn it_usage(it: &ItFeatures, weight: f64) -> Vec<Part> {
    let online = it.offline_share().map(|offline| 100.0 * (1.0 - offline));
    vec![Part {
        source: Platform::Ninjaone,
        name: "managed_devices",
        share: weight,
        value: Some(f64::from(it.devices)),
        sub_score: online,
        explanation: format!(
            "{} managed devices, {} offline for longer than a week",
            it.devices, it.offline_long
        ),
    }]
}

fn subscription_usage(s: &SubscriptionFeatures, weight: f64) -> Vec<Part> {
    let part = |name, share: f64, value, sub_score, explanation| Part {
        name,
        share: share * weight,
        value,
        sub_score,
        explanation,
        source: Platform::Pax8,
    };
    let lost = s.cancelled_90d + s.downgrades_90d;
    let products = s.products.len() as f64;
    vec![
        part(
            "seat_trend_30d",
            0.25,
            s.change_30d(),
            s.change_30d().map(trend_points),
            format!("{:.0} seats, {:.0} 30 days ago", s.seats, s.seats_30d_ago),
        ),
        part(
            "seat_trend_90d",
            0.35,
            s.change_90d(),
            s.change_90d().map(trend_points),
            format!("{:.0} seats, {:.0} 90 days ago", s.seats, s.seats_90d_ago),
        ),
        part(
            "cancellations_and_downgrades_90d",
            0.25,
            Some(f64::from(lost)),
            Some((100.0 - CANCELLATION_PENALTY * f64::from(lost)).max(0.0)),
            format!(
                "{} subscriptions cancelled and {} reduced in 90 days",
                s.cancelled_90d, s.downgrades_90d
            ),
        ),
        part(
            "products",
            0.15,
            Some(products),
            Some((100.0 * products / FULL_POINTS_PRODUCTS).min(100.0)),
            format!("{products:.0} products subscribed"),
        ),
    ]
}

fn productivity_usage(p: &ProductivityFeatures, weight: f64) -> Vec<Part> {
    let part = |name, share: f64, value, sub_score, explanation| Part {
        name,
        share: share * weight,
        value,
        sub_score,
        explanation,
        source: Platform::M365,
    };
    let assigned = (p.licences_enabled > 0).then(|| {
        f64::from(p.licences_consumed.min(p.licences_enabled)) / f64::from(p.licences_enabled)
    });
    let trend_text = |what: &str, change: Option<f64>| match change {
        Some(c) => format!(
            "{what} {:+.0}% over 30 days against the 30 before",
            100.0 * c
        ),
        None => format!("{what}: not enough daily reports for a trend"),
    };
    vec![
        part(
            "active_users_vs_licensed",
            0.4,
            p.active_share(),
            p.active_share().map(|s| 100.0 * s),
            format!(
                "{} users active in 30 days for {} assigned licences",
                p.active_users_30d
                    .map_or("unknown".to_owned(), |a| a.to_string()),
                p.licences_consumed
            ),
        ),
        part(
            "licences_assigned",
            0.2,
            assigned,
            assigned.map(|a| 100.0 * a),
            format!(
                "{} of {} bought licences assigned ({} unassigned)",
                p.licences_consumed,
                p.licences_enabled,
                p.unassigned_licences()
            ),
        ),
        part(
            "mailbox_activity_trend",
            0.2,
            p.mail_change,
            p.mail_change.map(trend_points),
            trend_text("emails sent and received", p.mail_change),
        ),
        part(
            "teams_activity_trend",
            0.2,
            p.teams_change,
            p.teams_change.map(trend_points),
            trend_text("Teams active users", p.teams_change),
        ),
    ]
}

/// The account platforms' usage parts, beside HubSpot's; none for a client without linked accounts.
pub(crate) fn account_usage_parts(f: &ClientFeatures) -> Vec<Part> {
    let a = &f.accounts;
    let mut parts = Vec::new();
    if let Some(it) = &a.it {
        parts.extend(it_usage(it, best_weight(&it.links)));
    }
    if let Some(s) = &a.subscriptions {
        parts.extend(subscription_usage(s, best_weight(&s.links)));
    }
    if let Some(p) = &a.productivity {
        parts.extend(productivity_usage(p, best_weight(&p.links)));
    }
    parts
}

fn deduction(name: &str, value: Option<f64>, penalty: f64, explanation: String) -> Factor {
    Factor {
        name: name.to_owned(),
        value: value.map(round2),
        points: -round2(penalty),
        explanation,
        source: Platform::Ninjaone,
    }
}

/// NinjaOne's support score (100 less its deductions) and its factors, unscaled.
fn it_support(it: &ItFeatures) -> (f64, Vec<Factor>) {
    let share_of = |n: u32| {
        if it.devices > 0 {
            f64::from(n) / f64::from(it.devices)
        } else {
            0.0
        }
    };
    let offline = it.offline_share().unwrap_or(0.0);
    let mut factors = vec![
        Factor {
            name: "it_baseline".to_owned(),
            value: None,
            points: 100.0,
            explanation: "IT support starts at 100 and loses points for offline devices, alerts, \
                          failures and tickets"
                .to_owned(),
            source: Platform::Ninjaone,
        },
        deduction(
            "devices_offline_long",
            Some(offline),
            (OFFLINE_PENALTY_CAP * 2.0 * offline).min(OFFLINE_PENALTY_CAP),
            format!(
                "{} of {} devices offline for longer than a week",
                it.offline_long, it.devices
            ),
        ),
        deduction(
            "open_critical_alerts",
            Some(f64::from(it.critical_alerts)),
            (CRITICAL_ALERT_PENALTY * f64::from(it.critical_alerts))
                .min(CRITICAL_ALERT_PENALTY_CAP),
            format!("{} critical alerts open", it.critical_alerts),
        ),
        deduction(
            "open_major_alerts",
            Some(f64::from(it.major_alerts)),
            (MAJOR_ALERT_PENALTY * f64::from(it.major_alerts)).min(MAJOR_ALERT_PENALTY_CAP),
            format!("{} major alerts open", it.major_alerts),
        ),
        deduction(
            "patch_failures",
            Some(f64::from(it.patch_failures)),
            PATCH_FAILURE_PENALTY_CAP * share_of(it.patch_failures),
            format!("{} devices with failed OS patches", it.patch_failures),
        ),
        deduction(
            "antivirus_problems",
            Some(f64::from(it.antivirus_problems)),
            ANTIVIRUS_PENALTY_CAP * share_of(it.antivirus_problems),
            format!(
                "{} devices with antivirus off, outdated or reporting threats",
                it.antivirus_problems
            ),
        ),
    ];
    if it.ticketing {
        let volume = f64::from(it.tickets_30d);
        let age = it.oldest_open_ticket_days.unwrap_or(0.0);
        factors.extend([
            deduction(
                "it_ticket_volume",
                Some(volume),
                (IT_TICKET_VOLUME_PENALTY * (volume - IT_TICKET_VOLUME_FREE_PER_30_DAYS))
                    .clamp(0.0, IT_TICKET_VOLUME_PENALTY_CAP),
                format!(
                    "{} NinjaOne tickets opened in the last 30 days",
                    it.tickets_30d
                ),
            ),
            deduction(
                "it_open_high_priority_tickets",
                Some(f64::from(it.tickets_open_high_priority)),
                (IT_HIGH_PRIORITY_PENALTY * f64::from(it.tickets_open_high_priority))
                    .min(IT_HIGH_PRIORITY_PENALTY_CAP),
                format!(
                    "{} NinjaOne tickets of high or urgent priority open",
                    it.tickets_open_high_priority
                ),
            ),
            deduction(
                "it_oldest_open_ticket_days",
                it.oldest_open_ticket_days,
                TICKET_AGE_PENALTY_CAP
                    * (1.0 - linear_down(age, TICKET_AGE_OK_DAYS, TICKET_AGE_CAP_DAYS) / 100.0),
                match it.oldest_open_ticket_days {
                    Some(days) => format!(
                        "the oldest open NinjaOne ticket is {} days old",
                        days.floor()
                    ),
                    None => "no NinjaOne ticket open".to_owned(),
                },
            ),
        ]);
    }
    let score: f64 = factors.iter().map(|f| f.points).sum();
    (score.clamp(0.0, 100.0), factors)
}

/// The support dimension with NinjaOne beside HubSpot's tickets: the mean of both scores weighted
/// 1 (HubSpot) and NinjaOne's match confidence, each side's factor points scaled to its share so
/// they still add up to the score. HubSpot without tickets is left out (its factor says why).
pub(crate) fn support_with_it(f: &ClientFeatures, hubspot: DimensionScore) -> DimensionScore {
    let Some(it) = &f.accounts.it else {
        return hubspot;
    };
    let weight = best_weight(&it.links);
    if weight <= 0.0 || (it.devices == 0 && !it.ticketing) {
        return hubspot;
    }
    let (it_score, it_factors) = it_support(it);
    let hub_share = if hubspot.score.is_some() { 1.0 } else { 0.0 };
    let total = hub_share + weight;
    let scale = |factors: Vec<Factor>, share: f64| {
        factors.into_iter().map(move |mut factor| {
            factor.points = round2(factor.points * share / total);
            factor
        })
    };
    let hub_score = hubspot.score.map_or(0.0, f64::from);
    let score = (hub_share * hub_score + weight * it_score) / total;
    let factors = scale(hubspot.factors, hub_share)
        .chain(scale(it_factors, weight))
        .collect();
    DimensionScore {
        dimension: Dimension::Support,
        score: Some(to_score(score)),
        weight: 0.0,
        factors,
    }
}
