//! The rules a payments platform feeds: overdue invoices, a dispute or chargeback, failing
//! subscription payments. Each rests on the linked payer records alone, so its confidence carries
//! their match.

use crate::domain::{Evidence, Impact, InsightRule};
use crate::scoring::confidence::{
    backed_confidence, evidence, evidence_threshold, impact, money_in, share, Backing,
};
use crate::scoring::insights::{Finding, RuleInput};
use crate::scoring::payments::{PaymentFeatures, MANY_FAILED_PAYMENTS, OVERDUE_GRACE_DAYS};

/// Overdue invoices this old are clearly not a payment in transit.
const FULL_SUPPORT_OVERDUE_DAYS: f64 = 60.0;
/// An overdue invoice this old, or this many overdue invoices, make the finding's impact high.
const LONG_OVERDUE_DAYS: i64 = 60;
const MANY_OVERDUE_INVOICES: u32 = 3;

/// The figures that show a payment risk, for the "multiple risk factors" evidence.
pub(crate) fn payment_evidence(p: &PaymentFeatures) -> Vec<Evidence> {
    let mut list = Vec::new();
    let overdue: u32 = p.sum(|payer| payer.overdue_past_grace);
    if overdue > 0 {
        list.push(evidence("overdue_invoices", f64::from(overdue), "count"));
        list.push(evidence(
            "overdue_amount",
            p.sum(|payer| payer.overdue_amount),
            &currency_unit(p),
        ));
    }
    let disputes: u32 = p.sum(|payer| payer.disputes);
    let chargebacks: u32 = p.sum(|payer| payer.chargebacks);
    if disputes + chargebacks > 0 {
        list.push(evidence("disputes", f64::from(disputes), "count"));
        list.push(evidence("chargebacks", f64::from(chargebacks), "count"));
    }
    let failed: u32 = p.sum(|payer| payer.failed_subscription_payments);
    let suspended: u32 = p.sum(|payer| payer.subscriptions_suspended);
    let cancelled: u32 = p.sum(|payer| payer.subscriptions_cancelled);
    if failed + suspended + cancelled > 0 {
        list.push(evidence(
            "failed_subscription_payments",
            f64::from(failed),
            "count",
        ));
        list.push(evidence(
            "subscriptions_suspended",
            f64::from(suspended),
            "count",
        ));
        list.push(evidence(
            "subscriptions_cancelled",
            f64::from(cancelled),
            "count",
        ));
    }
    list
}

fn currency_unit(p: &PaymentFeatures) -> String {
    p.overdue_currency()
        .map_or_else(|| "amount".to_owned(), str::to_ascii_lowercase)
}

pub(crate) fn overdue_invoices(input: &RuleInput) -> Option<Finding> {
    let p = &input.features.payments;
    let backing = p.backing(|payer| payer.has_overdue_invoices());
    if backing.is_empty() {
        return None;
    }
    let backing = Backing::linked_only(backing);
    let name = input.name();
    let count: u32 = p.sum(|payer| payer.overdue_past_grace);
    let owed: f64 = p.sum(|payer| payer.overdue_amount);
    let oldest = p.oldest_overdue_days();
    let currency = p.overdue_currency();
    let history_known = p.on_time_share().is_some();
    let confidence = backed_confidence(
        (1.0 + f64::from(u8::from(history_known))) / 2.0,
        0.5 * share(oldest as f64, FULL_SUPPORT_OVERDUE_DAYS)
            + 0.5 * share(f64::from(count), f64::from(MANY_OVERDUE_INVOICES)),
        &backing,
    );
    let severity = if oldest >= LONG_OVERDUE_DAYS || count >= MANY_OVERDUE_INVOICES {
        Impact::High
    } else {
        Impact::Medium
    };
    let owed_text = money_in(owed, currency);
    let invoices = if count == 1 { "invoice" } else { "invoices" };
    let mut evidence_list = vec![
        evidence("overdue_invoices", f64::from(count), "count"),
        evidence("overdue_amount", owed, &currency_unit(p)),
        evidence("oldest_overdue_days", oldest as f64, "days"),
    ];
    if let Some(on_time) = p.on_time_share() {
        evidence_list.push(evidence("invoices_paid_on_time", on_time, "ratio"));
    }
    evidence_list.push(evidence_threshold(
        "overdue_grace_days",
        OVERDUE_GRACE_DAYS as f64,
        "days",
    ));
    Some(Finding {
        rule: InsightRule::OverdueInvoices,
        title: format!("{name} has {count} overdue {invoices} ({owed_text})"),
        description: format!(
            "{name} owes {owed_text} on {count} {invoices} past their due date; the oldest is \
             {oldest} days overdue."
        ),
        explanation: format!(
            "{count} {invoices} with money still due are {OVERDUE_GRACE_DAYS} or more days past \
             their due date (the oldest {oldest} days)."
        ),
        confidence,
        impact: impact(severity, Some(owed), input.ctx),
        revenue_at_stake: Some(owed),
        recommendations: vec![
            format!(
                "Send {name} a reminder for the {count} overdue {invoices} ({owed_text}) and ask \
                 when payment is planned."
            ),
            format!(
                "If nothing is paid within a week, call {name}'s billing contact and offer a \
                 payment plan."
            ),
            format!("Hold new work or deals for {name} until the overdue balance is settled."),
        ],
        evidence: evidence_list,
        sources: backing.sources(),
    })
}

