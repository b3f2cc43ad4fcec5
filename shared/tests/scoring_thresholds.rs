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

// --- inactive client: 30 or more days -----------------------------------------------------------

#[test]
fn inactive_after_30_days_without_activity() {
    assert!(fires(
        client("a").last_contacted(30.0).build(),
        InsightRule::InactiveClient
    ));
    assert!(fires(
        client("a").note(30.0).build(),
        InsightRule::InactiveClient
    ));
}

#[test]
fn not_inactive_at_29_days() {
    assert!(!fires(
        client("a").last_contacted(29.0).build(),
        InsightRule::InactiveClient
    ));
    assert!(!fires(
        client("a").note(29.0).build(),
        InsightRule::InactiveClient
    ));
    assert!(!fires(
        client("a").note(29.99).build(),
        InsightRule::InactiveClient
    ));
}

#[test]
fn last_activity_is_the_latest_of_engagements_and_company_dates() {
    let snapshot = client("a").note(45.0).last_contacted(10.0).build();
    assert!(!fires(snapshot, InsightRule::InactiveClient));
    let snapshot = client("a").note(10.0).last_contacted(45.0).build();
    assert!(!fires(snapshot, InsightRule::InactiveClient));
}

#[test]
fn future_engagements_are_not_activity() {
    let snapshot = client("a").note(-3.0).last_contacted(40.0).build();
    assert!(fires(snapshot, InsightRule::InactiveClient));
}

#[test]
fn a_client_without_any_activity_is_inactive_but_flagged_for_review() {
    let found = insight(client("a").build(), InsightRule::InactiveClient);
    let found = found.expect("no activity at all counts as inactive");
    assert_eq!(found.confidence_band, ConfidenceBand::NeedsReview);
}

// --- high value, low engagement: revenue over $10,000 and fewer than 5 interactions -------------

#[test]
fn high_value_needs_revenue_strictly_over_10_000() {
    let at = |amount| {
        client("a")
            .won_deal(Some(amount), 100.0)
            .sent_emails(4)
            .build()
    };
    assert!(!fires(at(10_000.00), InsightRule::HighValueLowEngagement));
    assert!(fires(at(10_000.01), InsightRule::HighValueLowEngagement));
}

#[test]
fn high_value_needs_fewer_than_5_interactions() {
    let with = |n| {
        client("a")
            .won_deal(Some(20_000.0), 100.0)
            .sent_emails(n)
            .build()
    };
    assert!(fires(with(4), InsightRule::HighValueLowEngagement));
    assert!(!fires(with(5), InsightRule::HighValueLowEngagement));
}

#[test]
fn notes_and_tasks_are_not_interactions_for_high_value() {
    let mut builder = client("a").won_deal(Some(20_000.0), 100.0).sent_emails(4);
    for day in 1..=10 {
        builder = builder.note(f64::from(day));
    }
    assert!(fires(builder.build(), InsightRule::HighValueLowEngagement));
}

#[test]
fn interactions_outside_the_window_do_not_count() {
    let snapshot = client("a")
        .won_deal(Some(20_000.0), 100.0)
        .sent_emails(4)
        .engagement(
            shared::domain::EngagementKind::Call,
            Some(shared::domain::Direction::Inbound),
            false,
            91.0,
        )
        .build();
    assert!(fires(snapshot, InsightRule::HighValueLowEngagement));
}

#[test]
fn revenue_falls_back_to_reported_revenue_without_won_deal_amounts() {
    let snapshot = client("a")
        .reported_revenue(Some(10_000.01))
        .open_deal()
        .sent_emails(1)
        .build();
    let features = derive_features(&snapshot, &settings(), now());
    assert_eq!(
        features.revenue.value(),
        Some((10_000.01, RevenueSource::ReportedRevenue))
    );
    assert!(fires(snapshot, InsightRule::HighValueLowEngagement));
}

#[test]
fn won_deals_take_precedence_over_reported_revenue() {
    let snapshot = client("a")
        .reported_revenue(Some(50_000.0))
        .won_deal(Some(4_000.0), 20.0)
        .won_deal(Some(5_000.0), 400.0)
        .build();
    let features = derive_features(&snapshot, &settings(), now());
    assert_eq!(
        features.revenue.value(),
        Some((9_000.0, RevenueSource::ClosedWonDeals))
    );
    assert_eq!(features.revenue.won_last_12_months, 4_000.0);
    assert!(!fires(snapshot, InsightRule::HighValueLowEngagement));
}

// --- declining engagement: response ratio under 30% with more than 3 interactions ---------------

