//! The insight rules: what fires, how sure the engine is, what is at stake and what to do.

use crate::domain::{
    ConfidenceBand, Dimension, Evidence, HealthBand, HealthScore, Impact, Insight, InsightRule,
    InsightStatus, ScorePoint, ScoringSettings, SourceRef, TenantId,
};
use crate::scoring::accounts::{
    expansion_signal, is_silent, it_issues, paid_seats_unused, product_gap, seats_shrinking,
    silent_client, support_load_rising, unused_licences,
};
use crate::scoring::confidence::{
    backed_confidence, evidence, evidence_threshold, impact, insight_id, money, share, Backing,
};
use crate::scoring::health::{
    is_declining_engagement, is_inactive, is_low_engagement, is_strongly_engaged, peak_overall_30d,
    risk_factors,
};
use crate::scoring::payment_dimension::LAST_PAYMENT_FULL_DAYS;
use crate::scoring::payment_insights::{
    failed_subscription_payments, overdue_invoices, payment_dispute, payment_evidence,
};
use crate::scoring::{ClientFeatures, RevenueSource, TenantContext};
use chrono::{DateTime, Utc};

/// "Multiple risk factors" fires at this many of the five (six with a payments platform linked).
pub const MIN_RISK_FACTORS: u32 = 2;

/// Interactions that give full data support to a ratio-based finding.
const FULL_SUPPORT_INTERACTIONS: f64 = 12.0;
/// Engagement records that show the tenant logs its engagements thoroughly.
const FULL_SUPPORT_RECORDS: f64 = 10.0;
/// Won deals that make a revenue figure solid.
const FULL_SUPPORT_WON_DEALS: f64 = 3.0;
/// Healthy peers that make their median a solid yardstick.
const FULL_SUPPORT_PEERS: f64 = 10.0;

/// What a rule found, before it becomes an insight.
pub(crate) struct Finding {
    pub rule: InsightRule,
    pub title: String,
    pub description: String,
    pub explanation: String,
    pub confidence: u8,
    pub impact: Impact,
    pub revenue_at_stake: Option<f64>,
    pub recommendations: Vec<String>,
    pub evidence: Vec<Evidence>,
    pub sources: Vec<SourceRef>,
}

pub(crate) struct RuleInput<'a> {
    pub features: &'a ClientFeatures,
    pub score: &'a HealthScore,
    pub history: &'a [ScorePoint],
    pub ctx: &'a TenantContext,
    pub settings: &'a ScoringSettings,
    pub now: DateTime<Utc>,
}

impl RuleInput<'_> {
    pub fn name(&self) -> &str {
        &self.features.client_name
    }

    fn dimensions_with_data(&self) -> usize {
        self.score
            .dimensions
            .iter()
            .filter(|d| d.score.is_some())
            .count()
    }

    fn records_support(&self) -> f64 {
        share(
            f64::from(self.features.engagements_recorded),
            FULL_SUPPORT_RECORDS,
        )
    }
}