pub(crate) fn payment_dispute(input: &RuleInput) -> Option<Finding> {
    let p = &input.features.payments;
    let backing = p.backing(|payer| payer.has_dispute());
    if backing.is_empty() {
        return None;
    }
    let backing = Backing::linked_only(backing);
    let name = input.name();
    let disputes: u32 = p.sum(|payer| payer.disputes);
    let chargebacks: u32 = p.sum(|payer| payer.chargebacks);
    let disputed: f64 = p.sum(|payer| payer.disputed_amount);
    let window = input.features.window_days;
    let what = if chargebacks > 0 {
        "a chargeback"
    } else {
        "a payment dispute"
    };
    let confidence = backed_confidence(
        1.0,
        share(f64::from(disputes.max(chargebacks)), 2.0),
        &backing,
    );
    let mut evidence_list = vec![
        evidence("disputes", f64::from(disputes), "count"),
        evidence("chargebacks", f64::from(chargebacks), "count"),
        evidence("window_days", f64::from(window), "days"),
    ];
    if disputed > 0.0 {
        evidence_list.push(evidence("disputed_amount", disputed, "amount"));
    }
    Some(Finding {
        rule: InsightRule::PaymentDispute,
        title: format!("{name} opened {what}"),
        description: format!(
            "{name} has {disputes} open or recent disputes and {chargebacks} chargebacks in the \
             last {window} days."
        ),
        explanation: format!(
            "A client who disputes a payment or charges it back is contesting what they were billed \
             for: {disputes} disputes and {chargebacks} chargebacks are open or were opened in the \
             last {window} days."
        ),
        confidence,
        // A client contesting its payments is the most urgent payment signal, whatever the amount.
        impact: Impact::Critical,
        revenue_at_stake: (disputed > 0.0).then_some(disputed),
        recommendations: vec![
            "Answer the dispute in PayPal's Resolution Center before its deadline, with the invoice \
             and proof of delivery."
                .to_owned(),
            format!("Call {name}'s main contact today to understand the complaint."),
            format!("Review {name}'s recent deliveries and tickets to find what went wrong."),
        ],
        evidence: evidence_list,
        sources: backing.sources(),
    })
}

pub(crate) fn failed_subscription_payments(input: &RuleInput) -> Option<Finding> {
    let p = &input.features.payments;
    let backing = p.backing(|payer| payer.has_failing_subscription());
    if backing.is_empty() {
        return None;
    }
    let backing = Backing::linked_only(backing);
    let name = input.name();
    let failed: u32 = p.sum(|payer| payer.failed_subscription_payments);
    let suspended: u32 = p.sum(|payer| payer.subscriptions_suspended);
    let subscriptions: u32 = p.sum(|payer| payer.subscriptions);
    let paid: f64 = p.sum(|payer| payer.paid_last_12_months);
    let confidence = backed_confidence(
        1.0,
        share(
            f64::from(failed + 2 * suspended),
            f64::from(MANY_FAILED_PAYMENTS),
        ),
        &backing,
    );
    let severity = if suspended > 0 || failed >= MANY_FAILED_PAYMENTS {
        Impact::High
    } else {
        Impact::Medium
    };
    let title = if suspended > 0 {
        format!("{name}'s subscription is suspended")
    } else {
        format!("{name}'s subscription payments are failing")
    };
    Some(Finding {
        rule: InsightRule::FailedSubscriptionPayments,
        title,
        description: format!(
            "{failed} subscription payments from {name} failed and {suspended} of {subscriptions} \
             subscriptions are suspended."
        ),
        explanation: format!(
            "{failed} failed payments are outstanding and {suspended} subscriptions suspended: the \
             client's recurring payments are not coming in."
        ),
        confidence,
        impact: impact(severity, (paid > 0.0).then_some(paid), input.ctx),
        revenue_at_stake: (paid > 0.0).then_some(paid),
        recommendations: vec![
            format!("Ask {name} to update the payment method of their subscription."),
            "Check the failure reason in PayPal and retry the payment once it is fixed.".to_owned(),
            if suspended > 0 {
                format!("Agree with {name} on reactivating the suspended subscription before the service lapses.")
            } else {
                format!("Confirm with {name} that the subscription is still wanted.")
            },
        ],
        evidence: vec![
            evidence("failed_subscription_payments", f64::from(failed), "count"),
            evidence("subscriptions_suspended", f64::from(suspended), "count"),
            evidence("subscriptions", f64::from(subscriptions), "count"),
        ],
        sources: backing.sources(),
    })
}