#[test]
fn declining_engagement_at_29_percent_responses() {
    let snapshot = client("a").sent_emails(100).received_emails(29).build();
    assert!(fires(snapshot, InsightRule::DecliningEngagement));
}

#[test]
fn no_declining_engagement_at_30_percent_responses() {
    let snapshot = client("a").sent_emails(100).received_emails(30).build();
    assert!(!fires(snapshot, InsightRule::DecliningEngagement));
    let snapshot = client("a").sent_emails(10).received_emails(3).build();
    assert!(!fires(snapshot, InsightRule::DecliningEngagement));
}

#[test]
fn declining_engagement_needs_more_than_3_interactions() {
    assert!(!fires(
        client("a").sent_emails(3).build(),
        InsightRule::DecliningEngagement
    ));
    assert!(fires(
        client("a").sent_emails(4).build(),
        InsightRule::DecliningEngagement
    ));
}

#[test]
fn completed_meetings_and_inbound_calls_are_responses() {
    use shared::domain::{Direction, EngagementKind};
    let snapshot = client("a")
        .sent_emails(10)
        .engagement(EngagementKind::Meeting, None, true, 2.0)
        .engagement(EngagementKind::Meeting, None, true, 3.0)
        .engagement(EngagementKind::Call, Some(Direction::Inbound), false, 4.0)
        .build();
    let features = derive_features(&snapshot, &settings(), now());
    assert_eq!(features.interactions.outreach(), 10);
    assert_eq!(features.interactions.responses(), 3);
    assert!(!fires(snapshot, InsightRule::DecliningEngagement));
    let snapshot = client("a")
        .sent_emails(10)
        .engagement(EngagementKind::Meeting, None, false, 2.0)
        .engagement(EngagementKind::Meeting, None, true, 3.0)
        .engagement(EngagementKind::Call, Some(Direction::Inbound), false, 4.0)
        .build();
    assert!(fires(snapshot, InsightRule::DecliningEngagement));
}

// --- multiple risk factors ------------------------------------------------------------------------

/// A healthy, engaged, paying customer.
fn healthy(id: &str, revenue: f64) -> scoring_support::SnapshotBuilder {
    client(id)
        .contacts(1)
        .sent_emails(10)
        .received_emails(10)
        .won_deal(Some(revenue), 30.0)
}

#[test]
fn one_risk_factor_is_not_multiple() {
    let snapshot = healthy("a", 50_000.0)
        .ticket(true, Some(TicketPriority::Urgent), 2.0, None)
        .build();
    assert!(!fires(snapshot, InsightRule::MultipleRiskFactors));
}

#[test]
fn two_risk_factors_combined_fire() {
    let snapshot = client("a")
        .contacts(1)
        .sent_emails(10)
        .received_emails(2)
        .won_deal(Some(50_000.0), 30.0)
        .ticket(true, Some(TicketPriority::High), 2.0, None)
        .build();
    let found = insight(snapshot, InsightRule::MultipleRiskFactors).expect("two factors fire");
    let count = found.evidence.iter().find(|e| e.name == "risk_factors");
    assert_eq!(count.map(|e| e.value), Some(2.0));
}

#[test]
fn a_fall_of_15_points_in_30_days_is_a_risk_factor() {
    let snapshot = client("a")
        .contacts(1)
        .sent_emails(10)
        .received_emails(2)
        .won_deal(Some(50_000.0), 30.0)
        .build();
    let (score, _) = run_one(snapshot.clone());
    let history_with_peak = |peak: u8| {
        HashMap::from([(
            ClientId::parse("a").unwrap(),
            vec![point("a", 20.0, peak), point("a", 40.0, 100)],
        )])
    };
    let fired = |peak: u8| {
        score_tenant(
            &tenant(),
            std::slice::from_ref(&snapshot),
            &history_with_peak(peak),
            &settings(),
            now(),
        )
        .insights
        .iter()
        .any(|i| i.rule == InsightRule::MultipleRiskFactors)
    };
    // Declining engagement alone is one factor; the fall makes it two. A peak outside the last 30
    // days (40 days ago) does not count.
    assert!(!fired(score.overall + 14));
    assert!(fired(score.overall + 15));
}

// --- upsell ---------------------------------------------------------------------------------------

fn upsell_tenant(candidate: ClientSnapshot) -> TenantScores {
    run(&[
        healthy("p1", 50_000.0).build(),
        healthy("p2", 60_000.0).build(),
        healthy("p3", 70_000.0).build(),
        candidate,
    ])
}

fn upsell_for(candidate: ClientSnapshot) -> Option<Insight> {
    upsell_tenant(candidate)
        .insights
        .into_iter()
        .find(|i| i.rule == InsightRule::UpsellOpportunity && i.client_id.as_str() == "cand")
}

