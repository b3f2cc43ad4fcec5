//! A portal with more clients than an invocation holds in memory (10,000): the engine flushes,
//! drops what the store holds, reloads what later pages need, and the store ends equal to the portal.

use super::*;

#[tokio::test]
async fn a_portal_of_more_clients_than_an_invocation_holds_syncs_whole() {
    let sandbox = Sandbox::start(SandboxConfig {
        companies: 10_050,
        contacts: 2_000,
        deals: 500,
        tickets: 200,
        engagements: 12_000,
        lazy: true,
        rate_limit_per_ten_seconds: 100_000,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let source = private_source(&sandbox, &limits(100_000));
    let store = MemoryStore::new();
    let outcome = full_sync(&source, &store, 1).await;
    assert!(outcome.completed);
    assert!(
        !outcome.reconciled,
        "past the bound the rebuild went on as a merge"
    );
    assert_eq!(outcome.changed_client_ids.len(), 10_050);
    assert_store_equals_portal(&store, &sandbox).await;
}
