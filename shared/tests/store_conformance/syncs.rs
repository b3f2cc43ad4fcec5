//! The conformance cases of sync runs, checkpoints, leases, webhook event ids and OAuth state (run
//! against both adapters by the `conformance!` list of `store_conformance.rs`).

use super::*;

pub(super) async fn sync_runs_newest_first_and_checkpoints<S: Store>(store: &S) {
    let acme = &tid("acme");
    let runs: Vec<_> = (0..12).map(|n| sync_run(acme, n)).collect();
    for run in &runs {
        store.put_sync_run(run).await.unwrap();
    }
    let listed = walk(
        5,
        |page| async move { store.list_sync_runs(acme, &page).await },
    )
    .await;
    assert_eq!(listed.len(), 12);
    assert!(listed
        .windows(2)
        .all(|w| w[0].started_at >= w[1].started_at));
    let mut finished = runs[4].clone();
    finished.status = SyncStatus::Failed;
    finished.error = Some("HubSpot 500".into());
    store.put_sync_run(&finished).await.unwrap();
    assert_eq!(
        store.get_sync_run(acme, &finished.sync_id).await.unwrap(),
        finished
    );
    assert!(matches!(
        store
            .get_sync_run(acme, &SyncId::parse("nope").unwrap())
            .await,
        Err(StoreError::NotFound { .. })
    ));

    let checkpoint = |object_type, cursor: Option<&str>| SyncCheckpoint {
        object_type,
        watermark: Some(t0()),
        cursor: cursor.map(str::to_owned),
        sync_id: Some(SyncId::parse("sync-001").unwrap()),
        updated_at: t0(),
    };
    store
        .put_checkpoint(acme, &checkpoint(ObjectType::Deals, Some("after-100")))
        .await
        .unwrap();
    store
        .put_checkpoint(acme, &checkpoint(ObjectType::Companies, None))
        .await
        .unwrap();
    store
        .put_checkpoint(acme, &checkpoint(ObjectType::Deals, Some("after-200")))
        .await
        .unwrap();
    let mut stored = store.checkpoints(acme).await.unwrap();
    stored.sort_by_key(|c| c.object_type);
    assert_eq!(
        stored,
        vec![
            checkpoint(ObjectType::Companies, None),
            checkpoint(ObjectType::Deals, Some("after-200"))
        ]
    );
    store
        .clear_checkpoint(acme, ObjectType::Deals)
        .await
        .unwrap();
    assert_eq!(store.checkpoints(acme).await.unwrap().len(), 1);
}

pub(super) async fn leases_are_exclusive_until_they_expire_or_are_released<S: Store>(store: &S) {
    let acme = &tid("acme");
    let now = t0();
    let until = now + Duration::minutes(15);
    assert!(store
        .acquire_lease(acme, "sync", "worker-a", until, now)
        .await
        .unwrap());
    assert!(!store
        .acquire_lease(acme, "sync", "worker-b", until, now + Duration::minutes(1))
        .await
        .unwrap());
    // The holder may extend its own lease; other names and tenants are separate.
    assert!(store
        .acquire_lease(acme, "sync", "worker-a", until + Duration::minutes(5), now)
        .await
        .unwrap());
    assert!(store
        .acquire_lease(acme, Lease::TokenRefresh.name(), "worker-b", until, now)
        .await
        .unwrap());
    assert!(store
        .acquire_lease(&tid("other"), "sync", "worker-b", until, now)
        .await
        .unwrap());
    // Released by someone else: still held.
    store.release_lease(acme, "sync", "worker-b").await.unwrap();
    assert!(!store
        .acquire_lease(acme, "sync", "worker-b", until, now + Duration::minutes(2))
        .await
        .unwrap());
    // Expired: free for the next one.
    assert!(store
        .acquire_lease(
            acme,
            "sync",
            "worker-b",
            now + Duration::hours(2),
            until + Duration::minutes(6)
        )
        .await
        .unwrap());
    store.release_lease(acme, "sync", "worker-b").await.unwrap();
    assert!(store
        .acquire_lease(acme, "sync", "worker-c", until, now)
        .await
        .unwrap());
}

