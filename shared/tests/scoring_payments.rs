//! Scoring with a payments platform linked: each payment factor and insight on both sides of its
//! threshold, confidence from agreeing sources and match confidence, sources on every score and
//! insight, and properties: a CRM-only client scores exactly as before, an agreeing linked record
//! never lowers an insight's confidence, exclusive insights never open together. The account
//! platforms (NinjaOne, Pax8, Microsoft 365) and the cross-source rules are in `accounts*`.

mod scoring_support;

use proptest::prelude::*;
use scoring_support::payers::{correlation, link, linked, payer, PayerBuilder};
use scoring_support::{client, healthy, now, settings, tenant};
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

// ---- the cases, by subject (one test binary; the modules share the set-up above) ----

#[path = "scoring_payments/accounts.rs"]
mod accounts;
#[path = "scoring_payments/accounts_cross.rs"]
mod accounts_cross;
#[path = "scoring_payments/confidence.rs"]
mod confidence;
#[path = "scoring_payments/payment_factors.rs"]
mod payment_factors;
#[path = "scoring_payments/payment_findings.rs"]
mod payment_findings;
#[path = "scoring_payments/properties.rs"]
mod properties;
#[path = "scoring_payments/risk_and_upsell.rs"]
mod risk_and_upsell;
#[path = "scoring_payments/sources.rs"]
mod sources;
#[path = "scoring_payments/unlinked.rs"]
mod unlinked;
