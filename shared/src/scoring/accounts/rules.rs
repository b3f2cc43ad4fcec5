//! The rules one account platform feeds: IT issues (NinjaOne), seats shrinking (Pax8), licences
//! unused (Microsoft 365), and the product gap (Pax8, against clients of similar size). Each rests on
//! the linked accounts alone, so its confidence carries their match.

use super::cross_source::is_silent;
use crate::domain::{Impact, InsightRule};
use crate::scoring::confidence::{
    backed_confidence, evidence, evidence_threshold, impact, share, Backing,
};
use crate::scoring::health::is_seats_shrinking;
use crate::scoring::insights::{Finding, RuleInput};

/// Open critical alerts that give full support to the IT finding, and make it high impact.
const MANY_CRITICAL_ALERTS: u32 = 3;
/// A share of devices long offline that makes the IT finding high impact.
const MOST_DEVICES_OFFLINE: f64 = 0.5;

pub(crate) fn it_issues(input: &RuleInput) -> Option<Finding> {
    let it = input.features.accounts.it.as_ref()?;
    let t = &input.settings.accounts;
    let offline = it.offline_share().unwrap_or(0.0);
    let many_offline = it.devices > 0 && offline >= t.many_offline_share;
    let critical = it.critical_alerts >= t.critical_alerts;
    if !(many_offline || critical) {
        return None;
    }
    let backing = Backing::linked_only(it.links.clone());
    let name = input.name();
    let confidence = backed_confidence(
        if it.devices > 0 { 1.0 } else { 0.5 },
        0.5 * share(
            f64::from(it.critical_alerts),
            f64::from(MANY_CRITICAL_ALERTS),
        ) + 0.5 * share(offline, MOST_DEVICES_OFFLINE),
        &backing,
    );
    let severity = if it.critical_alerts >= MANY_CRITICAL_ALERTS || offline >= MOST_DEVICES_OFFLINE
    {
        Impact::High
    } else {
        Impact::Medium
    };
    let revenue = input.features.revenue.amount();
    let days = t.offline_device_days;
    let what = match (critical, many_offline) {
        (true, true) => format!(
            "{} critical alerts open and {} of {} devices offline",
            it.critical_alerts, it.offline_long, it.devices
        ),
        (true, false) => format!("{} critical alerts open", it.critical_alerts),
        _ => format!("{} of {} devices offline", it.offline_long, it.devices),
    };
    Some(Finding {
        rule: InsightRule::ItIssues,
        title: format!("{name} has IT issues: {what}"),
        description: format!(
            "NinjaOne shows {} critical and {} major alerts open, and {} of {} managed devices \
             offline for more than {days} days.",
            it.critical_alerts, it.major_alerts, it.offline_long, it.devices
        ),
        explanation: format!(
            "The rule fires at {} or more open critical alerts, or when {:.0}% or more of the \
             devices have been offline for more than {days} days.",
            t.critical_alerts,
            100.0 * t.many_offline_share
        ),
        confidence,
        impact: impact(severity, revenue, input.ctx),
        revenue_at_stake: revenue,
        recommendations: vec![
            "Triage the open critical alerts in NinjaOne today and assign each an owner."
                .to_owned(),
            format!("Ask {name} whether the offline devices were retired or need a visit."),
            "Tell the client what was found and fixed before they notice it themselves.".to_owned(),
        ],
        evidence: vec![
            evidence(
                "open_critical_alerts",
                f64::from(it.critical_alerts),
                "count",
            ),
            evidence("open_major_alerts", f64::from(it.major_alerts), "count"),
            evidence("devices", f64::from(it.devices), "count"),
            evidence("devices_offline_long", f64::from(it.offline_long), "count"),
            evidence_threshold("many_offline_share", t.many_offline_share, "ratio"),
        ],
        sources: backing.sources(),
    })
}

pub(crate) fn seats_shrinking(input: &RuleInput) -> Option<Finding> {
    let subs = input.features.accounts.subscriptions.as_ref()?;
    if !is_seats_shrinking(subs, input.settings) {
        return None;
    }
    let t = &input.settings.accounts;
    let backing = Backing::linked_only(subs.links.clone());
    let name = input.name();
    let drop = subs.change_90d().map_or(0.0, |c| (-c).max(0.0));
    let confidence = backed_confidence(
        if subs.change_90d().is_some() {
            1.0
        } else {
            0.5
        },
        0.5 * share(drop, 0.5) + 0.5 * share(f64::from(subs.cancelled_90d), 2.0),
        &backing,
    );
    let severity = if drop >= 0.3 || subs.seats <= 0.0 {
        Impact::High
    } else {
        Impact::Medium
    };
    let revenue = input.features.revenue.amount();
    Some(Finding {
        rule: InsightRule::SeatsShrinking,
        title: format!(
            "{name} is reducing its subscriptions ({:.0} seats, {:.0} 90 days ago)",
            subs.seats, subs.seats_90d_ago
        ),
        description: format!(
            "On Pax8, {name} went from {:.0} to {:.0} seats in 90 days, cancelled {} subscriptions \
             and reduced {}.",
            subs.seats_90d_ago, subs.seats, subs.cancelled_90d, subs.downgrades_90d
        ),
        explanation: format!(
            "The rule fires when seats fall by {:.0}% or more in 90 days, or {} or more \
             subscriptions are cancelled: a client cutting what it buys is a churn signal.",
            100.0 * t.seat_drop_share,
            t.cancelled_subscriptions
        ),
        confidence,
        impact: impact(severity, revenue, input.ctx),
        revenue_at_stake: revenue,
        recommendations: vec![
            format!(
                "Ask {name} why seats were reduced: staff cuts, a competitor, or unused licences?"
            ),
            "Review the cancelled products for a service problem before the renewal date."
                .to_owned(),
            format!("Plan a business review with {name} this month."),
        ],
        evidence: vec![
            evidence("seats", subs.seats, "count"),
            evidence("seats_90d_ago", subs.seats_90d_ago, "count"),
            evidence(
                "subscriptions_cancelled_90d",
                f64::from(subs.cancelled_90d),
                "count",
            ),
            evidence(
                "subscriptions_reduced_90d",
                f64::from(subs.downgrades_90d),
                "count",
            ),
            evidence_threshold("seat_drop_share", t.seat_drop_share, "ratio"),
        ],
        sources: backing.sources(),
    })
}