pub(super) async fn a_lease_is_renewed_only_by_its_holder_before_it_expires<S: Store>(store: &S) {
    let acme = &tid("acme");
    let now = t0();
    let sync = Lease::Sync.name();
    assert!(
        !store
            .renew_lease(acme, sync, "worker-a", now + Duration::seconds(90), now)
            .await
            .unwrap(),
        "no lease to renew"
    );
    assert!(store
        .acquire_lease(acme, sync, "worker-a", now + Duration::seconds(90), now)
        .await
        .unwrap());
    // The holder pushes the end out while it works...
    let later = now + Duration::seconds(60);
    assert!(store
        .renew_lease(acme, sync, "worker-a", later + Duration::seconds(90), later)
        .await
        .unwrap());
    // ... so a newcomer after the first term still finds it held.
    let after_first_term = now + Duration::seconds(100);
    assert!(!store
        .acquire_lease(acme, sync, "worker-b", after_first_term, after_first_term)
        .await
        .unwrap());
    assert!(
        !store
            .renew_lease(acme, sync, "worker-b", later, now)
            .await
            .unwrap(),
        "only the holder renews"
    );
    // A holder that let its lease lapse has lost it, even if nobody took it since.
    let lapsed = later + Duration::seconds(91);
    assert!(!store
        .renew_lease(
            acme,
            sync,
            "worker-a",
            lapsed + Duration::seconds(90),
            lapsed
        )
        .await
        .unwrap());
    // Taken over after it lapsed: the old holder's renewal fails and its release does nothing.
    assert!(store
        .acquire_lease(
            acme,
            sync,
            "worker-b",
            lapsed + Duration::seconds(90),
            lapsed
        )
        .await
        .unwrap());
    assert!(!store
        .renew_lease(
            acme,
            sync,
            "worker-a",
            lapsed + Duration::seconds(90),
            lapsed
        )
        .await
        .unwrap());
    store.release_lease(acme, sync, "worker-a").await.unwrap();
    assert!(store
        .renew_lease(
            acme,
            sync,
            "worker-b",
            lapsed + Duration::seconds(120),
            lapsed
        )
        .await
        .unwrap());
}

pub(super) async fn webhook_event_ids_are_recorded_once<S: Store>(store: &S) {
    let acme = &tid("acme");
    let expires = Utc::now() + Duration::days(3);
    assert!(store
        .record_webhook_event(acme, "12345", expires)
        .await
        .unwrap());
    assert!(!store
        .record_webhook_event(acme, "12345", expires)
        .await
        .unwrap());
    assert!(store
        .record_webhook_event(&tid("other"), "12345", expires)
        .await
        .unwrap());
    // A record past its expiry no longer counts.
    let past = Utc::now() - Duration::minutes(1);
    assert!(store.record_webhook_event(acme, "777", past).await.unwrap());
    assert!(store
        .record_webhook_event(acme, "777", expires)
        .await
        .unwrap());
    assert!(is_invalid_input(
        store.record_webhook_event(acme, "", expires).await
    ));
    // Forgotten (its publish failed): the redelivery is processed.
    store.forget_webhook_event(acme, "12345").await.unwrap();
    assert!(store
        .record_webhook_event(acme, "12345", expires)
        .await
        .unwrap());
    assert!(!store
        .record_webhook_event(&tid("other"), "12345", expires)
        .await
        .unwrap());
    store
        .forget_webhook_event(acme, "never-seen")
        .await
        .unwrap();
}

pub(super) async fn oauth_state_is_taken_once<S: Store>(store: &S) {
    let now = Utc::now();
    let state = OAuthState {
        nonce: test_support::unique_name("nonce"),
        tenant_id: Some(tid("acme")),
        created_at: now,
        expires_at: now + Duration::minutes(10),
    };
    store.put_oauth_state(&state).await.unwrap();
    assert!(matches!(
        store.put_oauth_state(&state).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(
        store.take_oauth_state(&state.nonce, now).await.unwrap(),
        Some(state.clone())
    );
    assert_eq!(
        store.take_oauth_state(&state.nonce, now).await.unwrap(),
        None
    );
    assert_eq!(store.take_oauth_state("unknown", now).await.unwrap(), None);

    let late = OAuthState {
        nonce: test_support::unique_name("nonce"),
        ..state.clone()
    };
    store.put_oauth_state(&late).await.unwrap();
    assert_eq!(
        store
            .take_oauth_state(&late.nonce, now + Duration::minutes(11))
            .await
            .unwrap(),
        None
    );
}