fn inactive_client(input: &RuleInput) -> Option<Finding> {
    let f = input.features;
    if !is_inactive(f, input.settings) {
        return None;
    }
    let threshold = input.settings.thresholds.inactive_days;
    let name = input.name();
    let signals = u32::from(f.engagements_recorded > 0) + u32::from(f.has_company_activity_dates);
    let days_support = f
        .days_since_last_activity
        .map_or(0.25, |d| share(d, 2.0 * f64::from(threshold)));
    // A linked payments platform agrees when its last payment is as old as the inactivity.
    let agreeing = f.payments.backing(|p| {
        p.last_payment_at
            .is_some_and(|at| (input.now - at).num_days() >= i64::from(threshold))
    });
    let backing = Backing::crm(f).with_linked(agreeing, false);
    let confidence = backed_confidence(
        f64::from(signals) / 2.0,
        0.6 * days_support + 0.4 * input.records_support(),
        &backing,
    );
    let revenue = f.revenue.amount();
    let (since, mut facts) = match f.days_since_last_activity {
        Some(days) => (
            format!("{} days", days.floor()),
            vec![evidence("days_since_last_activity", days.floor(), "days")],
        ),
        None => (
            "ever".to_owned(),
            vec![evidence("activities_recorded", 0.0, "count")],
        ),
    };
    facts.push(evidence_threshold(
        "inactive_days",
        f64::from(threshold),
        "days",
    ));
    let severity = match f.days_since_last_activity {
        Some(days) if days >= 3.0 * f64::from(threshold) => Impact::High,
        _ => Impact::Medium,
    };
    Some(Finding {
        rule: InsightRule::InactiveClient,
        title: format!("{name} has been inactive for {since}"),
        description: format!(
            "No email, call, meeting, note or task with {name} for {since}, and no activity date on \
             the company record is more recent."
        ),
        explanation: match f.days_since_last_activity {
            Some(days) => format!(
                "The last activity was {} days ago; clients count as inactive after {threshold} days \
                 without activity.",
                days.floor()
            ),
            None => format!(
                "No activity is recorded for this client at all; clients count as inactive after \
                 {threshold} days without activity."
            ),
        },
        confidence,
        impact: impact(severity, revenue, input.ctx),
        revenue_at_stake: revenue,
        recommendations: vec![
            format!("Call the main contact at {name} this week to reopen the conversation."),
            format!("Before the call, review {name}'s open deals and tickets so any unresolved issue is addressed first."),
            "Agree on a regular check-in (at least monthly) and log it in HubSpot so activity is tracked.".to_owned(),
        ],
        evidence: facts,
        sources: backing.sources(),
    })
}

fn high_value_low_engagement(input: &RuleInput) -> Option<Finding> {
    let f = input.features;
    let t = &input.settings.thresholds;
    let (revenue, source) = f.revenue.value()?;
    let interactions = f.interactions.total();
    if !(revenue > t.high_value_revenue && is_low_engagement(f, input.settings)) {
        return None;
    }
    let name = input.name();
    let window = f.window_days;
    let (revenue_signal, revenue_support) = match source {
        RevenueSource::ClosedWonDeals => (
            1.0,
            share(
                f64::from(f.revenue.won_deals_with_amount),
                FULL_SUPPORT_WON_DEALS,
            ),
        ),
        RevenueSource::ReportedRevenue => (0.5, 0.25),
    };
    let tracking_signal = if f.engagements_recorded > 0 { 1.0 } else { 0.0 };
    // A linked payments platform agrees when what it received in 12 months is high value too.
    let paid: f64 = f.payments.sum(|p| p.paid_last_12_months);
    let agreeing = if paid > t.high_value_revenue {
        f.payments.backing(|p| p.paid_last_12_months > 0.0)
    } else {
        Vec::new()
    };
    let backing = Backing::crm(f).with_linked(agreeing, false);
    let confidence = backed_confidence(
        (revenue_signal + tracking_signal) / 2.0,
        0.5 * revenue_support + 0.5 * input.records_support(),
        &backing,
    );
    Some(Finding {
        rule: InsightRule::HighValueLowEngagement,
        title: format!("High-value client {name} is barely engaged"),
        description: format!(
            "{name} brings {} in revenue but had only {interactions} emails, calls or meetings in the \
             last {window} days.",
            money(revenue)
        ),
        explanation: format!(
            "Revenue {} is over the {} threshold and {interactions} interactions in {window} days are \
             fewer than {}.",
            money(revenue),
            money(t.high_value_revenue),
            t.high_value_min_interactions
        ),
        confidence,
        impact: impact(Impact::Medium, Some(revenue), input.ctx),
        revenue_at_stake: Some(revenue),
        recommendations: vec![
            format!("Book a business review with {name} within two weeks to confirm the value they get."),
            format!("Name an account owner for {name} and plan at least one touchpoint a month."),
            format!("Send {name} a short summary of the results delivered this quarter."),
        ],
        evidence: vec![
            evidence("revenue", revenue, "usd"),
            evidence("interactions_in_window", f64::from(interactions), "count"),
            evidence("window_days", f64::from(window), "days"),
            evidence_threshold("high_value_revenue", t.high_value_revenue, "usd"),
            evidence_threshold(
                "high_value_min_interactions",
                f64::from(t.high_value_min_interactions),
                "count",
            ),
        ],
        sources: backing.sources(),
    })
}

