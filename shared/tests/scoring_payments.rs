//! Scoring with a payments platform linked: each payment factor and insight on both sides of its
//! threshold, confidence from agreeing sources and match confidence, sources on every score and
//! insight, and properties: a CRM-only client scores exactly as before, an agreeing linked record
//! never lowers an insight's confidence, exclusive insights never open together.

mod scoring_support;

use proptest::prelude::*;
use scoring_support::payers::{correlation, link, linked, payer, PayerBuilder};
use scoring_support::{client, now, settings, tenant, SnapshotBuilder};
use shared::domain::{
    ClientId, ClientSnapshot, ConfidenceBand, CorrelationStatus, Dimension, DisputeStage,
    HealthScore, Impact, Insight, InsightRule, InsightStatus, InsightType, MatchMethod,
    PayerRecord, Platform, SourceRef, SubscriptionStatus, TicketPriority,
};
use shared::scoring::{
    backed_confidence, confidence, link_records, score_linked_tenant, score_tenant, Backing,
    LinkedRecords, TenantScores, EXCLUSIVE_RULES, OVERDUE_GRACE_DAYS,
};
use std::collections::HashMap;

fn run_linked(snapshots: &[ClientSnapshot], links: Vec<(ClientId, LinkedRecords)>) -> TenantScores {
    score_linked_tenant(
        &tenant(),
        snapshots,
        &links.into_iter().collect(),
        &HashMap::new(),
        &settings(),
        now(),
    )
}

/// Scores one client linked to one payer matched at `confidence`.
fn run_one(
    snapshot: ClientSnapshot,
    record: PayerRecord,
    confidence: f64,
) -> (HealthScore, Vec<Insight>) {
    let id = snapshot.client_id.to_string();
    let mut result = run_linked(&[snapshot], vec![linked(&id, record, confidence)]);
    (result.scores.remove(0), result.insights)
}

fn find(insights: &[Insight], rule: InsightRule) -> Option<&Insight> {
    insights.iter().find(|i| i.rule == rule)
}

fn fires(snapshot: ClientSnapshot, record: PayerRecord, rule: InsightRule) -> bool {
    find(&run_one(snapshot, record, 0.95).1, rule).is_some()
}

fn evidence(insight: &Insight, name: &str) -> Option<f64> {
    insight
        .evidence
        .iter()
        .find(|e| e.name == name)
        .map(|e| e.value)
}

fn factor(score: &HealthScore, name: &str) -> Option<shared::domain::Factor> {
    score
        .dimension(Dimension::Payment)
        .and_then(|d| d.factors.iter().find(|f| f.name == name).cloned())
}

fn payment_score(score: &HealthScore) -> Option<u8> {
    score.dimension(Dimension::Payment).and_then(|d| d.score)
}

/// An engaged, paying customer in HubSpot.
fn healthy(id: &str, revenue: f64) -> SnapshotBuilder {
    client(id)
        .contacts(1)
        .sent_emails(10)
        .received_emails(10)
        .won_deal(Some(revenue), 30.0)
}

/// A payer whose every payment figure is bad: invoices paid late (long ago), one 100 days overdue,
/// a suspended subscription with failed payments, a chargeback opened this month.
fn troubled(id: &str) -> PayerBuilder {
    payer(id)
        .invoice(400.0, 210, Some(200))
        .invoice(1_200.0, 100, None)
        .subscription(SubscriptionStatus::Suspended, 2, Some(5.0))
        .dispute(DisputeStage::Chargeback, "OPEN", 10.0)
}

/// A payer in good standing: invoices paid on time, a payment this week, an active subscription.
fn in_good_standing(id: &str) -> PayerBuilder {
    payer(id)
        .invoice(12_000.0, 40, Some(41))
        .invoice(12_000.0, 10, Some(11))
        .paid(12_000.0, 5.0)
        .subscription(SubscriptionStatus::Active, 0, Some(200.0))
}

// --- a client without linked records -------------------------------------------------------------

