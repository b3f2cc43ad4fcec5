//! The conformance cases of tenants and their summary (run against both adapters by the
//! `conformance!` list of `store_conformance.rs`).

use super::*;

pub(super) async fn tenants_are_created_once_and_updated_by_version<S: Store>(store: &S) {
    let acme = tenant("acme", Some(4242), TenantStatus::Active);
    store.create_tenant(&acme).await.unwrap();
    assert!(matches!(
        store.create_tenant(&acme).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(store.get_tenant(&acme.id).await.unwrap(), acme);

    let mut renamed = acme.clone();
    renamed.name = "Acme Ltd".into();
    let updated = store.update_tenant(&renamed).await.unwrap();
    assert_eq!(updated.version, acme.version + 1);
    assert_eq!(store.get_tenant(&acme.id).await.unwrap(), updated);

    // A writer still holding the old version loses.
    let mut stale = acme.clone();
    stale.name = "Stale".into();
    assert!(matches!(
        store.update_tenant(&stale).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(store.get_tenant(&acme.id).await.unwrap().name, "Acme Ltd");

    let ghost = tenant("ghost", None, TenantStatus::Active);
    assert!(matches!(
        store.update_tenant(&ghost).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.get_tenant(&ghost.id).await,
        Err(StoreError::NotFound { .. })
    ));
}

pub(super) async fn a_full_sync_is_recorded_without_moving_the_tenant_version<S: Store>(store: &S) {
    let acme = tenant("acme", Some(4242), TenantStatus::Active);
    store.create_tenant(&acme).await.unwrap();
    let finished = t0() + Duration::hours(5);

    store.record_full_sync(&acme.id, finished).await.unwrap();

    let stored = store.get_tenant(&acme.id).await.unwrap();
    assert_eq!(stored.last_full_sync_at, Some(finished));
    assert_eq!(stored.version, acme.version);
    assert_eq!(stored.name, acme.name);
    // A settings change made against the version read before the sync still lands, and keeps it.
    let mut renamed = acme.clone();
    renamed.name = "Acme Ltd".into();
    renamed.last_full_sync_at = stored.last_full_sync_at;
    store.update_tenant(&renamed).await.unwrap();
    let stored = store.get_tenant(&acme.id).await.unwrap();
    assert_eq!(stored.last_full_sync_at, Some(finished));
    // The fan-out sees it through the active-tenant index too.
    let listed = store
        .list_active_tenants(&PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(listed.items[0].last_full_sync_at, Some(finished));

    assert!(matches!(
        store.record_full_sync(&tid("ghost"), finished).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.get_tenant(&tid("ghost")).await,
        Err(StoreError::NotFound { .. })
    ));
}

pub(super) async fn the_summary_is_versioned_and_kept_per_tenant<S: Store>(store: &S) {
    let acme = tid("acme");
    assert_eq!(store.get_summary(&acme).await.unwrap(), None);
    let summary = TenantSummary::of(&[score(1, 40, 70), score(2, 90, 5)], [], t0());

    // Conditional on "nothing stored" (version 0) works once.
    let first = store.put_summary(&acme, &summary, true).await.unwrap();
    assert_eq!(first.version, 1);
    assert_eq!(store.get_summary(&acme).await.unwrap(), Some(first.clone()));
    assert!(matches!(
        store.put_summary(&acme, &summary, true).await,
        Err(StoreError::Conflict { .. })
    ));

    // A writer holding the current version wins; one holding an older version loses.
    let mut moved = first.clone();
    moved.clients = 7;
    let second = store.put_summary(&acme, &moved, true).await.unwrap();
    assert_eq!(second.version, 2);
    assert!(matches!(
        store.put_summary(&acme, &first, true).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(
        store.get_summary(&acme).await.unwrap().map(|s| s.clients),
        Some(7)
    );

    // The whole rewrite ignores the stored version.
    let rewritten = store.put_summary(&acme, &summary, false).await.unwrap();
    assert_eq!(rewritten.version, 1);
    assert_eq!(
        store.get_summary(&acme).await.unwrap().map(|s| s.clients),
        Some(2)
    );

    assert_eq!(store.get_summary(&tid("globex")).await.unwrap(), None);
}

pub(super) async fn tenants_are_found_by_portal_and_listed_while_active<S: Store>(store: &S) {
    for i in 0..7 {
        let status = if i % 3 == 2 {
            TenantStatus::Disabled
        } else {
            TenantStatus::Active
        };
        store
            .create_tenant(&tenant(&format!("t{i}"), Some(1000 + i), status))
            .await
            .unwrap();
    }
    let found = store.tenant_by_portal(1004).await.unwrap().unwrap();
    assert_eq!(found.id, tid("t4"));
    assert_eq!(store.tenant_by_portal(999).await.unwrap(), None);

    let active = walk(
        2,
        |page| async move { store.list_active_tenants(&page).await },
    )
    .await;
    let ids: Vec<_> = active.iter().map(|t| t.id.to_string()).collect();
    assert_eq!(ids, ["t0", "t1", "t3", "t4", "t6"]);

    // Disabling takes a tenant off the schedule.
    let mut t0 = store.get_tenant(&tid("t0")).await.unwrap();
    t0.status = TenantStatus::NeedsReauth;
    store.update_tenant(&t0).await.unwrap();
    let active = walk(
        10,
        |page| async move { store.list_active_tenants(&page).await },
    )
    .await;
    assert!(active.iter().all(|t| t.id != tid("t0")));
    assert_eq!(active.len(), 4);
}
