//! A client without linked records, or with records that hold nothing, scores as before.

use super::*;

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