#[test]
fn a_client_without_linked_records_scores_exactly_as_before() {
    let snapshots = vec![
        healthy("p1", 50_000.0).build(),
        healthy("p2", 60_000.0)
            .ticket(true, Some(TicketPriority::High), 3.0, None)
            .build(),
        client("x").sent_emails(8).build(),
        client("y").last_contacted(45.0).build(),
    ];
    let before = score_tenant(&tenant(), &snapshots, &HashMap::new(), &settings(), now());
    assert_eq!(run_linked(&snapshots, Vec::new()), before);
    // Linking a record to another client leaves these ones exactly as they were.
    let mut with_other = snapshots.clone();
    with_other.push(client("linked").build());
    let after = run_linked(
        &with_other,
        vec![linked("linked", troubled("P1").build(), 0.95)],
    );
    for score in &before.scores {
        assert!(after.scores.contains(score), "{} changed", score.client_id);
    }
    for insight in &before.insights {
        assert!(after.insights.contains(insight), "{} changed", insight.id);
    }
    assert!(before
        .scores
        .iter()
        .all(|s| s.sources == vec![SourceRef::crm()]));
    assert!(before
        .insights
        .iter()
        .all(|i| i.sources == vec![SourceRef::crm()]));
}

#[test]
fn a_linked_record_holding_nothing_changes_no_figure() {
    let snapshot = healthy("a", 20_000.0).build();
    let (alone, insights_alone) = {
        let mut r = score_tenant(
            &tenant(),
            std::slice::from_ref(&snapshot),
            &HashMap::new(),
            &settings(),
            now(),
        );
        (r.scores.remove(0), r.insights)
    };
    let (with, insights_with) = run_one(snapshot, payer("P1").build(), 0.95);
    assert_eq!(with.overall, alone.overall);
    assert_eq!(payment_score(&with), payment_score(&alone));
    assert_eq!(insights_with.len(), insights_alone.len());
    assert_eq!(with.sources.len(), 2, "the link is still shown");
}

// --- payment factors ---------------------------------------------------------------------------

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

// --- overdue invoices ----------------------------------------------------------------------------

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

// --- payment risk among the multiple risk factors ------------------------------------------------

#[test]
fn payment_risk_is_one_of_the_multiple_risk_factors() {
    // Declining engagement alone is one factor; the overdue invoice makes it two.
    let snapshot = || {
        client("a")
            .contacts(1)
            .sent_emails(10)
            .received_emails(2)
            .won_deal(Some(50_000.0), 30.0)
            .build()
    };
    let overdue = || {
        payer("P1")
            .paid(1_000.0, 20.0)
            .invoice(900.0, 30, None)
            .build()
    };
    let alone = score_tenant(
        &tenant(),
        &[snapshot()],
        &HashMap::new(),
        &settings(),
        now(),
    );
    assert!(find(&alone.insights, InsightRule::MultipleRiskFactors).is_none());
    let (_, insights) = run_one(snapshot(), overdue(), 0.95);
    let found = find(&insights, InsightRule::MultipleRiskFactors).expect("two factors fire");
    assert_eq!(evidence(found, "risk_factors"), Some(2.0));
    assert_eq!(evidence(found, "overdue_invoices"), Some(1.0));
    assert!(
        found.explanation.contains("of the six risk factors"),
        "{}",
        found.explanation
    );
    assert!(
        found.description.contains("payment risk"),
        "{}",
        found.description
    );
    assert!(found
        .recommendations
        .iter()
        .any(|r| r.contains("payment issues")));
    let platforms: Vec<Platform> = found.sources.iter().map(|s| s.platform).collect();
    assert_eq!(platforms, vec![Platform::Hubspot, Platform::Paypal]);
    // The finding needs the match: it is only as sure as the match.
    let (_, weak) = run_one(snapshot(), overdue(), 0.65);
    let weak = find(&weak, InsightRule::MultipleRiskFactors).unwrap();
    assert!(weak.confidence < found.confidence);
}

#[test]
fn payment_trouble_raises_churn_risk() {
    let snapshot = healthy("a", 20_000.0).build();
    let alone = score_tenant(
        &tenant(),
        std::slice::from_ref(&snapshot),
        &HashMap::new(),
        &settings(),
        now(),
    );
    let (troubled_score, _) = run_one(snapshot.clone(), troubled("P1").build(), 0.95);
    let (good_score, _) = run_one(snapshot, in_good_standing("P1").build(), 0.95);
    assert!(troubled_score.churn_risk > alone.scores[0].churn_risk);
    assert!(good_score.churn_risk <= alone.scores[0].churn_risk);
    assert!(troubled_score.overall < good_score.overall);
}

// --- upsell stays exclusive ----------------------------------------------------------------------