pub(crate) fn unused_licences(input: &RuleInput) -> Option<Finding> {
    let p = input.features.accounts.productivity.as_ref()?;
    let t = &input.settings.accounts;
    let unused = p.unassigned_licences();
    if p.licences_enabled == 0 || unused < t.unused_licences {
        return None;
    }
    let unused_share = f64::from(unused) / f64::from(p.licences_enabled);
    if unused_share < t.unused_licence_share {
        return None;
    }
    let backing = Backing::linked_only(p.links.clone());
    let name = input.name();
    let confidence = backed_confidence(1.0, share(unused_share, 0.5), &backing);
    Some(Finding {
        rule: InsightRule::UnusedLicences,
        title: format!("{name} pays for {unused} Microsoft 365 licences nobody is assigned"),
        description: format!(
            "{name}'s tenant has {} licences bought and {} assigned: {unused} ({:.0}%) are unused.",
            p.licences_enabled,
            p.licences_consumed,
            100.0 * unused_share
        ),
        explanation: format!(
            "The rule fires at {} or more unassigned licences making up {:.0}% or more of those \
             bought (free and trial offers left out).",
            t.unused_licences,
            100.0 * t.unused_licence_share
        ),
        confidence,
        impact: impact(Impact::Medium, None, input.ctx),
        revenue_at_stake: None,
        recommendations: vec![
            format!("Offer {name} to reduce the licence count at the next renewal: goodwill now beats a surprise audit later."),
            "Check whether new starters are waiting for a licence that is already paid for.".to_owned(),
        ],
        evidence: vec![
            evidence("licences_enabled", f64::from(p.licences_enabled), "count"),
            evidence("licences_consumed", f64::from(p.licences_consumed), "count"),
            evidence("licences_unassigned", f64::from(unused), "count"),
            evidence_threshold("unused_licence_share", t.unused_licence_share, "ratio"),
        ],
        sources: backing.sources(),
    })
}

/// Whether the product-gap rule may speak: never beside a client cutting seats, going silent or
/// with payment trouble (`EXCLUSIVE_RULES`).
pub(crate) fn may_sell_more(input: &RuleInput) -> bool {
    let f = input.features;
    !f.payments.is_payment_risk()
        && !f
            .accounts
            .subscriptions
            .as_ref()
            .is_some_and(|s| is_seats_shrinking(s, input.settings))
        && !is_silent(input)
}

pub(crate) fn product_gap(input: &RuleInput) -> Option<Finding> {
    let subs = input.features.accounts.subscriptions.as_ref()?;
    let t = &input.settings.accounts;
    if !may_sell_more(input) {
        return None;
    }
    let gaps = input.ctx.product_peers().gaps(
        input.features.client_id.as_str(),
        t.product_gap_peer_share,
        t.product_gap_min_peers,
    );
    let top = gaps.first()?;
    let backing = Backing::linked_only(subs.links.clone());
    let name = input.name();
    let names: Vec<&str> = gaps
        .iter()
        .take(3)
        .map(|g| g.product_name.as_str())
        .collect();
    let confidence = backed_confidence(
        1.0,
        0.5 * share(f64::from(top.peers), 10.0)
            + 0.5 * f64::from(top.holders) / f64::from(top.peers.max(1)),
        &backing,
    );
    Some(Finding {
        rule: InsightRule::ProductGap,
        title: format!(
            "{name} lacks {} that similar clients have",
            top.product_name
        ),
        description: format!(
            "{} of {} clients of similar size ({:.0} seats, give or take half) hold {}; {name} \
             does not. Also usual among them: {}.",
            top.holders,
            top.peers,
            subs.seats,
            top.product_name,
            names.join(", ")
        ),
        explanation: format!(
            "A product counts as usual when {:.0}% or more of at least {} clients with half to \
             twice the seats hold it on Pax8.",
            100.0 * t.product_gap_peer_share,
            t.product_gap_min_peers
        ),
        confidence,
        impact: impact(Impact::Low, None, input.ctx),
        revenue_at_stake: None,
        recommendations: vec![
            format!(
                "Propose {} to {name}, with what similar clients use it for.",
                top.product_name
            ),
            "Bundle it into the next renewal conversation.".to_owned(),
        ],
        evidence: vec![
            evidence("peers", f64::from(top.peers), "count"),
            evidence("peers_holding_product", f64::from(top.holders), "count"),
            evidence("products_missing", gaps.len() as f64, "count"),
            evidence("seats", subs.seats, "count"),
        ],
        sources: backing.sources(),
    })
}