fn declining_engagement(input: &RuleInput) -> Option<Finding> {
    let f = input.features;
    if !is_declining_engagement(f, input.settings) {
        return None;
    }
    let t = &input.settings.thresholds;
    let counts = &f.interactions;
    let ratio = counts.response_ratio()?;
    let total = counts.total();
    let name = input.name();
    let window = f.window_days;
    let directed = counts.outreach() + counts.responses();
    // Payments say nothing about how a client answers: the finding is the CRM's alone.
    let backing = Backing::crm(f);
    let confidence = backed_confidence(
        f64::from(directed) / f64::from(total.max(1)),
        share(f64::from(total), FULL_SUPPORT_INTERACTIONS),
        &backing,
    );
    let revenue = f.revenue.amount();
    let percent = (ratio * 100.0).floor();
    Some(Finding {
        rule: InsightRule::DecliningEngagement,
        title: format!("{name} is responding less"),
        description: format!(
            "Only {} responses to {} emails and calls sent to {name} in the last {window} days ({percent}%).",
            counts.responses(),
            counts.outreach()
        ),
        explanation: format!(
            "A response ratio of {percent}% is under {}% with {total} interactions, more than {}.",
            (t.low_response_ratio * 100.0).round(),
            t.low_response_min_interactions
        ),
        confidence,
        impact: impact(Impact::Medium, revenue, input.ctx),
        revenue_at_stake: revenue,
        recommendations: vec![
            format!("Switch channel with {name}: propose a call or a short meeting instead of another email."),
            format!(
                "Reach a second contact at {name}: {} of {} contacts interacted in {window} days.",
                f.engaged_contacts, f.total_contacts
            ),
            "Ask directly whether priorities or the decision maker have changed.".to_owned(),
        ],
        evidence: vec![
            evidence("response_ratio", ratio, "ratio"),
            evidence("responses", f64::from(counts.responses()), "count"),
            evidence("outreach", f64::from(counts.outreach()), "count"),
            evidence("interactions_in_window", f64::from(total), "count"),
            evidence_threshold("low_response_ratio", t.low_response_ratio, "ratio"),
        ],
        sources: backing.sources(),
    })
}

