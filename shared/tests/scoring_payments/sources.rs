//! Which sources a score and an insight name, and which correlations link records.

use super::*;

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
    let linked = link_records(&correlations, &payers, &[]);
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
