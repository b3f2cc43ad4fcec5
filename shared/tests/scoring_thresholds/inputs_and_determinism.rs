//! Malformed property values, derived insight ids, determinism and the trend.

use super::*;

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
        stage: None,
    });
    snapshot.deals.push(shared::domain::Deal {
        id: "d-nan".to_owned(),
        amount: Some(f64::NAN),
        is_closed: true,
        is_closed_won: true,
        close_date: props::datetime(Some("2026-10-01")),
        stage: None,
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