fn multiple_risk_factors(input: &RuleInput) -> Option<Finding> {
    let f = input.features;
    let score = input.score;
    let risks = risk_factors(f, score.overall, input.history, input.settings, input.now);
    let count = risks.count();
    if count < MIN_RISK_FACTORS {
        return None;
    }
    let name = input.name();
    let names = risks.names().join(", ");
    // The payments platform backs the payment risk; the finding needs it when the CRM's factors
    // alone are too few.
    let agreeing = if risks.payment_risk {
        f.payments.backing(|p| p.is_payment_risk())
    } else {
        Vec::new()
    };
    let mut agreeing = agreeing;
    if risks.seats_shrinking {
        agreeing.extend(
            f.accounts
                .subscriptions
                .iter()
                .flat_map(|s| s.links.iter().copied()),
        );
    }
    let backing = Backing::crm(f).with_linked(agreeing, risks.crm_count() < MIN_RISK_FACTORS);
    let confidence = backed_confidence(
        input.dimensions_with_data() as f64 / 4.0,
        0.5 * share(f64::from(count), 4.0) + 0.5 * input.records_support(),
        &backing,
    );
    let factors_known =
        match 5 + u32::from(!f.payments.is_empty()) + u32::from(f.accounts.subscriptions.is_some())
        {
            5 => "five",
            6 => "six",
            _ => "seven",
        };
    let revenue = f.revenue.amount();
    let severity = if count >= 4 {
        Impact::Critical
    } else {
        Impact::High
    };
    let mut recommendations = vec![format!(
        "Escalate {name} to the account owner and agree on a recovery plan this week."
    )];
    let mut evidence_list = vec![
        evidence("risk_factors", f64::from(count), "count"),
        evidence("overall", f64::from(score.overall), "points"),
        evidence("churn_risk", f64::from(score.churn_risk), "percent"),
    ];
    if risks.inactive {
        recommendations.push("Re-establish contact: no recent activity is on record.".to_owned());
        if let Some(days) = f.days_since_last_activity {
            evidence_list.push(evidence("days_since_last_activity", days.floor(), "days"));
        }
    }
    if risks.declining_engagement {
        recommendations.push("Replace email follow-ups with a call or meeting.".to_owned());
        if let Some(ratio) = f.interactions.response_ratio() {
            evidence_list.push(evidence("response_ratio", ratio, "ratio"));
        }
    }
    if risks.open_high_priority_ticket {
        let tickets = f.tickets.open_high_priority;
        recommendations.push(if tickets == 1 {
            "Resolve the open high-priority ticket before any commercial conversation.".to_owned()
        } else {
            format!("Resolve the {tickets} open high-priority tickets before any commercial conversation.")
        });
        evidence_list.push(evidence(
            "open_high_priority_tickets",
            f64::from(f.tickets.open_high_priority),
            "count",
        ));
    }
    if risks.low_overall {
        if let Some(weakest) = score
            .dimensions
            .iter()
            .filter_map(|d| d.score.map(|s| (s, d.dimension)))
            .min()
        {
            recommendations.push(format!(
                "Work on the weakest dimension first: {} at {}.",
                dimension_name(weakest.1),
                weakest.0
            ));
        }
    }
    if risks.payment_risk {
        recommendations.push(
            "Settle the payment issues (overdue invoices, disputes, failed payments) before any \
             commercial conversation."
                .to_owned(),
        );
        evidence_list.extend(payment_evidence(&f.payments));
    }
    if risks.seats_shrinking {
        recommendations.push(
            "Ask why seats were reduced or subscriptions cancelled on Pax8 before renewal."
                .to_owned(),
        );
        if let Some(subs) = &f.accounts.subscriptions {
            evidence_list.push(evidence("seats", subs.seats, "count"));
            evidence_list.push(evidence("seats_90d_ago", subs.seats_90d_ago, "count"));
        }
    }
    if risks.score_dropped {
        if let Some(peak) = peak_overall_30d(input.history, f, input.now) {
            recommendations.push(format!(
                "Find out what changed since the score was {peak} earlier this month."
            ));
            evidence_list.push(evidence("peak_overall_30d", f64::from(peak), "points"));
        }
    }
    Some(Finding {
        rule: InsightRule::MultipleRiskFactors,
        title: format!("{name} shows {count} churn risk factors"),
        description: format!("{name} combines several warning signs: {names}."),
        explanation: format!(
            "{count} of the {factors_known} risk factors hold ({names}); {MIN_RISK_FACTORS} or more \
             together signal a client at risk of leaving."
        ),
        confidence,
        impact: impact(severity, revenue, input.ctx),
        revenue_at_stake: revenue,
        recommendations,
        evidence: evidence_list,
        sources: backing.sources(),
    })
}

fn dimension_name(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::Crm => "CRM",
        Dimension::Payment => "payment",
        Dimension::Usage => "usage",
        Dimension::Support => "support",
    }
}

