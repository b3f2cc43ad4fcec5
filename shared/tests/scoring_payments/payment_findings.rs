//! The payment findings: overdue invoices, disputes and chargebacks, failed subscription payments.

use super::*;

#[test]
fn overdue_invoices_fire_at_the_grace_period_not_before() {
    assert_eq!(OVERDUE_GRACE_DAYS, 7);
    let at = |days| payer("P1").invoice(800.0, days, None).build();
    assert!(!fires(
        healthy("a", 20_000.0).build(),
        at(6),
        InsightRule::OverdueInvoices
    ));
    assert!(fires(
        healthy("a", 20_000.0).build(),
        at(7),
        InsightRule::OverdueInvoices
    ));
    // A paid invoice, however late, is not overdue.
    let paid = payer("P1").invoice(800.0, 60, Some(3)).build();
    assert!(!fires(
        healthy("a", 20_000.0).build(),
        paid,
        InsightRule::OverdueInvoices
    ));
}

#[test]
fn the_overdue_insight_shows_amount_age_and_what_to_do() {
    let record = payer("P1")
        .invoice(800.0, 20, None)
        .invoice(400.0, 65, None)
        .invoice(100.0, 3, None)
        .build();
    let (_, insights) = run_one(healthy("a", 20_000.0).build(), record, 0.95);
    let found = find(&insights, InsightRule::OverdueInvoices).expect("overdue fires");
    assert_eq!(found.insight_type, InsightType::PaymentRisk);
    assert_eq!(evidence(found, "overdue_invoices"), Some(2.0));
    assert_eq!(evidence(found, "overdue_amount"), Some(1_300.0));
    assert_eq!(evidence(found, "oldest_overdue_days"), Some(65.0));
    assert_eq!(found.revenue_at_stake, Some(1_300.0));
    assert_eq!(found.recommendations.len(), 3);
    assert!(
        found.title.contains("2 overdue invoices"),
        "{}",
        found.title
    );
    // 65 days overdue is high severity; $1,300 ranks at the bottom of the tenant's revenue, which
    // neither raises nor lowers it.
    assert_eq!(found.impact, Impact::High);
    assert_eq!(
        found.sources,
        vec![SourceRef {
            platform: Platform::Paypal,
            matched_by: Some(MatchMethod::EmailDomain),
            match_confidence: Some(0.95),
        }]
    );
}

// --- disputes and chargebacks ------------------------------------------------------------------

#[test]
fn a_dispute_opened_in_the_window_or_still_open_is_critical() {
    let with = |status: &str, days: f64| {
        payer("P1")
            .dispute(DisputeStage::Inquiry, status, days)
            .build()
    };
    let (_, insights) = run_one(healthy("a", 20_000.0).build(), with("OPEN", 89.0), 0.95);
    let found = find(&insights, InsightRule::PaymentDispute).expect("a recent dispute fires");
    assert_eq!(found.impact, Impact::Critical);
    assert_eq!(evidence(found, "disputes"), Some(1.0));
    assert!(fires(
        healthy("a", 20_000.0).build(),
        with("WAITING_FOR_SELLER_RESPONSE", 150.0),
        InsightRule::PaymentDispute
    ));
    assert!(!fires(
        healthy("a", 20_000.0).build(),
        with("RESOLVED", 91.0),
        InsightRule::PaymentDispute
    ));
    assert!(fires(
        healthy("a", 20_000.0).build(),
        with("RESOLVED", 89.0),
        InsightRule::PaymentDispute
    ));
}

#[test]
fn a_chargeback_is_named_as_such() {
    let record = payer("P1").paid(500.0, 20.0).chargeback(500.0, 4.0).build();
    let (_, insights) = run_one(client("a").build(), record, 0.95);
    let found = find(&insights, InsightRule::PaymentDispute).expect("a chargeback fires");
    assert!(found.title.contains("chargeback"), "{}", found.title);
    assert_eq!(evidence(found, "chargebacks"), Some(1.0));
    // Critical even without any revenue figure to rank.
    assert_eq!(found.impact, Impact::Critical);
    let old = payer("P1").chargeback(500.0, 95.0).build();
    assert!(!fires(
        client("a").build(),
        old,
        InsightRule::PaymentDispute
    ));
}

// --- failed subscription payments --------------------------------------------------------------

#[test]
fn failed_subscription_payments_fire_from_one_failure_and_when_suspended() {
    let with = |status, failed| payer("P1").subscription(status, failed, Some(2.0)).build();
    assert!(!fires(
        healthy("a", 1.0).build(),
        with(SubscriptionStatus::Active, 0),
        InsightRule::FailedSubscriptionPayments
    ));
    assert!(fires(
        healthy("a", 1.0).build(),
        with(SubscriptionStatus::Active, 1),
        InsightRule::FailedSubscriptionPayments
    ));
    // Failures of a subscription that expired no longer count.
    assert!(!fires(
        healthy("a", 1.0).build(),
        with(SubscriptionStatus::Expired, 2),
        InsightRule::FailedSubscriptionPayments
    ));
    let (_, insights) = run_one(
        healthy("a", 1.0).build(),
        with(SubscriptionStatus::Suspended, 0),
        0.95,
    );
    let found = find(&insights, InsightRule::FailedSubscriptionPayments).expect("suspended fires");
    assert!(found.title.contains("suspended"), "{}", found.title);
    assert_eq!(evidence(found, "subscriptions_suspended"), Some(1.0));
    // A cancelled subscription is a payment risk, not a failed payment.
    assert!(!fires(
        healthy("a", 1.0).build(),
        with(SubscriptionStatus::Cancelled, 0),
        InsightRule::FailedSubscriptionPayments
    ));
}

#[test]
fn denied_subscription_payments_in_the_window_count_as_failures() {
    use shared::domain::{PaymentKind, PaymentStatus};
    let record = payer("P1")
        .transaction(
            PaymentKind::SubscriptionPayment,
            PaymentStatus::Denied,
            50.0,
            3.0,
        )
        .transaction(
            PaymentKind::SubscriptionPayment,
            PaymentStatus::Denied,
            50.0,
            33.0,
        )
        .build();
    let (_, insights) = run_one(healthy("a", 1.0).build(), record, 0.95);
    let found =
        find(&insights, InsightRule::FailedSubscriptionPayments).expect("denied payments fire");
    assert_eq!(evidence(found, "failed_subscription_payments"), Some(2.0));
}
