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