fn upsell_tenant(candidate_payer: PayerRecord) -> TenantScores {
    run_linked(
        &[
            healthy("p1", 50_000.0).build(),
            healthy("p2", 60_000.0).build(),
            healthy("p3", 70_000.0).build(),
            healthy("cand", 20_000.0).build(),
        ],
        vec![linked("cand", candidate_payer, 0.95)],
    )
}

#[test]
fn no_upsell_for_a_client_with_payment_trouble() {
    let rules_of = |result: &TenantScores| -> Vec<InsightRule> {
        result
            .insights
            .iter()
            .filter(|i| i.client_id.as_str() == "cand")
            .map(|i| i.rule)
            .collect()
    };
    let good = upsell_tenant(in_good_standing("P1").build());
    let upsell = good
        .insights
        .iter()
        .find(|i| i.client_id.as_str() == "cand" && i.rule == InsightRule::UpsellOpportunity)
        .expect("upsell still fires");
    assert!(
        upsell
            .sources
            .iter()
            .any(|s| s.platform == Platform::Paypal),
        "payments agree"
    );
    for record in [
        payer("P1")
            .paid(100.0, 5.0)
            .invoice(500.0, 10, None)
            .build(),
        payer("P1")
            .paid(100.0, 5.0)
            .dispute(DisputeStage::Inquiry, "OPEN", 5.0)
            .build(),
        payer("P1")
            .paid(100.0, 5.0)
            .subscription(SubscriptionStatus::Active, 1, None)
            .build(),
    ] {
        let rules = rules_of(&upsell_tenant(record));
        assert!(
            !rules.contains(&InsightRule::UpsellOpportunity),
            "{rules:?}"
        );
    }
}

// --- confidence ------------------------------------------------------------------------------------

#[test]
fn a_payment_finding_is_only_as_sure_as_its_match() {
    let record = || {
        payer("P1")
            .invoice(100.0, 120, Some(119))
            .invoice(300.0, 60, None)
            .invoice(300.0, 40, None)
            .invoice(300.0, 20, None)
            .build()
    };
    let at = |confidence| {
        let (_, insights) = run_one(client("a").build(), record(), confidence);
        find(&insights, InsightRule::OverdueInvoices)
            .unwrap()
            .confidence
    };
    // One source keeps today's ceiling.
    assert_eq!(at(1.0), 90);
    assert!(at(0.93) < at(1.0));
    assert!(at(0.65) < at(0.93));
    assert_eq!(ConfidenceBand::of(at(0.65)), ConfidenceBand::Lower);
}

/// A client HubSpot shows inactive, at low overall, with an urgent ticket, and 10 notes on record.
fn at_risk_in_hubspot() -> ClientSnapshot {
    let mut builder = client("a").contacts(2).last_contacted(40.0);
    for day in 0..10 {
        builder = builder.note(40.0 + f64::from(day));
    }
    builder
        .ticket(true, Some(TicketPriority::Urgent), 5.0, None)
        .build()
}

#[test]
fn two_agreeing_sources_reach_100_and_a_weak_match_less() {
    let alone = score_tenant(
        &tenant(),
        &[at_risk_in_hubspot()],
        &HashMap::new(),
        &settings(),
        now(),
    );
    let before = find(&alone.insights, InsightRule::MultipleRiskFactors)
        .expect("HubSpot alone fires")
        .confidence;
    assert!(before <= 90);
    let confidence_at = |match_confidence| {
        let (_, insights) = run_one(
            at_risk_in_hubspot(),
            troubled("P1").build(),
            match_confidence,
        );
        let found = find(&insights, InsightRule::MultipleRiskFactors)
            .unwrap()
            .clone();
        assert_eq!(evidence(&found, "risk_factors"), Some(4.0));
        found
    };
    let strong = confidence_at(1.0);
    assert_eq!(strong.confidence, 100);
    assert_eq!(strong.sources[1].matched_by, Some(MatchMethod::EmailDomain));
    let weak = confidence_at(0.65);
    assert!(
        weak.confidence < 100 && weak.confidence > before,
        "{} vs {before}",
        weak.confidence
    );
}

