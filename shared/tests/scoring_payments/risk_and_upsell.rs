//! Payment trouble among the multiple risk factors and churn risk; upsell stays exclusive of it.

use super::*;

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
