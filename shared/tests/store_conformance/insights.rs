//! The conformance cases of insights and their status changes (run against both adapters by the
//! `conformance!` list of `store_conformance.rs`).

use super::*;
use shared::domain::{InsightSort, SortKey};
use shared::ports::InsightStore;
use shared::store::row::{Condition, Record, Row};
use shared::store::{Table, TableStore};

pub(super) async fn insights_list_newest_first_by_status_and_filters<S: Store>(store: &S) {
    let acme = &tid("acme");
    let rules = [
        InsightRule::InactiveClient,
        InsightRule::DecliningEngagement,
        InsightRule::UpsellOpportunity,
    ];
    let insights: Vec<_> = (0..30)
        .flat_map(|n| {
            rules.iter().enumerate().map(move |(r, rule)| {
                insight(&tid("acme"), n, *rule, ((n * 11 + r * 5) % 97) as i64)
            })
        })
        .collect();
    let report = store.put_insights(acme, &insights).await.unwrap();
    assert_eq!(report.items_written, 90);
    assert_eq!(report.write_requests, 4);
    assert_eq!(
        store
            .put_insights(acme, &insights)
            .await
            .unwrap()
            .items_written,
        0
    );

    let all = walk(8, |page| async move {
        store
            .list_insights(acme, &InsightFilter::default(), &page)
            .await
    })
    .await;
    assert_eq!(all.len(), 90);
    assert!(
        all.windows(2).all(|w| w[0].updated_at >= w[1].updated_at),
        "newest first"
    );

    // Acknowledge a few, then list by status.
    for insight in all.iter().take(5) {
        let change = StatusChange {
            status: InsightStatus::Acknowledged,
            changed_by: "user@acme".into(),
            changed_at: t0() + Duration::days(1),
            expected_version: insight.version,
            reason: None,
            snoozed_until: None,
        };
        store
            .change_insight_status(acme, &insight.id, &change)
            .await
            .unwrap();
    }
    let acknowledged = InsightFilter {
        status: Some(InsightStatus::Acknowledged),
        ..InsightFilter::default()
    };
    let listed = walk(2, |page| {
        let f = acknowledged.clone();
        async move { store.list_insights(acme, &f, &page).await }
    })
    .await;
    assert_eq!(listed.len(), 5);
    assert!(listed
        .iter()
        .all(|i| i.status == InsightStatus::Acknowledged
            && i.status_changed_by.as_deref() == Some("user@acme")));

    let narrow = InsightFilter {
        status: Some(InsightStatus::Open),
        insight_type: Some(InsightType::ChurnRisk),
        impact: Some(Impact::High),
        min_confidence: Some(60),
        band: None,
        client_id: None,
    };
    let listed = walk(3, |page| {
        let f = narrow.clone();
        async move { store.list_insights(acme, &f, &page).await }
    })
    .await;
    let current = walk(50, |page| async move {
        store
            .list_insights(acme, &InsightFilter::default(), &page)
            .await
    })
    .await;
    let expected: Vec<_> = current
        .iter()
        .filter(|i| narrow.matches(i))
        .map(|i| i.id.clone())
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(
        listed.iter().map(|i| i.id.clone()).collect::<Vec<_>>(),
        expected
    );

    let by_band_and_client = InsightFilter {
        band: Some(ConfidenceBand::of(40 + 4)),
        client_id: Some(cid(4)),
        ..InsightFilter::default()
    };
    let listed = store
        .list_insights(acme, &by_band_and_client, &PageRequest::first(50))
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 3);
    assert!(listed.items.iter().all(|i| i.client_id == cid(4)));
}

pub(super) async fn insights_of_clients_few_or_many<S: Store>(store: &S) {
    let acme = &tid("acme");
    let insights: Vec<_> = (0..80)
        .flat_map(|n| {
            [InsightRule::InactiveClient, InsightRule::UpsellOpportunity]
                .map(|rule| insight(&tid("acme"), n, rule, n as i64))
        })
        .collect();
    store.put_insights(acme, &insights).await.unwrap();
    let ids = |found: Vec<Insight>| found.into_iter().map(|i| i.id).collect::<BTreeSet<_>>();

    let few = store
        .insights_for_clients(acme, &[cid(3), cid(5), cid(500)])
        .await
        .unwrap();
    let expected: BTreeSet<_> = insights
        .iter()
        .filter(|i| [cid(3), cid(5)].contains(&i.client_id))
        .map(|i| i.id.clone())
        .collect();
    assert_eq!(ids(few), expected);

    let many_clients: Vec<_> = (0..70).map(cid).collect();
    let many = store
        .insights_for_clients(acme, &many_clients)
        .await
        .unwrap();
    assert_eq!(many.len(), 140);
    assert!(many.iter().all(|i| many_clients.contains(&i.client_id)));
}

