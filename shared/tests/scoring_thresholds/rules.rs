//! Each insight rule on both sides of its threshold: inactive, high value with low engagement,
//! declining engagement, multiple risk factors, upsell.

use super::*;

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
    // The healthy median of 20k, 50k, 60k, 70k is 55k: 35k to win, an upside, never "at stake".
    assert_eq!(found.revenue_upside, Some(35_000.0));
    assert_eq!(found.revenue_at_stake, None);
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
