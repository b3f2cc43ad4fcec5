//! Confidence: a payment finding is only as sure as its match; agreeing sources raise it.

use super::*;

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
