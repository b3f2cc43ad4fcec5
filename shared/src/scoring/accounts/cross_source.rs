//! The four findings only several sources together can see. Each needs evidence from at least two
//! platforms, names them, and is only as sure as every one of its platforms' matches
//! ([`cross_source_confidence`]): a weak match on either side lowers it.
//!
//! - **Paid seats unused**: Pax8 seats against Microsoft 365 users active in 30 days.
//! - **Support load rising**: NinjaOne alerts and tickets up while HubSpot interactions fall.
//! - **Expansion signal**: Pax8 seats growing, payments healthy (PayPal, else won deals in HubSpot),
//!   no deal open in HubSpot.
//! - **Silent client**: no HubSpot activity, with NinjaOne devices offline or Microsoft 365 activity
//!   falling (or both).

use super::{ItFeatures, ProductivityFeatures, SubscriptionFeatures};
use crate::domain::{Impact, InsightRule};
use crate::scoring::confidence::{
    cross_source_confidence, evidence, evidence_threshold, impact, share, Backing,
};
use crate::scoring::health::is_seats_shrinking;
use crate::scoring::insights::{Finding, RuleInput};
use crate::scoring::linked::RecordMatch;
use crate::scoring::payment_dimension::LAST_PAYMENT_FULL_DAYS;

/// The client's own record and the linked records a finding needs.
fn crm_backing(input: &RuleInput, linked: Vec<RecordMatch>) -> Backing {
    Backing::crm(input.features).with_linked(linked, true)
}

/// (a) Seats paid for that nobody uses: (idle seats, seats, active users).
fn idle_seats(
    subs: &SubscriptionFeatures,
    m365: &ProductivityFeatures,
    input: &RuleInput,
) -> Option<(f64, f64, u32)> {
    let t = &input.settings.cross_source;
    let active = m365.active_users_30d?;
    let idle = subs.seats - f64::from(active);
    (subs.seats > 0.0 && idle >= f64::from(t.idle_seats) && idle / subs.seats >= t.idle_seat_share)
        .then_some((idle, subs.seats, active))
}

fn paid_seats_unused_holds(input: &RuleInput) -> bool {
    let a = &input.features.accounts;
    match (&a.subscriptions, &a.productivity) {
        (Some(subs), Some(m365)) => idle_seats(subs, m365, input).is_some(),
        _ => false,
    }
}

pub(crate) fn paid_seats_unused(input: &RuleInput) -> Option<Finding> {
    let a = &input.features.accounts;
    let (subs, m365) = (a.subscriptions.as_ref()?, a.productivity.as_ref()?);
    let (idle, seats, active) = idle_seats(subs, m365, input)?;
    let t = &input.settings.cross_source;
    let links: Vec<RecordMatch> = subs.links.iter().chain(&m365.links).copied().collect();
    let backing = Backing::linked_only(links);
    let idle_share = idle / seats;
    let confidence = cross_source_confidence(1.0, share(idle_share, 0.5), &backing);
    let name = input.name();
    let revenue = input.features.revenue.amount();
    Some(Finding {
        rule: InsightRule::PaidSeatsUnused,
        title: format!("{name} pays for {idle:.0} seats nobody uses"),
        description: format!(
            "{name} has {seats:.0} seats on Pax8 but only {active} users were active in Microsoft \
             365 in the last 30 days: {:.0}% of the seats are idle.",
            100.0 * idle_share
        ),
        explanation: format!(
            "Pax8 seats against Microsoft 365's active users: the rule fires at {} or more idle \
             seats making up {:.0}% or more of them. A client paying for what it does not use will \
             notice at renewal.",
            t.idle_seats,
            100.0 * t.idle_seat_share
        ),
        confidence,
        impact: impact(
            if idle_share >= 0.5 { Impact::High } else { Impact::Medium },
            revenue,
            input.ctx,
        ),
        revenue_at_stake: revenue,
        recommendations: vec![
            format!("Offer {name} a right-sizing of its licences before they ask: it protects the relationship."),
            "Check whether the idle seats belong to leavers whose accounts were never removed.".to_owned(),
            "If the users exist but do not use the tools, propose adoption training instead.".to_owned(),
        ],
        evidence: vec![
            evidence("pax8_seats", seats, "count"),
            evidence("m365_active_users_30d", f64::from(active), "count"),
            evidence("idle_seats", idle, "count"),
            evidence_threshold("idle_seat_share", t.idle_seat_share, "ratio"),
        ],
        sources: backing.sources(),
    })
}

/// (b) NinjaOne's load up and HubSpot's interactions down: (load now, load before, fall).
fn support_rise(it: &ItFeatures, input: &RuleInput) -> Option<(u32, u32, f64)> {
    let t = &input.settings.cross_source;
    let (recent, prior) = it.load_30d();
    let rising = recent >= t.support_rise_min
        && f64::from(recent) >= t.support_rise_ratio * f64::from(prior);
    let fall = input.features.accounts.crm_interaction_fall()?;
    (rising && fall >= t.engagement_fall_share).then_some((recent, prior, fall))
}