#[test]
fn payments_that_stopped_too_back_an_inactive_client() {
    let mut builder = client("a").last_contacted(70.0);
    for day in 0..20 {
        builder = builder.note(70.0 + f64::from(day));
    }
    let snapshot = builder.build();
    let (_, stopped) = run_one(snapshot.clone(), payer("P1").paid(100.0, 75.0).build(), 1.0);
    let (_, paying) = run_one(snapshot, payer("P1").paid(100.0, 3.0).build(), 1.0);
    let stopped = find(&stopped, InsightRule::InactiveClient).unwrap();
    let paying = find(&paying, InsightRule::InactiveClient).unwrap();
    assert_eq!(
        paying.confidence, 90,
        "a paying client does not back inactivity"
    );
    assert_eq!(paying.sources, vec![SourceRef::crm()]);
    assert_eq!(stopped.confidence, 100);
}

#[test]
fn backed_confidence_without_links_is_todays_confidence() {
    for sources in 1..4 {
        let backing = Backing {
            crm_sources: sources,
            crm_platforms: vec![Platform::Hubspot],
            ..Backing::default()
        };
        for (coverage, support) in [(0.0, 0.0), (0.5, 0.7), (1.0, 1.0)] {
            assert_eq!(
                backed_confidence(coverage, support, &backing),
                confidence(coverage, support, sources)
            );
        }
    }
    let linked_only = Backing::linked_only(vec![link(MatchMethod::ExplicitId, 1.0)]);
    assert_eq!(backed_confidence(1.0, 1.0, &linked_only), 90);
    // A second record of the same platform makes the match surer, not the agreement wider.
    let two = Backing::linked_only(vec![
        link(MatchMethod::EmailDomain, 0.7),
        link(MatchMethod::NormalisedName, 0.6),
    ]);
    let one = Backing::linked_only(vec![link(MatchMethod::EmailDomain, 0.7)]);
    assert!(backed_confidence(1.0, 1.0, &two) > backed_confidence(1.0, 1.0, &one));
    assert!(backed_confidence(1.0, 1.0, &two) <= 90);
}

// --- sources -------------------------------------------------------------------------------------

#[test]
fn a_score_names_hubspot_and_each_linked_record_with_its_match() {
    let (score, _) = run_one(
        healthy("a", 20_000.0).build(),
        in_good_standing("P1").build(),
        0.93,
    );
    assert_eq!(
        score.sources,
        vec![
            SourceRef::crm(),
            SourceRef {
                platform: Platform::Paypal,
                matched_by: Some(MatchMethod::EmailDomain),
                match_confidence: Some(0.93),
            },
        ]
    );
    let json = serde_json::to_value(&score).unwrap();
    assert_eq!(json["sources"][1]["matched_by"], "email_domain");
    assert_eq!(json["dimensions"][1]["factors"][0]["source"], "hubspot");
}

#[test]
fn scores_and_insights_stored_before_sources_read_as_hubspot() {
    let (score, insights) = run_one(healthy("a", 20_000.0).build(), troubled("P1").build(), 0.93);
    let strip = |mut value: serde_json::Value| {
        let object = value.as_object_mut().unwrap();
        object.remove("sources");
        for dimension in object
            .get_mut("dimensions")
            .and_then(|d| d.as_array_mut())
            .into_iter()
            .flatten()
        {
            for factor in dimension["factors"].as_array_mut().unwrap() {
                factor.as_object_mut().unwrap().remove("source");
            }
        }
        value
    };
    let old_score: HealthScore =
        serde_json::from_value(strip(serde_json::to_value(&score).unwrap())).unwrap();
    assert_eq!(old_score.sources, vec![SourceRef::crm()]);
    assert!(old_score
        .dimensions
        .iter()
        .flat_map(|d| &d.factors)
        .all(|f| f.source == Platform::Hubspot));
    let old_insight: Insight =
        serde_json::from_value(strip(serde_json::to_value(&insights[0]).unwrap())).unwrap();
    assert_eq!(old_insight.sources, vec![SourceRef::crm()]);
    let rule: InsightRule = serde_json::from_str("\"payment_dispute\"").unwrap();
    assert_eq!(rule, InsightRule::PaymentDispute);
    assert_eq!(
        serde_json::to_string(&InsightType::PaymentRisk).unwrap(),
        "\"payment_risk\""
    );
}

// --- linking -------------------------------------------------------------------------------------