fn upsell_opportunity(input: &RuleInput) -> Option<Finding> {
    let f = input.features;
    let score = input.score;
    let t = &input.settings.thresholds;
    let median = input.ctx.healthy_median_revenue()?;
    let revenue = f.revenue.amount()?;
    let ratio = f.interactions.response_ratio()?;
    let interactions = f.interactions.total();
    let risks = risk_factors(f, score.overall, input.history, input.settings, input.now);
    let holds = score.overall >= t.upsell_min_overall
        && is_strongly_engaged(f, input.settings)
        && risks.count() < MIN_RISK_FACTORS
        && !risks.payment_risk
        && !risks.seats_shrinking
        && !is_silent(input)
        && f.deals.open == 0
        && revenue < median;
    if !holds {
        return None;
    }
    let name = input.name();
    let gap = median - revenue;
    // A linked payments platform agrees when the client pays, recently and without trouble.
    let agreeing = f.payments.backing(|p| {
        !p.is_payment_risk()
            && p.last_payment_at.is_some_and(|at| {
                (input.now - at).num_seconds() as f64 / 86_400.0 <= LAST_PAYMENT_FULL_DAYS
            })
    });
    let backing = Backing::crm(f).with_linked(agreeing, false);
    let confidence = backed_confidence(
        input.dimensions_with_data() as f64 / 4.0,
        0.5 * share(f64::from(f.interactions.total()), FULL_SUPPORT_INTERACTIONS)
            + 0.5 * share(input.ctx.healthy_peers() as f64, FULL_SUPPORT_PEERS),
        &backing,
    );
    let healthy = HealthBand::of(score.overall) == HealthBand::Healthy;
    Some(Finding {
        rule: InsightRule::UpsellOpportunity,
        title: format!("Upsell opportunity with {name}"),
        description: format!(
            "{name} is {} (overall {}) and engaged ({interactions} interactions in {} days, {:.0}% \
             answered), has no open deal, and brings {} against a {} median for healthy clients.",
            if healthy { "healthy" } else { "in good shape" },
            score.overall,
            f.window_days,
            ratio * 100.0,
            money(revenue),
            money(median)
        ),
        explanation: format!(
            "Overall {} is at least {}, {interactions} interactions are at least {} and a response \
             ratio of {:.0}% at least {:.0}%, no deal is open, and revenue is under the median of the \
             tenant's healthy clients.",
            score.overall,
            t.upsell_min_overall,
            t.high_value_min_interactions,
            ratio * 100.0,
            t.low_response_ratio * 100.0
        ),
        confidence,
        impact: impact(Impact::Low, Some(gap), input.ctx),
        revenue_at_stake: Some(gap),
        recommendations: vec![
            format!("Open a deal for {name} with an upgrade or an added service, sized to close part of the {} gap.", money(gap)),
            format!("Ask {name}'s most engaged contact about next quarter's needs."),
            "Time the offer right after a successful delivery or a good support experience.".to_owned(),
        ],
        evidence: vec![
            evidence("overall", f64::from(score.overall), "points"),
            evidence("interactions_in_window", f64::from(interactions), "count"),
            evidence("response_ratio", ratio, "ratio"),
            evidence("revenue", revenue, "usd"),
            evidence("healthy_median_revenue", median, "usd"),
            evidence("open_deals", f64::from(f.deals.open), "count"),
        ],
        sources: backing.sources(),
    })
}

/// Runs the sixteen rules for one client (the three payment rules find nothing without linked payer
/// records, the eight account rules nothing without linked accounts). Fresh insights are open, created and updated at `now`, at
/// version 0; `reconcile_insights` merges them with what is stored.
pub fn evaluate_insights(
    tenant: &TenantId,
    features: &ClientFeatures,
    score: &HealthScore,
    history: &[ScorePoint],
    ctx: &TenantContext,
    settings: &ScoringSettings,
    now: DateTime<Utc>,
) -> Vec<Insight> {
    let input = RuleInput {
        features,
        score,
        history,
        ctx,
        settings,
        now,
    };
    let rules: [fn(&RuleInput) -> Option<Finding>; 17] = [
        inactive_client,
        high_value_low_engagement,
        declining_engagement,
        multiple_risk_factors,
        upsell_opportunity,
        overdue_invoices,
        payment_dispute,
        failed_subscription_payments,
        it_issues,
        seats_shrinking,
        unused_licences,
        product_gap,
        paid_seats_unused,
        support_load_rising,
        expansion_signal,
        silent_client,
        super::forecast_rule::projected_at_risk_rule,
    ];
    rules
        .iter()
        .filter_map(|rule| rule(&input))
        .map(|finding| Insight {
            id: insight_id(tenant, &features.client_id, finding.rule),
            tenant_id: tenant.clone(),
            client_id: features.client_id.clone(),
            client_name: features.client_name.clone(),
            insight_type: finding.rule.insight_type(),
            rule: finding.rule,
            title: finding.title,
            description: finding.description,
            explanation: finding.explanation,
            confidence: finding.confidence,
            confidence_band: ConfidenceBand::of(finding.confidence),
            impact: finding.impact,
            // One amount, filed by what it is: a loss to prevent or an upside to win.
            revenue_at_stake: finding
                .revenue_at_stake
                .filter(|_| !finding.rule.insight_type().amount_is_upside()),
            revenue_upside: finding
                .revenue_at_stake
                .filter(|_| finding.rule.insight_type().amount_is_upside()),
            recommendations: finding.recommendations,
            evidence: finding.evidence,
            status: InsightStatus::Open,
            created_at: now,
            updated_at: now,
            status_changed_at: None,
            status_changed_by: None,
            status_reason: None,
            snoozed_until: None,
            version: 0,
            sources: finding.sources,
        })
        .collect()
}
