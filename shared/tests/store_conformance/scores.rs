//! The conformance cases of health scores and paging (run against both adapters by the
//! `conformance!` list of `store_conformance.rs`).

use super::*;

pub(super) async fn scores_of_gone_clients_are_deleted<S: Store>(store: &S) {
    let acme = tid("acme");
    store
        .put_scores(
            &acme,
            &[score(1, 40, 70), score(2, 90, 5), score(3, 60, 20)],
        )
        .await
        .unwrap();

    let report = store
        .delete_scores(&acme, &[cid(1), cid(3), cid(9)])
        .await
        .unwrap();

    assert_eq!(report.items_written, 2);
    let left = store
        .list_scores(&acme, &ScoreQuery::default(), &PageRequest::first(10))
        .await
        .unwrap();
    let left: Vec<_> = left.items.iter().map(|s| s.client_id.clone()).collect();
    assert_eq!(left, vec![cid(2)]);
    assert_eq!(store.get_score(&acme, &cid(1)).await.unwrap(), None);
}

pub(super) async fn unchanged_scores_are_not_written_again<S: Store>(store: &S) {
    let acme = &tid("acme");
    let scores: Vec<_> = (0..60).map(|n| score(n, (n % 100) as u8, 10)).collect();
    let first = store.put_scores(acme, &scores).await.unwrap();
    assert_eq!(first.items_written, 60);
    assert_eq!(first.items_unchanged, 0);
    assert_eq!(first.write_requests, 3, "60 items go in 3 batches of 25");

    // Scored again an hour later with the same result: nothing to write.
    let rescored: Vec<_> = scores
        .iter()
        .cloned()
        .map(|mut s| {
            s.scored_at += Duration::hours(1);
            s
        })
        .collect();
    let second = store.put_scores(acme, &rescored).await.unwrap();
    assert_eq!(second.items_written, 0);
    assert_eq!(second.items_unchanged, 60);
    assert_eq!(second.write_requests, 0);

    let mut one_changed = rescored.clone();
    one_changed[7].overall = 99;
    let third = store.put_scores(acme, &one_changed).await.unwrap();
    assert_eq!((third.items_written, third.write_requests), (1, 1));
    assert_eq!(
        store
            .get_score(acme, &cid(7))
            .await
            .unwrap()
            .unwrap()
            .overall,
        99
    );
    // The unchanged ones keep their first `scored_at`.
    assert_eq!(
        store
            .get_score(acme, &cid(8))
            .await
            .unwrap()
            .unwrap()
            .scored_at,
        t0()
    );
}

pub(super) async fn scores_list_by_overall_with_band_and_churn_filters<S: Store>(store: &S) {
    let acme = &tid("acme");
    let scores: Vec<_> = (0..40)
        .map(|n| score(n, ((n * 37) % 101) as u8, (n * 13 % 100) as u8))
        .collect();
    store.put_scores(acme, &scores).await.unwrap();

    let ascending = walk(7, |page| async move {
        store.list_scores(acme, &ScoreQuery::default(), &page).await
    })
    .await;
    let overalls: Vec<u8> = ascending.iter().map(|s| s.overall).collect();
    let mut sorted = overalls.clone();
    sorted.sort();
    assert_eq!(overalls, sorted);
    assert_eq!(ascending.len(), 40);

    let descending_query = ScoreQuery {
        order: ScoreOrder::OverallDescending,
        ..ScoreQuery::default()
    };
    let descending = walk(9, |page| {
        let q = descending_query.clone();
        async move { store.list_scores(acme, &q, &page).await }
    })
    .await;
    let mut reversed: Vec<u8> = descending.iter().map(|s| s.overall).collect();
    reversed.reverse();
    assert_eq!(reversed, sorted);

    let at_risk = ScoreQuery {
        band: Some(HealthBand::AtRisk),
        min_churn_risk: Some(30),
        ..ScoreQuery::default()
    };
    let listed = walk(3, |page| {
        let q = at_risk.clone();
        async move { store.list_scores(acme, &q, &page).await }
    })
    .await;
    let expected: BTreeSet<_> = scores
        .iter()
        .filter(|s| (25..50).contains(&s.overall) && s.churn_risk >= 30)
        .map(|s| s.client_id.clone())
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(
        listed
            .iter()
            .map(|s| s.client_id.clone())
            .collect::<BTreeSet<_>>(),
        expected
    );
    assert_eq!(listed.len(), expected.len());

    // A maximum overall: alone (the overview's "at risk", under 50), inside a band, or above a
    // band (nothing).
    for (band, max, range) in [
        (None, 49, 0..50),
        (Some(HealthBand::Watch), 60, 50..61),
        (Some(HealthBand::Healthy), 49, 0..0),
    ] {
        let query = ScoreQuery {
            band,
            max_overall: Some(max),
            ..ScoreQuery::default()
        };
        let listed = walk(4, |page| {
            let q = query.clone();
            async move { store.list_scores(acme, &q, &page).await }
        })
        .await;
        let expected: BTreeSet<_> = scores
            .iter()
            .filter(|s| range.contains(&s.overall))
            .map(|s| s.client_id.clone())
            .collect();
        let found: BTreeSet<_> = listed.iter().map(|s| s.client_id.clone()).collect();
        assert_eq!(found, expected, "{band:?} up to {max}");
        assert_eq!(listed.len(), expected.len());
    }

    let some = store
        .get_scores(acme, &[cid(3), cid(999), cid(1)])
        .await
        .unwrap();
    assert_eq!(
        some.iter().map(|s| s.client_id.clone()).collect::<Vec<_>>(),
        [cid(3), cid(1)]
    );
}

pub(super) async fn pagination_walks_everything_exactly_once<S: Store>(store: &S) {
    let acme = &tid("acme");
    let scores: Vec<_> = (0..57).map(|n| score(n, 50, 10)).collect();
    store.put_scores(acme, &scores).await.unwrap();
    for limit in [1, 10, 57, 200] {
        let all = walk(limit, |page| async move {
            store.list_scores(acme, &ScoreQuery::default(), &page).await
        })
        .await;
        let ids: BTreeSet<_> = all.iter().map(|s| s.client_id.clone()).collect();
        assert_eq!(all.len(), 57, "limit {limit}");
        assert_eq!(ids.len(), 57, "limit {limit}");
    }
    let first = store
        .list_scores(acme, &ScoreQuery::default(), &PageRequest::first(57))
        .await
        .unwrap();
    assert_eq!(first.next_cursor, None, "no cursor when nothing follows");

    let snapshots: Vec<_> = (0..23).map(|n| snapshot(n, 2)).collect();
    store.put_snapshots(acme, &snapshots).await.unwrap();
    let listed = walk(
        5,
        |page| async move { store.list_snapshots(acme, &page).await },
    )
    .await;
    assert_eq!(listed, snapshots);

    assert!(is_invalid_input(
        store
            .list_scores(acme, &ScoreQuery::default(), &PageRequest::first(0))
            .await
    ));
    let garbage = PageRequest {
        limit: 5,
        cursor: Some("bm90IGEgY3Vyc29y".into()),
    };
    assert!(is_invalid_input(store.list_snapshots(acme, &garbage).await));
}
