//! The conformance cases of score history, snapshots and the contact index (run against both
//! adapters by the `conformance!` list of `store_conformance.rs`).

use super::*;

pub(super) async fn history_reads_a_time_range_oldest_first<S: Store>(store: &S) {
    let acme = &tid("acme");
    let now = Utc::now();
    let points: Vec<_> = (0..10)
        .map(|d| point(1, now - Duration::days(d), 50 + d as u8))
        .chain([point(2, now, 10)])
        .collect();
    let report = store.append_history(acme, &points, 30).await.unwrap();
    assert_eq!(report.items_written, 11);
    assert_eq!(
        store
            .append_history(acme, &points, 30)
            .await
            .unwrap()
            .items_written,
        0,
        "the same points again change nothing"
    );

    let range = store
        .history(
            acme,
            &cid(1),
            now - Duration::days(5),
            now - Duration::days(2),
        )
        .await
        .unwrap();
    let overalls: Vec<u8> = range.iter().map(|p| p.overall).collect();
    assert_eq!(overalls, [55, 54, 53, 52]);
    assert!(range.iter().all(|p| p.client_id == cid(1)));

    // A point older than its retention has expired, even before TTL deletes it.
    let old = point(3, now - Duration::days(40), 70);
    store.append_history(acme, &[old], 30).await.unwrap();
    assert!(store
        .history(acme, &cid(3), now - Duration::days(60), now)
        .await
        .unwrap()
        .is_empty());
    assert!(is_invalid_input(
        store.append_history(acme, &points, 0).await
    ));
}

pub(super) async fn snapshots_and_contact_index_round_trip<S: Store>(store: &S) {
    let acme = &tid("acme");
    // Thousands of engagements: well over 400 KB as JSON.
    let big = snapshot(1, 4000);
    assert!(serde_json::to_vec(&big).unwrap().len() > 400 * 1024);
    let small = snapshot(2, 3);
    let report = store
        .put_snapshots(acme, &[big.clone(), small.clone()])
        .await
        .unwrap();
    assert_eq!(report.items_written, 2);
    let got = store
        .get_snapshots(acme, &[cid(2), cid(1), cid(3)])
        .await
        .unwrap();
    assert_eq!(got, vec![small.clone(), big.clone()]);
    assert_eq!(
        store
            .put_snapshots(acme, &[big.clone(), small.clone()])
            .await
            .unwrap()
            .items_written,
        0
    );
    let deleted = store
        .delete_snapshots(acme, &[cid(1), cid(9)])
        .await
        .unwrap();
    assert_eq!((deleted.items_written, deleted.items_unchanged), (1, 1));
    assert_eq!(
        store.get_snapshots(acme, &[cid(1), cid(2)]).await.unwrap(),
        vec![small]
    );

    let links = vec![
        ("c-1".to_owned(), vec![cid(1), cid(2)]),
        ("c-2".to_owned(), vec![cid(3)]),
    ];
    assert_eq!(
        store
            .put_contact_clients(acme, &links)
            .await
            .unwrap()
            .items_written,
        2
    );
    assert_eq!(
        store
            .put_contact_clients(acme, &links)
            .await
            .unwrap()
            .items_written,
        0
    );
    store
        .put_contact_clients(acme, &[("c-2".to_owned(), vec![])])
        .await
        .unwrap();
    let found = store
        .contact_clients(acme, &["c-2".into(), "c-1".into(), "c-9".into()])
        .await
        .unwrap();
    assert_eq!(found, vec![("c-1".to_owned(), vec![cid(1), cid(2)])]);
}

pub(super) async fn history_keeps_weights_and_factor_points_and_trends_one_point_a_day<S: Store>(
    store: &S,
) {
    let acme = &tid("acme");
    let now = Utc::now();
    // A point with what "why it changed" needs round-trips whole.
    let mut scored = score(7, 64, 20);
    scored.scored_at = now;
    scored.dimensions[0].factors.push(Factor {
        source: shared::domain::Platform::Hubspot,
        name: "activity_recency".into(),
        value: Some(3.0),
        points: 44.5,
        explanation: "recent".into(),
    });
    let with_parts = scored.point();
    assert_eq!(with_parts.parts.len(), 1);
    assert_eq!(with_parts.parts[0].factors.len(), 2);
    store
        .append_history(acme, std::slice::from_ref(&with_parts), 30)
        .await
        .unwrap();
    let read = store
        .history(
            acme,
            &cid(7),
            now - Duration::days(1),
            now + Duration::days(1),
        )
        .await
        .unwrap();
    assert_eq!(read, vec![with_parts]);

    // Trend points: one a day, the last write of a day wins, read by day range oldest first.
    let today = now.date_naive();
    let summary = |at: DateTime<Utc>, clients: u64| TenantSummary {
        clients,
        overall_sum: clients * 50,
        clients_by_band: Default::default(),
        open_insights: Default::default(),
        computed_at: at,
        version: 0,
    };
    for days in [0, 1, 2, 5] {
        let point = TrendPoint::of(&summary(now - Duration::days(days), 10 + days as u64));
        let report = store.put_trend_point(acme, &point, 30).await.unwrap();
        assert_eq!(report.items_written, 1);
    }
    let later = TrendPoint::of(&summary(now, 99));
    let same_day_again = TrendPoint {
        at: later.at,
        ..later.clone()
    };
    assert_eq!(
        store
            .put_trend_point(acme, &later, 30)
            .await
            .unwrap()
            .items_written,
        1
    );
    assert_eq!(
        store
            .put_trend_point(acme, &same_day_again, 30)
            .await
            .unwrap()
            .items_written,
        0,
        "the same point again changes nothing"
    );
    let days = |points: &[TrendPoint]| points.iter().map(|p| p.clients).collect::<Vec<_>>();
    let range = store
        .trend_points(acme, today - chrono::Days::new(2), today)
        .await
        .unwrap();
    assert_eq!(days(&range), [12, 11, 99]);
    assert_eq!(range[2].average_health, Some(50.0));
    let all = store
        .trend_points(acme, today - chrono::Days::new(90), today)
        .await
        .unwrap();
    assert_eq!(days(&all), [15, 12, 11, 99]);
    // Another tenant sees none; a point past its retention has expired.
    assert!(store
        .trend_points(&tid("other"), today - chrono::Days::new(90), today)
        .await
        .unwrap()
        .is_empty());
    let old = TrendPoint::of(&summary(now - Duration::days(40), 1));
    store.put_trend_point(acme, &old, 30).await.unwrap();
    assert_eq!(
        days(
            &store
                .trend_points(acme, today - chrono::Days::new(90), today)
                .await
                .unwrap()
        ),
        [15, 12, 11, 99]
    );
    assert!(is_invalid_input(
        store.put_trend_point(acme, &later, 0).await
    ));
}