pub(super) async fn insight_status_changes_check_the_version<S: Store>(store: &S) {
    let acme = &tid("acme");
    let original = insight(acme, 1, InsightRule::InactiveClient, 0);
    store
        .put_insights(acme, std::slice::from_ref(&original))
        .await
        .unwrap();
    let stored = store.get_insight(acme, &original.id).await.unwrap();
    let change = StatusChange {
        status: InsightStatus::Dismissed,
        changed_by: "ops@acme".into(),
        changed_at: t0() + Duration::hours(2),
        expected_version: stored.version,
        reason: None,
        snoozed_until: None,
    };
    let changed = store
        .change_insight_status(acme, &original.id, &change)
        .await
        .unwrap();
    assert_eq!(changed.status, InsightStatus::Dismissed);
    assert_eq!(changed.version, stored.version + 1);
    assert_eq!(changed.status_changed_at, Some(change.changed_at));
    assert_eq!(
        store.get_insight(acme, &original.id).await.unwrap(),
        changed
    );

    // The same change again carries a version that has moved.
    assert!(matches!(
        store
            .change_insight_status(acme, &original.id, &change)
            .await,
        Err(StoreError::Conflict { .. })
    ));
    let missing = InsightId::parse("acme.nobody.inactive_client").unwrap();
    assert!(matches!(
        store.change_insight_status(acme, &missing, &change).await,
        Err(StoreError::NotFound { .. })
    ));

    // A re-run that changes the finding moves the version again.
    let mut rerun = changed.clone();
    rerun.confidence = 99;
    let report = store
        .put_insights(acme, std::slice::from_ref(&rerun))
        .await
        .unwrap();
    assert_eq!(report.items_written, 1);
    let after = store.get_insight(acme, &original.id).await.unwrap();
    assert_eq!((after.confidence, after.version), (99, changed.version + 1));

    // A scoring run that read the insight before a user dismissed it does not undo the dismissal.
    let read_by_score = after.clone();
    let dismissed = store
        .change_insight_status(
            acme,
            &original.id,
            &StatusChange {
                expected_version: after.version,
                ..change.clone()
            },
        )
        .await
        .unwrap();
    let reopened_by_score = Insight {
        status: InsightStatus::Open,
        confidence: 42,
        ..read_by_score
    };
    let report = store
        .put_insights(acme, std::slice::from_ref(&reopened_by_score))
        .await
        .unwrap();
    assert_eq!((report.items_stale, report.items_written), (1, 0));
    assert_eq!(
        store.get_insight(acme, &original.id).await.unwrap(),
        dismissed
    );

    // An insight naming another tenant is refused.
    let foreign = insight(&tid("other"), 2, InsightRule::InactiveClient, 0);
    assert!(is_invalid_input(store.put_insights(acme, &[foreign]).await));
}

