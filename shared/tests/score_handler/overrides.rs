//! Users' overrides reach the score through the handler: read with the other inputs, applied, and
//! kept on the score and its history point.

use super::*;
use shared::domain::{ClientOverride, Dimension, OverrideKind, OverrideValue};
use shared::ports::OverrideStore;

#[tokio::test]
async fn an_override_in_the_store_is_applied_and_recorded_on_the_score_and_its_history() {
    let store = tenant_with(&[busy("busy"), dormant("dormant")]).await;
    let bus = InProcessBus::new();
    handle_tenant_synced(&store, &bus, &synced(), now())
        .await
        .unwrap();
    let before = store
        .get_score(&tenant(), &id("busy"))
        .await
        .unwrap()
        .unwrap();
    let computed = before.dimension(Dimension::Usage).unwrap().score;
    assert!(before.overrides.is_empty());

    let o = ClientOverride {
        client_id: id("busy"),
        kind: OverrideKind::Usage,
        value: OverrideValue::Score(5),
        reason: "the usage data is wrong".into(),
        // Beyond the store's real clock, which hides expired items.
        expires_at: chrono::Utc::now() + Duration::days(30),
        set_by: "user-1".into(),
        set_at: now(),
    };
    store.put_override(&tenant(), &o).await.unwrap();
    handle_tenant_synced(&store, &bus, &synced(), now() + Duration::hours(1))
        .await
        .unwrap();

    let after = store
        .get_score(&tenant(), &id("busy"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.dimension(Dimension::Usage).unwrap().score, Some(5));
    assert_eq!(after.overrides.len(), 1);
    assert_eq!(after.overrides[0].computed, computed);
    assert!(after.overall < before.overall);
    let history = store
        .history(
            &tenant(),
            &id("busy"),
            now() - Duration::days(1),
            now() + Duration::days(1),
        )
        .await
        .unwrap();
    let last = history.last().unwrap();
    assert_eq!(last.usage, Some(5));
    assert_eq!(last.overrides, after.overrides);
    // The other client is untouched.
    let dormant = store
        .get_score(&tenant(), &id("dormant"))
        .await
        .unwrap()
        .unwrap();
    assert!(dormant.overrides.is_empty());
}
