//! What only the in-memory store does: its file, concurrent saves, clearing a dead process's leases.

use super::*;

#[test]
fn memory_store_persists_to_its_file() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = std::env::temp_dir().join(test_support::unique_name("store-conformance"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("store.json");
    runtime.block_on(async {
        let store = shared::store::MemoryStore::open(&path).unwrap();
        store
            .create_tenant(&tenant("acme", Some(9), TenantStatus::Active))
            .await
            .unwrap();
        store
            .put_scores(&tid("acme"), &[score(1, 33, 60)])
            .await
            .unwrap();
        store.save().unwrap();

        let reopened = shared::store::MemoryStore::open(&path).unwrap();
        assert_eq!(
            reopened.tenant_by_portal(9).await.unwrap().map(|t| t.id),
            Some(tid("acme"))
        );
        let listed = reopened
            .list_scores(&tid("acme"), &ScoreQuery::default(), &PageRequest::first(5))
            .await
            .unwrap();
        assert_eq!(listed.items, vec![score(1, 33, 60)]);
    });
    std::fs::write(&path, b"not json").unwrap();
    assert!(matches!(
        shared::store::MemoryStore::open(&path),
        Err(StoreError::Corrupt(_))
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn memory_store_saves_from_many_threads_at_once_leave_a_whole_file() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = std::env::temp_dir().join(test_support::unique_name("store-conformance"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("store.json");
    let store = shared::store::MemoryStore::open(&path).unwrap();
    runtime.block_on(async {
        store
            .create_tenant(&tenant("acme", Some(9), TenantStatus::Active))
            .await
            .unwrap();
        let scores: Vec<_> = (0..500).map(|n| score(n, 40, 10)).collect();
        store.put_scores(&tid("acme"), &scores).await.unwrap();
    });

    // The periodic save, the save after scoring and the save after a user's change may all run at
    // once: each must succeed, and the file must always be one whole save.
    let savers: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            std::thread::spawn(move || (0..10).map(|_| store.save()).collect::<Vec<_>>())
        })
        .collect();
    for saver in savers {
        for saved in saver.join().unwrap() {
            saved.unwrap();
        }
    }

    let reopened = shared::store::MemoryStore::open(&path).unwrap();
    runtime.block_on(async {
        let (reopened, acme) = (&reopened, &tid("acme"));
        let listed = walk(200, |page| async move {
            reopened
                .list_scores(acme, &ScoreQuery::default(), &page)
                .await
        })
        .await;
        assert_eq!(listed.len(), 500);
    });
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn memory_store_clears_the_leases_of_a_process_that_is_gone() {
    let store = shared::store::MemoryStore::new();
    let now = Utc::now();
    let until = now + Duration::hours(1);
    for (tenant, lease) in [
        ("acme", Lease::Sync),
        ("acme", Lease::TokenRefresh),
        ("other", Lease::Sync),
    ] {
        assert!(store
            .acquire_lease(&tid(tenant), lease.name(), "dead-process", until, now)
            .await
            .unwrap());
    }
    store
        .create_tenant(&tenant("acme", Some(9), TenantStatus::Active))
        .await
        .unwrap();

    assert_eq!(store.clear_leases().unwrap(), 3);

    for tenant in ["acme", "other"] {
        assert!(store
            .acquire_lease(&tid(tenant), Lease::Sync.name(), "new-process", until, now)
            .await
            .unwrap());
    }
    assert!(
        store.get_tenant(&tid("acme")).await.is_ok(),
        "only leases are cleared"
    );
}