fn support_load_rising_holds(input: &RuleInput) -> bool {
    input
        .features
        .accounts
        .it
        .as_ref()
        .is_some_and(|it| support_rise(it, input).is_some())
}

pub(crate) fn support_load_rising(input: &RuleInput) -> Option<Finding> {
    let a = &input.features.accounts;
    let it = a.it.as_ref()?;
    let (recent, prior, fall) = support_rise(it, input)?;
    let t = &input.settings.cross_source;
    let backing = crm_backing(input, it.links.clone());
    let confidence = cross_source_confidence(
        if it.ticketing { 1.0 } else { 0.75 },
        0.5 * share(f64::from(recent), 2.0 * f64::from(t.support_rise_min))
            + 0.5 * share(f64::from(a.crm_interactions_prior_30d), 10.0),
        &backing,
    );
    let name = input.name();
    let revenue = input.features.revenue.amount();
    Some(Finding {
        rule: InsightRule::SupportLoadRising,
        title: format!("{name}'s IT problems are rising while contact falls"),
        description: format!(
            "NinjaOne raised {recent} alerts and tickets for {name} in the last 30 days against \
             {prior} the 30 days before, while HubSpot interactions fell from {} to {}.",
            a.crm_interactions_prior_30d, a.crm_interactions_30d
        ),
        explanation: format!(
            "More IT trouble and less contact is how dissatisfaction starts: the rule fires at {} \
             or more alerts and tickets, {:.1} times the month before or more, with interactions \
             down {:.0}% or more.",
            t.support_rise_min,
            t.support_rise_ratio,
            100.0 * t.engagement_fall_share
        ),
        confidence,
        impact: impact(Impact::High, revenue, input.ctx),
        revenue_at_stake: revenue,
        recommendations: vec![
            format!("Have the account manager call {name} this week about the recent IT issues."),
            "Look for a common cause behind the new alerts and tickets and fix it, not only the symptoms.".to_owned(),
            "Share a short summary of what was resolved with the client's main contact.".to_owned(),
        ],
        evidence: vec![
            evidence("it_alerts_and_tickets_30d", f64::from(recent), "count"),
            evidence("it_alerts_and_tickets_prior_30d", f64::from(prior), "count"),
            evidence("crm_interactions_30d", f64::from(a.crm_interactions_30d), "count"),
            evidence("crm_interactions_prior_30d", f64::from(a.crm_interactions_prior_30d), "count"),
            evidence("crm_interaction_fall", fall, "ratio"),
        ],
        sources: backing.sources(),
    })
}

/// (d) No HubSpot activity, and devices offline or Microsoft 365 activity falling: (offline share,
/// activity fall) as far as each holds.
fn silence(input: &RuleInput) -> Option<(Option<f64>, Option<f64>)> {
    let t = &input.settings.cross_source;
    let f = input.features;
    let crm_silent = f
        .days_since_last_activity
        .is_none_or(|days| days >= f64::from(t.silent_days));
    if !crm_silent {
        return None;
    }
    let offline = f
        .accounts
        .it
        .as_ref()
        .and_then(ItFeatures::offline_share)
        .filter(|share| *share >= t.silent_offline_share);
    let falling = f
        .accounts
        .productivity
        .as_ref()
        .and_then(ProductivityFeatures::activity_fall)
        .filter(|fall| *fall >= t.activity_fall_share);
    (offline.is_some() || falling.is_some()).then_some((offline, falling))
}

pub(crate) fn is_silent(input: &RuleInput) -> bool {
    silence(input).is_some()
}

