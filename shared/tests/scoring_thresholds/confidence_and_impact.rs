//! Confidence bands and what raises confidence; impact from the revenue at stake.

use super::*;

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
