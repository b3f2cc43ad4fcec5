//! The payment dimension's factors: late and overdue invoices, refunds and disputes, silence, subscriptions.

use super::*;

#[test]
fn every_payment_factor_names_its_source_and_they_add_up() {
    let record = payer("P1")
        .invoice(100.0, 100, Some(101))
        .invoice(100.0, 70, Some(71))
        .invoice(100.0, 40, Some(41))
        .invoice(100.0, 10, Some(5))
        .paid(300.0, 5.0)
        .build();
    let (score, _) = run_one(healthy("a", 20_000.0).build(), record, 0.95);
    let payment = score.dimension(Dimension::Payment).unwrap();
    let sources: HashMap<&str, Platform> = payment
        .factors
        .iter()
        .map(|f| (f.name.as_str(), f.source))
        .collect();
    for name in [
        "revenue_value",
        "last_won_deal_recency",
        "won_vs_lost_12_months",
    ] {
        assert_eq!(sources.get(name), Some(&Platform::Hubspot), "{name}");
    }
    for name in [
        "invoices_paid_on_time",
        "overdue_amount",
        "oldest_overdue_invoice_days",
        "refunds_disputes_chargebacks",
        "days_since_last_payment",
        "failed_subscription_payments",
    ] {
        assert_eq!(sources.get(name), Some(&Platform::Paypal), "{name}");
    }
    assert_eq!(
        factor(&score, "invoices_paid_on_time").unwrap().value,
        Some(0.75)
    );
    assert_eq!(
        factor(&score, "days_since_last_payment").unwrap().value,
        Some(5.0)
    );
    let sum: f64 = payment.factors.iter().map(|f| f.points).sum();
    assert!(
        (sum - f64::from(payment.score.unwrap())).abs() <= 0.6,
        "{sum}"
    );
    // The scores of other dimensions' factors come from HubSpot.
    assert!(score
        .dimensions
        .iter()
        .filter(|d| d.dimension != Dimension::Payment)
        .flat_map(|d| &d.factors)
        .all(|f| f.source == Platform::Hubspot));
}

#[test]
fn invoices_paid_late_lower_the_payment_score() {
    let with_on_time = |late: i64| {
        let mut record = payer("P1");
        for i in 0..4 {
            let paid = if i < late { 5 } else { 20 };
            record = record.invoice(100.0, 10 + i, Some(paid + i));
        }
        payment_score(&run_one(healthy("a", 20_000.0).build(), record.build(), 0.95).0)
    };
    assert!(with_on_time(0) > with_on_time(2));
    assert!(with_on_time(2) > with_on_time(4));
}

#[test]
fn overdue_money_and_its_age_lower_the_payment_score() {
    let with = |owed: f64, due_days: i64| {
        let record = payer("P1")
            .paid(1_000.0, 5.0)
            .invoice(owed, due_days, None)
            .build();
        run_one(healthy("a", 20_000.0).build(), record, 0.95).0
    };
    let fresh = with(100.0, 2);
    let old = with(100.0, 60);
    let big = with(5_000.0, 2);
    assert_eq!(
        factor(&old, "oldest_overdue_invoice_days").unwrap().value,
        Some(60.0)
    );
    assert_eq!(factor(&big, "overdue_amount").unwrap().value, Some(5_000.0));
    assert!(payment_score(&old) < payment_score(&fresh));
    assert!(payment_score(&big) < payment_score(&fresh));
}

#[test]
fn refunds_disputes_and_chargebacks_in_the_window_lower_the_payment_score() {
    let base = || payer("P1").paid(1_000.0, 5.0);
    let score_of = |record: PayerRecord| {
        payment_score(&run_one(healthy("a", 20_000.0).build(), record, 0.95).0)
    };
    let clean = score_of(base().build());
    let refunded = score_of(base().refund(100.0, 10.0).build());
    let disputed = score_of(base().dispute(DisputeStage::Inquiry, "OPEN", 10.0).build());
    let charged_back = score_of(base().chargeback(100.0, 10.0).build());
    let refunded_long_ago = score_of(base().refund(100.0, 120.0).build());
    assert!(refunded < clean);
    assert!(disputed < refunded);
    assert!(charged_back < refunded);
    assert_eq!(
        refunded_long_ago, clean,
        "a refund outside the window does not count"
    );
}

#[test]
fn days_since_the_last_payment_score_full_until_45_and_nothing_at_180() {
    let points = |days: f64| {
        let (score, _) = run_one(
            healthy("a", 20_000.0).build(),
            payer("P1").paid(100.0, days).build(),
            0.95,
        );
        let f = factor(&score, "days_since_last_payment").unwrap();
        (f.value, f.points)
    };
    let (value, full) = points(45.0);
    assert_eq!(value, Some(45.0));
    let (_, later) = points(100.0);
    let (_, none) = points(180.0);
    assert!(full > later && later > 0.0, "{full} {later}");
    assert_eq!(none, 0.0);
}

#[test]
fn failed_suspended_and_cancelled_subscriptions_lower_the_payment_score() {
    let score_of = |status, failed, changed| {
        let record = payer("P1")
            .paid(100.0, 5.0)
            .subscription(status, failed, changed)
            .build();
        let (score, _) = run_one(healthy("a", 20_000.0).build(), record, 0.95);
        (
            payment_score(&score),
            factor(&score, "failed_subscription_payments").unwrap(),
        )
    };
    let (ok, ok_factor) = score_of(SubscriptionStatus::Active, 0, None);
    let (failing, failing_factor) = score_of(SubscriptionStatus::Active, 2, None);
    let (suspended, _) = score_of(SubscriptionStatus::Suspended, 3, Some(2.0));
    let (cancelled, _) = score_of(SubscriptionStatus::Cancelled, 0, Some(10.0));
    let (cancelled_long_ago, _) = score_of(SubscriptionStatus::Cancelled, 0, Some(300.0));
    assert_eq!(ok_factor.value, Some(0.0));
    assert_eq!(failing_factor.value, Some(2.0));
    assert!(
        failing < ok && suspended < failing,
        "{ok:?} {failing:?} {suspended:?}"
    );
    assert!(cancelled < ok);
    assert_eq!(cancelled_long_ago, ok);
}