#[test]
fn upsell_for_a_healthy_engaged_client_under_the_healthy_median() {
    let found = upsell_for(healthy("cand", 20_000.0).build()).expect("upsell fires");
    // The healthy median of 20k, 50k, 60k, 70k is 55k.
    assert_eq!(found.revenue_at_stake, Some(35_000.0));
}

#[test]
fn no_upsell_with_an_open_deal() {
    assert!(upsell_for(healthy("cand", 20_000.0).open_deal().build()).is_none());
}

#[test]
fn no_upsell_at_or_over_the_healthy_median() {
    assert!(upsell_for(healthy("cand", 90_000.0).build()).is_none());
}

#[test]
fn no_upsell_without_strong_engagement() {
    let disengaged = client("cand")
        .contacts(1)
        .sent_emails(10)
        .won_deal(Some(20_000.0), 30.0)
        .build();
    assert!(upsell_for(disengaged).is_none());
}

// --- weights ----------------------------------------------------------------------------------------

fn dimension_score(score: &HealthScore, dimension: Dimension) -> Option<u8> {
    score.dimension(dimension).and_then(|d| d.score)
}

#[test]
fn weights_renormalise_when_support_has_no_data() {
    let (score, _) = run_one(healthy("a", 20_000.0).build());
    assert_eq!(dimension_score(&score, Dimension::Support), None);
    let crm = f64::from(dimension_score(&score, Dimension::Crm).unwrap());
    let payment = f64::from(dimension_score(&score, Dimension::Payment).unwrap());
    let usage = f64::from(dimension_score(&score, Dimension::Usage).unwrap());
    let expected = (0.30 * crm + 0.25 * payment + 0.25 * usage) / 0.80;
    assert_eq!(f64::from(score.overall), expected.round());
    let weights: Vec<f64> = score.dimensions.iter().map(|d| d.weight).collect();
    assert!((weights.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    assert!((score.dimension(Dimension::Crm).unwrap().weight - 0.375).abs() < 1e-9);
    assert_eq!(score.dimension(Dimension::Support).unwrap().weight, 0.0);
}

#[test]
fn weights_renormalise_when_payment_and_support_have_no_data() {
    let (score, _) = run_one(
        client("a")
            .contacts(2)
            .sent_emails(5)
            .received_emails(1)
            .build(),
    );
    assert_eq!(dimension_score(&score, Dimension::Payment), None);
    assert_eq!(dimension_score(&score, Dimension::Support), None);
    let crm = f64::from(dimension_score(&score, Dimension::Crm).unwrap());
    let usage = f64::from(dimension_score(&score, Dimension::Usage).unwrap());
    assert_eq!(
        f64::from(score.overall),
        ((0.30 * crm + 0.25 * usage) / 0.55).round()
    );
}

#[test]
fn all_four_dimensions_use_the_configured_weights() {
    let (score, _) = run_one(
        healthy("a", 20_000.0)
            .ticket(false, Some(TicketPriority::Low), 40.0, Some(30))
            .build(),
    );
    let expected: f64 = [
        (Dimension::Crm, 0.30),
        (Dimension::Payment, 0.25),
        (Dimension::Usage, 0.25),
        (Dimension::Support, 0.20),
    ]
    .iter()
    .map(|(d, w)| w * f64::from(dimension_score(&score, *d).unwrap()))
    .sum();
    assert_eq!(f64::from(score.overall), expected.round());
}

#[test]
fn factor_points_add_up_to_the_dimension_score() {
    let (score, _) = run_one(
        healthy("a", 20_000.0)
            .lost_deal(100.0)
            .ticket(true, Some(TicketPriority::High), 5.0, None)
            .ticket(false, None, 60.0, Some(100))
            .build(),
    );
    for dimension in &score.dimensions {
        let sum: f64 = dimension.factors.iter().map(|f| f.points).sum();
        let score = f64::from(dimension.score.unwrap());
        assert!(
            (sum - score).abs() <= 0.6,
            "{:?}: {sum} vs {score}",
            dimension.dimension
        );
    }
}

// --- support ----------------------------------------------------------------------------------------

#[test]
fn open_high_priority_tickets_cost_more_than_normal_ones() {
    let support = |priority| {
        let (score, _) = run_one(healthy("a", 1.0).ticket(true, priority, 2.0, None).build());
        dimension_score(&score, Dimension::Support).unwrap()
    };
    assert!(support(Some(TicketPriority::Urgent)) < support(Some(TicketPriority::Low)));
    assert_eq!(
        support(Some(TicketPriority::High)),
        support(Some(TicketPriority::Urgent))
    );
    assert!(support(Some(TicketPriority::Low)) < 100);
}

#[test]
fn slow_resolution_lowers_support() {
    let support = |hours| {
        let (score, _) = run_one(
            healthy("a", 1.0)
                .ticket(false, None, 100.0, Some(hours))
                .build(),
        );
        dimension_score(&score, Dimension::Support).unwrap()
    };
    assert_eq!(support(10), 100);
    assert!(support(200) < support(48));
}

// --- confidence -------------------------------------------------------------------------------------

#[test]
fn confidence_bands_have_the_seed_boundaries() {
    assert_eq!(ConfidenceBand::of(100), ConfidenceBand::High);
    assert_eq!(ConfidenceBand::of(85), ConfidenceBand::High);
    assert_eq!(ConfidenceBand::of(84), ConfidenceBand::Medium);
    assert_eq!(ConfidenceBand::of(70), ConfidenceBand::Medium);
    assert_eq!(ConfidenceBand::of(69), ConfidenceBand::Lower);
    assert_eq!(ConfidenceBand::of(50), ConfidenceBand::Lower);
    assert_eq!(ConfidenceBand::of(49), ConfidenceBand::NeedsReview);
    assert_eq!(ConfidenceBand::of(0), ConfidenceBand::NeedsReview);
}

#[test]
fn confidence_grows_with_signals_data_and_sources() {
    assert!(confidence(1.0, 0.5, 1) > confidence(0.5, 0.5, 1));
    assert!(confidence(0.5, 1.0, 1) > confidence(0.5, 0.5, 1));
    assert!(confidence(1.0, 1.0, 2) > confidence(1.0, 1.0, 1));
    assert_eq!(confidence(1.0, 1.0, 3), 100);
    assert_eq!(
        ConfidenceBand::of(confidence(1.0, 1.0, 1)),
        ConfidenceBand::High
    );
    assert_eq!(confidence(0.0, 0.0, 1), 10);
}

#[test]
fn a_long_tracked_inactive_client_gets_high_confidence() {
    let mut builder = client("a").last_contacted(70.0);
    for day in 0..20 {
        builder = builder.note(70.0 + f64::from(day));
    }
    let found = insight(builder.build(), InsightRule::InactiveClient).expect("inactive");
    assert_eq!(found.confidence_band, ConfidenceBand::High);
    assert_eq!(found.confidence, 90);
}

#[test]
fn a_second_source_raises_confidence() {
    let one = insight(
        client("a").last_contacted(35.0).build(),
        InsightRule::InactiveClient,
    );
    let two = insight(
        client("a")
            .last_contacted(35.0)
            .sources(&["hubspot", "ninjaone"])
            .build(),
        InsightRule::InactiveClient,
    );
    assert!(two.unwrap().confidence > one.unwrap().confidence);
}

#[test]
fn a_finding_just_over_its_threshold_is_less_certain_than_a_clear_one() {
    let barely = insight(
        client("a").sent_emails(4).build(),
        InsightRule::DecliningEngagement,
    );
    let clearly = insight(
        client("a").sent_emails(40).build(),
        InsightRule::DecliningEngagement,
    );
    let (barely, clearly) = (barely.unwrap(), clearly.unwrap());
    assert!(barely.confidence < clearly.confidence);
    assert_eq!(clearly.confidence_band, ConfidenceBand::High);
    assert_eq!(barely.confidence_band, ConfidenceBand::Lower);
}

// --- impact -----------------------------------------------------------------------------------------

#[test]
fn impact_grows_with_the_revenue_at_stake() {
    let tenant_scores = run(&[
        client("small").won_deal(Some(12_000.0), 300.0).build(),
        client("mid1").won_deal(Some(20_000.0), 300.0).build(),
        client("mid2").won_deal(Some(30_000.0), 300.0).build(),
        client("mid3").won_deal(Some(40_000.0), 300.0).build(),
        client("big").won_deal(Some(900_000.0), 300.0).build(),
    ]);
    let impact_of = |id: &str| {
        tenant_scores
            .insights
            .iter()
            .find(|i| i.client_id.as_str() == id && i.rule == InsightRule::HighValueLowEngagement)
            .map(|i| i.impact)
    };
    assert!(impact_of("big") > impact_of("small"));
    assert_eq!(impact_of("big"), Some(Impact::Critical));
}

// --- malformed property values ------------------------------------------------------------------

#[test]
fn malformed_amounts_and_dates_are_missing_data_not_zero() {
    let mut snapshot = client("a")
        .reported_revenue(props::number(Some("12,000")))
        .sent_emails(1)
        .build();
    snapshot.deals.push(shared::domain::Deal {
        id: "d-bad".to_owned(),
        amount: props::number(Some("n/a")),
        is_closed: props::boolean(Some("TRUE")).unwrap_or(false),
        is_closed_won: props::boolean(Some("yes")).unwrap_or(false),
        close_date: props::datetime(Some("last tuesday")),
    });
    snapshot.deals.push(shared::domain::Deal {
        id: "d-nan".to_owned(),
        amount: Some(f64::NAN),
        is_closed: true,
        is_closed_won: true,
        close_date: props::datetime(Some("2026-10-01")),
    });
    let features = derive_features(&snapshot, &settings(), now());
    assert_eq!(features.revenue.value(), None);
    assert_eq!(features.deals.won_last_12_months, 1);
    assert_eq!(features.deals.lost_last_12_months, 0);
    let (score, insights) = run_one(snapshot);
    assert!(score.overall <= 100);
    assert!(!insights
        .iter()
        .any(|i| i.rule == InsightRule::HighValueLowEngagement));
}

#[test]
fn parsed_hubspot_strings_feed_the_rules() {
    let mut snapshot = client("a")
        .reported_revenue(props::number(Some(" 10000.01 ")))
        .build();
    // Exactly 30 days before `now`, as ISO 8601.
    snapshot.activity.last_contacted = props::datetime(Some("2026-10-27T12:00:00.000Z"));
    let (_, insights) = run_one(snapshot.clone());
    assert!(insights
        .iter()
        .any(|i| i.rule == InsightRule::InactiveClient));
    assert!(insights
        .iter()
        .any(|i| i.rule == InsightRule::HighValueLowEngagement));
    // 29 days before `now`, as epoch milliseconds.
    snapshot.activity.last_contacted = props::datetime(Some("1793188800000"));
    let (_, insights) = run_one(snapshot);
    assert!(!insights
        .iter()
        .any(|i| i.rule == InsightRule::InactiveClient));
}

// --- ids and determinism --------------------------------------------------------------------------

#[test]
fn insight_ids_are_derived_from_tenant_client_and_rule() {
    let a = ClientId::parse("a").unwrap();
    let b = ClientId::parse("b").unwrap();
    let other_tenant = shared::domain::TenantId::parse("tenant-2").unwrap();
    let id = insight_id(&tenant(), &a, InsightRule::InactiveClient);
    assert_eq!(id, insight_id(&tenant(), &a, InsightRule::InactiveClient));
    assert_ne!(id, insight_id(&tenant(), &b, InsightRule::InactiveClient));
    assert_ne!(
        id,
        insight_id(&other_tenant, &a, InsightRule::InactiveClient)
    );
    assert_ne!(
        id,
        insight_id(&tenant(), &a, InsightRule::UpsellOpportunity)
    );
    assert!(id.as_str().starts_with("inactive_client-"));
    assert_eq!(shared::domain::InsightId::parse(id.as_str()), Ok(id));
}

#[test]
fn running_twice_gives_the_same_output() {
    let snapshots = vec![
        healthy("p1", 50_000.0).build(),
        healthy("p2", 60_000.0)
            .ticket(true, Some(TicketPriority::High), 3.0, None)
            .build(),
        client("x").sent_emails(8).build(),
    ];
    assert_eq!(run(&snapshots), run(&snapshots));
}

#[test]
fn trend_compares_with_the_points_nearest_7_and_30_days_ago() {
    let snapshot = healthy("a", 20_000.0).build();
    let (score, _) = run_one(snapshot.clone());
    let history = HashMap::from([(
        ClientId::parse("a").unwrap(),
        vec![
            point("a", 6.5, 10),
            point("a", 8.0, 20),
            point("a", 31.0, 30),
            point("a", 1.0, 0),
        ],
    )]);
    let with_history = score_tenant(
        &tenant(),
        std::slice::from_ref(&snapshot),
        &history,
        &settings(),
        now(),
    );
    let trend = with_history.scores[0].trend;
    assert_eq!(trend.delta_7d, Some(i16::from(score.overall) - 10));
    assert_eq!(trend.delta_30d, Some(i16::from(score.overall) - 30));
    let far = HashMap::from([(ClientId::parse("a").unwrap(), vec![point("a", 1.0, 50)])]);
    let without = score_tenant(&tenant(), &[snapshot], &far, &settings(), now());
    assert_eq!(without.scores[0].trend.delta_7d, None);
    assert_eq!(without.scores[0].trend.delta_30d, None);
}
