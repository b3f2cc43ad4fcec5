//! OAuth tokens during a sync: refreshed ahead and written back, never lost to concurrent refreshes,
//! and a dead refresh token stops the sync as needs-reauth.

use super::*;

fn oauth_source(
    sandbox: &Sandbox,
    store: &Arc<MemoryStore>,
    vault: &Arc<InProcessVault>,
    tenant: &Tenant,
) -> HubSpotSource {
    fixtures::oauth_source(sandbox, store, vault, tenant, fast_retry())
}

#[tokio::test]
async fn an_expiring_access_token_is_refreshed_ahead_and_written_back() {
    let sandbox = Sandbox::start(SandboxConfig::small(16)).await.unwrap();
    let store = Arc::new(MemoryStore::new());
    let vault = Arc::new(InProcessVault::new());
    // Expires in 60 s: inside the 5-minute margin.
    let tenant = oauth_tenant(&sandbox, &store, &vault, 60).await;
    let before = vault.get(&tenant.credentials_secret_id).await.unwrap();
    // HubSpot would now refuse the old token: a refresh ahead of use is the only way through.
    sandbox.expire_access_tokens();
    sandbox.reset_stats();

    let outcome = run_sync(
        &oauth_source(&sandbox, &store, &vault, &tenant),
        store.as_ref(),
        &tenant.id,
        &plan_full(1, Utc::now()),
        far_deadline(),
        &NoProgress,
    )
    .await
    .unwrap();
    assert!(outcome.completed);

    let after = vault.get(&tenant.credentials_secret_id).await.unwrap();
    assert_ne!(after.version_id, before.version_id);
    let (StoredCredentials::OAuth(old), StoredCredentials::OAuth(new)) = (
        StoredCredentials::from_secret(&before.value).unwrap(),
        StoredCredentials::from_secret(&after.value).unwrap(),
    ) else {
        panic!("OAuth credentials expected");
    };
    assert_ne!(
        new.access_token.expose_secret(),
        old.access_token.expose_secret()
    );
    assert_eq!(
        new.refresh_token.expose_secret(),
        old.refresh_token.expose_secret()
    );
    assert!(new.expires_at > Utc::now() + chrono::Duration::minutes(20));
    assert_eq!(new.hub_id, Some(sandbox.portal_id()));
    assert_eq!(
        sandbox.stats().by_route.get("POST /oauth/v1/token"),
        Some(&1),
        "one refresh, before the first request"
    );
}

#[tokio::test]
async fn concurrent_refreshes_lose_no_token() {
    let sandbox = Sandbox::start(SandboxConfig::small(17)).await.unwrap();
    let store = Arc::new(MemoryStore::new());
    let vault = Arc::new(InProcessVault::new());
    let tenant = oauth_tenant(&sandbox, &store, &vault, 10).await;
    sandbox.expire_access_tokens();

    // Two processes, each with its own token manager, refresh at the same moment.
    let a = oauth_source(&sandbox, &store, &vault, &tenant);
    let b = oauth_source(&sandbox, &store, &vault, &tenant);
    let plan_a = SyncPlan {
        object_types: vec![ObjectType::Companies],
        ..plan_full(1, Utc::now())
    };
    let (ra, rb) = tokio::join!(
        a.fetch_page(ObjectType::Companies, FetchWindow::All, None),
        b.fetch_page(ObjectType::Companies, FetchWindow::All, None),
    );
    assert!(ra.is_ok() && rb.is_ok(), "a refreshed token was refused");
    let stored = StoredCredentials::from_secret(
        &vault
            .get(&tenant.credentials_secret_id)
            .await
            .unwrap()
            .value,
    )
    .unwrap();
    let StoredCredentials::OAuth(stored) = stored else {
        panic!("OAuth credentials expected")
    };
    assert!(stored.expires_at > Utc::now() + chrono::Duration::minutes(20));
    // The stored token works for a later run.
    let c = oauth_source(&sandbox, &store, &vault, &tenant);
    let outcome = run_sync(
        &c,
        store.as_ref(),
        &tenant.id,
        &plan_a,
        far_deadline(),
        &NoProgress,
    )
    .await
    .unwrap();
    assert!(outcome.completed);
}

/// The engine reports it; the sync handler records it on the tenant (see `needs_reauth.rs`).
#[tokio::test]
async fn a_dead_refresh_token_stops_the_sync_as_needs_reauth() {
    let sandbox = Sandbox::start(SandboxConfig::small(18)).await.unwrap();
    let store = Arc::new(MemoryStore::new());
    let vault = Arc::new(InProcessVault::new());
    let tenant = oauth_tenant(&sandbox, &store, &vault, 0).await;
    sandbox.revoke_refresh_tokens();

    let result = run_sync(
        &oauth_source(&sandbox, &store, &vault, &tenant),
        store.as_ref(),
        &tenant.id,
        &plan_full(1, Utc::now()),
        far_deadline(),
        &NoProgress,
    )
    .await;

    let Err(error) = result else {
        panic!("the sync should fail");
    };
    assert!(matches!(error, SyncError::NeedsReauth { .. }), "{error}");
    assert_eq!(error.status(), shared::domain::SyncStatus::NeedsReauth);
    assert!(error.to_string().contains("BAD_REFRESH_TOKEN"), "{error}");
    assert!(all_snapshots(&store).await.is_empty());
}