pub(crate) fn silent_client(input: &RuleInput) -> Option<Finding> {
    let (offline, falling) = silence(input)?;
    let a = &input.features.accounts;
    let t = &input.settings.cross_source;
    let mut links = Vec::new();
    let mut facts = vec![match input.features.days_since_last_activity {
        Some(days) => evidence("days_since_crm_activity", days.floor(), "days"),
        None => evidence("crm_activities_recorded", 0.0, "count"),
    }];
    if let (Some(share_offline), Some(it)) = (offline, &a.it) {
        links.extend(it.links.iter().copied());
        facts.push(evidence("devices_offline_share", share_offline, "ratio"));
    }
    if let (Some(fall), Some(m365)) = (falling, &a.productivity) {
        links.extend(m365.links.iter().copied());
        facts.push(evidence("m365_activity_fall", fall, "ratio"));
    }
    facts.push(evidence_threshold(
        "silent_days",
        f64::from(t.silent_days),
        "days",
    ));
    let backing = crm_backing(input, links);
    let signals = 1 + u32::from(offline.is_some()) + u32::from(falling.is_some());
    let confidence = cross_source_confidence(
        f64::from(signals) / 3.0,
        0.5 * input
            .features
            .days_since_last_activity
            .map_or(0.25, |d| share(d, 2.0 * f64::from(t.silent_days)))
            + 0.25 * offline.unwrap_or(0.0)
            + 0.25 * falling.map_or(0.0, |fall| share(fall, 0.6)),
        &backing,
    );
    let name = input.name();
    let revenue = input.features.revenue.amount();
    let what: Vec<&str> = [
        offline.map(|_| "its devices are offline"),
        falling.map(|_| "its Microsoft 365 activity is falling"),
    ]
    .into_iter()
    .flatten()
    .collect();
    Some(Finding {
        rule: InsightRule::SilentClient,
        title: format!("{name} is going silent"),
        description: format!(
            "No activity with {name} in HubSpot for {} days or more, and {}.",
            t.silent_days,
            what.join(" and ")
        ),
        explanation: format!(
            "Several sources go quiet at once: no CRM activity for {} days, with {:.0}% or more of \
             the devices offline or Microsoft 365 activity down {:.0}% or more. A client winding \
             down or moving to another provider looks like this.",
            t.silent_days,
            100.0 * t.silent_offline_share,
            100.0 * t.activity_fall_share
        ),
        confidence,
        impact: impact(
            if signals >= 3 { Impact::High } else { Impact::Medium },
            revenue,
            input.ctx,
        ),
        revenue_at_stake: revenue,
        recommendations: vec![
            format!("Call {name}'s main contact this week: ask about staff changes, an office move or another provider."),
            "Check in NinjaOne whether the offline devices were decommissioned.".to_owned(),
            "Review the contract end date and prepare a retention offer.".to_owned(),
        ],
        evidence: facts,
        sources: backing.sources(),
    })
}

/// (c) Seats growing, payments healthy, no deal open: what healthy payments rest on.
fn expansion(input: &RuleInput, subs: &SubscriptionFeatures) -> Option<(f64, Vec<RecordMatch>)> {
    let f = input.features;
    let t = &input.settings.cross_source;
    let growth = subs.change_90d().filter(|g| *g >= t.seat_growth_share)?;
    let recently_paid = |at: chrono::DateTime<chrono::Utc>| {
        (input.now - at).num_seconds() as f64 / 86_400.0 <= LAST_PAYMENT_FULL_DAYS
    };
    let paying = f
        .payments
        .backing(|p| !p.is_payment_risk() && p.last_payment_at.is_some_and(recently_paid));
    let healthy_payments = !paying.is_empty() || f.deals.won_last_12_months > 0;
    let contradicted = f.payments.is_payment_risk()
        || is_seats_shrinking(subs, input.settings)
        || paid_seats_unused_holds(input)
        || support_load_rising_holds(input)
        || is_silent(input);
    (healthy_payments && f.deals.open == 0 && !contradicted).then_some((growth, paying))
}

pub(crate) fn expansion_signal(input: &RuleInput) -> Option<Finding> {
    let subs = input.features.accounts.subscriptions.as_ref()?;
    let (growth, paying) = expansion(input, subs)?;
    let f = input.features;
    let t = &input.settings.cross_source;
    let links: Vec<RecordMatch> = subs.links.iter().chain(&paying).copied().collect();
    let backing = crm_backing(input, links);
    let confidence = cross_source_confidence(
        if paying.is_empty() { 0.75 } else { 1.0 },
        0.5 * share(growth, 0.5) + 0.5 * share(f64::from(f.deals.won_last_12_months), 3.0),
        &backing,
    );
    let name = input.name();
    let payments = if paying.is_empty() {
        format!("{} deals won in 12 months", f.deals.won_last_12_months)
    } else {
        "payments on time in PayPal".to_owned()
    };
    Some(Finding {
        rule: InsightRule::ExpansionSignal,
        title: format!("{name} is growing: {:.0}% more seats in 90 days", 100.0 * growth),
        description: format!(
            "{name} went from {:.0} to {:.0} seats on Pax8 in 90 days, pays well ({payments}) and \
             has no open deal in HubSpot.",
            subs.seats_90d_ago, subs.seats
        ),
        explanation: format!(
            "A client adding seats ({:.0}% or more in 90 days) with healthy payments and nothing in \
             the pipeline is growing without anyone selling to it.",
            100.0 * t.seat_growth_share
        ),
        confidence,
        impact: impact(Impact::Medium, f.revenue.amount(), input.ctx),
        revenue_at_stake: None,
        recommendations: vec![
            format!("Open a deal for {name}: growth usually brings new needs (security, devices, onboarding)."),
            format!("Ask {name} about hiring plans for the next two quarters."),
            "Propose a plan sized for where the client is heading, not where it was.".to_owned(),
        ],
        evidence: vec![
            evidence("seats", subs.seats, "count"),
            evidence("seats_90d_ago", subs.seats_90d_ago, "count"),
            evidence("seat_growth_90d", growth, "ratio"),
            evidence("open_deals", f64::from(f.deals.open), "count"),
            evidence("won_deals_12_months", f64::from(f.deals.won_last_12_months), "count"),
            evidence_threshold("seat_growth_share", t.seat_growth_share, "ratio"),
        ],
        sources: backing.sources(),
    })
}
