//! The conformance case of tenant isolation (run against both adapters by the `conformance!` list of
//! `store_conformance.rs`).

use super::*;

/// Everything written for tenant A is invisible through every read of tenant B, cursors included.
pub(super) async fn tenants_are_isolated<S: Store>(store: &S) {
    let a = &tid("alpha");
    let b = &tid("beta");
    store
        .create_tenant(&tenant("alpha", Some(1), TenantStatus::Active))
        .await
        .unwrap();
    let scores: Vec<_> = (0..12).map(|n| score(n, 40, 50)).collect();
    store.put_scores(a, &scores).await.unwrap();
    let insights: Vec<_> = (0..12)
        .map(|n| insight(a, n, InsightRule::InactiveClient, n as i64))
        .collect();
    store.put_insights(a, &insights).await.unwrap();
    store
        .put_snapshots(a, &(0..12).map(|n| snapshot(n, 1)).collect::<Vec<_>>())
        .await
        .unwrap();
    let now = Utc::now();
    store
        .append_history(a, &[point(1, now, 40)], 30)
        .await
        .unwrap();
    for n in 0..12 {
        store.put_sync_run(&sync_run(a, n)).await.unwrap();
    }
    store
        .put_checkpoint(
            a,
            &SyncCheckpoint {
                object_type: ObjectType::Deals,
                watermark: None,
                cursor: None,
                sync_id: None,
                updated_at: now,
            },
        )
        .await
        .unwrap();
    store
        .put_contact_clients(a, &[("c1".into(), vec![cid(1)])])
        .await
        .unwrap();

    let ids: Vec<_> = (0..12).map(cid).collect();
    assert!(matches!(
        store.get_tenant(b).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(store.get_score(b, &cid(1)).await.unwrap(), None);
    assert!(store.get_scores(b, &ids).await.unwrap().is_empty());
    assert!(store.get_snapshots(b, &ids).await.unwrap().is_empty());
    assert!(store
        .contact_clients(b, &["c1".into()])
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .insights_for_clients(b, &ids)
        .await
        .unwrap()
        .is_empty());
    assert!(matches!(
        store.get_insight(b, &insights[0].id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(store
        .history(b, &cid(1), now - Duration::days(1), now + Duration::days(1))
        .await
        .unwrap()
        .is_empty());
    assert!(store.checkpoints(b).await.unwrap().is_empty());
    assert!(matches!(
        store.get_sync_run(b, &sync_run(a, 1).sync_id).await,
        Err(StoreError::NotFound { .. })
    ));
    let first = PageRequest::first(5);
    let b_scores = store
        .list_scores(b, &ScoreQuery::default(), &first)
        .await
        .unwrap();
    assert!(b_scores.items.is_empty() && b_scores.next_cursor.is_none());
    assert!(store
        .list_insights(b, &InsightFilter::default(), &first)
        .await
        .unwrap()
        .items
        .is_empty());
    assert!(store
        .list_snapshots(b, &first)
        .await
        .unwrap()
        .items
        .is_empty());
    assert!(store
        .list_sync_runs(b, &first)
        .await
        .unwrap()
        .items
        .is_empty());
    let status_change = StatusChange {
        status: InsightStatus::Resolved,
        changed_by: "intruder".into(),
        changed_at: now,
        expected_version: insights[0].version,
        reason: None,
        snoozed_until: None,
    };
    assert!(matches!(
        store
            .change_insight_status(b, &insights[0].id, &status_change)
            .await,
        Err(StoreError::NotFound { .. })
    ));

    // A's cursors are refused for B.
    let a_scores = store
        .list_scores(a, &ScoreQuery::default(), &first)
        .await
        .unwrap();
    let a_insights = store
        .list_insights(a, &InsightFilter::default(), &first)
        .await
        .unwrap();
    let a_snapshots = store.list_snapshots(a, &first).await.unwrap();
    let a_runs = store.list_sync_runs(a, &first).await.unwrap();
    let with = |cursor: Option<String>| PageRequest {
        limit: 5,
        cursor: Some(cursor.expect("A has a second page")),
    };
    assert!(is_invalid_input(
        store
            .list_scores(
                b,
                &ScoreQuery::default(),
                &with(a_scores.next_cursor.clone())
            )
            .await
    ));
    assert!(is_invalid_input(
        store
            .list_insights(b, &InsightFilter::default(), &with(a_insights.next_cursor))
            .await
    ));
    assert!(is_invalid_input(
        store
            .list_snapshots(b, &with(a_snapshots.next_cursor))
            .await
    ));
    assert!(is_invalid_input(
        store.list_sync_runs(b, &with(a_runs.next_cursor)).await
    ));
    // ... and by another query of A's own.
    assert!(is_invalid_input(
        store.list_sync_runs(a, &with(a_scores.next_cursor)).await
    ));
}
