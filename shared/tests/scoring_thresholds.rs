//! The seed thresholds, each on both sides of its boundary, and the scoring rules around them.

mod scoring_support;

use scoring_support::*;
use shared::domain::{
    ClientId, ClientSnapshot, ConfidenceBand, Dimension, HealthScore, Impact, Insight, InsightRule,
    TicketPriority,
};
use shared::scoring::{
    confidence, derive_features, insight_id, score_tenant, RevenueSource, TenantScores,
};
use shared::sources::hubspot::props;
use std::collections::HashMap;

fn run(snapshots: &[ClientSnapshot]) -> TenantScores {
    score_tenant(&tenant(), snapshots, &HashMap::new(), &settings(), now())
}

fn run_one(snapshot: ClientSnapshot) -> (HealthScore, Vec<Insight>) {
    let TenantScores {
        mut scores,
        insights,
        ..
    } = run(&[snapshot]);
    (scores.remove(0), insights)
}

fn fires(snapshot: ClientSnapshot, rule: InsightRule) -> bool {
    run_one(snapshot).1.iter().any(|i| i.rule == rule)
}

fn insight(snapshot: ClientSnapshot, rule: InsightRule) -> Option<Insight> {
    run_one(snapshot).1.into_iter().find(|i| i.rule == rule)
}

// ---- the cases, by subject (one test binary; the modules share the set-up above) ----

#[path = "scoring_thresholds/confidence_and_impact.rs"]
mod confidence_and_impact;
#[path = "scoring_thresholds/dimensions.rs"]
mod dimensions;
#[path = "scoring_thresholds/inputs_and_determinism.rs"]
mod inputs_and_determinism;
#[path = "scoring_thresholds/rules.rs"]
mod rules;