#[test]
fn only_auto_and_confirmed_correlations_link_records() {
    let payers = vec![
        payer("AUTO").build(),
        payer("CONFIRMED").build(),
        payer("REVIEW").build(),
        payer("REJECTED").build(),
    ];
    let correlations = vec![
        correlation("a", "AUTO", CorrelationStatus::Auto, 0.93),
        correlation("a", "AUTO", CorrelationStatus::Auto, 0.93),
        correlation("b", "CONFIRMED", CorrelationStatus::Confirmed, 1.0),
        correlation("c", "REVIEW", CorrelationStatus::NeedsReview, 0.7),
        correlation("d", "REJECTED", CorrelationStatus::Rejected, 0.95),
        correlation("e", "MISSING", CorrelationStatus::Auto, 0.95),
    ];
    let linked = link_records(&correlations, &payers);
    let ids = |client: &str| -> Vec<String> {
        linked
            .get(&ClientId::parse(client).unwrap())
            .map(|l| {
                l.payers
                    .iter()
                    .map(|p| p.payer.external_id.clone())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(ids("a"), vec!["AUTO".to_owned()]);
    assert_eq!(ids("b"), vec!["CONFIRMED".to_owned()]);
    assert!(ids("c").is_empty() && ids("d").is_empty() && ids("e").is_empty());
    let a = &linked[&ClientId::parse("a").unwrap()].payers[0].link;
    assert_eq!((a.method, a.confidence), (MatchMethod::EmailDomain, 0.93));
}

// --- properties ----------------------------------------------------------------------------------

fn hubspot_client(id: usize) -> impl Strategy<Value = ClientSnapshot> {
    (
        0u32..3,
        0u32..12,
        0u32..12,
        prop::option::of(1_000.0f64..80_000.0),
        0u32..3,
        any::<bool>(),
        prop::option::of(0.0f64..120.0),
        0u32..12,
    )
        .prop_map(
            move |(contacts, sent, received, revenue, urgent, open_deal, contacted, notes)| {
                let mut builder = client(&format!("c-{id}"))
                    .contacts(contacts)
                    .sent_emails(sent)
                    .received_emails(received);
                if let Some(amount) = revenue {
                    builder = builder.won_deal(Some(amount), 40.0);
                }
                for _ in 0..urgent {
                    builder = builder.ticket(true, Some(TicketPriority::Urgent), 3.0, None);
                }
                if open_deal {
                    builder = builder.open_deal();
                }
                if let Some(days) = contacted {
                    builder = builder.last_contacted(days);
                }
                for n in 0..notes {
                    builder = builder.note(35.0 + f64::from(n));
                }
                builder.build()
            },
        )
}

fn tenant_clients() -> impl Strategy<Value = Vec<ClientSnapshot>> {
    (1usize..6).prop_flat_map(|n| (0..n).map(hubspot_client).collect::<Vec<_>>())
}

/// Any payer: invoices paid or not, transactions of every kind, disputes, subscriptions.
fn any_payer() -> impl Strategy<Value = PayerRecord> {
    use shared::domain::{PaymentKind, PaymentStatus};
    let kind = prop_oneof![
        Just(PaymentKind::Payment),
        Just(PaymentKind::SubscriptionPayment),
        Just(PaymentKind::Refund),
        Just(PaymentKind::Chargeback),
        Just(PaymentKind::Reversal),
    ];
    let status = prop_oneof![
        Just(PaymentStatus::Success),
        Just(PaymentStatus::Denied),
        Just(PaymentStatus::Pending),
    ];
    let subscription = prop_oneof![
        Just(SubscriptionStatus::Active),
        Just(SubscriptionStatus::Suspended),
        Just(SubscriptionStatus::Cancelled),
        Just(SubscriptionStatus::Expired),
    ];
    (
        prop::collection::vec(
            (1.0f64..5_000.0, 0i64..400, prop::option::of(-30i64..30)),
            0..5,
        ),
        prop::collection::vec((kind, status, 1.0f64..5_000.0, -5.0f64..400.0), 0..8),
        prop::collection::vec((any::<bool>(), any::<bool>(), 0.0f64..300.0), 0..3),
        prop::collection::vec(
            (subscription, 0u32..4, prop::option::of(0.0f64..300.0)),
            0..3,
        ),
    )
        .prop_map(|(invoices, transactions, disputes, subscriptions)| {
            let mut builder = payer("ANY");
            for (amount, due_days, paid_offset) in invoices {
                // Paid `offset` days after the due date, never in the future.
                let paid = paid_offset.map(|offset| (due_days - offset).max(0));
                builder = builder.invoice(amount, due_days, paid);
            }
            for (kind, status, amount, days) in transactions {
                builder = builder.transaction(kind, status, amount, days);
            }
            for (chargeback, open, days) in disputes {
                let stage = if chargeback {
                    DisputeStage::Chargeback
                } else {
                    DisputeStage::Inquiry
                };
                builder = builder.dispute(stage, if open { "OPEN" } else { "RESOLVED" }, days);
            }
            for (status, failed, changed) in subscriptions {
                builder = builder.subscription(status, failed, changed);
            }
            builder.build()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// No HubSpot-only result changes: clients without linked records score exactly as
    /// `score_tenant` scores them, whatever is linked to a client beside them.
    #[test]
    fn clients_without_links_score_as_before(
        snapshots in tenant_clients(),
        record in any_payer(),
        match_confidence in 0.6f64..=1.0,
    ) {
        let before = score_tenant(&tenant(), &snapshots, &HashMap::new(), &settings(), now());
        prop_assert_eq!(&run_linked(&snapshots, Vec::new()), &before);
        let mut with_linked = snapshots.clone();
        with_linked.push(client("linked").build());
        let after = run_linked(&with_linked, vec![linked("linked", record, match_confidence)]);
        // Everything about the unlinked clients but the upsell (whose healthy median counts the
        // linked client) stays the same.
        for (old, new) in before.scores.iter().zip(&after.scores) {
            prop_assert_eq!(old, new);
        }
        let unlinked = |i: &&Insight| i.client_id.as_str() != "linked" && i.rule != InsightRule::UpsellOpportunity;
        let old: Vec<&Insight> = before.insights.iter().filter(unlinked).collect();
        let new: Vec<&Insight> = after.insights.iter().filter(unlinked).collect();
        prop_assert_eq!(old, new);
    }

    /// A linked record that agrees (uniformly troubled, or uniformly in good standing) never lowers
    /// the confidence of an insight it backs, at any match confidence.
    #[test]
    fn an_agreeing_linked_record_never_lowers_confidence(
        snapshots in tenant_clients(),
        good in any::<bool>(),
        match_confidence in 0.6f64..=1.0,
    ) {
        let record = if good { in_good_standing("P1").build() } else { troubled("P1").build() };
        let target = snapshots[0].client_id.to_string();
        let before = score_tenant(&tenant(), &snapshots, &HashMap::new(), &settings(), now());
        let after = run_linked(&snapshots, vec![linked(&target, record, match_confidence)]);
        for insight in after.insights.iter().filter(|i| i.client_id.as_str() == target) {
            let backed_by_payments = insight.sources.iter().any(|s| s.platform == Platform::Paypal);
            let earlier = before.insights.iter().find(|i| i.id == insight.id);
            if let (true, Some(earlier)) = (backed_by_payments, earlier) {
                prop_assert!(
                    insight.confidence >= earlier.confidence,
                    "{:?}: {} < {}", insight.rule, insight.confidence, earlier.confidence
                );
            }
        }
        // Every insight of the linked client that rests on payments names the match.
        for insight in &after.insights {
            for source in insight.sources.iter().filter(|s| s.platform == Platform::Paypal) {
                prop_assert_eq!(source.matched_by, Some(MatchMethod::EmailDomain));
            }
        }
    }

    #[test]
    fn no_pair_of_mutually_exclusive_insights_is_open_together_with_payments(
        snapshots in tenant_clients(),
        records in prop::collection::vec((any_payer(), 0.6f64..=1.0), 1..4),
    ) {
        let mut all: Vec<ClientSnapshot> = (0..3)
            .map(|i| healthy(&format!("peer-{i}"), 60_000.0 + f64::from(i) * 10_000.0).build())
            .collect();
        all.extend(snapshots.iter().cloned());
        let links = records
            .into_iter()
            .zip(&snapshots)
            .map(|((record, confidence), s)| linked(s.client_id.as_str(), record, confidence))
            .collect();
        let result = run_linked(&all, links);
        for score in &result.scores {
            let open = |rule| result.insights.iter().any(|i| i.client_id == score.client_id && i.rule == rule && i.status == InsightStatus::Open);
            for (a, b) in EXCLUSIVE_RULES {
                prop_assert!(!(open(a) && open(b)), "{} has {:?} and {:?}", score.client_id, a, b);
            }
        }
        for insight in &result.insights {
            prop_assert!(insight.confidence <= 100);
            prop_assert!(insight.evidence.iter().all(|e| e.value.is_finite()));
        }
        for score in &result.scores {
            prop_assert!(score.overall <= 100 && score.churn_risk <= 100);
        }
    }
}