pub(super) async fn matching_insights_reads_every_match_and_keeps_snoozes<S: Store>(store: &S) {
    let acme = &tid("acme");
    // More than one page of the paged listing (200), so reading to the end is exercised.
    let insights: Vec<_> = (0..130)
        .flat_map(|n| {
            [
                InsightRule::InactiveClient,
                InsightRule::DecliningEngagement,
            ]
            .map(|rule| insight(&tid("acme"), n, rule, (n % 50) as i64))
        })
        .collect();
    store.put_insights(acme, &insights).await.unwrap();
    store
        .put_insights(
            &tid("other"),
            &[insight(&tid("other"), 1, InsightRule::InactiveClient, 0)],
        )
        .await
        .unwrap();
    let until = t0() + Duration::days(7);
    for (n, status) in [
        (0, InsightStatus::Snoozed),
        (1, InsightStatus::Snoozed),
        (2, InsightStatus::Dismissed),
    ] {
        let change = StatusChange {
            status,
            changed_by: "user@acme".into(),
            changed_at: t0() + Duration::days(1),
            expected_version: 0,
            reason: Some(format!("reason {n}")),
            snoozed_until: Some(until),
        };
        store
            .change_insight_status(acme, &insights[n].id, &change)
            .await
            .unwrap();
    }
    let ids = |found: &[Insight]| found.iter().map(|i| i.id.clone()).collect::<BTreeSet<_>>();

    let all = store
        .matching_insights(acme, &InsightFilter::default())
        .await
        .unwrap();
    assert_eq!(all.len(), 260);
    assert_eq!(ids(&all), ids(&insights));

    let snoozed = store
        .matching_insights(
            acme,
            &InsightFilter {
                status: Some(InsightStatus::Snoozed),
                ..InsightFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(ids(&snoozed), ids(&insights[..2]));
    assert!(snoozed
        .iter()
        .all(|i| i.snoozed_until == Some(until) && i.status_reason.is_some()));

    // A date is kept only with a snooze; the reason with any status.
    let dismissed = store.get_insight(acme, &insights[2].id).await.unwrap();
    assert_eq!(dismissed.snoozed_until, None);
    assert_eq!(dismissed.status_reason.as_deref(), Some("reason 2"));

    let narrow = InsightFilter {
        status: Some(InsightStatus::Open),
        insight_type: Some(InsightType::ChurnRisk),
        min_confidence: Some(45),
        ..InsightFilter::default()
    };
    let found = store.matching_insights(acme, &narrow).await.unwrap();
    let expected: Vec<Insight> = all.iter().filter(|i| narrow.matches(i)).cloned().collect();
    assert!(!expected.is_empty());
    assert_eq!(ids(&found), ids(&expected));
    assert_eq!(found.len(), expected.len());
}

pub(super) async fn open_insights_are_read_a_page_at_a_time_in_triage_order<T: Table>(
    store: &TableStore<T>,
) {
    let acme = &tid("acme");
    let rules = [
        InsightRule::InactiveClient,
        InsightRule::DecliningEngagement,
        InsightRule::UpsellOpportunity,
    ];
    let insights: Vec<_> = (0..40)
        .flat_map(|n| {
            rules.iter().enumerate().map(move |(r, rule)| {
                let mut insight = insight(&tid("acme"), n, *rule, ((n * 7 + r * 3) % 31) as i64);
                // Ties on revenue and confidence, so later keys decide.
                insight.revenue_at_stake = [None, Some(500.0), Some(n as f64)][(n + r) % 3];
                insight
            })
        })
        .collect();
    store.put_insights(acme, &insights).await.unwrap();
    let change = StatusChange {
        status: InsightStatus::Dismissed,
        changed_by: "user@acme".into(),
        changed_at: t0() + Duration::days(1),
        expected_version: 0,
        reason: None,
        snoozed_until: None,
    };
    store
        .change_insight_status(acme, &insights[4].id, &change)
        .await
        .unwrap();
    let read_in_pages = |filter: InsightFilter| async move {
        let mut found: Vec<Insight> = Vec::new();
        loop {
            let after = found.last().map(SortKey::of);
            let page = store
                .insights_in_triage_order(acme, InsightStatus::Open, &filter, after.as_ref(), 7)
                .await
                .unwrap();
            assert!(page.len() <= 7);
            if page.is_empty() {
                return found;
            }
            found.extend(page);
        }
    };
    let expected = |filter: &InsightFilter| {
        let mut open: Vec<Insight> = insights
            .iter()
            .filter(|i| i.id != insights[4].id && filter.matches(i))
            .cloned()
            .collect();
        InsightSort::Impact.sort(&mut open);
        open.iter().map(|i| i.id.clone()).collect::<Vec<_>>()
    };
    let ids = |found: &[Insight]| found.iter().map(|i| i.id.clone()).collect::<Vec<_>>();

    let open = InsightFilter::default();
    let all = read_in_pages(open.clone()).await;
    assert_eq!(all.len(), 119);
    assert_eq!(ids(&all), expected(&open));
    let high = InsightFilter {
        impact: Some(Impact::High),
        ..InsightFilter::default()
    };
    let found = read_in_pages(high.clone()).await;
    assert!(!found.is_empty() && found.len() < 119);
    assert_eq!(ids(&found), expected(&high));
    assert!(!store
        .has_insights_outside_triage_order(acme, InsightStatus::Open)
        .await
        .unwrap());
    assert_eq!(
        store
            .reindex_insights(acme, InsightStatus::Open, 50)
            .await
            .unwrap(),
        0
    );

    // Insights stored before the index (their gsi1 key was the update time) are outside it until
    // reindexed, a bounded number at a time; the reindex keeps what a user changed meanwhile.
    for insight in &insights[..3] {
        let mut keys = shared::store::keys::insight(insight);
        if let Some(gsi1) = keys.gsi1.as_mut() {
            gsi1.sk = format!(
                "{}#{}",
                shared::store::keys::sortable_time(insight.updated_at),
                insight.id
            );
        }
        let row = Row::new(
            keys,
            Record::Insight {
                insight: insight.clone(),
            },
        );
        store
            .table()
            .put_row_if(row, Condition::Always)
            .await
            .unwrap();
    }
    assert!(store
        .has_insights_outside_triage_order(acme, InsightStatus::Open)
        .await
        .unwrap());
    assert_eq!(read_in_pages(open.clone()).await.len(), 116);
    assert_eq!(
        store
            .reindex_insights(acme, InsightStatus::Open, 2)
            .await
            .unwrap(),
        2
    );
    assert!(store
        .has_insights_outside_triage_order(acme, InsightStatus::Open)
        .await
        .unwrap());
    assert_eq!(
        store
            .reindex_insights(acme, InsightStatus::Open, 2)
            .await
            .unwrap(),
        1
    );
    assert!(!store
        .has_insights_outside_triage_order(acme, InsightStatus::Open)
        .await
        .unwrap());
    assert_eq!(ids(&read_in_pages(open.clone()).await), expected(&open));
    assert_eq!(
        store.get_insight(acme, &insights[0].id).await.unwrap(),
        insights[0]
    );
}
